/**
 * mixem's E-step kernel in AssemblyScript, compiled to WebAssembly with 128-bit
 * SIMD (two f64 lanes) by scripts/build-wasm.mjs. It computes what
 * src/kernels/reference.ts computes; src/kernels/wasm.ts is its TypeScript adapter.
 * The build is made twice from this one source: plain SIMD, and relaxed SIMD,
 * where `madd` below becomes the fused `f64x2.relaxed_madd`.
 *
 * Symbols: n rows, d features, k components, i and j rows, a, b and c features,
 * m a component; ld = d rounded up to even, kp = k rounded up to even.
 *
 * How the work is vectorised:
 * - Each block of BLOCK_ROWS rows goes through three phases: (1) the joint
 *   log densities of every row and component, (2) per row the max-shifted
 *   log-sum-exp, the log-likelihood and the exponentials, (3) the statistics.
 *   The generic full-covariance and the diagonal paths run phases 1 and 3
 *   component by component, so that F_m (or the component's means and
 *   factors) and the component's accumulators stay in registers or the
 *   first-level cache for large d; the others go row pair by row pair. The
 *   diagonal path cuts a block into chunks of about 16 KiB of data.
 * - Densities are computed for two rows at once, one row per lane, so the
 *   triangular product y = F (x − μ), the squared norm, the max-shifted
 *   log-sum-exp and the exponentials need no horizontal operations. The factor
 *   entries are broadcast (`v128.load64_splat`) and serve both rows.
 * - The diagonal path is vectorised over features (one vector: two features
 *   of one row) in both phases: features go in tiles whose means, factors
 *   (phase 1) or sums (phase 3) stay in registers while the loop runs over
 *   the rows; each row's partial ‖y‖² (even and odd features in the two
 *   lanes) waits in scratch between tiles (see densitiesDiag, accumulateDiag).
 * - Statistics (small-d and diagonal paths) are accumulated row by row, in
 *   row order, vectorised over features: each element of counts, first and
 *   second receives its rows' terms in the same order and with the same
 *   products as in the reference (ra = r·(x − μ)_a, then ra·(x − μ)_b). The
 *   small-d full paths apply two rows per pass over the accumulators (a
 *   rank-2 update that still adds row i before row i+1); the diagonal path
 *   lists a component's rows with r ≠ 0 and keeps a tile's sums in
 *   registers over all of them. The generic full path instead forms the
 *   block's first and second moments as a register-tiled matrix product over
 *   its row pairs, with the same products, summing even and odd rows in the
 *   two lanes apart and adding the lanes at the end of the block (see
 *   accumulateFullGeneric): a different order, which depends only on the
 *   data and the blocks.
 * - Each row's exponentials exp(logp_m − max) serve both the log-sum-exp and
 *   the responsibilities r_m = w·exp(logp_m − max)/Σ, one exponential per row
 *   and component where the reference takes two; they agree within rounding.
 * - Rows are summed in blocks of BLOCK_ROWS whose totals are added in block
 *   order, as in the reference; `estep` returns one range's statistics from
 *   zero, and the caller adds ranges (chunks) in order with `merge`.
 * - d = 1…4 with full covariances have unrolled paths (src/kernels/wasm.ts
 *   also sends diagonal covariances with d ≤ 4 there, as diagonal factors);
 *   every other d takes the generic path, which tiles the triangular
 *   product by 4 rows of F × 2 row pairs (eight independent sums in
 *   registers) and the second moments by 4 × 2 elements over all the
 *   block's row pairs.
 *
 * Memory: the JavaScript side allocates every buffer through `alloc`/`free`
 * (the TLSF allocator of AssemblyScript's minimal runtime; linear memory grows
 * as needed; one block holds at most 1 GiB). Layouts, in f64 unless noted:
 * - data: n×d row-major, then 2 zeros (a vector read of an odd-d row's last
 *   pair reads one value past it);
 * - weights: n values, or the pointer 0 for all ones;
 * - params (`configure`): cst[kp] = log π_m + log-normaliser_m | means[k×ld] |
 *   factors (full: k blocks of d×d holding F_m's lower triangle, zeros
 *   elsewhere; diag: k×ld inverse standard deviations); padding is zero;
 * - stats (`estep`, `merge`): header[4] = (Σ w log p, lowest log density, its
 *   row, 0) | counts[kp] | first[k×ld] | second (full: k blocks of d×ld whose
 *   lower triangle is valid, the rest is scratch; diag: k×ld).
 * - scratch (`configure`): see the globals below; the generic full path adds
 *   the packed factors and two tables of BLOCK_ROWS/2 row pairs × d4 vectors,
 *   the diagonal path BLOCK_ROWS row sums, r values and row addresses.
 */
import { allocate, release } from './blocks';

// k-means on the rows this module already holds (src/kernels/lloyd-wasm.ts,
// src/kernels/seed-wasm.ts): the per-chunk work of Lloyd's algorithm and of
// k-means++ seeding, exact in both builds (they use no fused multiply-add;
// scripts/build-wasm.mjs checks the relaxed build).
export { lloydAssign, lloydAssignPlain, lloydCentres, lloydConfigure, lloydDistances, lloydInertia, lloydLabels, lloydRelease, lloydScatter } from './lloyd-chunks';
export { seedConfigure, seedLastPositive, seedPick, seedPoints, seedRelease, seedRescore, seedStart, seedTrials, seedUpdate } from './seed-chunks';

/** Rows per summation block (src/kernels/kernel.ts BLOCK_ROWS). */
const BLOCK_ROWS: i32 = 256;
/** f64 values before the counts in a stats buffer. */
const HEADER: i32 = 4;

const ZERO: v128 = f64x2(0.0, 0.0);
const NEG_INF: v128 = f64x2(-Infinity, -Infinity);

// ---------------------------------------------------------------- configuration

let variant: i32 = 0; // 1…4: full with that d; 5: full, generic d; 6: diag
let isFull: bool = true;
let K: i32 = 0;
let KP: i32 = 0;
let D: i32 = 0;
let LD: i32 = 0;
let cstPtr: usize = 0;
let meanPtr: usize = 0;
let factorPtr: usize = 0;
let meanStride: usize = 0; // bytes per component's mean
let factorStride: usize = 0; // bytes per component's factor
let secondStride: usize = 0; // bytes per component's second moments
let statsFloats: i32 = 0; // f64 values after the header
let firstOffset: usize = 0; // bytes from the start of the counts
let secondOffset: usize = 0;
// scratch
let lvBlockPtr: usize = 0; // (BLOCK_ROWS/2)·k vectors: logp, then exp(logp − max), of each row pair
let scaleBlockPtr: usize = 0; // BLOCK_ROWS/2 vectors: w/Σ exp(logp − max) of each row pair
let validBlockPtr: usize = 0; // BLOCK_ROWS/2 masks: which rows of each pair count (w ≠ 0)
let sumBlockPtr: usize = 0; // BLOCK_ROWS/2 vector pairs: each row pair's maximum of logp and Σ exp(logp − max)
let blockPtr: usize = 0; // statsFloats values: the current block's statistics
// scratch of the generic full path (variant 5); d4 = d rounded up to a multiple of 4
let D4: i32 = 0;
let panelPtr: usize = 0; // k packed factors, panelStride bytes each (see packPanels)
let panelStride: usize = 0;
let pairRowBytes: usize = 0; // bytes per row pair in the two tables below (d4 vectors, padded)
let dTablePtr: usize = 0; // BLOCK_ROWS/2 rows: a row pair's x − μ_m, one vector per feature; columns ≥ d stay 0
let uTablePtr: usize = 0; // BLOCK_ROWS/2 rows: r·(x − μ_m) of the same pairs; columns ≥ d stay 0
let firstVecPtr: usize = 0; // d4 vectors: a component's Σ r·(x − μ) per feature, even and odd rows apart
// scratch of the diagonal path (variant 6)
let rowSumPtr: usize = 0; // BLOCK_ROWS vectors: each row's partial ‖y‖² (even and odd features)
let rowListPtr: usize = 0; // BLOCK_ROWS addresses (u32): the rows of a component whose r is not 0
let rListPtr: usize = 0; // BLOCK_ROWS values: their r
let diagChunk: i32 = BLOCK_ROWS; // rows per chunk of a block (even): about 16 KiB of data, so that it stays in the first-level cache

@inline function even(v: i32): i32 {
  return (v + 1) & ~1;
}

@inline function statsFloatsFor(full: bool, k: i32, d: i32): i32 {
  const ld = even(d);
  return even(k) + k * ld + (full ? k * d * ld : k * ld);
}

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
  const ld = even(d);
  return even(k) + k * ld + (full != 0 ? k * d * d : k * ld);
}

/** Bytes of scratch that `configure` needs. */
export function scratchBytes(full: i32, k: i32, d: i32): i32 {
  const pairs = BLOCK_ROWS >> 1;
  const common = 16 * pairs * (k + 4) + 8 * statsFloatsFor(full != 0, k, d);
  if (full == 0) return common + BLOCK_ROWS * (16 + 8 + 4);
  if (d <= 4) return common;
  const d4 = (d + 3) & ~3;
  return common + k * panelBytes(d4) + 2 * pairs * pairRowBytesFor(d4) + 16 * d4;
}

