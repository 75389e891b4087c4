/**
 * mixem's float32 E-step kernel in AssemblyScript, compiled to WebAssembly
 * with 128-bit SIMD (four f32 lanes) by scripts/build-wasm.mjs. It computes
 * what src/kernels/reference.ts computes, with the densities in single
 * precision; src/kernels/wasm.ts (`precision: 'float32'`) is its adapter.
 * assembly/estep.ts is the double-precision kernel; this one follows its
 * structure. Built twice, like it: plain SIMD, and relaxed SIMD, where `madd`
 * becomes the fused `f32x4.relaxed_madd`.
 *
 * Symbols: n rows, d features, k components, i a row, a, b, c and j
 * features, m a component, q a quad (four consecutive rows, the first a
 * multiple of 4).
 *
 * What is single precision and what is double:
 * - f32: the data (stored once by the adapter, in each chunk's frame: see
 *   below), the means and factors rounded for the density phase, x − μ,
 *   y = F (x − μ), ‖y‖², the joint log densities less a constant C (below),
 *   their exponentials and log Σ, the responsibilities r, and each block's
 *   sums of r, r·(x − μ)_a and r·(x − μ)_a·(x − μ)_b per lane (64 rows).
 * - f64: the weights; the log-likelihood (each row's log density is
 *   C + max + log Σ formed in f64 and summed in f64); the statistics from
 *   each block's lanes onwards (lanes summed in f64, blocks added to f64
 *   totals in block order, ranges merged in f64); the corrections below.
 *
 * Three devices keep single precision where it is harmless:
 * - A frame per chunk. The adapter stores (x − c)/s, with c a median of
 *   each column (finite values of a sample of the rows) of the chunk of
 *   CHUNK_ROWS rows the row belongs to, and s a power of two near the
 *   column's largest |x − c| in the chunk; the weights are used divided by
 *   a power of two near the chunk's largest weight. The parameters are
 *   rounded in the same frame (μ̃ = fl32((μ − c)/s), F·diag(s)), so x − μ is
 *   formed from numbers of the size of the spread, not of the offset of the
 *   data (a feature at 1e6 ± 1 keeps f32 precision), and data and weights
 *   of any scale (1e±150) stay within the f32 range. The frame depends only
 *   on the chunk's rows, so a chunk loaded on its own (a thread pool) gives
 *   the same bits as inside all the data.
 * - Exact return to the data's frame. The sums are taken in the frame,
 *   around c + s·μ̃ = μ + δ with δ of the order of 1e-7·|μ − c|; at the end
 *   of each range they are multiplied by the scales (exact: powers of two)
 *   and moved to μ in f64: first += n·δ, second += first·δᵀ + δ·firstᵀ +
 *   n·δδᵀ (with the first moments before their correction), so the
 *   statistics are around μ as the interface requires.
 * - The shift C. The constants log π_m + log-normaliser_m are large (about
 *   −d/2·log 2π) and alike; they are rounded to f32 as cst_m − C with C
 *   their maximum, and C is added back in f64, so its size costs nothing.
 *
 * How the work is vectorised:
 * - The data are stored by quads: the four rows' values of feature c are one
 *   vector (16 bytes) at x + 16·(q·d + c), so a row's lane is fixed and
 *   every density and statistic is computed for four rows at once with no
 *   shuffles. The last quad is padded with zero rows, which the `valid`
 *   masks exclude.
 * - Each block of BLOCK_ROWS rows (64 quads) goes through three phases:
 *   (1) the joint log densities, component by component, so that the
 *   component's factor stays in the first-level cache; (2) per quad the
 *   maximum over components, the exponentials, their sum Σ, the rows'
 *   log-likelihoods, and w/Σ; (3) the statistics, component by component,
 *   into f32 sums whose lanes are the rows i ≡ 0, 1, 2, 3 mod 4, then
 *   summed lane by lane in f64 into the totals.
 * - Full covariances with d ≤ 4 have unrolled paths, whose statistics (d ≥ 2)
 *   stay in registers. Otherwise y = F (x − μ) goes two quads at a time and
 *   four rows of F at a time (eight independent sums; each factor entry
 *   loaded serves eight rows), and the statistics are a small matrix
 *   product per block, in register tiles (`accumulateFullTiled`). Diagonal
 *   statistics go four features at a time in registers.
 *
 * Memory: the JavaScript side allocates every buffer through `alloc`/`free`
 * (the TLSF allocator of AssemblyScript's minimal runtime). Layouts:
 * - data (f32): ⌈n/4⌉ quads of d vectors, as above;
 * - frame (f64): c[d], s[d], then the weights' scale, of the rows passed to
 *   `estep`/`evaluate`;
 * - weights (f64): n values, or the pointer 0 for all ones;
 * - params (f64, `configure`): cst[k] = log π_m + log-normaliser_m |
 *   means[k×d] | factors (full: k row-major d×d, of which the lower triangle
 *   is read; diag: k×d inverse standard deviations);
 * - stats (f64, `estep`, `merge`): header[4] = (Σ w log p, lowest log
 *   density, its row, 0) | counts[k] | first[k×d] | second (full: k
 *   row-major d×d of which the lower triangle is filled, the rest is zero;
 *   diag: k×d).
 */
import { allocate, release } from './blocks';

/** Rows per summation block (src/kernels/kernel.ts BLOCK_ROWS). */
const BLOCK_ROWS: i32 = 256;
/** Quads per block. */
const BLOCK_QUADS: i32 = BLOCK_ROWS >> 2;
/** f64 values before the counts in a stats buffer. */
const HEADER: i32 = 4;

const ZERO: v128 = f32x4(0.0, 0.0, 0.0, 0.0);
const HALF: v128 = f32x4(0.5, 0.5, 0.5, 0.5);
const NEG_INF: v128 = f32x4(-Infinity, -Infinity, -Infinity, -Infinity);

// ---------------------------------------------------------------- configuration

let variant: i32 = 0; // 1…4: full with that d; 5: full, generic d; 6: diag
let isFull: bool = true;
let K: i32 = 0;
let D: i32 = 0;
let shiftC: f64 = 0; // C: the largest finite cst_m
let cstPtr: usize = 0; // f64 params
let meanPtr: usize = 0;
let factorPtr: usize = 0;
let statsFloats: i32 = 0; // f64 values after the header
let firstOffset: usize = 0; // bytes from the start of the counts
let secondOffset: usize = 0;
// scratch
let cst32Ptr: usize = 0; // k f32: fl32(cst_m − C)
let mu32Ptr: usize = 0; // k×d f32: fl32(μ − c)
let deltaPtr: usize = 0; // k×d f64: (c + μ̃) − μ
let fac32Ptr: usize = 0; // f32 factors: full k×d×d (zero above the diagonal), diag k×d
let dvPtr: usize = 0; // max(2d, BLOCK_QUADS) vectors: two quads' x − μ̃_m (or the diagonal path's r of each quad)
let lvPtr: usize = 0; // BLOCK_QUADS·k vectors: logp − C, then exp(logp − max), of each quad
let scalePtr: usize = 0; // BLOCK_QUADS vectors: w/Σ exp(logp − max) of each quad
let validPtr: usize = 0; // BLOCK_QUADS masks: which rows of each quad count (present, w ≠ 0)
let accPtr: usize = 0; // ACC_VECTORS vectors: the small-d paths' block sums of one component (count, first, lower triangle of second)
let L4: i32 = 0; // d + 1 rounded up to a multiple of 4: the features of the tiled statistics, with a constant 1
let dqPtr: usize = 0; // SUB × L4 vectors, quad by quad: x − μ̃ of an active quad, then 1, then zeros
let rdqPtr: usize = 0; // the same times r
let SUB: i32 = 0; // quads per sub-block of the tiled statistics
let TILE_VECTORS: i32 = 0; // vectors of the tiles' sums: 8 per 4×2 tile
let tilePtr: usize = 0;
let lanePtr: usize = 0; // 2 vectors: a quad's max and log Σ, read back lane by lane

/** Bytes of the first-level cache that a sub-block's stored vectors (dq, rdq) may fill. */
const L1_BUDGET: i32 = 20480;

@inline function align16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

