/**
 * The per-chunk work of greedy k-means++ seeding (src/seeding.ts
 * `SeedChunks`, driven by src/kernels/seed-wasm.ts): over one chunk of at
 * most CHUNK_ROWS rows, each row's squared distance to its nearest centre so
 * far (`closest`) and its score w·closest, the chunk's sum of scores, the
 * candidates' potentials, and the row a draw picks. The draws and the choice
 * of centres run in TypeScript, which adds the chunks' sums in chunk order, so
 * any way of holding the chunks gives the same bits.
 *
 * Compiled into the k-means module (assembly/kmeans.ts) and the E-step module
 * (assembly/estep.ts). Same doubles as src/seeding.ts `tsSeedChunks`; no
 * fused multiply-add (assembly/distances.ts).
 *
 * State: `seedConfigure` sizes the work areas for d features and up to
 * `trials` candidates and returns where the caller writes the points (a new
 * centre, or the candidates, row-major); `seedPoints` transposes the
 * candidates for `seedTrials`.
 *
 * Symbols: n rows of the chunk, d features; i a row, j a feature, t a candidate.
 */
import { allocate, release } from './blocks';
import { at, distancesAll, even, get, rowDistances, set, transpose, zeros } from './distances';

/** Rows per chunk (src/kernels/kernel.ts CHUNK_ROWS): the most rows one call takes. */
const CHUNK_ROWS: i32 = 4096;

let D: i32 = 0;
/** Points written by the caller (trials×d); 0 when not configured. */
let pointsPtr: usize = 0;
let transposedPtr: usize = 0;
let distPtr: usize = 0;
let workPtr: usize = 0;

/** Sizes the work areas (freeing earlier ones); returns the byte offset of the points (trials×d). */
export function seedConfigure(d: i32, trials: i32): usize {
  seedRelease();
  D = d;
  const tp = even(trials);
  pointsPtr = zeros(trials * d);
  transposedPtr = zeros(d * tp);
  distPtr = zeros(tp);
  workPtr = zeros(CHUNK_ROWS);
  return pointsPtr;
}

/** Frees the work areas of `seedConfigure`. */
export function seedRelease(): void {
  if (pointsPtr == 0) return;
  release(workPtr);
  release(distPtr);
  release(transposedPtr);
  release(pointsPtr);
  pointsPtr = 0;
}

/** Takes the first `count` points the caller wrote as the candidates of `seedTrials`. */
export function seedPoints(count: i32): void {
  transpose(pointsPtr, 0, count, D, transposedPtr, even(count));
}

/** score[i] = w[i]·closest[i] (closest zeroed first when `clear`); returns their sum in row order. */
export function seedRescore(w: usize, n: i32, closest: usize, score: usize, clear: i32): f64 {
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

/**
 * The first centre (the first point): closest[i] = its squared distance to
 * row i, score[i] = w[i]·closest[i] (w = 0: unweighted); returns the chunk's
 * sum of the scores in row order.
 */
export function seedStart(x: usize, w: usize, n: i32, closest: usize, score: usize): f64 {
  rowDistances(x, D, 0, n, pointsPtr, 0, closest);
  return seedRescore(w, n, closest, score, 0);
}

/**
 * A new centre (the first point) joins: closest[i] = min(closest[i], D²(i, centre)),
 * score[i] = w[i]·closest[i]; returns the chunk's sum of the scores in row order.
 */
export function seedUpdate(x: usize, w: usize, n: i32, closest: usize, score: usize): f64 {
  rowDistances(x, D, 0, n, pointsPtr, 0, workPtr);
  let potential: f64 = 0;
  for (let i = 0; i < n; i++) {
    const ci = min<f64>(get(closest, i), get(workPtr, i));
    set(closest, i, ci);
    const s = w == 0 ? ci : get(w, i) * ci;
    set(score, i, s);
    potential += s;
  }
  return potential;
}

/**
 * The candidates of `seedPoints`: out[t] = Σ_i w_i·min(closest[i], D²(i, candidate t)),
 * the chunk's rows in row order.
 */
export function seedTrials(x: usize, w: usize, n: i32, closest: usize, trials: i32, out: usize): void {
  const d = D;
  const tp = even(trials);
  for (let q = 0; q < trials; q++) set(out, q, 0);
  for (let i = 0; i < n; i++) {
    distancesAll(at(x, i * d), transposedPtr, tp, d, distPtr);
    const ci = get(closest, i);
    const wi: f64 = w == 0 ? 1 : get(w, i);
    for (let q = 0; q < trials; q++) set(out, q, get(out, q) + wi * min<f64>(ci, get(distPtr, q)));
  }
}

/**
 * The row of the chunk that a draw picks: the first whose cumulative score,
 * `prefix` (the earlier chunks' total) plus the chunk's running sum, exceeds
 * `target`; −1 if none does.
 */
export function seedPick(score: usize, n: i32, target: f64, prefix: f64): i32 {
  let running: f64 = 0;
  for (let i = 0; i < n; i++) {
    running += get(score, i);
    if (target < prefix + running) return i;
  }
  return -1;
}

/** The chunk's last row with a positive score, or −1. */
export function seedLastPositive(score: usize, n: i32): i32 {
  for (let i = n - 1; i >= 0; i--) if (get(score, i) > 0) return i;
  return -1;
}