/** Bytes of one component's packed factor: panels of 4 rows of F, panel q holding 4(q + 1) columns of 4 values. */
@inline function panelBytes(d4: i32): i32 {
  const q = d4 >> 2;
  return 64 * q * (q + 1);
}

/**
 * Bytes per row pair in the pair tables: d4 vectors, plus one cache line when
 * that makes the number of lines odd, so that one feature of successive pairs
 * falls in different cache sets.
 */
@inline function pairRowBytesFor(d4: i32): i32 {
  return (d4 & 4) != 0 ? d4 << 4 : (d4 << 4) + 64;
}

/** Sets the parameters (laid out as in the header comment) and the scratch area for the next calls. */
export function configure(full: i32, k: i32, d: i32, params: usize, scratch: usize): void {
  isFull = full != 0;
  K = k;
  KP = even(k);
  D = d;
  LD = even(d);
  variant = isFull ? (d <= 4 ? d : 5) : 6;
  cstPtr = params;
  meanPtr = params + (<usize>KP << 3);
  factorPtr = meanPtr + (<usize>(k * LD) << 3);
  meanStride = <usize>LD << 3;
  factorStride = isFull ? <usize>(d * d) << 3 : meanStride;
  secondStride = isFull ? <usize>(d * LD) << 3 : meanStride;
  statsFloats = statsFloatsFor(isFull, k, d);
  firstOffset = <usize>KP << 3;
  secondOffset = firstOffset + (<usize>(k * LD) << 3);
  const pairs = <usize>(BLOCK_ROWS >> 1);
  lvBlockPtr = scratch;
  scaleBlockPtr = lvBlockPtr + ((pairs * <usize>k) << 4);
  validBlockPtr = scaleBlockPtr + (pairs << 4);
  sumBlockPtr = validBlockPtr + (pairs << 4);
  blockPtr = sumBlockPtr + (pairs << 5);
  if (variant == 5) {
    const d4 = (d + 3) & ~3;
    D4 = d4;
    panelStride = <usize>panelBytes(d4);
    pairRowBytes = <usize>pairRowBytesFor(d4);
    panelPtr = blockPtr + (<usize>statsFloats << 3);
    dTablePtr = panelPtr + <usize>k * panelStride;
    uTablePtr = dTablePtr + pairs * pairRowBytes;
    firstVecPtr = uTablePtr + pairs * pairRowBytes;
    memory.fill(dTablePtr, 0, (pairs * pairRowBytes) << 1);
    packPanels();
  } else if (variant == 6) {
    rowSumPtr = blockPtr + (<usize>statsFloats << 3);
    rListPtr = rowSumPtr + (<usize>BLOCK_ROWS << 4);
    rowListPtr = rListPtr + (<usize>BLOCK_ROWS << 3);
    diagChunk = min(BLOCK_ROWS, max(16, (2048 / d) & ~1));
  }
}

/**
 * Copies each F_m into panels of four rows (j0 … j0 + 3, j0 = 4q): panel q
 * holds, for c = 0 … j0 + 3, the four values F[j0 + t][c] (t = 0…3) side by
 * side, with zeros above the diagonal and in rows ≥ d. The triangular product
 * then reads one panel front to back.
 */