@inline function statsFloatsFor(full: bool, k: i32, d: i32): i32 {
  return k + k * d + (full ? k * d * d : k * d);
}

@inline function l4For(d: i32): i32 {
  return (d + 4) & ~3;
}

@inline function subFor(d: i32): i32 {
  return max(4, min(BLOCK_QUADS, L1_BUDGET / (32 * l4For(d))));
}

/** 8 vectors per 4×2 tile of the augmented triangle: row groups a0 = 0, 4, …; columns b0 = 0, 2, … ≤ min(a0 + 2, d). */
function tileVectorsFor(d: i32): i32 {
  let tiles = 0;
  for (let a0 = 0; a0 < l4For(d); a0 += 4) tiles += (min(a0 + 2, d) >> 1) + 1;
  return tiles * 8;
}

/** Vectors of the small-d paths' sums: 1 + d + d(d + 1)/2 for d ≤ 4. */
const ACC_VECTORS: i32 = 15;

/** A 16-aligned block of `bytes` bytes; traps (`unreachable`) when memory cannot grow enough. */
export function alloc(bytes: usize): usize {
  return allocate(bytes);
}

/** Frees a block from `alloc`. */
export function free(ptr: usize): void {
  release(ptr);
}

/** f64 values in a stats buffer, header included. */
export function statsLength(full: i32, k: i32, d: i32): i32 {
  return HEADER + statsFloatsFor(full != 0, k, d);
}

/** f64 values in a params buffer. */
export function paramsLength(full: i32, k: i32, d: i32): i32 {
  return k + k * d + (full != 0 ? k * d * d : k * d);
}

/** Bytes of scratch that `configure` needs. */
export function scratchBytes(full: i32, k: i32, d: i32): i32 {
  const f = full != 0;
  let bytes: usize = 0;
  bytes += align16(<usize>k << 2); // cst32
  bytes += align16(<usize>(k * d) << 2); // mu32
  bytes += align16(<usize>(k * d) << 3); // delta
  bytes += align16(<usize>(f ? k * d * d : k * d) << 2); // fac32
  bytes += <usize>max(2 * d, BLOCK_QUADS) << 4; // dv (also the diagonal path's responsibilities)
  bytes += <usize>(BLOCK_QUADS * k) << 4; // lv
  bytes += <usize>BLOCK_QUADS << 5; // scale, valid
  bytes += <usize>ACC_VECTORS << 4; // acc
  bytes += 32; // lanes
  if (f) bytes += <usize>(2 * l4For(d) * subFor(d) + tileVectorsFor(d)) << 4; // dq, rdq, tiles
  return <i32>bytes;
}

/**
 * Sets the parameters (f64, laid out as in the header comment) and the
 * scratch area for the next calls, and rounds the constants to
 * fl32(cst_m − C); the means and factors are rounded per range, in its
 * frame (`prepare`).
 */
export function configure(full: i32, k: i32, d: i32, params: usize, scratch: usize): void {
  isFull = full != 0;
  K = k;
  D = d;
  variant = isFull ? (d <= 4 ? d : 5) : 6;
  cstPtr = params;
  meanPtr = params + (<usize>k << 3);
  factorPtr = meanPtr + (<usize>(k * d) << 3);
  statsFloats = statsFloatsFor(isFull, k, d);
  firstOffset = <usize>k << 3;
  secondOffset = firstOffset + (<usize>(k * d) << 3);

  cst32Ptr = scratch;
  mu32Ptr = cst32Ptr + align16(<usize>k << 2);
  deltaPtr = mu32Ptr + align16(<usize>(k * d) << 2);
  fac32Ptr = deltaPtr + align16(<usize>(k * d) << 3);
  dvPtr = fac32Ptr + align16(<usize>(isFull ? k * d * d : k * d) << 2);
  lvPtr = dvPtr + (<usize>max(2 * d, BLOCK_QUADS) << 4);
  scalePtr = lvPtr + (<usize>(BLOCK_QUADS * k) << 4);
  validPtr = scalePtr + (<usize>BLOCK_QUADS << 4);
  accPtr = validPtr + (<usize>BLOCK_QUADS << 4);
  lanePtr = accPtr + (<usize>ACC_VECTORS << 4);
  L4 = l4For(d);
  SUB = subFor(d);
  TILE_VECTORS = tileVectorsFor(d);
  dqPtr = lanePtr + 32;
  rdqPtr = dqPtr + (<usize>(L4 * SUB) << 4);
  tilePtr = rdqPtr + (<usize>(L4 * SUB) << 4);
  if (isFull) {
    // The constant feature d (1, and r in rdq) and the zero padding after it.
    const quadBytes = <usize>L4 << 4;
    for (let t = 0; t < SUB; t++) {
      const o = <usize>t * quadBytes;
      for (let c = d; c < L4; c++) {
        v128.store(dqPtr + o + (<usize>c << 4), c == d ? f32x4.splat(1.0) : ZERO);
        v128.store(rdqPtr + o + (<usize>c << 4), ZERO);
      }
    }
  }

  // C: the largest finite constant (0 if none), so that fl32(cst − C) stays small.
  let c = -Infinity;
  for (let m = 0; m < k; m++) {
    const v = load<f64>(cstPtr + (<usize>m << 3));
    if (v > c && v < Infinity) c = v;
  }
  shiftC = c > -Infinity ? c : 0.0;
  for (let m = 0; m < k; m++) store<f32>(cst32Ptr + (<usize>m << 2), <f32>(load<f64>(cstPtr + (<usize>m << 3)) - shiftC));
}

/**
 * Rounds the parameters for rows stored as (x − c)/s, with `frame` holding
 * c (d f64 values) then s (d powers of two): μ̃ = fl32((μ − c)/s), the
 * factors' columns times s, rounded (full: F_m·diag(s), zero above the
 * diagonal; diag: f_m·s); and records δ = (c + s·μ̃) − μ.
 */
function prepare(frame: usize): void {
  const k = K;
  const d = D;
  const scales = frame + (<usize>d << 3);
  for (let m = 0; m < k; m++) {
    for (let a = 0; a < d; a++) {
      const o = <usize>(m * d + a);
      const c = load<f64>(frame + (<usize>a << 3));
      const s = load<f64>(scales + (<usize>a << 3));
      const mu = load<f64>(meanPtr + (o << 3));
      const mu32 = <f32>((mu - c) / s);
      store<f32>(mu32Ptr + (o << 2), mu32);
      store<f64>(deltaPtr + (o << 3), c + s * <f64>mu32 - mu);
    }
  }
  if (isFull) {
    for (let m = 0; m < k; m++) {
      const src = factorPtr + (<usize>(m * d * d) << 3);
      const dst = fac32Ptr + (<usize>(m * d * d) << 2);
      for (let j = 0; j < d; j++) {
        for (let c = 0; c < d; c++) {
          const o = <usize>(j * d + c);
          store<f32>(dst + (o << 2), c <= j ? <f32>(load<f64>(src + (o << 3)) * load<f64>(scales + (<usize>c << 3))) : 0);
        }
      }
    }
  } else {
    for (let m = 0; m < k; m++) {
      for (let c = 0; c < d; c++) {
        const o = <usize>(m * d + c);
        store<f32>(fac32Ptr + (o << 2), <f32>(load<f64>(factorPtr + (o << 3)) * load<f64>(scales + (<usize>c << 3))));
      }
    }
  }
}

// ---------------------------------------------------------------- vector helpers

/** a·b + c: fused (one rounding) in the relaxed build where the engine fuses, else a product then a sum. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function sp(ptr: usize): v128 {
  return v128.load32_splat(ptr);
}

/** The sum of the four lanes in f64: (l0 + l2) + (l1 + l3). */
@inline function hsum(v: v128): f64 {
  const s = f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3)));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

