/**
 * Lloyd's algorithm (with Hamerly's bounds) over rows held in chunks of
 * {@link CHUNK_ROWS}, wherever the rows live: in this thread's arrays, in a
 * WebAssembly module's memory, or spread over worker threads.
 *
 * The work splits in two:
 * - {@link runLloyd} drives the iterations on the calling thread: the centre
 *   update, the empty-cluster relocation, the shift and the stopping test,
 *   and the per-centre quantities of the bounds (movement, half the distance
 *   to the nearest other centre, the rounding margin). All k×d work.
 * - A {@link LloydChunks} runs the per-row work, one chunk at a time: the
 *   assignment pass (the first one exact, then Hamerly's bound tests), each
 *   chunk's cluster sums and counts from zero, each row's distance to its
 *   centre, each chunk's inertia. The per-row state (label and bounds) stays
 *   with the rows.
 *
 * Canonical order (what makes every holder give the same bits): each chunk's
 * sums, counts and inertia are accumulated from zero in row order; the chunk
 * totals are then added in chunk order. Threads only change which chunk is
 * computed where, never a sum.
 *
 * Bit-for-bit contract: every squared distance is summed exactly as
 *   sum = 0; for j in 0..d-1: delta = a[j] - b[j]; sum += delta * delta
 * (the j order and the operand order fixed), with no fused multiply-add, so
 * the fast paths give the same doubles as the plain loops they replace. Speed
 * comes from evaluating several such sums side by side and from skipping work
 * the triangle inequality proves cannot change a label — never from
 * reordering a sum.
 *
 * References: Lloyd (1982) IEEE Trans. Inf. Theory 28(2):129–137; Hamerly
 * (2010) "Making k-means even faster", SDM.
 *
 * Symbols: n rows, d features, k clusters, i a row, j a feature, c a cluster.
 */
import { columnMoments } from './moments.js';
import { CHUNK_ROWS } from './kernels/kernel.js';
import type { Matrix } from './types.js';

/**
 * What Lloyd's iterations give besides the centres: each row's label and the
 * inertia (`'clusters'`, k-means' own result), the clusters' scatter about the
 * final centres for a mixture's start (`'full'` or `'diag'`,
 * {@link LloydScatter}), or nothing more (`'centres'`, a start's seeds).
 */
export type LloydOutputs = 'clusters' | 'full' | 'diag' | 'centres';

/** What Lloyd's algorithm gives. */
export interface LloydResult {
  centers: Float64Array;
  /** Each row's cluster (outputs `'clusters'`). */
  labels?: Int32Array;
  /** Σ w·‖x − its centre‖² (outputs `'clusters'`). */
  inertia?: number;
  iterations: number;
  converged: boolean;
  /** The clusters' scatter about the final centres (outputs `'full'` or `'diag'`). */
  scatter?: LloydScatter;
}

/**
 * Each cluster's weighted scatter about its final centre c, for the M-step
 * that starts a mixture from the labels: counts Σw (k), first moments
 * Σ w·(x − c) (k×d) and second moments Σ (w·(x − c)_a)·(x − c)_b, the full
 * k×d×d matrices (mirrored from the lower triangles) or their diagonals (k×d).
 * Each chunk's sums run from zero in row order and the chunks are added in
 * chunk order, like every other sum here.
 */
export interface LloydScatter {
  readonly full: boolean;
  readonly counts: Float64Array;
  readonly first: Float64Array;
  readonly second: Float64Array;
}

/**
 * f64 values of one chunk's slot in a scatter pass: counts (k), first moments
 * (k×d), then per cluster the lower triangle row by row (d(d+1)/2, full) or
 * the diagonal (d).
 */
export function scatterSlot(k: number, d: number, full: boolean): number {
  return k + k * d + k * (full ? (d * (d + 1)) / 2 : d);
}

/** Plain Lloyd (no bounds) in the WebAssembly chunks up to this k·d; see {@link plainLloyd}. */
export const PLAIN_LLOYD_MAX_KD = 16;

/**
 * Whether the WebAssembly chunks (src/kernels/lloyd-wasm.ts) run plain Lloyd:
 * every row against every centre, no bounds and no per-row state. For small
 * k·d the bounds' 20 bytes of state a row weigh as much as the data or more
 * (16 bytes a row at d = 2), and the passes on all rows are few after the
 * sample's (src/init.ts `sampleCentres`), so plain passes cost no time
 * overall: the 1e6×2×3 benchmark's k-means start takes the same time and its
 * peak memory above start-up falls from 2.6–2.9 to 1.4–1.5 times the data.
 * The labels, and so every sum, are the same either way: the bounds' passes
 * are exact.
 */