function packPanels(): void {
  const d = D;
  const d4 = D4;
  const k = K;
  for (let m = 0; m < k; m++) {
    const f = factorPtr + <usize>m * factorStride;
    let out = panelPtr + <usize>m * panelStride;
    for (let j0 = 0; j0 < d4; j0 += 4) {
      for (let c = 0; c < j0 + 4; c++) {
        for (let t = 0; t < 4; t++) {
          const j = j0 + t;
          store<f64>(out, j < d && c <= j ? load<f64>(f + ((<usize>(j * d + c)) << 3)) : 0.0);
          out += 8;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- vector helpers

/** a·b + c: fused (one rounding) in the relaxed build where the engine fuses, else a product then a sum. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

@inline function sp(ptr: usize): v128 {
  return v128.load64_splat(ptr);
}

/** [x_i[c], x_j[c]] where `off` = 8c. */
@inline function pairOf(xi: usize, xj: usize, off: usize): v128 {
  return v128.load64_lane(xj + off, v128.load64_zero(xi + off), 1);
}

@inline function lane0(v: v128): v128 {
  return f64x2.shuffle(v, v, 0, 0);
}

@inline function lane1(v: v128): v128 {
  return f64x2.shuffle(v, v, 1, 1);
}

// exp, after Tang's table-driven method (ACM TOMS 15(2), 1989): x = (64k + j)·ln2/64 + r,
// so e^x = 2^k · 2^(j/64) · e^r with |r| ≤ ln2/128.
// - n = 64k + j = round(x·64/ln 2) comes from the 1.5·2^52 trick: adding it
//   rounds to an integer held in the low mantissa bits (j is their low 6 bits).
// - r = x − n·ln2/64 in two steps (Cody–Waite): ln2/64 split in a high part
//   with 21 trailing zero bits, so that n·LN2_64_HI is exact, and a low part
//   (fdlibm's split of ln 2, divided by 64).
// - e^r − 1 = r + r²(1/2 + r/6 + r²/24 + r³/120): Taylor to degree 5, whose
//   truncation is below 4e-17 relative on |r| ≤ ln2/128.
// - 2^(j/64) from a table of correctly rounded doubles, then 2^k applied as
//   two powers of two, so that results in the subnormal range are rounded
//   once and results near the overflow threshold do not overflow early.
// x is clamped to [−746, 710] first (pmin/pmax keep NaN): e^−746 rounds to 0
// and e^710 overflows to +∞, as they should. Error about 1 ulp (2.2e-16
// relative, measured) wherever the result is normal.
const N_OVER_LN2: f64 = 92.33248261689366; // 64 / ln 2
const LN2_64_HI: f64 = 6.93147180369123816490e-1 / 64;
const LN2_64_LO: f64 = 1.90821492927058770002e-10 / 64;
const SHIFTER: f64 = 6755399441055744.0; // 1.5·2^52
/**
 * 2^(j/64) for j = 0…63 as bit patterns, correctly rounded: each is the
 * double m·2^-52 nearest to the 64th root of 2^j, found by bisection on m
 * with exact integer (BigInt) powers.
 */
const EXP_TABLE: usize = memory.data<u64>([
  0x3ff0000000000000, 0x3ff02c9a3e778061, 0x3ff059b0d3158574, 0x3ff0874518759bc8,
  0x3ff0b5586cf9890f, 0x3ff0e3ec32d3d1a2, 0x3ff11301d0125b51, 0x3ff1429aaea92de0,
  0x3ff172b83c7d517b, 0x3ff1a35beb6fcb75, 0x3ff1d4873168b9aa, 0x3ff2063b88628cd6,
  0x3ff2387a6e756238, 0x3ff26b4565e27cdd, 0x3ff29e9df51fdee1, 0x3ff2d285a6e4030b,
  0x3ff306fe0a31b715, 0x3ff33c08b26416ff, 0x3ff371a7373aa9cb, 0x3ff3a7db34e59ff7,
  0x3ff3dea64c123422, 0x3ff4160a21f72e2a, 0x3ff44e086061892d, 0x3ff486a2b5c13cd0,
  0x3ff4bfdad5362a27, 0x3ff4f9b2769d2ca7, 0x3ff5342b569d4f82, 0x3ff56f4736b527da,
  0x3ff5ab07dd485429, 0x3ff5e76f15ad2148, 0x3ff6247eb03a5585, 0x3ff6623882552225,
  0x3ff6a09e667f3bcd, 0x3ff6dfb23c651a2f, 0x3ff71f75e8ec5f74, 0x3ff75feb564267c9,
  0x3ff7a11473eb0187, 0x3ff7e2f336cf4e62, 0x3ff82589994cce13, 0x3ff868d99b4492ed,
  0x3ff8ace5422aa0db, 0x3ff8f1ae99157736, 0x3ff93737b0cdc5e5, 0x3ff97d829fde4e50,
  0x3ff9c49182a3f090, 0x3ffa0c667b5de565, 0x3ffa5503b23e255d, 0x3ffa9e6b5579fdbf,
  0x3ffae89f995ad3ad, 0x3ffb33a2b84f15fb, 0x3ffb7f76f2fb5e47, 0x3ffbcc1e904bc1d2,
  0x3ffc199bdd85529c, 0x3ffc67f12e57d14b, 0x3ffcb720dcef9069, 0x3ffd072d4a07897c,
  0x3ffd5818dcfba487, 0x3ffda9e603db3285, 0x3ffdfc97337b9b5f, 0x3ffe502ee78b3ff6,
  0x3ffea4afa2a490da, 0x3ffefa1bee615a27, 0x3fff50765b6e4540, 0x3fffa7c1819e90d8,
]);

// The constants of exp and log lie in memory (each name is the address of its
// 8 bytes), and each use loads them into both lanes with one instruction
// (`sp`): V8 11 (Node 20) builds a constant vector from an immediate with
// three, at every use inside the loops. The E-step at d = 2 runs 2–7% faster;
// the values, and so the results, are the same bit for bit.
const EXP_MIN: usize = memory.data<f64>([-746.0]);
const EXP_MAX: usize = memory.data<f64>([710.0]);
const TO_N: usize = memory.data<f64>([N_OVER_LN2]);
const SHIFT: usize = memory.data<f64>([SHIFTER]);
const MINUS_LN2_64_HI: usize = memory.data<f64>([-LN2_64_HI]);
const MINUS_LN2_64_LO: usize = memory.data<f64>([-LN2_64_LO]);
const INV_120: usize = memory.data<f64>([1.0 / 120.0]);
const INV_24: usize = memory.data<f64>([1.0 / 24.0]);
const INV_6: usize = memory.data<f64>([1.0 / 6.0]);
const ONE_HALF: usize = memory.data<f64>([0.5]);
const INV_128: usize = memory.data<f64>([1.0 / 128.0]);
const INV_64: usize = memory.data<f64>([1.0 / 64.0]);
const EXPONENT_SHIFT: usize = memory.data<f64>([SHIFTER + 1023.0]);
const LOW_SIX_BITS: usize = memory.data<u64>([63]);

/** e^x in both lanes. */
@inline function vexp(xin: v128): v128 {
  const x = f64x2.pmin(f64x2.pmax(xin, sp(EXP_MIN)), sp(EXP_MAX));
  const t = madd(x, sp(TO_N), sp(SHIFT));
  const n = f64x2.sub(t, sp(SHIFT));
  let r = madd(n, sp(MINUS_LN2_64_HI), x);
  r = madd(n, sp(MINUS_LN2_64_LO), r);
  let q = madd(sp(INV_120), r, sp(INV_24));
  q = madd(q, r, sp(INV_6));
  q = madd(q, r, sp(ONE_HALF));
  const s = madd(f64x2.mul(r, r), q, r); // e^r − 1
  const j = v128.and(t, sp(LOW_SIX_BITS));
  const tj = v128.load64_lane(
    EXP_TABLE + (<usize>i32x4.extract_lane(j, 2) << 3),
    v128.load64_zero(EXP_TABLE + (<usize>i32x4.extract_lane(j, 0) << 3)),
    1,
  );
  const e = madd(tj, s, tj); // 2^(j/64)·e^r
  // 2^k = 2^k1 · 2^k2 with k = floor(n/64), k1 = floor(n/128): both factors are normal.
  const k1 = f64x2.floor(f64x2.mul(n, sp(INV_128)));
  const k2 = f64x2.sub(f64x2.floor(f64x2.mul(n, sp(INV_64))), k1);
  const s1 = i64x2.shl(f64x2.add(k1, sp(EXPONENT_SHIFT)), 52);
  const s2 = i64x2.shl(f64x2.add(k2, sp(EXPONENT_SHIFT)), 52);
  return f64x2.mul(f64x2.mul(e, s1), s2);
}

// log, after fdlibm's e_log.c (Sun Microsystems, 1993; the branch-free form
// of musl's log.c): x = 2^k·m with m in [√½, √2), f = m − 1, s = f/(2 + f),
// log(1 + f) = f − f²/2 + s(f²/2 + R(s²)), with R the published degree-7
// polynomial in s² (coefficients Lg1…Lg7) and ln 2 in two parts (the same
// split as in exp above). Plain multiplies and adds, no fused ones, so that
// both builds give the same bits. For normal x > 0 (the kernel takes sums of
// exponentials, which lie in [1, k]) and NaN, which is kept. Error below
// 1 ulp (test/wasm-kernel.test.ts compares it with Math.log).
const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;

const LOG_OFFSET: usize = memory.data<u64>([0x00095f6200000000]); // (0x3ff00000 − 0x3fe6a09e) << 32
const MANTISSA: usize = memory.data<u64>([0x000fffffffffffff]);
const SQRT_HALF_EXPONENT: usize = memory.data<u64>([0x3fe6a09e00000000]);
const SHIFT_BITS: usize = memory.data<u64>([0x4338000000000000]); // the bits of 1.5·2^52
const ONE: usize = memory.data<f64>([1.0]);
const TWO: usize = memory.data<f64>([2.0]);
const LG: usize = memory.data<f64>([LG1, LG2, LG3, LG4, LG5, LG6, LG7]);
const LN2_PARTS: usize = memory.data<f64>([LN2_HI, LN2_LO]);

/** log x in both lanes, for normal x > 0 and NaN. */
@inline function vlog(x: v128): v128 {
  // Shift the bits so that the exponent field counts from √½: then k is that
  // field less the bias, and the mantissa bits with the exponent of √½ give m.
  const u = i64x2.add(x, sp(LOG_OFFSET));
  const m = i64x2.add(v128.and(u, sp(MANTISSA)), sp(SQRT_HALF_EXPONENT));
  // k as a double: its bits added to those of 1.5·2^52 (exact for |k| < 2^51), less 1.5·2^52 and the bias.
  const dk = f64x2.sub(i64x2.add(i64x2.shr_u(u, 52), sp(SHIFT_BITS)), sp(EXPONENT_SHIFT));
  const f = f64x2.sub(m, sp(ONE));
  const hfsq = f64x2.mul(f64x2.mul(sp(ONE_HALF), f), f);
  const s = f64x2.div(f, f64x2.add(sp(TWO), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(sp(LG + 8), f64x2.mul(w, f64x2.add(sp(LG + 24), f64x2.mul(w, sp(LG + 40))))));
  const t2 = f64x2.mul(
    z,
    f64x2.add(sp(LG), f64x2.mul(w, f64x2.add(sp(LG + 16), f64x2.mul(w, f64x2.add(sp(LG + 32), f64x2.mul(w, sp(LG + 48))))))),
  );
  const R = f64x2.add(t2, t1);
  // s(hfsq + R) + k·ln2_lo − hfsq + f + k·ln2_hi, left to right.
  let y = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.mul(dk, sp(LN2_PARTS + 8)));
  y = f64x2.add(f64x2.add(f64x2.sub(y, hfsq), f), f64x2.mul(dk, sp(LN2_PARTS)));
  return v128.bitselect(x, y, f64x2.ne(x, x));
}

/** Replaces `count` f64 values at `ptr` by their logarithms (`log`; normal x > 0 and NaN) or exponentials (for tests). */
function inPlace(ptr: usize, count: i32, log: bool): void {
  let i = 0;
  for (; i + 1 < count; i += 2) {
    const p = ptr + (<usize>i << 3);
    const v = v128.load(p);
    v128.store(p, log ? vlog(v) : vexp(v));
  }
  if (i < count) {
    const p = ptr + (<usize>i << 3);
    const v = v128.load64_zero(p);
    store<f64>(p, f64x2.extract_lane(log ? vlog(v) : vexp(v), 0));
  }
}

/** Replaces `count` f64 values at `ptr` by their logarithms (for tests; normal x > 0 and NaN). */
export function logInPlace(ptr: usize, count: i32): void {
  inPlace(ptr, count, true);
}

/** Replaces `count` f64 values at `ptr` by their exponentials (for tests). */
export function expInPlace(ptr: usize, count: i32): void {
  inPlace(ptr, count, false);
}

// ---------------------------------------------------------------- densities
// Phase 1 of a block: log π_m + log N(x | m) of every row pair (one row per
// lane) and component, into lvBlock[pair·k + m]. The small-d paths go pair by
// pair, holding the pair's x in registers, and form y and ‖y‖² in the
// reference's order of operations. Globals are read into locals first: the
// engine reloads a global at each use.

@inline function logp(cst: usize, sq: v128): v128 {
  return f64x2.sub(sp(cst), f64x2.mul(sp(ONE_HALF), sq));
}

function densityFull1(xi: usize, xj: usize, lv: usize): void {
  const x0 = pairOf(xi, xj, 0);
  const k = K;
  const muStride = meanStride;
  const fStride = factorStride;
  let mu = meanPtr;
  let f = factorPtr;
  let cst = cstPtr;
  for (let m = 0; m < k; m++) {
    const y0 = f64x2.mul(sp(f), f64x2.sub(x0, sp(mu)));
    v128.store(lv, logp(cst, f64x2.mul(y0, y0)));
    mu += muStride;
    f += fStride;
    cst += 8;
    lv += 16;
  }
}

function densityFull2(xi: usize, xj: usize, lv: usize): void {
  const x0 = pairOf(xi, xj, 0);
  const x1 = pairOf(xi, xj, 8);
  const k = K;
  const muStride = meanStride;
  const fStride = factorStride;
  let mu = meanPtr;
  let f = factorPtr; // rows of 2: F[j][c] at f + 8·(2j + c)
  let cst = cstPtr;
  for (let m = 0; m < k; m++) {
    const d0 = f64x2.sub(x0, sp(mu));
    const d1 = f64x2.sub(x1, sp(mu + 8));
    const y0 = f64x2.mul(sp(f), d0);
    const y1 = madd(sp(f + 24), d1, f64x2.mul(sp(f + 16), d0));
    v128.store(lv, logp(cst, madd(y1, y1, f64x2.mul(y0, y0))));
    mu += muStride;
    f += fStride;
    cst += 8;
    lv += 16;
  }
}

function densityFull3(xi: usize, xj: usize, lv: usize): void {
  const x0 = pairOf(xi, xj, 0);
  const x1 = pairOf(xi, xj, 8);
  const x2 = pairOf(xi, xj, 16);
  const k = K;
  const muStride = meanStride;
  const fStride = factorStride;
  let mu = meanPtr;
  let f = factorPtr; // rows of 3: F[j][c] at f + 8·(3j + c)
  let cst = cstPtr;
  for (let m = 0; m < k; m++) {
    const d0 = f64x2.sub(x0, sp(mu));
    const d1 = f64x2.sub(x1, sp(mu + 8));
    const d2 = f64x2.sub(x2, sp(mu + 16));
    const y0 = f64x2.mul(sp(f), d0);
    const y1 = madd(sp(f + 32), d1, f64x2.mul(sp(f + 24), d0));
    const y2 = madd(sp(f + 64), d2, madd(sp(f + 56), d1, f64x2.mul(sp(f + 48), d0)));
    v128.store(lv, logp(cst, madd(y2, y2, madd(y1, y1, f64x2.mul(y0, y0)))));
    mu += muStride;
    f += fStride;
    cst += 8;
    lv += 16;
  }
}

function densityFull4(xi: usize, xj: usize, lv: usize): void {
  const x0 = pairOf(xi, xj, 0);
  const x1 = pairOf(xi, xj, 8);
  const x2 = pairOf(xi, xj, 16);
  const x3 = pairOf(xi, xj, 24);
  const k = K;
  const muStride = meanStride;
  const fStride = factorStride;
  let mu = meanPtr;
  let f = factorPtr; // rows of 4: F[j][c] at f + 8·(4j + c)
  let cst = cstPtr;
  for (let m = 0; m < k; m++) {
    const d0 = f64x2.sub(x0, sp(mu));
    const d1 = f64x2.sub(x1, sp(mu + 8));
    const d2 = f64x2.sub(x2, sp(mu + 16));
    const d3 = f64x2.sub(x3, sp(mu + 24));
    const y0 = f64x2.mul(sp(f), d0);
    const y1 = madd(sp(f + 40), d1, f64x2.mul(sp(f + 32), d0));
    const y2 = madd(sp(f + 80), d2, madd(sp(f + 72), d1, f64x2.mul(sp(f + 64), d0)));
    const y3 = madd(sp(f + 120), d3, madd(sp(f + 112), d2, madd(sp(f + 104), d1, f64x2.mul(sp(f + 96), d0))));
    v128.store(lv, logp(cst, madd(y3, y3, madd(y2, y2, madd(y1, y1, f64x2.mul(y0, y0))))));
    mu += muStride;
    f += fStride;
    cst += 8;
    lv += 16;
  }
}

/**
 * Diagonal, for a block of rows, component by component: ‖y‖² with
 * y_c = f_c (x_c − μ_c), vectorised over features (one vector: features c and
 * c + 1 of one row). Features go in tiles of 8 whose means and factors stay in
 * registers while the loop runs over the block's rows; each row's two partial
 * sums (even and odd features) wait in the row-sum scratch between tiles. The
 * last, partial tile (0 to 7 features; an odd last feature is read with the
 * lane beyond it zero) goes row pair by row pair and writes the densities.
 */
function densitiesDiag(x: usize, start: i32, end: i32): void {
  const chunk = diagChunk;
  const pairStride = <usize>K << 4;
  let lv = lvBlockPtr;
  for (let cs = start; cs < end; cs += chunk) {
    densitiesDiagChunk(x, cs, min(cs + chunk, end), lv);
    lv += <usize>(chunk >> 1) * pairStride;
  }
}

/** densitiesDiag for rows [start, end), whose first pair's densities go to lvBase. */
function densitiesDiagChunk(x: usize, start: i32, end: i32, lvBase: usize): void {
  const d = D;
  const k = K;
  const rows = end - start;
  const rowBytes = <usize>d << 3;
  const x0 = x + <usize>start * rowBytes;
  const acc = rowSumPtr;
  const accEnd = acc + (<usize>rows << 4);
  const tiles = d >> 3;
  const tail = d & 7;
  const o = <usize>tiles << 6; // bytes of features before the tail
  const pairStride = <usize>k << 4;
  for (let m = 0; m < k; m++) {
    const mu = meanPtr + <usize>m * meanStride;
    const f = factorPtr + <usize>m * meanStride;
    for (let t = 0; t < tiles; t++) {
      const ot = <usize>t << 6;
      const m0 = v128.load(mu + ot);
      const m1 = v128.load(mu + ot, 16);
      const m2 = v128.load(mu + ot, 32);
      const m3 = v128.load(mu + ot, 48);
      const f0 = v128.load(f + ot);
      const f1 = v128.load(f + ot, 16);
      const f2 = v128.load(f + ot, 32);
      const f3 = v128.load(f + ot, 48);
      let xp = x0 + ot;
      if (t == 0) {
        for (let a = acc; a < accEnd; a += 16) {
          const y0 = f64x2.mul(f0, f64x2.sub(v128.load(xp), m0));
          const y1 = f64x2.mul(f1, f64x2.sub(v128.load(xp, 16), m1));
          const y2 = f64x2.mul(f2, f64x2.sub(v128.load(xp, 32), m2));
          const y3 = f64x2.mul(f3, f64x2.sub(v128.load(xp, 48), m3));
          v128.store(a, madd(y3, y3, madd(y2, y2, madd(y1, y1, f64x2.mul(y0, y0)))));
          xp += rowBytes;
        }
      } else {
        for (let a = acc; a < accEnd; a += 16) {
          const y0 = f64x2.mul(f0, f64x2.sub(v128.load(xp), m0));
          const y1 = f64x2.mul(f1, f64x2.sub(v128.load(xp, 16), m1));
          const y2 = f64x2.mul(f2, f64x2.sub(v128.load(xp, 32), m2));
          const y3 = f64x2.mul(f3, f64x2.sub(v128.load(xp, 48), m3));
          v128.store(a, madd(y3, y3, madd(y2, y2, madd(y1, y1, madd(y0, y0, v128.load(a))))));
          xp += rowBytes;
        }
      }
    }
    const cst = cstPtr + (<usize>m << 3);
    const lv = lvBase + (<usize>m << 4);
    const xt = x0 + o;
    const mt = mu + o;
    const ft = f + o;
    if (tiles == 0) {
      switch (tail) {
        case 1: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 0, true, false); break;
        case 2: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 1, false, false); break;
        case 3: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 1, true, false); break;
        case 4: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 2, false, false); break;
        case 5: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 2, true, false); break;
        case 6: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 3, false, false); break;
        default: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 3, true, false);
      }
    } else {
      switch (tail) {
        case 0: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 0, false, true); break;
        case 1: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 0, true, true); break;
        case 2: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 1, false, true); break;
        case 3: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 1, true, true); break;
        case 4: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 2, false, true); break;
        case 5: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 2, true, true); break;
        case 6: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 3, false, true); break;
        default: densityDiagTail(xt, rowBytes, rows, mt, ft, acc, cst, lv, pairStride, 3, true, true);
      }
    }
  }
}

