/**
 * A simulated user address space: a set of mapped byte ranges. copy_from_user
 * and copy_to_user succeed only if every byte of the range is mapped; otherwise
 * EFAULT (reference/uapi.md §4: a copy of length 0 always succeeds). Ranges are
 * byte-granular so a test can cut a copy at any byte. Not a hot path.
 */

interface Range {
  start: number;
  bytes: Uint8Array;
}

const MAX_ADDR = Number.MAX_SAFE_INTEGER;

function validRange(addr: number, len: number): boolean {
  return (
    Number.isSafeInteger(addr) && Number.isSafeInteger(len) && addr >= 0 && len >= 0 && addr + len <= MAX_ADDR
  );
}

export class UserMemory {
  /** Disjoint ranges sorted by start. */
  readonly #ranges: Range[] = [];

  /** Maps `bytes` (copied) at `addr`, replacing whatever was mapped there. Throws RangeError for a bad address. */
  map(addr: number, bytes: Uint8Array): void {
    if (!validRange(addr, bytes.length)) throw new RangeError(`map: bad range ${addr}+${bytes.length}`);
    if (bytes.length === 0) return;
    this.unmap(addr, bytes.length);
    const at = this.#ranges.findIndex((r) => r.start > addr);
    this.#ranges.splice(at < 0 ? this.#ranges.length : at, 0, { start: addr, bytes: bytes.slice() });
  }

  saveState(): { start: number; bytes: Uint8Array }[] {
    // Copies: a range may be a view into a larger buffer, which serialisation would keep whole.
    return this.#ranges.map((r) => ({ start: r.start, bytes: r.bytes.slice() }));
  }

  loadState(ranges: readonly { start: number; bytes: Uint8Array }[]): void {
    this.#ranges.length = 0;
    for (const r of ranges) this.#ranges.push({ start: r.start, bytes: r.bytes.slice() });
  }

  /** Unmaps [addr, addr+len), splitting ranges that straddle its ends. */
  unmap(addr: number, len: number): void {
    if (!validRange(addr, len)) throw new RangeError(`unmap: bad range ${addr}+${len}`);
    const end = addr + len;
    const kept: Range[] = [];
    for (const r of this.#ranges) {
      const rEnd = r.start + r.bytes.length;
      if (rEnd <= addr || r.start >= end) {
        kept.push(r);
        continue;
      }
      if (r.start < addr) kept.push({ start: r.start, bytes: r.bytes.subarray(0, addr - r.start) });
      if (rEnd > end) kept.push({ start: end, bytes: r.bytes.subarray(end - r.start) });
    }
    this.#ranges.length = 0;
    this.#ranges.push(...kept);
  }

  /** The mapped pieces covering [addr, addr+n) in order, or undefined if any byte is unmapped. */
  #cover(addr: number, n: number): { range: Range; from: number; len: number }[] | undefined {
    if (!validRange(addr, n)) return undefined;
    const pieces: { range: Range; from: number; len: number }[] = [];
    let at = addr;
    const end = addr + n;
    for (const r of this.#ranges) {
      if (at >= end) break;
      const rEnd = r.start + r.bytes.length;
      if (rEnd <= at) continue;
      if (r.start > at) return undefined; // a hole
      const len = Math.min(rEnd, end) - at;
      pieces.push({ range: r, from: at - r.start, len });
      at += len;
    }
    return at >= end ? pieces : undefined;
  }

  /** copy_from_user: n bytes at uptr, or 'EFAULT' if any of them is unmapped. */
  copyFromUser(uptr: number, n: number): Uint8Array | 'EFAULT' {
    const pieces = this.#cover(uptr, n);
    if (!pieces) return 'EFAULT';
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of pieces) {
      out.set(p.range.bytes.subarray(p.from, p.from + p.len), o);
      o += p.len;
    }
    return out;
  }

  /** copy_to_user: writes all of `bytes` at uptr, or nothing and 'EFAULT' if any target byte is unmapped. */
  copyToUser(uptr: number, bytes: Uint8Array): 0 | 'EFAULT' {
    const pieces = this.#cover(uptr, bytes.length);
    if (!pieces) return 'EFAULT';
    let o = 0;
    for (const p of pieces) {
      p.range.bytes.set(bytes.subarray(o, o + p.len), p.from);
      o += p.len;
    }
    return 0;
  }

  /** Mapped ranges as [start, length] pairs, for reports. */
  ranges(): [number, number][] {
    return this.#ranges.map((r) => [r.start, r.bytes.length]);
  }
}