// exp in single precision, after Cephes' expf (S. L. Moshier): x = n·ln 2 + r
// with n = round(x/ln 2) and |r| ≤ ln2/2, so e^x = 2^n·e^r.
// - n comes from the 1.5·2^23 trick: adding it rounds x/ln 2 to an integer
//   held in the low mantissa bits, which also give 2^n by a shift.
// - r = x − n·ln 2 in two steps (Cody–Waite): ln 2 = C1 + C2 with C1 =
//   0.693359375 (9 significant bits, so n·C1 is exact).
// - e^r = 1 + r + r²·P(r), P Cephes' minimax polynomial of degree 5.
// x is clamped to [−87.3, 88.3] (pmin/pmax keep NaN), where 2^n is normal;
// below −87.3 the result is 0 (true values there are below 1.2e-38 and are
// flushed). The `wide` form (for tests) reaches up to 88.72, the overflow
// threshold, by applying 2^n in two halves. Error within 1 ulp (8e-8
// relative measured over the whole range, test/wasm-float32.test.ts).
const LOG2E: f32 = 1.44269504088896341;
const SHIFTER32: f32 = 12582912.0; // 1.5·2^23
const EXP_C1: f32 = 0.693359375;
const EXP_C2: f32 = -2.12194440e-4;
const EXP_LO: f32 = -87.3;
const EXP_HI: f32 = 88.3;
const EXP_HI_WIDE: f32 = 88.72283;

/**
 * e^x in four lanes, for x ≤ 88.3 (larger x give about 2.4e38, not ∞; the
 * kernel only takes x ≤ 0), or with `wide` (a constant) for x ≤ 88.72.
 */
@inline function vexp(xin: v128, wide: bool = false): v128 {
  const x = f32x4.pmin(f32x4.pmax(xin, f32x4.splat(EXP_LO)), f32x4.splat(wide ? EXP_HI_WIDE : EXP_HI));
  const t = madd(x, f32x4.splat(LOG2E), f32x4.splat(SHIFTER32));
  const n = f32x4.sub(t, f32x4.splat(SHIFTER32));
  let r = madd(n, f32x4.splat(-EXP_C1), x);
  r = madd(n, f32x4.splat(-EXP_C2), r);
  let p = madd(f32x4.splat(1.9875691500e-4), r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const e = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1.0));
  // t's bits are 0x4B400000 + n: 2^n has the bits (n + 127) << 23.
  let y: v128;
  if (wide) {
    const n0 = i32x4.sub(t, i32x4.splat(0x4b400000));
    const n1 = i32x4.shr_s(n0, 1);
    const bias = i32x4.splat(127);
    y = f32x4.mul(f32x4.mul(e, i32x4.shl(i32x4.add(n1, bias), 23)), i32x4.shl(i32x4.add(i32x4.sub(n0, n1), bias), 23));
  } else {
    y = f32x4.mul(e, i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4b400000)), 23));
  }
  return v128.andnot(y, f32x4.lt(xin, f32x4.splat(EXP_LO)));
}

// log in single precision, after Cephes' logf: x = 2^e·m with m in
// [√½, √2), log x = e·ln 2 + log m, log(1 + z) = z − z²/2 + z³·P(z) with P
// Cephes' polynomial of degree 8; ln 2 in two parts (C1, C2 above). For
// normal x > 0 only (the kernel takes sums of exponentials in [1, k]); NaN
// is kept. Error within 1 ulp (8e-8 relative measured from 1e-30 to 1e30,
// test/wasm-float32.test.ts).
const SQRT_HALF: f32 = 0.707106781186547524;

/** log x in four lanes, for normal x > 0 and NaN. */
@inline function vlog(x: v128): v128 {
  // x = 2^e·m with m in [½, 1): the exponent and mantissa bits.
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126)));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  // m < √½: m ← 2m, e ← e − 1; then z = m − 1.
  const small = f32x4.lt(m, f32x4.splat(SQRT_HALF));
  e = f32x4.sub(e, v128.and(small, f32x4.splat(1.0)));
  const z = f32x4.sub(f32x4.add(m, v128.and(small, m)), f32x4.splat(1.0));
  const z2 = f32x4.mul(z, z);
  let p = madd(f32x4.splat(7.0376836292e-2), z, f32x4.splat(-1.1514610310e-1));
  p = madd(p, z, f32x4.splat(1.1676998740e-1));
  p = madd(p, z, f32x4.splat(-1.2420140846e-1));
  p = madd(p, z, f32x4.splat(1.4249322787e-1));
  p = madd(p, z, f32x4.splat(-1.6668057665e-1));
  p = madd(p, z, f32x4.splat(2.0000714765e-1));
  p = madd(p, z, f32x4.splat(-2.4999993993e-1));
  p = madd(p, z, f32x4.splat(3.3333331174e-1));
  let y = f32x4.mul(f32x4.mul(p, z), z2);
  y = madd(e, f32x4.splat(EXP_C2), y);
  y = madd(f32x4.splat(-0.5), z2, y);
  const r = madd(e, f32x4.splat(EXP_C1), f32x4.add(z, y));
  return v128.bitselect(x, r, f32x4.ne(x, x));
}

/** Replaces the f32 values at `ptr` (16-aligned, `count` rounded up to 4) by their logarithms (for tests; normal x > 0). */
export function logInPlace(ptr: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    const p = ptr + (<usize>i << 2);
    v128.store(p, vlog(v128.load(p)));
  }
}

/** Replaces the f32 values at `ptr` (16-aligned, `count` rounded up to 4) by their exponentials, +∞ above 88.72 (for tests). */
export function expInPlace(ptr: usize, count: i32): void {
  const over = f32x4.splat(88.72283);
  for (let i = 0; i < count; i += 4) {
    const p = ptr + (<usize>i << 2);
    const x = v128.load(p);
    v128.store(p, v128.bitselect(f32x4.splat(Infinity), vexp(x, true), f32x4.gt(x, over)));
  }
}

// ---------------------------------------------------------------- densities
// Phase 1 of a block: log π_m + log N(x | m) − C for every quad (one row per
// lane) and component, into lv[q·k + m], component by component. Globals are
// read into locals first: the engine reloads a global at each use.

@inline function logp(cst: v128, sq: v128): v128 {
  return f32x4.sub(cst, f32x4.mul(HALF, sq));
}

function densitiesFull1(x: usize, nq: i32): void {
  const k = K;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mu0 = sp(mu32Ptr + (<usize>m << 2));
    const f00 = sp(fac32Ptr + (<usize>m << 2));
    const cst = sp(cst32Ptr + (<usize>m << 2));
    let xq = x;
    let lv = lvPtr + (<usize>m << 4);
    for (let q = 0; q < nq; q++) {
      const y0 = f32x4.mul(f00, f32x4.sub(v128.load(xq), mu0));
      v128.store(lv, logp(cst, f32x4.mul(y0, y0)));
      xq += 16;
      lv += lvStride;
    }
  }
}

function densitiesFull2(x: usize, nq: i32): void {
  const k = K;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mp = mu32Ptr + (<usize>m << 3);
    const f = fac32Ptr + (<usize>m << 4); // rows of 2: F[j][c] at f + 4·(2j + c)
    const mu0 = sp(mp);
    const mu1 = sp(mp + 4);
    const f00 = sp(f);
    const f10 = sp(f + 8);
    const f11 = sp(f + 12);
    const cst = sp(cst32Ptr + (<usize>m << 2));
    let xq = x;
    let lv = lvPtr + (<usize>m << 4);
    for (let q = 0; q < nq; q++) {
      const d0 = f32x4.sub(v128.load(xq), mu0);
      const d1 = f32x4.sub(v128.load(xq, 16), mu1);
      const y0 = f32x4.mul(f00, d0);
      const y1 = madd(f11, d1, f32x4.mul(f10, d0));
      v128.store(lv, logp(cst, madd(y1, y1, f32x4.mul(y0, y0))));
      xq += 32;
      lv += lvStride;
    }
  }
}

function densitiesFull3(x: usize, nq: i32): void {
  const k = K;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mp = mu32Ptr + <usize>m * 12;
    const f = fac32Ptr + <usize>m * 36; // rows of 3: F[j][c] at f + 4·(3j + c)
    const mu0 = sp(mp);
    const mu1 = sp(mp + 4);
    const mu2 = sp(mp + 8);
    const f00 = sp(f);
    const f10 = sp(f + 12);
    const f11 = sp(f + 16);
    const f20 = sp(f + 24);
    const f21 = sp(f + 28);
    const f22 = sp(f + 32);
    const cst = sp(cst32Ptr + (<usize>m << 2));
    let xq = x;
    let lv = lvPtr + (<usize>m << 4);
    for (let q = 0; q < nq; q++) {
      const d0 = f32x4.sub(v128.load(xq), mu0);
      const d1 = f32x4.sub(v128.load(xq, 16), mu1);
      const d2 = f32x4.sub(v128.load(xq, 32), mu2);
      const y0 = f32x4.mul(f00, d0);
      const y1 = madd(f11, d1, f32x4.mul(f10, d0));
      const y2 = madd(f22, d2, madd(f21, d1, f32x4.mul(f20, d0)));
      v128.store(lv, logp(cst, madd(y2, y2, madd(y1, y1, f32x4.mul(y0, y0)))));
      xq += 48;
      lv += lvStride;
    }
  }
}