/**
 * The last features of densitiesDiag (nv vectors, then one more feature when
 * `odd`) for one component, row pair by row pair, added to the row sums when
 * `fromSums`; then each row's two lanes are added and log π + log N goes to
 * lv (one vector per pair, pairStride apart). Inlined with constant nv, odd
 * and fromSums. A missing row j of the last pair repeats row i.
 */
@inline function densityDiagTail(
  xt: usize, rowBytes: usize, rows: i32, mt: usize, ft: usize, acc: usize,
  cst: usize, lv: usize, pairStride: usize, nv: i32, odd: bool, fromSums: bool,
): void {
  const m0 = nv > 0 ? v128.load(mt) : ZERO;
  const m1 = nv > 1 ? v128.load(mt, 16) : ZERO;
  const m2 = nv > 2 ? v128.load(mt, 32) : ZERO;
  const f0 = nv > 0 ? v128.load(ft) : ZERO;
  const f1 = nv > 1 ? v128.load(ft, 16) : ZERO;
  const f2 = nv > 2 ? v128.load(ft, 32) : ZERO;
  const ob = <usize>nv << 4;
  const mo = odd ? v128.load64_zero(mt + ob) : ZERO;
  const fo = odd ? v128.load64_zero(ft + ob) : ZERO;
  let a = acc;
  let out = lv;
  for (let i = 0; i < rows; i += 2) {
    const xi = xt + <usize>i * rowBytes;
    const two = i + 1 < rows;
    const xj = two ? xi + rowBytes : xi;
    let si = fromSums ? v128.load(a) : ZERO;
    let sj = fromSums ? v128.load(two ? a + 16 : a) : ZERO;
    if (nv > 0) {
      const yi = f64x2.mul(f0, f64x2.sub(v128.load(xi), m0));
      const yj = f64x2.mul(f0, f64x2.sub(v128.load(xj), m0));
      si = fromSums ? madd(yi, yi, si) : f64x2.mul(yi, yi);
      sj = fromSums ? madd(yj, yj, sj) : f64x2.mul(yj, yj);
    }
    if (nv > 1) {
      const yi = f64x2.mul(f1, f64x2.sub(v128.load(xi, 16), m1));
      const yj = f64x2.mul(f1, f64x2.sub(v128.load(xj, 16), m1));
      si = madd(yi, yi, si);
      sj = madd(yj, yj, sj);
    }
    if (nv > 2) {
      const yi = f64x2.mul(f2, f64x2.sub(v128.load(xi, 32), m2));
      const yj = f64x2.mul(f2, f64x2.sub(v128.load(xj, 32), m2));
      si = madd(yi, yi, si);
      sj = madd(yj, yj, sj);
    }
    if (odd) {
      const yi = f64x2.mul(fo, f64x2.sub(v128.load64_zero(xi + ob), mo));
      const yj = f64x2.mul(fo, f64x2.sub(v128.load64_zero(xj + ob), mo));
      si = nv > 0 || fromSums ? madd(yi, yi, si) : f64x2.mul(yi, yi);
      sj = nv > 0 || fromSums ? madd(yj, yj, sj) : f64x2.mul(yj, yj);
    }
    const sq = f64x2.add(f64x2.shuffle(si, sj, 0, 2), f64x2.shuffle(si, sj, 1, 3));
    v128.store(out, logp(cst, sq));
    a += 32;
    out += pairStride;
  }
}

