/**
 * An IOTLB design to replay a trace with: `--iotlb POLICY[:ENTRIES[:WAYS]]`.
 * POLICY is `qemu` (QEMU 9.1 and later: 1024 entries flushed when full),
 * `qemu-7.2` (the same with QEMU 7.2's 8-bit page-invalidation mask: a bug
 * reproduction, for comparing with 7.x traces), `lru`, `fifo` or `random`.
 * The key (source-id or domain) is a separate choice (cache-options.ts).
 */
import { type IotlbKey, VTD_CACHE_POLICIES, type VtdCachePolicy } from '../caches/cache-options.js';

export interface IotlbDesign {
  /** As the user wrote it (the row's name). */
  readonly label: string;
  readonly policy: VtdCachePolicy;
  readonly entries: number;
  readonly ways: number | 'full';
  /** The tag; undefined = the policy's default (sid for the qemu policies). */
  readonly key?: IotlbKey;
}

/** Parses `POLICY[:ENTRIES[:WAYS]]`; throws a RangeError that says what is wrong. */
export function parseIotlbDesign(spec: string, key?: IotlbKey): IotlbDesign {
  const [policy, entriesText, waysText, ...rest] = spec.split(':');
  if (rest.length > 0 || !(VTD_CACHE_POLICIES as readonly string[]).includes(policy ?? ''))
    throw new RangeError(
      `--iotlb ${spec}: expected POLICY[:ENTRIES[:WAYS]] with POLICY one of ${VTD_CACHE_POLICIES.join(', ')}`,
    );
  const p = policy as VtdCachePolicy;
  const entries = entriesText === undefined ? 1024 : Number(entriesText);
  if (!Number.isInteger(entries) || entries < 1 || entries > 2 ** 24)
    throw new RangeError(`--iotlb ${spec}: ENTRIES must be an integer in [1, 2^24]`);
  let ways: number | 'full' = 'full';
  if (waysText !== undefined) {
    if (p === 'qemu' || p === 'qemu-7.2')
      throw new RangeError(`--iotlb ${spec}: policy ${p} is fully associative (no WAYS)`);
    ways = Number(waysText);
    if (!Number.isInteger(ways) || ways < 1 || entries % ways !== 0)
      throw new RangeError(`--iotlb ${spec}: WAYS must divide ENTRIES`);
  }
  return { label: spec, policy: p, entries, ways, ...(key !== undefined ? { key } : {}) };
}