export function plainLloyd(k: number, d: number): boolean {
  return k * d <= PLAIN_LLOYD_MAX_KD;
}

/** Rows to cluster: a matrix and optional per-row weights (a kernel's LoadedData is one). */
export interface LloydRows {
  readonly matrix: Matrix;
  readonly weights: Float64Array | null;
}

/**
 * f64 values of one chunk's slot in a pass's output: [inertia, counts (k), sums (k×d)].
 * The sums are weighted (w·x); the counts are total weights.
 */
export function lloydSlot(k: number, d: number): number {
  return 1 + k + k * d;
}

/**
 * The per-centre inputs of an assignment pass. `first`: every row against
 * every centre (no bounds yet). Otherwise Hamerly's tests, with the centres'
 * movements since the last pass, half the distance from each centre to its
 * nearest other, the centre that moved most, the largest and second largest
 * movements, and the rounding margin ({@link slack}).
 */
export interface LloydPass {
  readonly first: boolean;
  /** Whether each chunk's sums and counts are wanted (not after the last update). */
  readonly accumulate: boolean;
  readonly centers: Float64Array;
  readonly movement: Float64Array;
  readonly half: Float64Array;
  readonly fastest: number;
  readonly firstMove: number;
  readonly secondMove: number;
  readonly margin: number;
}

/**
 * The per-row work of Lloyd's algorithm over rows held in `chunks` chunks of
 * {@link CHUNK_ROWS} rows (the last one possibly shorter), numbered in row
 * order. Made for one k and d; holds each row's label and bounds between passes.
 */
export interface LloydChunks {
  readonly chunks: number;
  /**
   * One assignment pass; with `pass.accumulate`, chunk c's counts and sums
   * (from zero, in row order) go to its slot of `out` (offset c·{@link lloydSlot}).
   */
  assign(pass: LloydPass, out: Float64Array): void;
  /** Each row's squared distance to its labelled centre, into out[0..n). */
  distances(centers: Float64Array, out: Float64Array): void;
  /** Each chunk's Σ w·(squared distance to its labelled centre), in row order, into slot[0] of its slot of `out`. */
  inertia(centers: Float64Array, out: Float64Array): void;
  /** The labels, into out[0..n). */
  labels(out: Int32Array): void;
  /**
   * Each chunk's scatter about `centers` for the labels (the full second
   * moments' lower triangles, or the diagonals), from zero in row order, into
   * its slot of `out` (offset c·{@link scatterSlot}); see {@link LloydScatter}.
   */
  scatter(centers: Float64Array, full: boolean, out: Float64Array): void;
  /** Frees what the chunks hold (their state); the object is not used after. */
  release(): void;
}

/**
 * A kernel that runs the per-chunk work on rows it loaded itself (the
 * WebAssembly kernel, in one thread or in each worker of the pool): `parts`
 * are data it loaded, each cut into chunks as {@link tsLloydChunks} does.
 */
export interface LloydChunksSource {
  lloydChunks(parts: readonly LloydRows[], k: number, d: number): LloydChunks;
}

/**
 * Lloyd iterations from the given centres (modified in place) over rows held
 * by `chunks`; `rows` (the same rows, on this thread) serves the tolerance's
 * scale, the bounding box and the relocated rows. An empty cluster moves to
 * the worst-fitted row. The result does not depend on who holds the chunks.
 * `outputs` says what it gives besides the centres ({@link LloydOutputs}):
 * the passes for what is not asked for are not made.
 */