/** Writes x − μ of row pairs [0, pairs) of the block from `start` into the pair table at `table`. */
@inline function pairDifferences(x: usize, start: i32, end: i32, mu: usize, table: usize): void {
  const d = D;
  const rowBytes = <usize>d << 3;
  const stride = pairRowBytes;
  let row = table;
  for (let i = start; i < end; i += 2) {
    const xi = x + <usize>i * rowBytes;
    const xj = i + 1 < end ? xi + rowBytes : xi;
    for (let c = 0; c < d; c++) {
      const o = <usize>c << 3;
      v128.store(row + (o << 1), f64x2.sub(pairOf(xi, xj, o), sp(mu + o)));
    }
    row += stride;
  }
}

/**
 * Full covariance, any d, for a block of rows, component by component (so
 * that F_m stays in the first-level cache however large d is). x − μ of every
 * row pair goes into the pair table first; then y = F (x − μ) is formed for
 * two row pairs (four rows) and four rows of F (one packed panel) at a time:
 * each broadcast factor value serves two pairs and each vector of x − μ four
 * rows of F, in eight independent sums. The columns left of the panel's
 * diagonal go in one loop; its lower triangle follows, unrolled. Rows of the
 * last panel beyond d are formed from zeros and left out of ‖y‖².
 */
function densitiesFullGeneric(x: usize, start: i32, end: i32): void {
  const d = D;
  const k = K;
  const pairs = (end - start + 1) >> 1;
  const stride = pairRowBytes;
  const pairStride = <usize>k << 4;
  const table = dTablePtr;
  for (let m = 0; m < k; m++) {
    pairDifferences(x, start, end, meanPtr + <usize>m * meanStride, table);
    const panels = panelPtr + <usize>m * panelStride;
    const cst = cstPtr + (<usize>m << 3);
    let lv = lvBlockPtr + (<usize>m << 4);
    for (let p = 0; p < pairs; p += 2) {
      const two = p + 1 < pairs;
      const r0 = table + <usize>p * stride;
      const r1 = two ? r0 + stride : r0;
      let sq0 = ZERO, sq1 = ZERO;
      let f = panels;
      for (let j0 = 0; j0 < d; j0 += 4) {
        const cEnd = <usize>j0 << 4;
        if (j0 + 2 >= d) {
          // The last panel holds one or two rows: only its first two rows are formed.
          let a0 = ZERO, a1 = ZERO, b0 = ZERO, b1 = ZERO;
          for (let o: usize = 0; o < cEnd; o += 16) {
            const v0 = v128.load(r0 + o);
            const v1 = v128.load(r1 + o);
            const f0 = sp(f);
            a0 = madd(f0, v0, a0);
            b0 = madd(f0, v1, b0);
            const f1 = v128.load64_splat(f, 8);
            a1 = madd(f1, v0, a1);
            b1 = madd(f1, v1, b1);
            f += 32;
          }
          const v0 = v128.load(r0 + cEnd);
          const v1 = v128.load(r1 + cEnd);
          const f0 = sp(f);
          a0 = madd(f0, v0, a0);
          b0 = madd(f0, v1, b0);
          const f1 = v128.load64_splat(f, 8);
          a1 = madd(f1, v0, a1);
          b1 = madd(f1, v1, b1);
          const g1 = v128.load64_splat(f, 40);
          a1 = madd(g1, v128.load(r0 + cEnd, 16), a1);
          b1 = madd(g1, v128.load(r1 + cEnd, 16), b1);
          sq0 = madd(a0, a0, sq0);
          sq1 = madd(b0, b0, sq1);
          if (j0 + 1 < d) {
            sq0 = madd(a1, a1, sq0);
            sq1 = madd(b1, b1, sq1);
          }
          break;
        }
        let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO; // rows j0…j0+3, pair p
        let b0 = ZERO, b1 = ZERO, b2 = ZERO, b3 = ZERO; // pair p + 1
        for (let o: usize = 0; o < cEnd; o += 16) {
          const v0 = v128.load(r0 + o);
          const v1 = v128.load(r1 + o);
          const f0 = sp(f);
          a0 = madd(f0, v0, a0);
          b0 = madd(f0, v1, b0);
          const f1 = v128.load64_splat(f, 8);
          a1 = madd(f1, v0, a1);
          b1 = madd(f1, v1, b1);
          const f2 = v128.load64_splat(f, 16);
          a2 = madd(f2, v0, a2);
          b2 = madd(f2, v1, b2);
          const f3 = v128.load64_splat(f, 24);
          a3 = madd(f3, v0, a3);
          b3 = madd(f3, v1, b3);
          f += 32;
        }
        // The diagonal 4×4 block: column j0 + t reaches rows t…3.
        {
          const v0 = v128.load(r0 + cEnd);
          const v1 = v128.load(r1 + cEnd);
          const f0 = sp(f);
          a0 = madd(f0, v0, a0);
          b0 = madd(f0, v1, b0);
          const f1 = v128.load64_splat(f, 8);
          a1 = madd(f1, v0, a1);
          b1 = madd(f1, v1, b1);
          const f2 = v128.load64_splat(f, 16);
          a2 = madd(f2, v0, a2);
          b2 = madd(f2, v1, b2);
          const f3 = v128.load64_splat(f, 24);
          a3 = madd(f3, v0, a3);
          b3 = madd(f3, v1, b3);
        }
        {
          const v0 = v128.load(r0 + cEnd, 16);
          const v1 = v128.load(r1 + cEnd, 16);
          const f1 = v128.load64_splat(f, 40);
          a1 = madd(f1, v0, a1);
          b1 = madd(f1, v1, b1);
          const f2 = v128.load64_splat(f, 48);
          a2 = madd(f2, v0, a2);
          b2 = madd(f2, v1, b2);
          const f3 = v128.load64_splat(f, 56);
          a3 = madd(f3, v0, a3);
          b3 = madd(f3, v1, b3);
        }
        {
          const v0 = v128.load(r0 + cEnd, 32);
          const v1 = v128.load(r1 + cEnd, 32);
          const f2 = v128.load64_splat(f, 80);
          a2 = madd(f2, v0, a2);
          b2 = madd(f2, v1, b2);
          const f3 = v128.load64_splat(f, 88);
          a3 = madd(f3, v0, a3);
          b3 = madd(f3, v1, b3);
        }
        {
          const f3 = v128.load64_splat(f, 120);
          a3 = madd(f3, v128.load(r0 + cEnd, 48), a3);
          b3 = madd(f3, v128.load(r1 + cEnd, 48), b3);
        }
        f += 128;
        sq0 = madd(a2, a2, madd(a1, a1, madd(a0, a0, sq0)));
        sq1 = madd(b2, b2, madd(b1, b1, madd(b0, b0, sq1)));
        if (j0 + 3 < d) {
          sq0 = madd(a3, a3, sq0);
          sq1 = madd(b3, b3, sq1);
        }
      }
      v128.store(lv, logp(cst, sq0));
      if (two) v128.store(lv + pairStride, logp(cst, sq1));
      lv += pairStride << 1;
    }
  }
}

/** Phase 1 for rows [start, end) of one block. */
function densities(x: usize, start: i32, end: i32): void {
  const v = variant;
  if (v == 5) {
    densitiesFullGeneric(x, start, end);
    return;
  }
  if (v == 6) {
    densitiesDiag(x, start, end);
    return;
  }
  const rowBytes = <usize>D << 3;
  const pairStride = <usize>K << 4;
  let lv = lvBlockPtr;
  for (let i = start; i < end; i += 2) {
    const xi = x + <usize>i * rowBytes;
    const xj = i + 1 < end ? xi + rowBytes : xi;
    switch (v) {
      case 1:
        densityFull1(xi, xj, lv);
        break;
      case 2:
        densityFull2(xi, xj, lv);
        break;
      case 3:
        densityFull3(xi, xj, lv);
        break;
      default:
        densityFull4(xi, xj, lv);
    }
    lv += pairStride;
  }
}

// ---------------------------------------------------------------- log-sum-exp
// Phase 2, pair by pair: the lane-wise maximum (`pmax` keeps the current
// maximum when the candidate is NaN, as the reference's `if (logp[m] > max)`
// does), then exp(logp_m − max) in place of logp_m, and their sums in m order
// (for every pair: a zero weight's terms are masked out in phase 3); then, in
// a second loop, the log-sum-exp, the weights' scale and the totals.

@inline function maxOf(lv: usize): v128 {
  const k = K;
  let M = NEG_INF;
  for (let m = 0; m < k; m++) M = f64x2.pmax(M, v128.load(lv + (<usize>m << 4)));
  return M;
}

