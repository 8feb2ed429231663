/**
 * A growable byte buffer for encoders: a doubling ArrayBuffer written through
 * a Uint8Array (perf-notes §5: doubling beats resizable buffers and DataView
 * setters in append loops).
 */

const utf8 = new TextEncoder();
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

export class ByteSink {
  bytes: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  constructor(initialCapacity = 4096) {
    this.bytes = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n > this.bytes.length) this.#grow(this.length + n);
  }

  #grow(need: number): void {
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  /** Forgets the content, keeps the capacity. */
  clear(): void {
    this.length = 0;
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  u8(v: number): void {
    if (this.length + 1 > this.bytes.length) this.#grow(this.length + 1);
    this.bytes[this.length++] = v;
  }

  u32(v: number): void {
    if (this.length + 4 > this.bytes.length) this.#grow(this.length + 4);
    const b = this.bytes;
    const p = this.length;
    b[p] = v;
    b[p + 1] = v >>> 8;
    b[p + 2] = v >>> 16;
    b[p + 3] = v >>> 24;
    this.length = p + 4;
  }

  /** Unsigned LEB128 of a non-negative safe integer (the caller checks the range). */
  varint(v: number): void {
    if (this.length + 8 > this.bytes.length) this.#grow(this.length + 8);
    const b = this.bytes;
    let p = this.length;
    if (v < 0x80) {
      b[p++] = v;
    } else {
      // Bit operators only see 32 bits: divide while the value is above 2^31.
      while (v >= 0x80000000) {
        b[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    }
    this.length = p;
  }

  f64(v: number): void {
    if (this.length + 8 > this.bytes.length) this.#grow(this.length + 8);
    f64[0] = v;
    this.bytes.set(f64Bytes, this.length);
    this.length += 8;
  }

  /** The low `n` bytes (n <= 8) of the 64-bit value hi:lo, low byte first. */
  u64Bytes(hi: number, lo: number, n: number): void {
    if (this.length + 8 > this.bytes.length) this.#grow(this.length + 8);
    const b = this.bytes;
    let p = this.length;
    for (let i = 0; i < n && i < 4; i++) b[p++] = lo >>> (8 * i);
    for (let i = 4; i < n; i++) b[p++] = hi >>> (8 * (i - 4));
    this.length = p;
  }

  append(src: Uint8Array, start = 0, end = src.length): void {
    this.reserve(end - start);
    this.bytes.set(src.subarray(start, end), this.length);
    this.length += end - start;
  }

  /** varint UTF-8 byte length, then the UTF-8 bytes. */
  lengthPrefixedUtf8(s: string): void {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.varint(n);
      this.reserve(n);
      const b = this.bytes;
      const p = this.length;
      for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
      this.length = p + n;
      return;
    }
    const enc = utf8.encode(s);
    this.varint(enc.length);
    this.append(enc);
  }
}