export function runLloyd(
  chunks: LloydChunks,
  rows: LloydRows,
  centers: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
  outputs: LloydOutputs = 'clusters',
): LloydResult {
  const { matrix, weights } = rows;
  const { rows: n, cols: d, data: x } = matrix;
  const slot = lloydSlot(k, d);
  const out = new Float64Array(chunks.chunks * slot);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  /** The totals: chunk slots added in chunk order. */
  const reduce = (): void => {
    sums.fill(0);
    counts.fill(0);
    for (let c = 0; c < chunks.chunks; c++) {
      const o = c * slot;
      for (let m = 0; m < k; m++) counts[m] += out[o + 1 + m];
      for (let q = 0; q < k * d; q++) sums[q] += out[o + 1 + k + q];
    }
  };
  // A box holding every row and every centre so far: its diameter bounds all
  // the distances involved, which scales the rounding slack of the bounds.
  // The rows widen it in the same pass as the tolerance's column means.
  const low = new Float64Array(d).fill(Infinity);
  const high = new Float64Array(d).fill(-Infinity);
  const threshold = tolerance * meanVariance(matrix, weights, { low, high });
  extendBox(low, high, centers, k, d);
  const previous = new Float64Array(k * d);
  const movement = new Float64Array(k);
  const half = new Float64Array(k);
  // Exact squared distances to the own centre: only for the empty-cluster path.
  let distances: Float64Array | null = null;

  const start: LloydPass = { first: true, accumulate: maxIterations > 0, centers, movement, half, fastest: 0, firstMove: 0, secondMove: 0, margin: 0 };
  chunks.assign(start, out);
  if (start.accumulate) reduce();

  let converged = false;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    let empty = false;
    for (let c = 0; c < k; c++) if (!(counts[c] > 0)) empty = true;
    if (empty) {
      // Rare: the relocation needs every row's exact distance to its centre (before the update).
      distances ??= new Float64Array(n);
      chunks.distances(centers, distances);
    }
    previous.set(centers);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let j = 0; j < d; j++) {
          const next = sums[c * d + j] / counts[c];
          const delta = next - centers[c * d + j];
          shift += delta * delta;
          centers[c * d + j] = next;
        }
      } else {
        // Relocate an empty cluster to the row farthest from its centre (the first such row).
        const far = distances as Float64Array;
        let worst = 0;
        for (let i = 1; i < n; i++) if (far[i] > far[worst]) worst = i;
        for (let j = 0; j < d; j++) {
          const delta = x[worst * d + j] - centers[c * d + j];
          shift += delta * delta;
          centers[c * d + j] = x[worst * d + j];
        }
        far[worst] = 0;
      }
    }
    extendBox(low, high, centers, k, d);
    // The sums are rebuilt from scratch during the assignment (updating them
    // incrementally would round differently), unless no update follows it.
    const last = shift <= threshold || iterations === maxIterations;
    chunks.assign(boundsPass(centers, previous, movement, half, k, d, slack(low, high, d, iterations), !last), out);
    if (!last) reduce();
    if (shift <= threshold) {
      converged = true;
      break;
    }
  }
  const result: LloydResult = { centers, iterations, converged };
  if (outputs === 'clusters') {
    // The inertia: the labels are plain Lloyd's, so each row's nearest squared
    // distance is the one to its labelled centre.
    chunks.inertia(centers, out);
    let inertia = 0;
    for (let c = 0; c < chunks.chunks; c++) inertia += out[c * slot];
    result.inertia = inertia;
    result.labels = new Int32Array(n);
    chunks.labels(result.labels);
  } else if (outputs !== 'centres') {
    result.scatter = reduceScatter(chunks, centers, k, d, outputs === 'full');
  }
  return result;
}

/** The chunks' scatter about `centers`, added in chunk order, the full matrices mirrored. */
function reduceScatter(chunks: LloydChunks, centers: Float64Array, k: number, d: number, full: boolean): LloydScatter {
  const size = scatterSlot(k, d, full);
  const out = new Float64Array(chunks.chunks * size);
  chunks.scatter(centers, full, out);
  const counts = new Float64Array(k);
  const first = new Float64Array(k * d);
  const packed = new Float64Array(size - k - k * d);
  for (let c = 0; c < chunks.chunks; c++) {
    const o = c * size;
    for (let m = 0; m < k; m++) counts[m] += out[o + m];
    for (let q = 0; q < k * d; q++) first[q] += out[o + k + q];
    for (let q = 0; q < packed.length; q++) packed[q] += out[o + k + k * d + q];
  }
  if (!full) return { full, counts, first, second: packed };
  const second = new Float64Array(k * d * d);
  const triangle = (d * (d + 1)) / 2;
  for (let m = 0; m < k; m++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        const v = packed[m * triangle + (a * (a + 1)) / 2 + b];
        second[m * d * d + a * d + b] = v;
        second[m * d * d + b * d + a] = v;
      }
    }
  }
  return { full, counts, first, second };
}

/**
 * The per-centre inputs of a bounds pass after the centres moved from
 * `previous` to `centers` (fills `movement` and `half`).
 */
