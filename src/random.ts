/**
 * The seeded pseudo-random generator behind every random choice in mixem.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 2021), a 128-bit state of four
 * 32-bit words, seeded by expanding the user's integer seed with SplitMix32.
 * Only 32-bit integer arithmetic is used (`Math.imul`, `>>>`), so every
 * JavaScript engine produces the same stream, bit for bit.
 */

/** Expands a seed into well-mixed 32-bit words (SplitMix32). */
function splitMix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A deterministic random stream.
 *
 * @example
 * ```ts
 * const rng = new Random(42);
 * rng.uniform(); // same value on every run and every engine
 * ```
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = NaN;

  /** @param seed any finite number; its integer part (mod 2^32) and its sign are used. */
  constructor(seed: number) {
    const mix = { s: (Math.trunc(seed) | 0) ^ (seed < 0 ? 0x5bd1e995 : 0) };
    // Mix in the high bits of seeds beyond 32 bits, so 2^32 and 0 differ.
    mix.s ^= Math.trunc(Math.abs(seed) / 4294967296) | 0;
    this.a = splitMix32(mix);
    this.b = splitMix32(mix);
    this.c = splitMix32(mix);
    this.d = splitMix32(mix);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** The next 32-bit unsigned integer of the stream. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal deviate (Box–Muller; the second value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return z;
    }
    const u = 1 - this.uniform(); // (0, 1]: log is finite
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /**
   * An index drawn with probability proportional to `weights[i]` (non-negative).
   * If every weight is zero, a uniform index is drawn.
   */
  categorical(weights: ArrayLike<number>, total?: number): number {
    const n = weights.length;
    let sum = total ?? 0;
    if (total === undefined) for (let i = 0; i < n; i++) sum += weights[i];
    if (!(sum > 0)) return this.integer(n);
    const target = this.uniform() * sum;
    let cumulative = 0;
    for (let i = 0; i < n; i++) {
      cumulative += weights[i];
      if (target < cumulative) return i;
    }
    // Rounding left target at the very top: return the last index with weight.
    for (let i = n - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return n - 1;
  }

  /** Shuffles `order` in place (Fisher–Yates). */
  shuffle(order: Int32Array | number[]): void {
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
