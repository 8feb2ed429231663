/**
 * Linux errno values used by the IOMMU UAPI, with the kernel's numbers.
 * ENOTSUPP (524) is kernel-internal: VT-d's bind returns it for non-PCI devices.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** 0 for success, otherwise an errno name: what a vendor op or core check returns. */
export type ErrnoCode = 0 | ErrnoName;

export type UapiResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errno: ErrnoName; readonly detail: string };

export function ok<T>(value: T): UapiResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(errno: ErrnoName, detail: string): UapiResult<T> {
  return { ok: false, errno, detail };
}

const BY_NUMBER = new Map<number, ErrnoName>(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([name, n]) => [n, name]),
);

/** The errno name for a Linux number (negative values accepted), or undefined. */
export function errnoName(n: number): ErrnoName | undefined {
  return BY_NUMBER.get(Math.abs(n));
}

export function isErrnoName(s: string): s is ErrnoName {
  return Object.hasOwn(ERRNO, s);
}