@inline function exponentials(lv: usize, M: v128): v128 {
  const k = K;
  let S = ZERO;
  for (let m = 0; m < k; m++) {
    const p = lv + (<usize>m << 4);
    const E = vexp(f64x2.sub(v128.load(p), M));
    v128.store(p, E);
    S = f64x2.add(S, E);
  }
  return S;
}

/** Per lane max + log Σ exp(logp − max), or max itself when it is −∞ or NaN (as in the reference). */
@inline function logSumExp(M: v128, S: v128): v128 {
  return v128.bitselect(f64x2.add(M, vlog(S)), M, f64x2.gt(M, NEG_INF));
}

// ---------------------------------------------------------------- statistics
// Phase 3: rows i and j of each pair (i first) are added to the block's
// statistics with r_m = w·exp(logp_m − max)/Σ — the pair's exponentials times
// its `scale` (w/Σ per lane), masked to zero by `valid` for a zero weight and
// for the lane of a missing row j. A component whose two r are both 0 is
// skipped, as the reference skips r = 0; adding a zero term changes nothing
// either.

@inline function responsibility(e: usize, scale: v128, valid: v128): v128 {
  return v128.and(f64x2.mul(v128.load(e), scale), valid);
}

@inline function addCount(p: usize, r: v128): void {
  store<f64>(p, load<f64>(p) + f64x2.extract_lane(r, 0) + f64x2.extract_lane(r, 1));
}

/** Full covariance, d ≤ 2 (ld = 2): each row of x − μ is one vector. */
function accumulateFullLd2(xi: usize, xj: usize, ev: usize, scale: v128, valid: v128): void {
  const xvi = v128.load(xi);
  const xvj = v128.load(xj);
  const two = D == 2;
  const k = K;
  const counts = blockPtr;
  const first = blockPtr + firstOffset;
  const second = blockPtr + secondOffset;
  const means = meanPtr;
  const muStride = meanStride;
  const sStride = secondStride;
  for (let m = 0; m < k; m++) {
    const r = responsibility(ev + (<usize>m << 4), scale, valid);
    if (!v128.any_true(r)) continue;
    addCount(counts + (<usize>m << 3), r);
    const mu = v128.load(means + <usize>m * muStride);
    const di = f64x2.sub(xvi, mu);
    const dj = f64x2.sub(xvj, mu);
    const rdi = f64x2.mul(lane0(r), di); // r·(x − μ)_a for both a
    const rdj = f64x2.mul(lane1(r), dj);
    const fp = first + <usize>m * muStride;
    v128.store(fp, f64x2.add(f64x2.add(v128.load(fp), rdi), rdj));
    const s = second + <usize>m * sStride;
    v128.store(s, madd(lane0(rdj), dj, madd(lane0(rdi), di, v128.load(s))));
    if (two) v128.store(s, madd(lane1(rdj), dj, madd(lane1(rdi), di, v128.load(s, 16))), 16);
  }
}

/** Full covariance, d = 3 or 4 (ld = 4): each row of x − μ is two vectors. */
function accumulateFullLd4(xi: usize, xj: usize, ev: usize, scale: v128, valid: v128): void {
  const xi0 = v128.load(xi);
  const xi1 = v128.load(xi, 16);
  const xj0 = v128.load(xj);
  const xj1 = v128.load(xj, 16);
  const four = D == 4;
  const k = K;
  const counts = blockPtr;
  const first = blockPtr + firstOffset;
  const second = blockPtr + secondOffset;
  const means = meanPtr;
  const muStride = meanStride;
  const sStride = secondStride;
  for (let m = 0; m < k; m++) {
    const r = responsibility(ev + (<usize>m << 4), scale, valid);
    if (!v128.any_true(r)) continue;
    addCount(counts + (<usize>m << 3), r);
    const mp = means + <usize>m * muStride;
    const mu0 = v128.load(mp);
    const mu1 = v128.load(mp, 16);
    const di0 = f64x2.sub(xi0, mu0);
    const di1 = f64x2.sub(xi1, mu1);
    const dj0 = f64x2.sub(xj0, mu0);
    const dj1 = f64x2.sub(xj1, mu1);
    const ri = lane0(r);
    const rj = lane1(r);
    const rdi0 = f64x2.mul(ri, di0);
    const rdi1 = f64x2.mul(ri, di1);
    const rdj0 = f64x2.mul(rj, dj0);
    const rdj1 = f64x2.mul(rj, dj1);
    const fp = first + <usize>m * muStride;
    v128.store(fp, f64x2.add(f64x2.add(v128.load(fp), rdi0), rdj0));
    v128.store(fp, f64x2.add(f64x2.add(v128.load(fp, 16), rdi1), rdj1), 16);
    const s = second + <usize>m * sStride; // rows of 4
    // rows 0 and 1 (b = 0, 1)
    v128.store(s, madd(lane0(rdj0), dj0, madd(lane0(rdi0), di0, v128.load(s))));
    v128.store(s, madd(lane1(rdj0), dj0, madd(lane1(rdi0), di0, v128.load(s, 32))), 32);
    // row 2 (b = 0…3)
    const ai2 = lane0(rdi1);
    const aj2 = lane0(rdj1);
    v128.store(s, madd(aj2, dj0, madd(ai2, di0, v128.load(s, 64))), 64);
    v128.store(s, madd(aj2, dj1, madd(ai2, di1, v128.load(s, 80))), 80);
    if (four) {
      const ai3 = lane1(rdi1);
      const aj3 = lane1(rdj1);
      v128.store(s, madd(aj3, dj0, madd(ai3, di0, v128.load(s, 96))), 96);
      v128.store(s, madd(aj3, dj1, madd(ai3, di1, v128.load(s, 112))), 112);
    }
  }
}

/**
 * Diagonal, for a block of rows, component by component. The rows whose r is
 * not zero are listed first, in order (their addresses and r), and the count
 * is summed as in the reference. Then the features go in tiles of 4 vectors
 * (8 features, one row per vector as in the data): the tile's means and its
 * first and second sums stay in registers while the loop runs over the listed
 * rows, and the sums are stored once per block. Each element receives its
 * rows' terms in row order, ra = r·(x − μ)_a and ra·(x − μ)_a, as in the
 * reference. An odd d's last vector reads one value past the row (the next
 * row's first, or the zeros after the data) into the padding of first and
 * second.
 */
function accumulateDiag(x: usize, start: i32, end: i32): void {
  const chunk = diagChunk;
  const pairStride = <usize>K << 4;
  let pair: usize = 0;
  for (let cs = start; cs < end; cs += chunk) {
    accumulateDiagChunk(x, cs, min(cs + chunk, end), pair);
    pair += <usize>(chunk >> 1);
  }
}

/** accumulateDiag for rows [start, end), whose first pair is pair number `pair0` of the block. */
function accumulateDiagChunk(x: usize, start: i32, end: i32, pair0: usize): void {
  const k = K;
  const nvec = LD >> 1;
  const rowBytes = <usize>D << 3;
  const pairStride = <usize>k << 4;
  const scales = scaleBlockPtr;
  const valids = validBlockPtr;
  const rowList = rowListPtr;
  const rList = rListPtr;
  for (let m = 0; m < k; m++) {
    const cp = blockPtr + (<usize>m << 3);
    let count = load<f64>(cp);
    let ev = lvBlockPtr + pair0 * pairStride + (<usize>m << 4);
    let pair: usize = pair0 << 4;
    let n: usize = 0;
    for (let i = start; i < end; i += 2) {
      const r = responsibility(ev, v128.load(scales + pair), v128.load(valids + pair));
      ev += pairStride;
      pair += 16;
      const ri = f64x2.extract_lane(r, 0);
      const rj = f64x2.extract_lane(r, 1);
      count = count + ri + rj;
      const xi = x + <usize>i * rowBytes;
      store<usize>(rowList + (n << 2), xi);
      store<f64>(rList + (n << 3), ri);
      n += <usize>(ri != 0);
      store<usize>(rowList + (n << 2), xi + rowBytes);
      store<f64>(rList + (n << 3), rj);
      n += <usize>(rj != 0);
    }
    store<f64>(cp, count);
    if (n == 0) continue;
    const listEnd = n << 2;
    const off = <usize>m * meanStride;
    const mp = meanPtr + off;
    const fp = blockPtr + firstOffset + off;
    const sp2 = blockPtr + secondOffset + off;
    let v = 0;
    for (; v + 3 <= nvec; v += 3) diagMomentTile(<usize>v << 4, mp, fp, sp2, rowList, rList, listEnd, 3);
    const left = nvec - v;
    if (left == 2) diagMomentTile(<usize>v << 4, mp, fp, sp2, rowList, rList, listEnd, 2);
    if (left == 1) diagMomentTile(<usize>v << 4, mp, fp, sp2, rowList, rList, listEnd, 1);
  }
}

/**
 * Vectors [o, o + 16·nv) (bytes) of one component's first and second sums
 * over the listed rows (list entries [0, listEnd) bytes of addresses).
 * Inlined with constant nv.
 */