function boundsPass(
  centers: Float64Array,
  previous: Float64Array,
  movement: Float64Array,
  half: Float64Array,
  k: number,
  d: number,
  margin: number,
  accumulate: boolean,
): LloydPass {
  for (let c = 0; c < k; c++) movement[c] = Math.sqrt(distance2(centers, c * d, previous, c * d, d));
  // A row closer to its centre than half[c] has no nearer centre.
  half.fill(Infinity);
  for (let c = 0; c < k; c++) {
    for (let b = c + 1; b < k; b++) {
      const h = 0.5 * Math.sqrt(distance2(centers, c * d, centers, b * d, d));
      if (h < half[c]) half[c] = h;
      if (h < half[b]) half[b] = h;
    }
  }
  // Every other centre came at most the largest movement closer (the second
  // largest, for rows of the centre that moved most).
  let fastest = 0;
  for (let c = 1; c < k; c++) if (movement[c] > movement[fastest]) fastest = c;
  let secondMove = 0;
  for (let c = 0; c < k; c++) if (c !== fastest && movement[c] > secondMove) secondMove = movement[c];
  return { first: false, accumulate, centers, movement, half, fastest, firstMove: movement[fastest], secondMove, margin };
}

/** Squared Euclidean distance between a[ao..ao+d) and b[bo..bo+d). */
export function distance2(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const delta = a[ao + j] - b[bo + j];
    sum += delta * delta;
  }
  return sum;
}

/**
 * Squared distances from the point x[xo..xo+d) to the m rows `which[0..m)` of
 * `points` (row-major, d columns), into out[0..m). Four rows (then two, then
 * one) share each pass over the coordinates; every sum is distance2's.
 */
export function distancesTo(
  x: Float64Array,
  xo: number,
  points: Float64Array,
  which: Int32Array,
  m: number,
  d: number,
  out: Float64Array,
): void {
  let c = 0;
  for (; c + 4 <= m; c += 4) {
    const o0 = which[c] * d;
    const o1 = which[c + 1] * d;
    const o2 = which[c + 2] * d;
    const o3 = which[c + 3] * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < d; j++) {
      const v = x[xo + j];
      const e0 = v - points[o0 + j];
      const e1 = v - points[o1 + j];
      const e2 = v - points[o2 + j];
      const e3 = v - points[o3 + j];
      s0 += e0 * e0;
      s1 += e1 * e1;
      s2 += e2 * e2;
      s3 += e3 * e3;
    }
    out[c] = s0;
    out[c + 1] = s1;
    out[c + 2] = s2;
    out[c + 3] = s3;
  }
  if (c + 2 <= m) {
    const o0 = which[c] * d;
    const o1 = which[c + 1] * d;
    let s0 = 0;
    let s1 = 0;
    for (let j = 0; j < d; j++) {
      const v = x[xo + j];
      const e0 = v - points[o0 + j];
      const e1 = v - points[o1 + j];
      s0 += e0 * e0;
      s1 += e1 * e1;
    }
    out[c] = s0;
    out[c + 1] = s1;
    c += 2;
  }
  if (c < m) out[c] = distance2(x, xo, points, which[c] * d, d);
}

/** 0, 1, …, k−1: every centre, for {@link distancesTo}. */
export function allCentres(k: number): Int32Array {
  const which = new Int32Array(k);
  for (let c = 0; c < k; c++) which[c] = c;
  return which;
}

/**
 * Index of the nearest centre given the squared distances dist[0..k): the
 * lowest index among ties. Writes the nearest and second-nearest squared
 * distances to two[0] and two[1] (Infinity when k = 1).
 */
export function nearestTwo(dist: Float64Array, k: number, two: Float64Array): number {
  let best = 0;
  let bestDistance = dist[0];
  let second = Infinity;
  for (let c = 1; c < k; c++) {
    const v = dist[c];
    if (v < bestDistance) {
      second = bestDistance;
      bestDistance = v;
      best = c;
    } else if (v < second) {
      second = v;
    }
  }
  two[0] = bestDistance;
  two[1] = second;
  return best;
}

/** Widens the box [low, high] to hold the m points (m×d row-major). */
function extendBox(low: Float64Array, high: Float64Array, points: Float64Array, m: number, d: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < d; j++) {
      const v = points[i * d + j];
      if (v < low[j]) low[j] = v;
      if (v > high[j]) high[j] = v;
    }
  }
}