function densitiesFull4(x: usize, nq: i32): void {
  const k = K;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mp = mu32Ptr + (<usize>m << 4);
    const f = fac32Ptr + (<usize>m << 6); // rows of 4: F[j][c] at f + 4·(4j + c)
    const mu0 = sp(mp);
    const mu1 = sp(mp + 4);
    const mu2 = sp(mp + 8);
    const mu3 = sp(mp + 12);
    const cst = sp(cst32Ptr + (<usize>m << 2));
    let xq = x;
    let lv = lvPtr + (<usize>m << 4);
    for (let q = 0; q < nq; q++) {
      const d0 = f32x4.sub(v128.load(xq), mu0);
      const d1 = f32x4.sub(v128.load(xq, 16), mu1);
      const d2 = f32x4.sub(v128.load(xq, 32), mu2);
      const d3 = f32x4.sub(v128.load(xq, 48), mu3);
      const y0 = f32x4.mul(sp(f), d0);
      const y1 = madd(sp(f + 20), d1, f32x4.mul(sp(f + 16), d0));
      const y2 = madd(sp(f + 40), d2, madd(sp(f + 36), d1, f32x4.mul(sp(f + 32), d0)));
      const y3 = madd(sp(f + 60), d3, madd(sp(f + 56), d2, madd(sp(f + 52), d1, f32x4.mul(sp(f + 48), d0))));
      v128.store(lv, logp(cst, madd(y3, y3, madd(y2, y2, madd(y1, y1, f32x4.mul(y0, y0))))));
      xq += 64;
      lv += lvStride;
    }
  }
}

/** Diagonal: y_c = f_c (x_c − μ_c), two sums for ‖y‖² (even and odd c). */
function densitiesDiag(x: usize, nq: i32): void {
  const d = D;
  const k = K;
  const qBytes = <usize>d << 4;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mu = mu32Ptr + <usize>(m * d) * 4;
    const f = fac32Ptr + <usize>(m * d) * 4;
    const cst = sp(cst32Ptr + (<usize>m << 2));
    let xq = x;
    let lv = lvPtr + (<usize>m << 4);
    for (let q = 0; q < nq; q++) {
      let s0 = ZERO,
        s1 = ZERO;
      let c = 0;
      for (; c + 1 < d; c += 2) {
        const o = <usize>c << 2;
        const y0 = f32x4.mul(sp(f + o), f32x4.sub(v128.load(xq + (o << 2)), sp(mu + o)));
        const y1 = f32x4.mul(v128.load32_splat(f + o, 4), f32x4.sub(v128.load(xq + (o << 2), 16), v128.load32_splat(mu + o, 4)));
        s0 = madd(y0, y0, s0);
        s1 = madd(y1, y1, s1);
      }
      if (c < d) {
        const o = <usize>c << 2;
        const y0 = f32x4.mul(sp(f + o), f32x4.sub(v128.load(xq + (o << 2)), sp(mu + o)));
        s0 = madd(y0, y0, s0);
      }
      v128.store(lv, logp(cst, f32x4.add(s0, s1)));
      xq += qBytes;
      lv += lvStride;
    }
  }
}

/**
 * Full covariance, any d, component by component, two quads at a time (A
 * and B; an odd last quad is paired with itself) so that each factor entry
 * loaded serves eight rows. x − μ̃ of both quads goes to `dv` (A's d
 * vectors, then B's); y = F (x − μ̃) is formed four rows of F at a time
 * (eight independent sums: four rows, two quads), the columns left of the
 * diagonal 4×4 block first, then the block's lower triangle, unrolled. Two
 * rows, then one, finish when 4 ∤ d.
 */
function densitiesFullGeneric(x: usize, nq: i32): void {
  const d = D;
  const k = K;
  const dvA = dvPtr;
  const dvB = dvPtr + (<usize>d << 4);
  const qBytes = <usize>d << 4;
  const rowBytes = <usize>d << 2; // a row of F
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mu = mu32Ptr + <usize>m * rowBytes;
    const f = fac32Ptr + <usize>m * rowBytes * <usize>d;
    const cst = sp(cst32Ptr + (<usize>m << 2));
    let lv = lvPtr + (<usize>m << 4);
    for (let q = 0; q < nq; q += 2) {
      const xa = x + <usize>q * qBytes;
      const xb = q + 1 < nq ? xa + qBytes : xa;
      for (let c = 0; c < d; c++) {
        const o = <usize>c << 4;
        const mc = sp(mu + (<usize>c << 2));
        v128.store(dvA + o, f32x4.sub(v128.load(xa + o), mc));
        v128.store(dvB + o, f32x4.sub(v128.load(xb + o), mc));
      }
      let sqA = ZERO,
        sqB = ZERO;
      let j0 = 0;
      for (; j0 + 4 <= d; j0 += 4) {
        const p0 = f + <usize>j0 * rowBytes;
        const p1 = p0 + rowBytes;
        const p2 = p1 + rowBytes;
        const p3 = p2 + rowBytes;
        let a0 = ZERO,
          a1 = ZERO,
          a2 = ZERO,
          a3 = ZERO;
        let b0 = ZERO,
          b1 = ZERO,
          b2 = ZERO,
          b3 = ZERO;
        for (let c = 0; c < j0; c++) {
          const o = <usize>c << 2;
          const va = v128.load(dvA + (o << 2));
          const vb = v128.load(dvB + (o << 2));
          const f0 = sp(p0 + o);
          a0 = madd(f0, va, a0);
          b0 = madd(f0, vb, b0);
          const f1 = sp(p1 + o);
          a1 = madd(f1, va, a1);
          b1 = madd(f1, vb, b1);
          const f2 = sp(p2 + o);
          a2 = madd(f2, va, a2);
          b2 = madd(f2, vb, b2);
          const f3 = sp(p3 + o);
          a3 = madd(f3, va, a3);
          b3 = madd(f3, vb, b3);
        }
        const o = <usize>j0 << 2;
        const da = dvA + (o << 2);
        const db = dvB + (o << 2);
        // The diagonal block: column j0 + c enters rows c…3.
        let va = v128.load(da);
        let vb = v128.load(db);
        let fe = sp(p0 + o);
        a0 = madd(fe, va, a0);
        b0 = madd(fe, vb, b0);
        fe = sp(p1 + o);
        a1 = madd(fe, va, a1);
        b1 = madd(fe, vb, b1);
        fe = sp(p2 + o);
        a2 = madd(fe, va, a2);
        b2 = madd(fe, vb, b2);
        fe = sp(p3 + o);
        a3 = madd(fe, va, a3);
        b3 = madd(fe, vb, b3);
        va = v128.load(da, 16);
        vb = v128.load(db, 16);
        fe = v128.load32_splat(p1 + o, 4);
        a1 = madd(fe, va, a1);
        b1 = madd(fe, vb, b1);
        fe = v128.load32_splat(p2 + o, 4);
        a2 = madd(fe, va, a2);
        b2 = madd(fe, vb, b2);
        fe = v128.load32_splat(p3 + o, 4);
        a3 = madd(fe, va, a3);
        b3 = madd(fe, vb, b3);
        va = v128.load(da, 32);
        vb = v128.load(db, 32);
        fe = v128.load32_splat(p2 + o, 8);
        a2 = madd(fe, va, a2);
        b2 = madd(fe, vb, b2);
        fe = v128.load32_splat(p3 + o, 8);
        a3 = madd(fe, va, a3);
        b3 = madd(fe, vb, b3);
        va = v128.load(da, 48);
        vb = v128.load(db, 48);
        fe = v128.load32_splat(p3 + o, 12);
        a3 = madd(fe, va, a3);
        b3 = madd(fe, vb, b3);
        sqA = madd(a3, a3, madd(a2, a2, madd(a1, a1, madd(a0, a0, sqA))));
        sqB = madd(b3, b3, madd(b2, b2, madd(b1, b1, madd(b0, b0, sqB))));
      }
      if (j0 + 2 <= d) {
        const p0 = f + <usize>j0 * rowBytes;
        const p1 = p0 + rowBytes;
        let a0 = ZERO,
          a1 = ZERO,
          b0 = ZERO,
          b1 = ZERO;
        for (let c = 0; c < j0; c++) {
          const o = <usize>c << 2;
          const va = v128.load(dvA + (o << 2));
          const vb = v128.load(dvB + (o << 2));
          const f0 = sp(p0 + o);
          a0 = madd(f0, va, a0);
          b0 = madd(f0, vb, b0);
          const f1 = sp(p1 + o);
          a1 = madd(f1, va, a1);
          b1 = madd(f1, vb, b1);
        }
        const o = <usize>j0 << 2;
        let va = v128.load(dvA + (o << 2));
        let vb = v128.load(dvB + (o << 2));
        let fe = sp(p0 + o);
        a0 = madd(fe, va, a0);
        b0 = madd(fe, vb, b0);
        fe = sp(p1 + o);
        a1 = madd(fe, va, a1);
        b1 = madd(fe, vb, b1);
        va = v128.load(dvA + (o << 2), 16);
        vb = v128.load(dvB + (o << 2), 16);
        fe = v128.load32_splat(p1 + o, 4);
        a1 = madd(fe, va, a1);
        b1 = madd(fe, vb, b1);
        sqA = madd(a1, a1, madd(a0, a0, sqA));
        sqB = madd(b1, b1, madd(b0, b0, sqB));
        j0 += 2;
      }
      if (j0 < d) {
        const p0 = f + <usize>j0 * rowBytes;
        let a0 = ZERO,
          b0 = ZERO;
        for (let c = 0; c <= j0; c++) {
          const o = <usize>c << 2;
          const f0 = sp(p0 + o);
          a0 = madd(f0, v128.load(dvA + (o << 2)), a0);
          b0 = madd(f0, v128.load(dvB + (o << 2)), b0);
        }
        sqA = madd(a0, a0, sqA);
        sqB = madd(b0, b0, sqB);
      }
      v128.store(lv, logp(cst, sqA));
      if (q + 1 < nq) v128.store(lv + lvStride, logp(cst, sqB));
      lv += lvStride << 1;
    }
  }
}

