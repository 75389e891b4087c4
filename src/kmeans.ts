/**
 * k-means: Lloyd's algorithm with greedy k-means++ seeding. The default start
 * for EM, and the hard-assignment baseline EM is compared with.
 *
 * References: Lloyd (1982) IEEE Trans. Inf. Theory 28(2):129–137;
 * Arthur & Vassilvitskii (2007) "k-means++: the advantages of careful seeding", SODA;
 * Hamerly (2010) "Making k-means even faster", SDM (the bounds that let Lloyd
 * skip most distances while giving exactly the plain algorithm's results).
 *
 * Symbols: n rows, d features, k clusters, i a row, j a feature, c a cluster.
 */
import { MixemError, show } from './errors.js';
import { kmeansPlusPlusWasm, lloydWasm, lowestTrial } from './kernels/kmeans-wasm.js';
import { toMatrix } from './matrix.js';
import { resolveSampleWeights } from './options.js';
import { Random } from './random.js';
import type { DataInput, Matrix } from './types.js';

/** Options of {@link kmeans}. */
export interface KMeansOptions {
  /** Number of clusters (a positive integer, at most the number of rows). */
  clusters: number;
  /** Seed of the random stream (default 0). */
  seed?: number;
  /** How to pick the first centres: greedy k-means++ (default) or distinct random rows. */
  init?: 'kmeans++' | 'random';
  /** Maximum Lloyd iterations (default 300). */
  maxIterations?: number;
  /** Stop when the centres move less than this, relative to the mean feature variance (default 1e-4, as scikit-learn). */
  tolerance?: number;
  /** Per-row non-negative weights. */
  sampleWeights?: ArrayLike<number>;
}

/** Result of {@link kmeans}. */
export interface KMeansResult {
  /** k×d cluster centres. */
  readonly centers: number[][];
  /** n cluster indices. */
  readonly labels: Int32Array;
  /** Weighted sum of squared distances to the assigned centre. */
  readonly inertia: number;
  /** Lloyd iterations run. */
  readonly iterations: number;
  /** Whether the centres stopped moving before `maxIterations`. */
  readonly converged: boolean;
}

/**
 * Clusters rows by k-means.
 *
 * @param data n×d rows (`number[][]` or `{ rows, cols, data }` row-major).
 * @throws MixemError `invalid-data` or `invalid-option`.
 * @example
 * ```ts
 * const { labels, centers } = kmeans([[0, 0], [0, 1], [9, 9], [9, 8]], { clusters: 2, seed: 1 });
 * ```
 */
export function kmeans(data: DataInput, options: KMeansOptions): KMeansResult {
  const matrix = toMatrix(data);
  const { clusters, seed = 0, init = 'kmeans++', maxIterations = 300, tolerance = 1e-4 } = options ?? ({} as KMeansOptions);
  if (!Number.isInteger(clusters) || clusters < 1) {
    throw new MixemError('invalid-option', `option clusters must be a positive integer; got ${show(clusters)}`);
  }
  if (clusters > matrix.rows) {
    throw new MixemError('invalid-data', `clusters (${clusters}) is larger than the number of rows (${matrix.rows})`);
  }
  if (init !== 'kmeans++' && init !== 'random') {
    throw new MixemError('invalid-option', `option init must be "kmeans++" or "random"; got ${show(init)}`);
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new MixemError('invalid-option', `option maxIterations must be a non-negative integer; got ${show(maxIterations)}`);
  }
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new MixemError('invalid-option', `option tolerance must be a finite number ≥ 0; got ${show(tolerance)}`);
  }
  const weights = resolveSampleWeights(options.sampleWeights, matrix.rows);
  const rng = new Random(seed);
  const centers = init === 'kmeans++' ? kmeansPlusPlus(matrix, weights, clusters, rng) : randomRows(matrix, clusters, rng);
  const result = lloyd(matrix, weights, centers, clusters, maxIterations, tolerance);
  const d = matrix.cols;
  const nested: number[][] = [];
  for (let c = 0; c < clusters; c++) nested.push(Array.from(result.centers.subarray(c * d, (c + 1) * d)));
  return { ...result, centers: nested };
}

/*
 * Bit-for-bit contract. Every squared distance below is summed exactly as
 *   sum = 0; for j in 0..d-1: delta = a[j] - b[j]; sum += delta * delta
 * (the j order and the operand order fixed), so the fast paths give the same
 * doubles as the plain loops they replace. Speed comes from evaluating several
 * such sums side by side (independent chains the CPU can overlap) and from
 * skipping work the triangle inequality proves cannot change a label — never
 * from reordering a sum.
 */