@inline function diagMomentTile(
  o: usize, mp: usize, fp: usize, spp: usize, rowList: usize, rList: usize, listEnd: usize, nv: i32,
): void {
  const m0 = v128.load(mp + o);
  const m1 = nv > 1 ? v128.load(mp + o, 16) : ZERO;
  const m2 = nv > 2 ? v128.load(mp + o, 32) : ZERO;
  const m3 = nv > 3 ? v128.load(mp + o, 48) : ZERO;
  let a0 = v128.load(fp + o);
  let a1 = nv > 1 ? v128.load(fp + o, 16) : ZERO;
  let a2 = nv > 2 ? v128.load(fp + o, 32) : ZERO;
  let a3 = nv > 3 ? v128.load(fp + o, 48) : ZERO;
  let b0 = v128.load(spp + o);
  let b1 = nv > 1 ? v128.load(spp + o, 16) : ZERO;
  let b2 = nv > 2 ? v128.load(spp + o, 32) : ZERO;
  let b3 = nv > 3 ? v128.load(spp + o, 48) : ZERO;
  let rp = rList;
  for (let l: usize = 0; l < listEnd; l += 4) {
    const xr = load<usize>(rowList + l) + o;
    const r = v128.load64_splat(rp);
    rp += 8;
    const d0 = f64x2.sub(v128.load(xr), m0);
    const u0 = f64x2.mul(r, d0);
    a0 = f64x2.add(a0, u0);
    b0 = madd(u0, d0, b0);
    if (nv > 1) {
      const d1 = f64x2.sub(v128.load(xr, 16), m1);
      const u1 = f64x2.mul(r, d1);
      a1 = f64x2.add(a1, u1);
      b1 = madd(u1, d1, b1);
    }
    if (nv > 2) {
      const d2 = f64x2.sub(v128.load(xr, 32), m2);
      const u2 = f64x2.mul(r, d2);
      a2 = f64x2.add(a2, u2);
      b2 = madd(u2, d2, b2);
    }
    if (nv > 3) {
      const d3 = f64x2.sub(v128.load(xr, 48), m3);
      const u3 = f64x2.mul(r, d3);
      a3 = f64x2.add(a3, u3);
      b3 = madd(u3, d3, b3);
    }
  }
  v128.store(fp + o, a0);
  v128.store(spp + o, b0);
  if (nv > 1) {
    v128.store(fp + o, a1, 16);
    v128.store(spp + o, b1, 16);
  }
  if (nv > 2) {
    v128.store(fp + o, a2, 32);
    v128.store(spp + o, b2, 32);
  }
  if (nv > 3) {
    v128.store(fp + o, a3, 48);
    v128.store(spp + o, b3, 48);
  }
}

/** lane 0 + lane 1. */
@inline function laneSum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * The second moments of the last one or two rows (a0, a0 + 1 < d) of a full
 * covariance, as accumulateFullGeneric forms the others: tiles of 2 rows × 4
 * columns, then the 2×2 diagonal block. `s0` is row a0 of the second moments.
 */
function lastRows(a0: i32, rows: usize, s0: usize, sRowBytes: usize): void {
  const stride = pairRowBytes;
  const dTable = dTablePtr;
  const ua = uTablePtr + (<usize>a0 << 4);
  const s1 = s0 + sRowBytes;
  const two = a0 + 1 < D;
  for (let b0 = 0; b0 < a0; b0 += 4) {
    const db = dTable + (<usize>b0 << 4);
    let c00 = ZERO, c01 = ZERO, c02 = ZERO, c03 = ZERO;
    let c10 = ZERO, c11 = ZERO, c12 = ZERO, c13 = ZERO;
    for (let o: usize = 0; o < rows; o += stride) {
      const u0 = v128.load(ua + o);
      const u1 = v128.load(ua + o, 16);
      const v0 = v128.load(db + o);
      c00 = madd(u0, v0, c00);
      c10 = madd(u1, v0, c10);
      const v1 = v128.load(db + o, 16);
      c01 = madd(u0, v1, c01);
      c11 = madd(u1, v1, c11);
      const v2 = v128.load(db + o, 32);
      c02 = madd(u0, v2, c02);
      c12 = madd(u1, v2, c12);
      const v3 = v128.load(db + o, 48);
      c03 = madd(u0, v3, c03);
      c13 = madd(u1, v3, c13);
    }
    const ob = <usize>b0 << 3;
    store<f64>(s0 + ob, laneSum(c00));
    store<f64>(s0 + ob, laneSum(c01), 8);
    store<f64>(s0 + ob, laneSum(c02), 16);
    store<f64>(s0 + ob, laneSum(c03), 24);
    if (two) {
      store<f64>(s1 + ob, laneSum(c10));
      store<f64>(s1 + ob, laneSum(c11), 8);
      store<f64>(s1 + ob, laneSum(c12), 16);
      store<f64>(s1 + ob, laneSum(c13), 24);
    }
  }
  const da = dTable + (<usize>a0 << 4);
  let e00 = ZERO, e10 = ZERO, e11 = ZERO;
  for (let o: usize = 0; o < rows; o += stride) {
    const v0 = v128.load(da + o);
    const u1 = v128.load(ua + o, 16);
    e00 = madd(v128.load(ua + o), v0, e00);
    e10 = madd(u1, v0, e10);
    e11 = madd(u1, v128.load(da + o, 16), e11);
  }
  const oa = <usize>a0 << 3;
  store<f64>(s0 + oa, laneSum(e00));
  if (two) {
    store<f64>(s1 + oa, laneSum(e10));
    store<f64>(s1 + oa, laneSum(e11), 8);
  }
}

/**
 * Full covariance, any d, for a block of rows, component by component. The
 * pairs whose r is not zero are gathered first, in order, into the pair
 * tables: x − μ (D) and r·(x − μ) (U), one row pair per table row. The second
 * moments are then the product UᵀD over those pairs, formed as a small
 * matrix product: tiles of 4 rows (a) × 2 columns (b) of the lower triangle
 * stay in registers while the loop runs over the pairs, so each vector loaded
 * serves 2 or 4 updates and no accumulator goes through memory; the diagonal
 * 4×4 blocks have their own kernel. Each vector sums its pairs' row i terms
 * in lane 0 and row j terms in lane 1, pair after pair; the two lanes are
 * added at the end of the block. Each term is ra·(x − μ)_b with
 * ra = r·(x − μ)_a, as in the reference. Rows of a tile beyond d come from
 * zero columns and are not stored.
 */
function accumulateFullGeneric(x: usize, start: i32, end: i32): void {
  const d = D;
  const ld = LD;
  const k = K;
  const rowBytes = <usize>d << 3;
  const sRowBytes = <usize>ld << 3;
  const pairStride = <usize>k << 4;
  const stride = pairRowBytes;
  const dTable = dTablePtr;
  const uTable = uTablePtr;
  const fv = firstVecPtr;
  const scales = scaleBlockPtr;
  const valids = validBlockPtr;
  for (let m = 0; m < k; m++) {
    const mp = meanPtr + <usize>m * meanStride;
    const fp = blockPtr + firstOffset + <usize>m * meanStride;
    const sm = blockPtr + secondOffset + <usize>m * secondStride;
    const cp = blockPtr + (<usize>m << 3);
    memory.fill(fv, 0, <usize>d << 4);
    let ev = lvBlockPtr + (<usize>m << 4);
    let pair: usize = 0;
    let rows: usize = 0; // bytes of gathered pairs in the tables
    for (let i = start; i < end; i += 2) {
      const r = responsibility(ev, v128.load(scales + pair), v128.load(valids + pair));
      ev += pairStride;
      pair += 16;
      if (!v128.any_true(r)) continue;
      addCount(cp, r);
      const xi = x + <usize>i * rowBytes;
      const xj = i + 1 < end ? xi + rowBytes : xi;
      const dr = dTable + rows;
      const ur = uTable + rows;
      for (let c = 0; c < d; c++) {
        const o = <usize>c << 3;
        const o2 = o << 1;
        const dv = f64x2.sub(pairOf(xi, xj, o), sp(mp + o));
        const u = f64x2.mul(r, dv);
        v128.store(dr + o2, dv);
        v128.store(ur + o2, u);
        v128.store(fv + o2, f64x2.add(v128.load(fv + o2), u));
      }
      rows += stride;
    }
    if (rows == 0) continue;
    for (let a = 0; a < d; a++) store<f64>(fp + (<usize>a << 3), laneSum(v128.load(fv + (<usize>a << 4))));
    for (let a0 = 0; a0 < d; a0 += 4) {
      if (a0 + 2 >= d) {
        lastRows(a0, rows, sm + <usize>a0 * sRowBytes, sRowBytes);
        break;
      }
      const ua = uTable + (<usize>a0 << 4);
      const s0 = sm + <usize>a0 * sRowBytes;
      const s1 = s0 + sRowBytes;
      const s2 = s1 + sRowBytes;
      const s3 = s2 + sRowBytes;
      const more1 = a0 + 1 < d;
      const more2 = a0 + 2 < d;
      const more3 = a0 + 3 < d;
      for (let b0 = 0; b0 < a0; b0 += 2) {
        const db = dTable + (<usize>b0 << 4);
        let c00 = ZERO, c01 = ZERO, c10 = ZERO, c11 = ZERO;
        let c20 = ZERO, c21 = ZERO, c30 = ZERO, c31 = ZERO;
        for (let o: usize = 0; o < rows; o += stride) {
          const v0 = v128.load(db + o);
          const v1 = v128.load(db + o, 16);
          const u0 = v128.load(ua + o);
          c00 = madd(u0, v0, c00);
          c01 = madd(u0, v1, c01);
          const u1 = v128.load(ua + o, 16);
          c10 = madd(u1, v0, c10);
          c11 = madd(u1, v1, c11);
          const u2 = v128.load(ua + o, 32);
          c20 = madd(u2, v0, c20);
          c21 = madd(u2, v1, c21);
          const u3 = v128.load(ua + o, 48);
          c30 = madd(u3, v0, c30);
          c31 = madd(u3, v1, c31);
        }
        const ob = <usize>b0 << 3;
        store<f64>(s0 + ob, laneSum(c00));
        store<f64>(s0 + ob, laneSum(c01), 8);
        if (more1) {
          store<f64>(s1 + ob, laneSum(c10));
          store<f64>(s1 + ob, laneSum(c11), 8);
        }
        if (more2) {
          store<f64>(s2 + ob, laneSum(c20));
          store<f64>(s2 + ob, laneSum(c21), 8);
        }
        if (more3) {
          store<f64>(s3 + ob, laneSum(c30));
          store<f64>(s3 + ob, laneSum(c31), 8);
        }
      }
      // The diagonal block: (a0 + t, a0 + u) for u ≤ t.
      const da = dTable + (<usize>a0 << 4);
      let e00 = ZERO, e10 = ZERO, e11 = ZERO, e20 = ZERO, e21 = ZERO;
      let e22 = ZERO, e30 = ZERO, e31 = ZERO, e32 = ZERO, e33 = ZERO;
      for (let o: usize = 0; o < rows; o += stride) {
        const v0 = v128.load(da + o);
        const v1 = v128.load(da + o, 16);
        const u0 = v128.load(ua + o);
        e00 = madd(u0, v0, e00);
        const u1 = v128.load(ua + o, 16);
        e10 = madd(u1, v0, e10);
        e11 = madd(u1, v1, e11);
        const v2 = v128.load(da + o, 32);
        const u2 = v128.load(ua + o, 32);
        e20 = madd(u2, v0, e20);
        e21 = madd(u2, v1, e21);
        e22 = madd(u2, v2, e22);
        const u3 = v128.load(ua + o, 48);
        e30 = madd(u3, v0, e30);
        e31 = madd(u3, v1, e31);
        e32 = madd(u3, v2, e32);
        e33 = madd(u3, v128.load(da + o, 48), e33);
      }
      const oa = <usize>a0 << 3;
      store<f64>(s0 + oa, laneSum(e00));
      if (more1) {
        store<f64>(s1 + oa, laneSum(e10));
        store<f64>(s1 + oa, laneSum(e11), 8);
      }
      if (more2) {
        store<f64>(s2 + oa, laneSum(e20));
        store<f64>(s2 + oa, laneSum(e21), 8);
        store<f64>(s2 + oa, laneSum(e22), 16);
      }
      if (more3) {
        store<f64>(s3 + oa, laneSum(e30));
        store<f64>(s3 + oa, laneSum(e31), 8);
        store<f64>(s3 + oa, laneSum(e32), 16);
        store<f64>(s3 + oa, laneSum(e33), 24);
      }
    }
  }
}