/** Phase 1 for the `nq` quads from `x`. */
function densities(x: usize, nq: i32): void {
  switch (variant) {
    case 1:
      densitiesFull1(x, nq);
      break;
    case 2:
      densitiesFull2(x, nq);
      break;
    case 3:
      densitiesFull3(x, nq);
      break;
    case 4:
      densitiesFull4(x, nq);
      break;
    case 5:
      densitiesFullGeneric(x, nq);
      break;
    default:
      densitiesDiag(x, nq);
  }
}

// ---------------------------------------------------------------- log-sum-exp
// Phase 2, quad by quad: the lane-wise maximum (`pmax` keeps the current
// maximum when the candidate is NaN, as the reference's `if (logp[m] > max)`
// does), then exp(logp_m − max) in place of logp_m, and their sums in m order.

@inline function maxOf(lv: usize): v128 {
  const k = K;
  let M = NEG_INF;
  for (let m = 0; m < k; m++) M = f32x4.pmax(M, v128.load(lv + (<usize>m << 4)));
  return M;
}

@inline function exponentials(lv: usize, M: v128): v128 {
  const k = K;
  let S = ZERO;
  for (let m = 0; m < k; m++) {
    const p = lv + (<usize>m << 4);
    const E = vexp(f32x4.sub(v128.load(p), M));
    v128.store(p, E);
    S = f32x4.add(S, E);
  }
  return S;
}

/** Stores a quad's maxima and log Σ (f32) for `laneLogDensity`. */
@inline function storeLanes(M: v128, S: v128): void {
  v128.store(lanePtr, M);
  v128.store(lanePtr, vlog(S), 16);
}

/** Lane `l` of the quad's log density: C + max + log Σ in f64, or max itself when it is −∞ or NaN (as in the reference). */
@inline function laneLogDensity(l: i32): f64 {
  const max = <f64>load<f32>(lanePtr + (<usize>l << 2));
  return max > -Infinity ? shiftC + max + <f64>load<f32>(lanePtr + (<usize>l << 2), 16) : max;
}

/** The weight of row i (0 past `end`). */
@inline function weightOf(w: usize, i: i32, end: i32): f64 {
  return i < end ? (w ? load<f64>(w + (<usize>i << 3)) : 1.0) : 0.0;
}

// ---------------------------------------------------------------- statistics
// Phase 3, component by component: r = exp(logp_m − max)·w/Σ of each quad,
// masked to zero for a zero weight or a missing row, is added with
// r·(x − μ̃)_a and r·(x − μ̃)_a·(x − μ̃)_b into the component's f32
// accumulators (lanes: the rows of the quad), which are then summed lane by
// lane in f64 into the totals. A quad whose four r are all 0 is skipped.

@inline function responsibility(e: usize, sc: usize): v128 {
  return v128.and(f32x4.mul(v128.load(e), v128.load(scalePtr + sc)), v128.load(validPtr + sc));
}

/** Adds the small-d sums of component m (count, first, lower triangle of second, at `accPtr`) into the f64 totals at `stats`. */
function flush(stats: usize, m: i32): void {
  const d = D;
  const counts = stats + (<usize>m << 3);
  store<f64>(counts, load<f64>(counts) + hsum(v128.load(accPtr)));
  const fst = accPtr + 16;
  const first = stats + firstOffset + (<usize>(m * d) << 3);
  for (let a = 0; a < d; a++) {
    const p = first + (<usize>a << 3);
    store<f64>(p, load<f64>(p) + hsum(v128.load(fst + (<usize>a << 4))));
  }
  const second = stats + secondOffset + (<usize>(m * d * d) << 3);
  let t = fst + (<usize>d << 4);
  for (let a = 0; a < d; a++) {
    const row = second + (<usize>(a * d) << 3);
    for (let b = 0; b <= a; b++) {
      const p = row + (<usize>b << 3);
      store<f64>(p, load<f64>(p) + hsum(v128.load(t)));
      t += 16;
    }
  }
}

/** Full covariance, d = 2, accumulators in registers. */
function accumulateFull2(x: usize, nq: i32, stats: usize): void {
  const k = K;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mp = mu32Ptr + (<usize>m << 3);
    const mu0 = sp(mp);
    const mu1 = sp(mp + 4);
    let cnt = ZERO,
      f0 = ZERO,
      f1 = ZERO,
      s00 = ZERO,
      s10 = ZERO,
      s11 = ZERO;
    let e = lvPtr + (<usize>m << 4);
    let xq = x;
    let sc: usize = 0;
    for (let q = 0; q < nq; q++) {
      const r = responsibility(e, sc);
      if (v128.any_true(r)) {
        const d0 = f32x4.sub(v128.load(xq), mu0);
        const d1 = f32x4.sub(v128.load(xq, 16), mu1);
        const r0 = f32x4.mul(r, d0);
        const r1 = f32x4.mul(r, d1);
        cnt = f32x4.add(cnt, r);
        f0 = f32x4.add(f0, r0);
        f1 = f32x4.add(f1, r1);
        s00 = madd(r0, d0, s00);
        s10 = madd(r1, d0, s10);
        s11 = madd(r1, d1, s11);
      }
      e += lvStride;
      xq += 32;
      sc += 16;
    }
    v128.store(accPtr, cnt);
    v128.store(accPtr, f0, 16);
    v128.store(accPtr, f1, 32);
    v128.store(accPtr, s00, 48);
    v128.store(accPtr, s10, 64);
    v128.store(accPtr, s11, 80);
    flush(stats, m);
  }
}

