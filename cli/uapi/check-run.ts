/**
 * `viommu uapi check`: places a payload in a fresh user address space (only its
 * first `readable` bytes mapped, nothing after), runs the IOMMU core's copies and
 * checks with vendor ops that accept everything, and reports what happened.
 */

import { toJson } from '../../core/uapi/codec.js';
import { ERRNO, type ErrnoName } from '../../core/uapi/errno.js';
import {
  ACCEPT_ALL_OPS,
  bindGpasidTraced,
  cacheInvalidateTraced,
  type UapiTarget,
  unbindGpasidTraced,
} from '../../core/uapi/iommu-core.js';
import { KERNELS, type KernelName } from '../../core/uapi/kernel-versions.js';
import type { IommuGpasidBindData } from '../../core/uapi/structs.js';
import { UserMemory } from '../../core/uapi/user-memory.js';
import { cliCall } from './cli-call.js';

export const CHECK_OPS = ['cache-invalidate', 'bind-gpasid', 'unbind-gpasid'] as const;
export type CheckOp = (typeof CHECK_OPS)[number];

export function isCheckOp(s: unknown): s is CheckOp {
  return typeof s === 'string' && (CHECK_OPS as readonly string[]).includes(s);
}

/** Where the payload is placed in the simulated user address space. */
export const CHECK_UPTR = 0x10000;

const TARGET: UapiTarget = { ops: ACCEPT_ALL_OPS, call: cliCall('cli') };

/** One check's result, JSON-safe (64-bit values as "0x..." strings). */
export interface CheckResult {
  readonly op: CheckOp;
  readonly kernel: KernelName;
  readonly ok: boolean;
  readonly errno: string | null;
  readonly errnoNumber: number | null;
  readonly detail: string | null;
  /** Bytes copied from user memory before the call ended. */
  readonly copied: number;
  readonly readable: number;
  /** The struct name and its kernel-side copy (zero where not copied), or null if the first copy faulted. */
  readonly struct: string;
  readonly decoded: { [k: string]: unknown } | null;
  /** unbind-gpasid only: the 32-bit PASID the core passes on (hpasid truncated), null if it got no further. */
  readonly pasid?: number | null;
}

export function runCheck(
  op: CheckOp,
  payload: Uint8Array,
  readable: number,
  kernel: KernelName,
): CheckResult {
  const user = new UserMemory();
  user.map(CHECK_UPTR, payload.subarray(0, readable));
  const k = KERNELS[kernel];
  const base = { op, kernel, readable };
  if (op === 'cache-invalidate') {
    const t = cacheInvalidateTraced(k, user, CHECK_UPTR, TARGET);
    const decoded = t.struct ? toJson('iommu_cache_invalidate_info', t.struct) : null;
    return {
      ...base,
      ...outcome(t.result),
      copied: t.copied,
      struct: 'iommu_cache_invalidate_info',
      decoded,
    };
  }
  const bindLike = (x: { copied: number; struct: IommuGpasidBindData | null }) => ({
    copied: x.copied,
    struct: 'iommu_gpasid_bind_data',
    decoded: x.struct ? toJson('iommu_gpasid_bind_data', x.struct) : null,
  });
  if (op === 'bind-gpasid') {
    const t = bindGpasidTraced(k, user, CHECK_UPTR, TARGET);
    return { ...base, ...outcome(t.result), ...bindLike(t) };
  }
  const t = unbindGpasidTraced(k, user, CHECK_UPTR, TARGET);
  return { ...base, ...outcome(t.result), ...bindLike(t), pasid: t.result.ok ? t.result.value.pasid : null };
}

function outcome(r: { ok: true } | { ok: false; errno: ErrnoName; detail: string }) {
  return r.ok
    ? { ok: true, errno: null, errnoNumber: null, detail: null }
    : { ok: false, errno: r.errno, errnoNumber: ERRNO[r.errno], detail: r.detail };
}