/** Squared Euclidean distance between a[ao..ao+d) and b[bo..bo+d). */
function distance2(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
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
function distancesTo(
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
function allCentres(k: number): Int32Array {
  const which = new Int32Array(k);
  for (let c = 0; c < k; c++) which[c] = c;
  return which;
}

/** k distinct rows chosen uniformly at random, as centres (k×d). */
export function randomRows(matrix: Matrix, k: number, rng: Random): Float64Array {
  const { rows: n, cols: d, data: x } = matrix;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Partial Fisher–Yates: the first k positions.
  for (let c = 0; c < k; c++) {
    const j = c + rng.integer(n - c);
    const t = order[c];
    order[c] = order[j];
    order[j] = t;
  }
  const centers = new Float64Array(k * d);
  for (let c = 0; c < k; c++) centers.set(x.subarray(order[c] * d, (order[c] + 1) * d), c * d);
  return centers;
}

/**
 * Greedy k-means++ seeding: each new centre is the best of 2 + ⌊ln k⌋
 * candidates drawn with probability ∝ w·D² (scikit-learn's variant).
 *
 * Runs in WebAssembly SIMD (src/kernels/kmeans-wasm.ts) where the engine has
 * it, with {@link kmeansPlusPlusTs}'s results and random draws, bit for bit;
 * else that TypeScript.
 */
export function kmeansPlusPlus(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random): Float64Array {
  return kmeansPlusPlusWasm(matrix, weights, k, rng) ?? kmeansPlusPlusTs(matrix, weights, k, rng);
}

/** {@link kmeansPlusPlus} in TypeScript: the fallback, and the reference for the WebAssembly path. */
export function kmeansPlusPlusTs(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random): Float64Array {
  const { rows: n, cols: d, data: x } = matrix;
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = weights === null ? rng.integer(n) : rng.categorical(weights);
  centers.set(x.subarray(first * d, (first + 1) * d), 0);
  // closest[i]: squared distance from row i to its nearest centre so far; score[i] = w·closest[i].
  const closest = new Float64Array(n);
  const score = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    const dist = distance2(x, i * d, x, first * d, d);
    closest[i] = dist;
    const s = weights === null ? dist : weights[i] * dist;
    score[i] = s;
    potential += s;
  }
  const rows = new Int32Array(trials);
  const dist = new Float64Array(trials);
  const potentials = new Float64Array(trials);
  let chosenOnce = false;
  for (let c = 1; c < k; c++) {
    // The draws depend only on `score`, which the trials leave alone, so all
    // candidates are drawn first and then evaluated together in one pass.
    for (let t = 0; t < trials; t++) rows[t] = rng.categorical(score, potential);
    potentials.fill(0);
    for (let i = 0; i < n; i++) {
      distancesTo(x, i * d, x, rows, trials, d, dist);
      const ci = closest[i];
      const w = weights === null ? 1 : weights[i];
      for (let t = 0; t < trials; t++) potentials[t] += w * Math.min(ci, dist[t]);
    }
    const best = lowestTrial(potentials, trials);
    potential = 0;
    if (best >= 0) {
      chosenOnce = true;
      const row = rows[best];
      centers.set(x.subarray(row * d, (row + 1) * d), c * d);
      for (let i = 0; i < n; i++) {
        const ci = Math.min(closest[i], distance2(x, i * d, x, row * d, d));
        closest[i] = ci;
        const s = weights === null ? ci : weights[i] * ci;
        score[i] = s;
        potential += s;
      }
    } else {
      // No potential below Infinity (overflowing data: all infinite or NaN).
      // Kept as the plain loop had it: the last candidate stays as the centre
      // and `closest` keeps the last winner's distances (zeros if none yet).
      const row = rows[trials - 1];
      centers.set(x.subarray(row * d, (row + 1) * d), c * d);
      if (!chosenOnce) closest.fill(0);
      for (let i = 0; i < n; i++) {
        const s = weights === null ? closest[i] : weights[i] * closest[i];
        score[i] = s;
        potential += s;
      }
    }
  }
  return centers;
}

/**
 * Index of the nearest centre given the squared distances dist[0..k): the
 * lowest index among ties. Writes the nearest and second-nearest squared
 * distances to two[0] and two[1] (Infinity when k = 1).
 */
function nearestTwo(dist: Float64Array, k: number, two: Float64Array): number {
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

/** Index of the nearest centre to each row; returns the weighted inertia. */
export function assignNearest(
  matrix: Matrix,
  weights: Float64Array | null,
  centers: Float64Array,
  k: number,
  labels: Int32Array,
  distances: Float64Array,
): number {
  const { rows: n, cols: d, data: x } = matrix;
  const every = allCentres(k);
  const dist = new Float64Array(k);
  const two = new Float64Array(2);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    distancesTo(x, i * d, centers, every, k, d, dist);
    const best = nearestTwo(dist, k, two);
    labels[i] = best;
    distances[i] = two[0];
    inertia += (weights === null ? 1 : weights[i]) * two[0];
  }
  return inertia;
}

/** Working state of {@link lloyd}. The bounds are Hamerly's, on distances (not squared). */
interface LloydState {
  readonly x: Float64Array;
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly weights: Float64Array | null;
  readonly centers: Float64Array;
  readonly labels: Int32Array;
  /** upper[i] ≥ distance from row i to its own centre. */
  readonly upper: Float64Array;
  /** lower[i] ≤ distance from row i to every other centre. */
  readonly lower: Float64Array;
  /** half[c] = half the distance from centre c to its nearest other centre. */
  readonly half: Float64Array;
  /** movement[c] = how far centre c moved in the last update. */
  readonly movement: Float64Array;
  /** Weighted sums and total weights of the rows of each cluster, for the next update. */
  readonly sums: Float64Array;
  readonly counts: Float64Array;
  /** Scratch: the centre indices 0..k-1, k squared distances, the nearest two. */
  readonly every: Int32Array;
  readonly dist: Float64Array;
  readonly two: Float64Array;
}

/**
 * Lloyd iterations from the given centres (modified in place). An empty cluster moves to the worst-fitted row.
 *
 * Assignment uses Hamerly's bounds (Hamerly 2010, "Making k-means even
 * faster", SDM), so most rows skip most distance computations, yet labels,
 * centres, iterations and inertia are those of plain Lloyd, bit for bit.
 *
 * Runs in WebAssembly SIMD (src/kernels/kmeans-wasm.ts, assembly/kmeans.ts)
 * where the engine has it, with {@link lloydTs}'s results bit for bit
 * (weighted rows included); else that TypeScript.
 */
export function lloyd(
  matrix: Matrix,
  weights: Float64Array | null,
  centers: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
): LloydResult {
  return lloydWasm(matrix, weights, centers, k, maxIterations, tolerance) ?? lloydTs(matrix, weights, centers, k, maxIterations, tolerance);
}

/** What {@link lloyd} gives. */
export interface LloydResult {
  centers: Float64Array;
  labels: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
}

/** {@link lloyd} in TypeScript: the fallback, and the reference for the WebAssembly path. */
export function lloydTs(
  matrix: Matrix,
  weights: Float64Array | null,
  centers: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
): LloydResult {
  const { rows: n, cols: d, data: x } = matrix;
  const threshold = tolerance * meanVariance(matrix, weights);
  const s: LloydState = {
    x,
    n,
    d,
    k,
    weights,
    centers,
    labels: new Int32Array(n),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    half: new Float64Array(k),
    movement: new Float64Array(k),
    sums: new Float64Array(k * d),
    counts: new Float64Array(k),
    every: allCentres(k),
    dist: new Float64Array(k),
    two: new Float64Array(2),
  };
  const { labels, upper, lower, sums, counts, dist, two } = s;
  const previous = new Float64Array(k * d);
  // A box holding every row and every centre so far: its diameter bounds all
  // the distances involved, which scales the rounding slack of the bounds.
  const low = new Float64Array(d).fill(Infinity);
  const high = new Float64Array(d).fill(-Infinity);
  extendBox(low, high, x, n, d);
  extendBox(low, high, centers, k, d);
  // Exact squared distances to the own centre: only for the empty-cluster path.
  let distances: Float64Array | null = null;

  // Start: a full assignment (as assignNearest) with exact bounds, and the sums for the first update.
  for (let i = 0; i < n; i++) {
    distancesTo(x, i * d, centers, s.every, k, d, dist);
    labels[i] = nearestTwo(dist, k, two);
    upper[i] = Math.sqrt(two[0]);
    lower[i] = Math.sqrt(two[1]);
    if (maxIterations > 0) addRow(s, i);
  }

  let converged = false;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    let empty = false;
    for (let c = 0; c < k; c++) if (!(counts[c] > 0)) empty = true;
    if (empty) {
      // Rare: the relocation needs every row's exact distance to its centre (before the update).
      distances ??= new Float64Array(n);
      for (let i = 0; i < n; i++) distances[i] = distance2(x, i * d, centers, labels[i] * d, d);
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
        // Relocate an empty cluster to the row farthest from its centre.
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
    // The sums are rebuilt from scratch in row order (updating them
    // incrementally would round differently) during the assignment, unless
    // no update follows it.
    const last = shift <= threshold || iterations === maxIterations;
    if (!last) {
      sums.fill(0);
      counts.fill(0);
    }
    hamerlyStep(s, previous, slack(low, high, d, iterations), !last);
    if (shift <= threshold) {
      converged = true;
      break;
    }
  }
  // The inertia as assignNearest sums it: the labels are plain Lloyd's, so
  // each row's nearest squared distance is the one to its labelled centre.
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const co = labels[i] * d;
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const delta = x[xo + j] - centers[co + j];
      sum += delta * delta;
    }
    inertia += (weights === null ? 1 : weights[i]) * sum;
  }
  return { centers, labels, inertia, iterations, converged };
}