/** Full covariance, d = 3, accumulators in registers. */
function accumulateFull3(x: usize, nq: i32, stats: usize): void {
  const k = K;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mp = mu32Ptr + <usize>m * 12;
    const mu0 = sp(mp);
    const mu1 = sp(mp + 4);
    const mu2 = sp(mp + 8);
    let cnt = ZERO,
      f0 = ZERO,
      f1 = ZERO,
      f2 = ZERO;
    let s00 = ZERO,
      s10 = ZERO,
      s11 = ZERO,
      s20 = ZERO,
      s21 = ZERO,
      s22 = ZERO;
    let e = lvPtr + (<usize>m << 4);
    let xq = x;
    let sc: usize = 0;
    for (let q = 0; q < nq; q++) {
      const r = responsibility(e, sc);
      if (v128.any_true(r)) {
        const d0 = f32x4.sub(v128.load(xq), mu0);
        const d1 = f32x4.sub(v128.load(xq, 16), mu1);
        const d2 = f32x4.sub(v128.load(xq, 32), mu2);
        const r0 = f32x4.mul(r, d0);
        const r1 = f32x4.mul(r, d1);
        const r2 = f32x4.mul(r, d2);
        cnt = f32x4.add(cnt, r);
        f0 = f32x4.add(f0, r0);
        f1 = f32x4.add(f1, r1);
        f2 = f32x4.add(f2, r2);
        s00 = madd(r0, d0, s00);
        s10 = madd(r1, d0, s10);
        s11 = madd(r1, d1, s11);
        s20 = madd(r2, d0, s20);
        s21 = madd(r2, d1, s21);
        s22 = madd(r2, d2, s22);
      }
      e += lvStride;
      xq += 48;
      sc += 16;
    }
    v128.store(accPtr, cnt);
    v128.store(accPtr, f0, 16);
    v128.store(accPtr, f1, 32);
    v128.store(accPtr, f2, 48);
    v128.store(accPtr, s00, 64);
    v128.store(accPtr, s10, 80);
    v128.store(accPtr, s11, 96);
    v128.store(accPtr, s20, 112);
    v128.store(accPtr, s21, 128);
    v128.store(accPtr, s22, 144);
    flush(stats, m);
  }
}

/** Full covariance, d = 4, accumulators in registers (the engine spills some). */
function accumulateFull4(x: usize, nq: i32, stats: usize): void {
  const k = K;
  const lvStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mp = mu32Ptr + (<usize>m << 4);
    let cnt = ZERO,
      f0 = ZERO,
      f1 = ZERO,
      f2 = ZERO,
      f3 = ZERO;
    let s00 = ZERO,
      s10 = ZERO,
      s11 = ZERO,
      s20 = ZERO,
      s21 = ZERO,
      s22 = ZERO,
      s30 = ZERO,
      s31 = ZERO,
      s32 = ZERO,
      s33 = ZERO;
    let e = lvPtr + (<usize>m << 4);
    let xq = x;
    let sc: usize = 0;
    for (let q = 0; q < nq; q++) {
      const r = responsibility(e, sc);
      if (v128.any_true(r)) {
        const d0 = f32x4.sub(v128.load(xq), sp(mp));
        const d1 = f32x4.sub(v128.load(xq, 16), sp(mp + 4));
        const d2 = f32x4.sub(v128.load(xq, 32), sp(mp + 8));
        const d3 = f32x4.sub(v128.load(xq, 48), sp(mp + 12));
        const r0 = f32x4.mul(r, d0);
        const r1 = f32x4.mul(r, d1);
        const r2 = f32x4.mul(r, d2);
        const r3 = f32x4.mul(r, d3);
        cnt = f32x4.add(cnt, r);
        f0 = f32x4.add(f0, r0);
        f1 = f32x4.add(f1, r1);
        f2 = f32x4.add(f2, r2);
        f3 = f32x4.add(f3, r3);
        s00 = madd(r0, d0, s00);
        s10 = madd(r1, d0, s10);
        s11 = madd(r1, d1, s11);
        s20 = madd(r2, d0, s20);
        s21 = madd(r2, d1, s21);
        s22 = madd(r2, d2, s22);
        s30 = madd(r3, d0, s30);
        s31 = madd(r3, d1, s31);
        s32 = madd(r3, d2, s32);
        s33 = madd(r3, d3, s33);
      }
      e += lvStride;
      xq += 64;
      sc += 16;
    }
    v128.store(accPtr, cnt);
    v128.store(accPtr, f0, 16);
    v128.store(accPtr, f1, 32);
    v128.store(accPtr, f2, 48);
    v128.store(accPtr, f3, 64);
    v128.store(accPtr, s00, 80);
    v128.store(accPtr, s10, 96);
    v128.store(accPtr, s11, 112);
    v128.store(accPtr, s20, 128);
    v128.store(accPtr, s21, 144);
    v128.store(accPtr, s22, 160);
    v128.store(accPtr, s30, 176);
    v128.store(accPtr, s31, 192);
    v128.store(accPtr, s32, 208);
    v128.store(accPtr, s33, 224);
    flush(stats, m);
  }
}

/**
 * Full covariance, any d, component by component, as a product of the
 * block's matrices: the active quads' x − μ̃ (and r·(x − μ̃)) are stored
 * quad by quad, with a constant feature d equal to 1 (r), so that
 * the lower triangle of Σ r·v·vᵀ over v = (x − μ̃, 1) holds the second
 * moments (a, b < d), the first moments (row d) and the count (d, d). The
 * triangle goes in tiles of 4 rows × 2 columns, each held in eight
 * registers over a sub-block of SUB quads (sized so that the stored
 * vectors stay in the first-level cache) and kept in `tiles` between
 * sub-blocks; at the end of the block each tile is summed lane by lane in
 * f64 into the totals. Each element still receives r·(x − μ̃)_a·(x − μ̃)_b
 * as (r·(x − μ̃)_a)·(x − μ̃)_b, quad after quad.
 */
function accumulateFullTiled(x: usize, nq: i32, stats: usize): void {
  const d = D;
  const k = K;
  const l4 = L4;
  const sub = SUB;
  const qBytes = <usize>d << 4;
  const lvStride = <usize>k << 4;
  const quadBytes = <usize>l4 << 4;
  const dq = dqPtr;
  const rdq = rdqPtr;
  const tiles = tilePtr;
  for (let m = 0; m < k; m++) {
    memory.fill(tiles, 0, <usize>TILE_VECTORS << 4);
    const mu = mu32Ptr + (<usize>(m * d) << 2);
    let any = false;
    for (let q0 = 0; q0 < nq; q0 += sub) {
      const q1 = min(q0 + sub, nq);
      let e = lvPtr + (<usize>(q0 * k + m) << 4);
      let xq = x + <usize>q0 * qBytes;
      let sc = <usize>q0 << 4;
      let active: usize = 0; // bytes: quadBytes per active quad
      for (let q = q0; q < q1; q++) {
        const r = responsibility(e, sc);
        if (v128.any_true(r)) {
          const pd = dq + active;
          const prd = rdq + active;
          for (let c = 0; c < d; c++) {
            const o = <usize>c << 4;
            const dc = f32x4.sub(v128.load(xq + o), sp(mu + (<usize>c << 2)));
            v128.store(pd + o, dc);
            v128.store(prd + o, f32x4.mul(r, dc));
          }
          v128.store(prd + (<usize>d << 4), r);
          active += quadBytes;
        }
        e += lvStride;
        xq += qBytes;
        sc += 16;
      }
      if (active == 0) continue;
      any = true;
      let tile = tiles;
      for (let a0 = 0; a0 < l4; a0 += 4) {
        const pa = rdq + (<usize>a0 << 4);
        for (let b0 = 0; b0 <= a0 + 2 && b0 <= d; b0 += 2) {
          const pb = dq + (<usize>b0 << 4);
          let s00 = v128.load(tile),
            s01 = v128.load(tile, 16),
            s10 = v128.load(tile, 32),
            s11 = v128.load(tile, 48),
            s20 = v128.load(tile, 64),
            s21 = v128.load(tile, 80),
            s30 = v128.load(tile, 96),
            s31 = v128.load(tile, 112);
          for (let t: usize = 0; t < active; t += quadBytes) {
            const b = pb + t;
            const a = pa + t;
            const v0 = v128.load(b);
            const v1 = v128.load(b, 16);
            const u0 = v128.load(a);
            s00 = madd(u0, v0, s00);
            s01 = madd(u0, v1, s01);
            const u1 = v128.load(a, 16);
            s10 = madd(u1, v0, s10);
            s11 = madd(u1, v1, s11);
            const u2 = v128.load(a, 32);
            s20 = madd(u2, v0, s20);
            s21 = madd(u2, v1, s21);
            const u3 = v128.load(a, 48);
            s30 = madd(u3, v0, s30);
            s31 = madd(u3, v1, s31);
          }
          v128.store(tile, s00);
          v128.store(tile, s01, 16);
          v128.store(tile, s10, 32);
          v128.store(tile, s11, 48);
          v128.store(tile, s20, 64);
          v128.store(tile, s21, 80);
          v128.store(tile, s30, 96);
          v128.store(tile, s31, 112);
          tile += 128;
        }
      }
    }
    if (!any) continue;
    const counts = stats + (<usize>m << 3);
    const first = stats + firstOffset + (<usize>(m * d) << 3);
    const second = stats + secondOffset + (<usize>(m * d * d) << 3);
    let tile = tiles;
    for (let a0 = 0; a0 < l4; a0 += 4) {
      for (let b0 = 0; b0 <= a0 + 2 && b0 <= d; b0 += 2) {
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < 2; j++) addTile(counts, first, second, a0 + i, b0 + j, v128.load(tile + (<usize>(2 * i + j) << 4)));
        }
        tile += 128;
      }
    }
  }
}