/**
 * Rounding slack for the bound tests at iteration t. The bounds are true
 * distances give or take rounding: each is a computed distance plus or minus
 * at most t computed movements. Every computed distance is off by less than
 * (d+4)ε relative to the box diameter B, plus √((d+2)·2⁻¹⁰⁷⁴) where squares
 * underflow; every partial sum of a bound is below (t+1)·B. The total error
 * of a comparison stays below 2ε·B·(t+2)·(t+d+8) + 2(t+2)·√((d+2)·2⁻¹⁰⁷⁴);
 * the slack is twice that. A row keeps its label only when its own centre
 * wins by more, so plain Lloyd's rounded distances pick it too; ties (B = 0
 * included) and overflow (B = Infinity) always go to the full computation.
 */
function slack(low: Float64Array, high: Float64Array, d: number, t: number): number {
  let diameter = 0;
  for (let j = 0; j < d; j++) diameter += (high[j] - low[j]) * (high[j] - low[j]);
  return 4 * (t + 2) * (Number.EPSILON * Math.sqrt(diameter) * (t + d + 8) + Math.sqrt((d + 2) * Number.MIN_VALUE));
}

/**
 * Mean over features of the (weighted) variance: scikit-learn's scale for the
 * k-means tolerance. With `box`, widens it to hold every row ({@link columnMoments}).
 */
export function meanVariance(matrix: Matrix, weights: Float64Array | null, box: { readonly low: Float64Array; readonly high: Float64Array } | null = null): number {
  const d = matrix.cols;
  const { total, squares } = columnMoments(matrix, weights, true, box);
  let sum = 0;
  for (let j = 0; j < d; j++) sum += squares[j] / total;
  return d > 0 && total > 0 ? sum / d : 0;
}

/** One part's rows and per-row state, for {@link tsLloydChunks}. */
interface TsPart {
  readonly x: Float64Array;
  readonly weights: Float64Array | null;
  readonly n: number;
  readonly labels: Int32Array;
  /** upper[i] ≥ distance from row i to its own centre (Hamerly's bounds are on distances, not squared). */
  readonly upper: Float64Array;
  /** lower[i] ≤ distance from row i to every other centre. */
  readonly lower: Float64Array;
}

/**
 * The per-row work in TypeScript, over rows in this thread's arrays: the
 * reference for every other {@link LloydChunks}, and the fallback. The parts
 * (one matrix, or several, as a worker holds them) are cut into chunks of
 * {@link CHUNK_ROWS} each, numbered part after part.
 */