/** Phase 3 for rows [start, end) of one block. */
function accumulate(x: usize, start: i32, end: i32): void {
  const v = variant;
  if (v == 5) {
    accumulateFullGeneric(x, start, end);
    return;
  }
  if (v == 6) {
    accumulateDiag(x, start, end);
    return;
  }
  const rowBytes = <usize>D << 3;
  const pairStride = <usize>K << 4;
  let ev = lvBlockPtr;
  let pair: usize = 0;
  for (let i = start; i < end; i += 2) {
    const valid = v128.load(validBlockPtr + pair);
    if (v128.any_true(valid)) {
      const scale = v128.load(scaleBlockPtr + pair);
      const xi = x + <usize>i * rowBytes;
      const xj = i + 1 < end ? xi + rowBytes : xi;
      switch (v) {
        case 1:
        case 2:
          accumulateFullLd2(xi, xj, ev, scale, valid);
          break;
        default:
          accumulateFullLd4(xi, xj, ev, scale, valid);
      }
    }
    ev += pairStride;
    pair += 16;
  }
}

/** dst[0..count) += src[0..count); count is even. */
function addInto(dst: usize, src: usize, count: i32): void {
  const bytes = <usize>count << 3;
  for (let o: usize = 0; o < bytes; o += 16) v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
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
 * buffer): blocks of BLOCK_ROWS rows from rowStart, each summed on its own
 * and added in block order. `x` is the data, `w` the weights or 0.
 */
export function estep(x: usize, w: usize, rowStart: i32, rowEnd: i32, out: usize): void {
  clearStats(out);
  const stats = out + (<usize>HEADER << 3);
  const pairStride = <usize>K << 4;
  let total = 0.0;
  let worst = Infinity;
  let worstRow = -1;
  for (let start = rowStart; start < rowEnd; start += BLOCK_ROWS) {
    const end = min(start + BLOCK_ROWS, rowEnd);
    memory.fill(blockPtr, 0, <usize>statsFloats << 3);
    densities(x, start, end);
    // Each pair's maximum and exponentials first; the logarithms then run in a
    // loop of their own, whose pairs the processor overlaps (at d = 2, 19% faster with
    // k = 3 and 9% with k = 8).
    let lv = lvBlockPtr;
    for (let q = sumBlockPtr, qEnd = sumBlockPtr + (<usize>((end - start + 1) >> 1) << 5); q < qEnd; q += 32) {
      const M = maxOf(lv);
      v128.store(q, M);
      v128.store(q, exponentials(lv, M), 16);
      lv += pairStride;
    }
    let blockTotal = 0.0;
    let pair: usize = 0;
    for (let i = start; i < end; i += 2) {
      const two = i + 1 < end;
      const wi = w ? load<f64>(w + (<usize>i << 3)) : 1.0;
      const wj = two ? (w ? load<f64>(w + (<usize>i << 3), 8) : 1.0) : 0.0;
      const W = f64x2(wi, wj);
      const valid = f64x2.ne(W, ZERO);
      let scale = ZERO;
      // Zero-weight rows count for nothing, as in the reference.
      if (v128.any_true(valid)) {
        const M = v128.load(sumBlockPtr + (pair << 1));
        const S = v128.load(sumBlockPtr + (pair << 1), 16);
        scale = f64x2.div(W, S);
        const LSE = logSumExp(M, S);
        if (wi != 0) {
          const lse = f64x2.extract_lane(LSE, 0);
          blockTotal += wi * lse;
          if (lse < worst) {
            worst = lse;
            worstRow = i;
          }
        }
        if (wj != 0) {
          const lse = f64x2.extract_lane(LSE, 1);
          blockTotal += wj * lse;
          if (lse < worst) {
            worst = lse;
            worstRow = i + 1;
          }
        }
      }
      v128.store(scaleBlockPtr + pair, scale);
      v128.store(validBlockPtr + pair, valid);
      pair += 16;
    }
    accumulate(x, start, end);
    total += blockTotal;
    addInto(stats, blockPtr, statsFloats);
  }
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
  addInto(dst + h, src + h, statsFloats);
}

/**
 * Rows [rowStart, rowEnd): log p(x) into `logDensity`, the first most probable
 * component into `labels` (i32), responsibilities into `resp` (rows×k); each
 * pointer may be 0 to skip that output, and row i goes to index i − rowStart.
 */
export function evaluate(x: usize, rowStart: i32, rowEnd: i32, logDensity: usize, labels: usize, resp: usize): void {
  const k = K;
  const pairStride = <usize>k << 4;
  for (let start = rowStart; start < rowEnd; start += BLOCK_ROWS) {
    const end = min(start + BLOCK_ROWS, rowEnd);
    densities(x, start, end);
    let lv = lvBlockPtr;
    for (let i = start; i < end; i += 2) {
      const two = i + 1 < end;
      const o = <usize>(i - rowStart);
      if (labels) {
        let best0 = 0, best1 = 0;
        let top0 = f64x2.extract_lane(v128.load(lv), 0);
        let top1 = f64x2.extract_lane(v128.load(lv), 1);
        for (let m = 1; m < k; m++) {
          const L = v128.load(lv + (<usize>m << 4));
          const l0 = f64x2.extract_lane(L, 0);
          const l1 = f64x2.extract_lane(L, 1);
          if (l0 > top0) {
            top0 = l0;
            best0 = m;
          }
          if (l1 > top1) {
            top1 = l1;
            best1 = m;
          }
        }
        store<i32>(labels + (o << 2), best0);
        if (two) store<i32>(labels + (o << 2), best1, 4);
      }
      const M = maxOf(lv);
      const S = exponentials(lv, M);
      if (logDensity) {
        const LSE = logSumExp(M, S);
        store<f64>(logDensity + (o << 3), f64x2.extract_lane(LSE, 0));
        if (two) store<f64>(logDensity + (o << 3), f64x2.extract_lane(LSE, 1), 8);
      }
      if (resp) {
        const pi = resp + o * (<usize>k << 3);
        const pj = pi + (<usize>k << 3);
        for (let m = 0; m < k; m++) {
          const q = f64x2.div(v128.load(lv + (<usize>m << 4)), S);
          store<f64>(pi + (<usize>m << 3), f64x2.extract_lane(q, 0));
          if (two) store<f64>(pj + (<usize>m << 3), f64x2.extract_lane(q, 1));
        }
      }
      lv += pairStride;
    }
  }
}