/** Adds element (a, b) of the augmented triangle to the totals: second moments, first moments (a = d) or the count. */
@inline function addTile(counts: usize, first: usize, second: usize, a: i32, b: i32, v: v128): void {
  const d = D;
  if (b <= a && a <= d) {
    const p = a < d ? second + (<usize>(a * d + b) << 3) : b < d ? first + (<usize>b << 3) : counts;
    store<f64>(p, load<f64>(p) + hsum(v));
  }
}

/**
 * Diagonal, component by component: first the responsibilities of every
 * quad (kept in `rv`) and the count, then the first and second moments four
 * features at a time, in registers over all the block's quads.
 */
function accumulateDiag(x: usize, nq: i32, stats: usize): void {
  const d = D;
  const k = K;
  const qBytes = <usize>d << 4;
  const lvStride = <usize>k << 4;
  const rv = dvPtr; // nq vectors (the scratch holds max(2d, BLOCK_QUADS))
  for (let m = 0; m < k; m++) {
    let cnt = ZERO;
    let e = lvPtr + (<usize>m << 4);
    for (let q = 0, sc: usize = 0; q < nq; q++, sc += 16) {
      const r = responsibility(e, sc);
      v128.store(rv + sc, r);
      cnt = f32x4.add(cnt, r);
      e += lvStride;
    }
    const counts = stats + (<usize>m << 3);
    store<f64>(counts, load<f64>(counts) + hsum(cnt));
    const mu = mu32Ptr + (<usize>(m * d) << 2);
    const first = stats + firstOffset + (<usize>(m * d) << 3);
    const second = stats + secondOffset + (<usize>(m * d) << 3);
    let c = 0;
    for (; c + 4 <= d; c += 4) {
      const mp = mu + (<usize>c << 2);
      const mu0 = sp(mp);
      const mu1 = sp(mp + 4);
      const mu2 = sp(mp + 8);
      const mu3 = sp(mp + 12);
      let f0 = ZERO,
        f1 = ZERO,
        f2 = ZERO,
        f3 = ZERO,
        s0 = ZERO,
        s1 = ZERO,
        s2 = ZERO,
        s3 = ZERO;
      let xq = x + (<usize>c << 4);
      for (let sc: usize = 0, end = <usize>nq << 4; sc < end; sc += 16) {
        const r = v128.load(rv + sc);
        if (v128.any_true(r)) {
          const d0 = f32x4.sub(v128.load(xq), mu0);
          const d1 = f32x4.sub(v128.load(xq, 16), mu1);
          const d2 = f32x4.sub(v128.load(xq, 32), mu2);
          const d3 = f32x4.sub(v128.load(xq, 48), mu3);
          const r0 = f32x4.mul(r, d0);
          const r1 = f32x4.mul(r, d1);
          const r2 = f32x4.mul(r, d2);
          const r3 = f32x4.mul(r, d3);
          f0 = f32x4.add(f0, r0);
          f1 = f32x4.add(f1, r1);
          f2 = f32x4.add(f2, r2);
          f3 = f32x4.add(f3, r3);
          s0 = madd(r0, d0, s0);
          s1 = madd(r1, d1, s1);
          s2 = madd(r2, d2, s2);
          s3 = madd(r3, d3, s3);
        }
        xq += qBytes;
      }
      const o = <usize>c << 3;
      store<f64>(first + o, load<f64>(first + o) + hsum(f0));
      store<f64>(first + o, load<f64>(first + o, 8) + hsum(f1), 8);
      store<f64>(first + o, load<f64>(first + o, 16) + hsum(f2), 16);
      store<f64>(first + o, load<f64>(first + o, 24) + hsum(f3), 24);
      store<f64>(second + o, load<f64>(second + o) + hsum(s0));
      store<f64>(second + o, load<f64>(second + o, 8) + hsum(s1), 8);
      store<f64>(second + o, load<f64>(second + o, 16) + hsum(s2), 16);
      store<f64>(second + o, load<f64>(second + o, 24) + hsum(s3), 24);
    }
    for (; c < d; c++) {
      const mu0 = sp(mu + (<usize>c << 2));
      let f0 = ZERO,
        s0 = ZERO;
      let xq = x + (<usize>c << 4);
      for (let sc: usize = 0, end = <usize>nq << 4; sc < end; sc += 16) {
        const r = v128.load(rv + sc);
        if (v128.any_true(r)) {
          const d0 = f32x4.sub(v128.load(xq), mu0);
          const r0 = f32x4.mul(r, d0);
          f0 = f32x4.add(f0, r0);
          s0 = madd(r0, d0, s0);
        }
        xq += qBytes;
      }
      const o = <usize>c << 3;
      store<f64>(first + o, load<f64>(first + o) + hsum(f0));
      store<f64>(second + o, load<f64>(second + o) + hsum(s0));
    }
  }
}

/** Phase 3 for the `nq` quads from `x`, into the f64 totals at `stats`. */
function accumulate(x: usize, nq: i32, stats: usize): void {
  switch (variant) {
    case 2:
      accumulateFull2(x, nq, stats);
      break;
    case 3:
      accumulateFull3(x, nq, stats);
      break;
    case 4:
      accumulateFull4(x, nq, stats);
      break;
    case 6:
      accumulateDiag(x, nq, stats);
      break;
    default:
      accumulateFullTiled(x, nq, stats);
  }
}

/**
 * Moves the range's statistics to the data's units and then from around
 * μ + δ to around μ (see the header comment). `frame` as in `prepare`; the
 * scales are powers of two, so the first step is exact.
 */