/**
 * One assignment pass of Hamerly's algorithm, after the centres moved from
 * `previous` to `centers`. The bounds move with the centres (triangle
 * inequality); a row keeps its label when upper < max(lower, half[label]),
 * first as is, then with the upper bound made exact; otherwise all k
 * distances are computed and the label is chosen exactly as assignNearest
 * does. With `accumulate`, each row then joins its cluster's sums, in row order.
 */
function hamerlyStep(s: LloydState, previous: Float64Array, margin: number, accumulate: boolean): void {
  const { x, n, d, k, centers, labels, upper, lower, half, movement, every, dist, two } = s;
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
  const firstMove = movement[fastest];

  for (let i = 0; i < n; i++) {
    const a = labels[i];
    let u = upper[i] + movement[a];
    const l = lower[i] - (a === fastest ? secondMove : firstMove);
    const z = l > half[a] ? l : half[a];
    if (!(u + margin < z)) {
      // Tighten the upper bound to the exact distance and test again.
      const xo = i * d;
      const co = a * d;
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const delta = x[xo + j] - centers[co + j];
        sum += delta * delta;
      }
      u = Math.sqrt(sum);
      if (!(u + margin < z)) {
        // The bounds cannot decide: compute every distance, as assignNearest.
        distancesTo(x, xo, centers, every, k, d, dist);
        labels[i] = nearestTwo(dist, k, two);
        upper[i] = Math.sqrt(two[0]);
        lower[i] = Math.sqrt(two[1]);
        if (accumulate) addRow(s, i);
        continue;
      }
    }
    upper[i] = u;
    lower[i] = l;
    if (accumulate) addRow(s, i);
  }
}

