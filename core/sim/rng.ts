/**
 * Seeded PRNG (xoshiro128**): the only source of randomness in a run, so the
 * same seed gives the same run. 32-bit state words keep it allocation-free.
 */
export class SeededRng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // splitmix32 spreads one seed word over the four state words.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32. */
  below(n: number): number {
    if (n <= 0) throw new RangeError(`rng: bound must be positive, got ${n}`);
    if (n <= 0x1_0000_0000) return Math.floor((this.nextU32() / 0x1_0000_0000) * n);
    // Up to 2^53: combine two words.
    const hi = this.nextU32() * 0x1_0000_0000 + this.nextU32();
    return Math.floor((hi / 2 ** 64) * n);
  }

  /** The four state words, for snapshots. */
  saveState(): [number, number, number, number] {
    return [this.#a, this.#b, this.#c, this.#d];
  }

  loadState(s: readonly [number, number, number, number]): void {
    [this.#a, this.#b, this.#c, this.#d] = s;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
