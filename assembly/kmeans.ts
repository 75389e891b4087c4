/**
 * k-means in WebAssembly SIMD: the hot loops of src/kmeans.ts's greedy
 * k-means++ seeding, and the per-chunk work of Lloyd's algorithm with
 * Hamerly's bounds (assembly/lloyd-chunks.ts, shared with the E-step module),
 * giving the same doubles, bit for bit, as the TypeScript there.
 *
 * Bit-for-bit contract: see assembly/distances.ts (every squared distance the
 * plain sum, no fused multiply-add; this module is built without relaxed
 * SIMD). Sums over rows (the seeding's potentials) take the rows in row
 * order; Lloyd's sums are per chunk (src/lloyd.ts).
 *
 * Memory: the caller (src/kernels/kmeans-wasm.ts) copies the data in with
 * `alloc` and frees what it allocated before returning (AssemblyScript's
 * minimal runtime, TLSF allocator; memory grows as needed).
 *
 * Symbols: n rows, d features, k clusters; i a row, j a feature, c a
 * cluster. Pointers are byte offsets; f64 arrays are row-major.
 */
import { at, distancesAll, even, get, geti, rowDistances, set, transpose } from './distances';

export { lloydAssign, lloydCentres, lloydConfigure, lloydDistances, lloydInertia, lloydRelease } from './lloyd-chunks';

/** A 16-aligned block of `bytes` bytes; aborts when memory cannot grow enough. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Frees a block from `alloc`. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

// ---------------------------------------------------------------- k-means++

/**
 * Start of the seeding, the first centre being row `first`: closest[i] = its
 * squared distance to row i, score[i] = w[i]·closest[i] (w = 0: unweighted);
 * returns the sum of the scores in row order.
 */
export function ppStart(x: usize, w: usize, n: i32, d: i32, first: i32, closest: usize, score: usize): f64 {
  rowDistances(x, d, 0, n, at(x, first * d), 0, closest);
  return ppRescore(w, n, closest, score, 0);
}

/**
 * The row that `Random.categorical(score, total)` picks for the uniform
 * target (already scaled by the total): the first whose running sum exceeds
 * it, else the last with a positive score, else the last row.
 */
export function ppPick(score: usize, n: i32, target: f64): i32 {
  let cumulative: f64 = 0;
  for (let i = 0; i < n; i++) {
    cumulative += get(score, i);
    if (target < cumulative) return i;
  }
  for (let i = n - 1; i >= 0; i--) if (get(score, i) > 0) return i;
  return n - 1;
}

/**
 * Scores the candidate rows rows[0..trials): potentials[t] = Σ_i w_i·min(closest[i], D²(i, rows[t])),
 * summed in row order. `work` holds d·even(trials) + even(trials) values.
 */
export function ppTrials(x: usize, w: usize, n: i32, d: i32, rows: usize, trials: i32, closest: usize, potentials: usize, work: usize): void {
  const tp = even(trials);
  const t = work;
  const dist = at(work, d * tp);
  transpose(x, rows, trials, d, t, tp);
  for (let q = 0; q < trials; q++) set(potentials, q, 0);
  for (let i = 0; i < n; i++) {
    distancesAll(at(x, i * d), t, tp, d, dist);
    const ci = get(closest, i);
    const wi: f64 = w == 0 ? 1 : get(w, i);
    for (let q = 0; q < trials; q++) set(potentials, q, get(potentials, q) + wi * min<f64>(ci, get(dist, q)));
  }
}

/**
 * Row `row` joins the centres: closest[i] = min(closest[i], D²(i, row)),
 * score[i] = w[i]·closest[i]; returns the sum of the scores in row order.
 * `work` holds n values.
 */
export function ppUpdate(x: usize, w: usize, n: i32, d: i32, row: i32, closest: usize, score: usize, work: usize): f64 {
  rowDistances(x, d, 0, n, at(x, row * d), 0, work);
  let potential: f64 = 0;
  for (let i = 0; i < n; i++) {
    const ci = min<f64>(get(closest, i), get(work, i));
    set(closest, i, ci);
    const s = w == 0 ? ci : get(w, i) * ci;
    set(score, i, s);
    potential += s;
  }
  return potential;
}

/** score[i] = w[i]·closest[i] (closest zeroed first when `clear`); returns their sum in row order. */
export function ppRescore(w: usize, n: i32, closest: usize, score: usize, clear: i32): f64 {
  if (clear != 0) memory.fill(closest, 0, <usize>n << 3);
  let potential: f64 = 0;
  for (let i = 0; i < n; i++) {
    const ci = get(closest, i);
    const s = w == 0 ? ci : get(w, i) * ci;
    set(score, i, s);
    potential += s;
  }
  return potential;
}