/** Adds row i to the sums and total weight of its cluster (four coordinates per step; each sum still in row order). */
function addRow(s: LloydState, i: number): void {
  const { x, d, weights, labels, sums, counts } = s;
  const c = labels[i];
  const so = c * d;
  const xo = i * d;
  const w = weights === null ? 1 : weights[i];
  counts[c] += w;
  // w·x equals x bit for bit when w = 1, so unweighted rows add x itself.
  let j = 0;
  if (weights === null) {
    for (; j + 4 <= d; j += 4) {
      const a0 = sums[so + j] + x[xo + j];
      const a1 = sums[so + j + 1] + x[xo + j + 1];
      const a2 = sums[so + j + 2] + x[xo + j + 2];
      const a3 = sums[so + j + 3] + x[xo + j + 3];
      sums[so + j] = a0;
      sums[so + j + 1] = a1;
      sums[so + j + 2] = a2;
      sums[so + j + 3] = a3;
    }
    for (; j < d; j++) sums[so + j] += x[xo + j];
  } else {
    for (; j + 4 <= d; j += 4) {
      const a0 = sums[so + j] + w * x[xo + j];
      const a1 = sums[so + j + 1] + w * x[xo + j + 1];
      const a2 = sums[so + j + 2] + w * x[xo + j + 2];
      const a3 = sums[so + j + 3] + w * x[xo + j + 3];
      sums[so + j] = a0;
      sums[so + j + 1] = a1;
      sums[so + j + 2] = a2;
      sums[so + j + 3] = a3;
    }
    for (; j < d; j++) sums[so + j] += w * x[xo + j];
  }
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

/** Mean over features of the (weighted) variance: scikit-learn's scale for the k-means tolerance. */
function meanVariance(matrix: Matrix, weights: Float64Array | null): number {
  const { rows: n, cols: d, data: x } = matrix;
  // Row-major passes with one running sum per feature: each sum takes the
  // same terms in the same order as a per-feature loop would.
  let w = 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = weights === null ? 1 : weights[i];
    w += wi;
    for (let j = 0; j < d; j++) mean[j] += wi * x[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= w;
  const variance = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = weights === null ? 1 : weights[i];
    for (let j = 0; j < d; j++) {
      const delta = x[i * d + j] - mean[j];
      variance[j] += wi * delta * delta;
    }
  }
  let sum = 0;
  for (let j = 0; j < d; j++) sum += variance[j] / w;
  return d > 0 && w > 0 ? sum / d : 0;
}