export function tsLloydChunks(parts: readonly LloydRows[], k: number, d: number): LloydChunks {
  const held: TsPart[] = parts.map(({ matrix, weights }) => ({
    x: matrix.data,
    weights,
    n: matrix.rows,
    labels: new Int32Array(matrix.rows),
    upper: new Float64Array(matrix.rows),
    lower: new Float64Array(matrix.rows),
  }));
  const chunks = held.reduce((sum, p) => sum + Math.ceil(p.n / CHUNK_ROWS), 0);
  const slot = lloydSlot(k, d);
  const every = allCentres(k);
  const dist = new Float64Array(k);
  const two = new Float64Array(2);

  /** Rows [start, end) of part p against every centre: labels and exact bounds (as assignNearest). */
  const assignFully = (p: TsPart, i: number, centers: Float64Array): void => {
    distancesTo(p.x, i * d, centers, every, k, d, dist);
    p.labels[i] = nearestTwo(dist, k, two);
    p.upper[i] = Math.sqrt(two[0]);
    p.lower[i] = Math.sqrt(two[1]);
  };

  /**
   * Hamerly's test for row i: the bounds move with the centres (triangle
   * inequality); the row keeps its label when upper < max(lower, half[label]),
   * first as is, then with the upper bound made exact; otherwise all k
   * distances are computed and the label is chosen exactly as assignNearest does.
   */
  const update = (p: TsPart, i: number, s: LloydPass): void => {
    const { centers, movement, half, fastest, firstMove, secondMove, margin } = s;
    const a = p.labels[i];
    let u = p.upper[i] + movement[a];
    const l = p.lower[i] - (a === fastest ? secondMove : firstMove);
    const z = l > half[a] ? l : half[a];
    if (!(u + margin < z)) {
      // Tighten the upper bound to the exact distance and test again.
      u = Math.sqrt(distance2(p.x, i * d, centers, a * d, d));
      if (!(u + margin < z)) {
        assignFully(p, i, centers);
        return;
      }
    }
    p.upper[i] = u;
    p.lower[i] = l;
  };

  /** Row i joins its cluster's sums and total weight in the slot at `o` (four coordinates per step; each sum in row order). */
  const addRow = (p: TsPart, i: number, out: Float64Array, o: number): void => {
    const { x, weights } = p;
    const c = p.labels[i];
    const so = o + 1 + k + c * d;
    const xo = i * d;
    const w = weights === null ? 1 : weights[i];
    out[o + 1 + c] += w;
    // w·x equals x bit for bit when w = 1, so unweighted rows add x itself.
    let j = 0;
    if (weights === null) {
      for (; j + 4 <= d; j += 4) {
        const a0 = out[so + j] + x[xo + j];
        const a1 = out[so + j + 1] + x[xo + j + 1];
        const a2 = out[so + j + 2] + x[xo + j + 2];
        const a3 = out[so + j + 3] + x[xo + j + 3];
        out[so + j] = a0;
        out[so + j + 1] = a1;
        out[so + j + 2] = a2;
        out[so + j + 3] = a3;
      }
      for (; j < d; j++) out[so + j] += x[xo + j];
    } else {
      for (; j + 4 <= d; j += 4) {
        const a0 = out[so + j] + w * x[xo + j];
        const a1 = out[so + j + 1] + w * x[xo + j + 1];
        const a2 = out[so + j + 2] + w * x[xo + j + 2];
        const a3 = out[so + j + 3] + w * x[xo + j + 3];
        out[so + j] = a0;
        out[so + j + 1] = a1;
        out[so + j + 2] = a2;
        out[so + j + 3] = a3;
      }
      for (; j < d; j++) out[so + j] += w * x[xo + j];
    }
  };

  /** Calls body(part, chunk number, first row, end row) for every chunk, in order. */
  const eachChunk = (body: (p: TsPart, c: number, start: number, end: number) => void): void => {
    let c = 0;
    for (const p of held) for (let start = 0; start < p.n; start += CHUNK_ROWS) body(p, c++, start, Math.min(p.n, start + CHUNK_ROWS));
  };

  return {
    chunks,
    assign(pass: LloydPass, out: Float64Array): void {
      eachChunk((p, c, start, end) => {
        const o = c * slot;
        if (pass.accumulate) out.fill(0, o + 1, o + slot);
        for (let i = start; i < end; i++) {
          if (pass.first) assignFully(p, i, pass.centers);
          else update(p, i, pass);
          if (pass.accumulate) addRow(p, i, out, o);
        }
      });
    },
    distances(centers: Float64Array, out: Float64Array): void {
      let r = 0;
      for (const p of held) for (let i = 0; i < p.n; i++) out[r++] = distance2(p.x, i * d, centers, p.labels[i] * d, d);
    },
    inertia(centers: Float64Array, out: Float64Array): void {
      eachChunk((p, c, start, end) => {
        let inertia = 0;
        for (let i = start; i < end; i++) inertia += (p.weights === null ? 1 : p.weights[i]) * distance2(p.x, i * d, centers, p.labels[i] * d, d);
        out[c * slot] = inertia;
      });
    },
    labels(out: Int32Array): void {
      let r = 0;
      for (const p of held) {
        out.set(p.labels, r);
        r += p.n;
      }
    },
    scatter(centers: Float64Array, full: boolean, out: Float64Array): void {
      const size = scatterSlot(k, d, full);
      const triangle = full ? (d * (d + 1)) / 2 : d;
      const diff = new Float64Array(d);
      eachChunk((p, c, start, end) => {
        const o = c * size;
        out.fill(0, o, o + size);
        for (let i = start; i < end; i++) {
          const m = p.labels[i];
          const w = p.weights === null ? 1 : p.weights[i];
          const f = o + k + m * d;
          const s = o + k + k * d + m * triangle;
          out[o + m] += w;
          for (let a = 0; a < d; a++) diff[a] = p.x[i * d + a] - centers[m * d + a];
          for (let a = 0; a < d; a++) out[f + a] += w * diff[a];
          if (full) {
            for (let a = 0; a < d; a++) {
              const wa = w * diff[a];
              const r = s + (a * (a + 1)) / 2;
              for (let b = 0; b <= a; b++) out[r + b] += wa * diff[b];
            }
          } else {
            for (let a = 0; a < d; a++) out[s + a] += w * diff[a] * diff[a];
          }
        }
      });
    },
    release(): void {},
  };
}
