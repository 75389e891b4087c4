/**
 * k-means: Lloyd's algorithm with greedy k-means++ seeding. The default start
 * for EM, and the hard-assignment baseline EM is compared with.
 *
 * References: Lloyd (1982) IEEE Trans. Inf. Theory 28(2):129–137;
 * Arthur & Vassilvitskii (2007) "k-means++: the advantages of careful seeding", SODA.
 *
 * Symbols: n rows, d features, k clusters, i a row, j a feature, c a cluster.
 */
import { MixemError, show } from './errors.js';
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

/** Squared Euclidean distance between row i of x and centre c. */
function distance2(x: Float64Array, i: number, centers: Float64Array, c: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const delta = x[i * d + j] - centers[c * d + j];
    sum += delta * delta;
  }
  return sum;
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
 */
export function kmeansPlusPlus(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random): Float64Array {
  const { rows: n, cols: d, data: x } = matrix;
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const weightOf = (i: number) => (weights === null ? 1 : weights[i]);
  const first = weights === null ? rng.integer(n) : rng.categorical(weights);
  centers.set(x.subarray(first * d, (first + 1) * d), 0);
  const closest = new Float64Array(n);
  const score = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = distance2(x, i, centers, 0, d);
    score[i] = weightOf(i) * closest[i];
    potential += score[i];
  }
  const candidateClosest = new Float64Array(n);
  const bestClosest = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let bestPotential = Infinity;
    let bestRow = -1;
    for (let t = 0; t < trials; t++) {
      const row = rng.categorical(score, potential);
      centers.set(x.subarray(row * d, (row + 1) * d), c * d);
      let candidatePotential = 0;
      for (let i = 0; i < n; i++) {
        candidateClosest[i] = Math.min(closest[i], distance2(x, i, centers, c, d));
        candidatePotential += weightOf(i) * candidateClosest[i];
      }
      if (candidatePotential < bestPotential) {
        bestPotential = candidatePotential;
        bestRow = row;
        bestClosest.set(candidateClosest);
      }
    }
    centers.set(x.subarray(bestRow * d, (bestRow + 1) * d), c * d);
    closest.set(bestClosest);
    potential = 0;
    for (let i = 0; i < n; i++) {
      score[i] = weightOf(i) * closest[i];
      potential += score[i];
    }
  }
  return centers;
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
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDistance = distance2(x, i, centers, 0, d);
    for (let c = 1; c < k; c++) {
      const dist = distance2(x, i, centers, c, d);
      if (dist < bestDistance) {
        bestDistance = dist;
        best = c;
      }
    }
    labels[i] = best;
    distances[i] = bestDistance;
    inertia += (weights === null ? 1 : weights[i]) * bestDistance;
  }
  return inertia;
}

/** Lloyd iterations from the given centres (modified in place). An empty cluster moves to the worst-fitted row. */
export function lloyd(
  matrix: Matrix,
  weights: Float64Array | null,
  centers: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
): { centers: Float64Array; labels: Int32Array; inertia: number; iterations: number; converged: boolean } {
  const { rows: n, cols: d, data: x } = matrix;
  const threshold = tolerance * meanVariance(matrix, weights);
  const labels = new Int32Array(n);
  const distances = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  let converged = false;
  let iterations = 0;
  assignNearest(matrix, weights, centers, k, labels, distances);
  while (iterations < maxIterations) {
    iterations++;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const w = weights === null ? 1 : weights[i];
      const c = labels[i];
      counts[c] += w;
      for (let j = 0; j < d; j++) sums[c * d + j] += w * x[i * d + j];
    }
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
        let far = 0;
        for (let i = 1; i < n; i++) if (distances[i] > distances[far]) far = i;
        for (let j = 0; j < d; j++) {
          const delta = x[far * d + j] - centers[c * d + j];
          shift += delta * delta;
          centers[c * d + j] = x[far * d + j];
        }
        distances[far] = 0;
      }
    }
    assignNearest(matrix, weights, centers, k, labels, distances);
    if (shift <= threshold) {
      converged = true;
      break;
    }
  }
  const inertia = assignNearest(matrix, weights, centers, k, labels, distances);
  return { centers, labels, inertia, iterations, converged };
}

/** Mean over features of the (weighted) variance: scikit-learn's scale for the k-means tolerance. */
function meanVariance(matrix: Matrix, weights: Float64Array | null): number {
  const { rows: n, cols: d, data: x } = matrix;
  let total = 0;
  let sum = 0;
  for (let j = 0; j < d; j++) {
    let w = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const wi = weights === null ? 1 : weights[i];
      w += wi;
      mean += wi * x[i * d + j];
    }
    mean /= w;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      const delta = x[i * d + j] - mean;
      variance += (weights === null ? 1 : weights[i]) * delta * delta;
    }
    sum += variance / w;
    total = w;
  }
  return total > 0 ? sum / d : 0;
}