function recentre(stats: usize, frame: usize): void {
  const k = K;
  const d = D;
  const scales = frame + (<usize>d << 3);
  const ws = load<f64>(frame + (<usize>(2 * d) << 3));
  for (let m = 0; m < k; m++) {
    const counts = stats + (<usize>m << 3);
    store<f64>(counts, load<f64>(counts) * ws);
    const first = stats + firstOffset + (<usize>(m * d) << 3);
    for (let a = 0; a < d; a++) {
      const p = first + (<usize>a << 3);
      const sa = load<f64>(scales + (<usize>a << 3)) * ws;
      store<f64>(p, load<f64>(p) * sa);
      if (isFull) {
        const row = stats + secondOffset + (<usize>(m * d * d + a * d) << 3);
        for (let b = 0; b <= a; b++) {
          const q = row + (<usize>b << 3);
          store<f64>(q, load<f64>(q) * sa * load<f64>(scales + (<usize>b << 3)));
        }
      } else {
        const q = stats + secondOffset + (<usize>(m * d + a) << 3);
        store<f64>(q, load<f64>(q) * sa * load<f64>(scales + (<usize>a << 3)));
      }
    }
  }
  for (let m = 0; m < k; m++) {
    const n = load<f64>(stats + (<usize>m << 3));
    const first = stats + firstOffset + (<usize>(m * d) << 3);
    const delta = deltaPtr + (<usize>(m * d) << 3);
    if (isFull) {
      const second = stats + secondOffset + (<usize>(m * d * d) << 3);
      for (let a = 0; a < d; a++) {
        const fa = load<f64>(first + (<usize>a << 3));
        const da = load<f64>(delta + (<usize>a << 3));
        const row = second + (<usize>(a * d) << 3);
        for (let b = 0; b <= a; b++) {
          const fb = load<f64>(first + (<usize>b << 3));
          const db = load<f64>(delta + (<usize>b << 3));
          const p = row + (<usize>b << 3);
          store<f64>(p, load<f64>(p) + (fa * db + da * fb + n * da * db));
        }
      }
    } else {
      const second = stats + secondOffset + (<usize>(m * d) << 3);
      for (let a = 0; a < d; a++) {
        const fa = load<f64>(first + (<usize>a << 3));
        const da = load<f64>(delta + (<usize>a << 3));
        const p = second + (<usize>a << 3);
        store<f64>(p, load<f64>(p) + (2 * fa * da + n * da * da));
      }
    }
    for (let a = 0; a < d; a++) {
      const p = first + (<usize>a << 3);
      store<f64>(p, load<f64>(p) + n * load<f64>(delta + (<usize>a << 3)));
    }
  }
}

// ---------------------------------------------------------------- entry points

/** Resets a stats buffer: no rows yet. */
export function clearStats(out: usize): void {
  store<f64>(out, 0.0);
  store<f64>(out, Infinity, 8);
  store<f64>(out, -1.0, 16);
  store<f64>(out, 0.0, 24);
  memory.fill(out + (<usize>HEADER << 3), 0, <usize>statsFloats << 3);
}

/**
 * The statistics of rows [rowStart, rowEnd) from zero into `out` (a stats
 * buffer), around the f64 means: blocks of BLOCK_ROWS rows from rowStart,
 * each summed on its own and added in block order. `x` is the data (f32
 * quads), `w` the weights or 0, `frame` these rows' frame (c then s, as
 * in `prepare`). rowStart must be a multiple of 4.
 */
export function estep(x: usize, w: usize, frame: usize, rowStart: i32, rowEnd: i32, out: usize): void {
  if (rowStart & 3) unreachable();
  clearStats(out);
  prepare(frame);
  const stats = out + (<usize>HEADER << 3);
  const wInv = 1.0 / load<f64>(frame + (<usize>(2 * D) << 3)); // a power of two
  const qBytes = <usize>D << 4;
  const lvStride = <usize>K << 4;
  let total = 0.0;
  let worst = Infinity;
  let worstRow = -1;
  for (let start = rowStart; start < rowEnd; start += BLOCK_ROWS) {
    const end = min(start + BLOCK_ROWS, rowEnd);
    const nq = (end - start + 3) >> 2;
    const xb = x + <usize>(start >> 2) * qBytes;
    densities(xb, nq);
    let blockTotal = 0.0;
    let lv = lvPtr;
    let sc: usize = 0;
    for (let i = start; i < end; i += 4) {
      const w0 = weightOf(w, i, end);
      const w1 = weightOf(w, i + 1, end);
      const w2 = weightOf(w, i + 2, end);
      const w3 = weightOf(w, i + 3, end);
      const valid = i32x4(w0 != 0 ? -1 : 0, w1 != 0 ? -1 : 0, w2 != 0 ? -1 : 0, w3 != 0 ? -1 : 0);
      let scale = ZERO;
      // Zero-weight rows count for nothing, as in the reference.
      if (v128.any_true(valid)) {
        const M = maxOf(lv);
        const S = exponentials(lv, M);
        scale = f32x4.div(f32x4(<f32>(w0 * wInv), <f32>(w1 * wInv), <f32>(w2 * wInv), <f32>(w3 * wInv)), S);
        storeLanes(M, S);
        if (w0 != 0) {
          const lse = laneLogDensity(0);
          blockTotal += w0 * lse;
          if (lse < worst) {
            worst = lse;
            worstRow = i;
          }
        }
        if (w1 != 0) {
          const lse = laneLogDensity(1);
          blockTotal += w1 * lse;
          if (lse < worst) {
            worst = lse;
            worstRow = i + 1;
          }
        }
        if (w2 != 0) {
          const lse = laneLogDensity(2);
          blockTotal += w2 * lse;
          if (lse < worst) {
            worst = lse;
            worstRow = i + 2;
          }
        }
        if (w3 != 0) {
          const lse = laneLogDensity(3);
          blockTotal += w3 * lse;
          if (lse < worst) {
            worst = lse;
            worstRow = i + 3;
          }
        }
      }
      v128.store(scalePtr + sc, scale);
      v128.store(validPtr + sc, valid);
      lv += lvStride;
      sc += 16;
    }
    accumulate(xb, nq, stats);
    total += blockTotal;
  }
  recentre(stats, frame);
  store<f64>(out, total);
  store<f64>(out, worst, 8);
  store<f64>(out, <f64>worstRow, 16);
}

/** Adds the stats buffer `src` (later rows) into `dst`: sums, and the lowest density if lower. */
export function merge(dst: usize, src: usize): void {
  store<f64>(dst, load<f64>(dst) + load<f64>(src));
  if (load<f64>(src, 8) < load<f64>(dst, 8)) {
    store<f64>(dst, load<f64>(src, 8), 8);
    store<f64>(dst, load<f64>(src, 16), 16);
  }
  const h = <usize>HEADER << 3;
  const count = statsFloats;
  for (let q = 0; q < count; q++) {
    const o = h + (<usize>q << 3);
    store<f64>(dst + o, load<f64>(dst + o) + load<f64>(src + o));
  }
}

/**
 * Rows [rowStart, rowEnd) (rowStart a multiple of 4), stored in `frame`:
 * log p(x) into `logDensity` (f64), the first most probable component into
 * `labels` (i32), responsibilities into `resp` (rows×k, f64); each pointer
 * may be 0 to skip that output, and row i goes to index i − rowStart.
 */
export function evaluate(x: usize, frame: usize, rowStart: i32, rowEnd: i32, logDensity: usize, labels: usize, resp: usize): void {
  if (rowStart & 3) unreachable();
  prepare(frame);
  const k = K;
  const qBytes = <usize>D << 4;
  const lvStride = <usize>k << 4;
  for (let start = rowStart; start < rowEnd; start += BLOCK_ROWS) {
    const end = min(start + BLOCK_ROWS, rowEnd);
    const nq = (end - start + 3) >> 2;
    densities(x + <usize>(start >> 2) * qBytes, nq);
    let lv = lvPtr;
    for (let i = start; i < end; i += 4) {
      const rows = min(4, end - i);
      const o = <usize>(i - rowStart);
      if (labels) {
        // Lane by lane, the first component with the largest log density.
        let best = i32x4.splat(0);
        let top = v128.load(lv);
        for (let m = 1; m < k; m++) {
          const L = v128.load(lv + (<usize>m << 4));
          const better = f32x4.gt(L, top);
          top = v128.bitselect(L, top, better);
          best = v128.bitselect(i32x4.splat(m), best, better);
        }
        v128.store(lanePtr, best);
        for (let l = 0; l < rows; l++) store<i32>(labels + ((o + <usize>l) << 2), load<i32>(lanePtr + (<usize>l << 2)));
      }
      const M = maxOf(lv);
      const S = exponentials(lv, M);
      if (logDensity) {
        storeLanes(M, S);
        for (let l = 0; l < rows; l++) store<f64>(logDensity + ((o + <usize>l) << 3), laneLogDensity(l));
      }
      if (resp) {
        for (let m = 0; m < k; m++) {
          v128.store(lanePtr, f32x4.div(v128.load(lv + (<usize>m << 4)), S));
          for (let l = 0; l < rows; l++) {
            store<f64>(resp + (((o + <usize>l) * <usize>k + <usize>m) << 3), <f64>load<f32>(lanePtr + (<usize>l << 2)));
          }
        }
      }
      lv += lvStride;
    }
  }
}
