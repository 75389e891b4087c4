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
import { kmeansPlusPlusWasm, lloydWasm } from './kernels/kmeans-wasm.js';
import { allCentres, distancesTo, nearestTwo, runLloyd, tsLloydChunks, type LloydOutputs, type LloydResult } from './lloyd.js';
import { toMatrix } from './matrix.js';
import { runSeeding, tsSeedChunks } from './seeding.js';
import { resolveSampleWeights } from './options.js';
import { Random } from './random.js';
import type { DataInput, Matrix } from './types.js';

export type { LloydResult } from './lloyd.js';

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
  const { labels, inertia, iterations, converged } = result;
  return { centers: nested, labels: labels!, inertia: inertia!, iterations, converged };
}

/*
 * Bit-for-bit contract: every squared distance is summed as src/lloyd.ts
 * describes, so the WebAssembly paths give the TypeScript's doubles.
 */

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
 * candidates drawn with probability ∝ w·D² (scikit-learn's variant), the
 * sums over rows per chunk of CHUNK_ROWS rows (src/seeding.ts).
 *
 * Runs in WebAssembly SIMD (src/kernels/kmeans-wasm.ts) where the engine has
 * it, with {@link kmeansPlusPlusTs}'s results and random draws, bit for bit;
 * else that TypeScript.
 */
export function kmeansPlusPlus(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random): Float64Array {
  return kmeansPlusPlusWasm(matrix, weights, k, rng) ?? kmeansPlusPlusTs(matrix, weights, k, rng);
}

/** {@link kmeansPlusPlus} in TypeScript: the fallback, and the reference for the WebAssembly paths. */
export function kmeansPlusPlusTs(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random): Float64Array {
  const rows = { matrix, weights };
  return runSeeding(tsSeedChunks([rows], matrix.cols), rows, k, rng);
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

/**
 * Lloyd iterations from the given centres (modified in place). An empty cluster moves to the worst-fitted row.
 *
 * Assignment uses Hamerly's bounds (Hamerly 2010, "Making k-means even
 * faster", SDM), so most rows skip most distance computations, yet labels,
 * centres, iterations and inertia are those of plain Lloyd (with the chunked
 * sums of src/lloyd.ts), bit for bit.
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
  outputs: LloydOutputs = 'clusters',
): LloydResult {
  return lloydWasm(matrix, weights, centers, k, maxIterations, tolerance, outputs) ?? lloydTs(matrix, weights, centers, k, maxIterations, tolerance, outputs);
}

/** {@link lloyd} in TypeScript: the fallback, and the reference for the WebAssembly paths. */
export function lloydTs(
  matrix: Matrix,
  weights: Float64Array | null,
  centers: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
  outputs: LloydOutputs = 'clusters',
): LloydResult {
  const rows = { matrix, weights };
  return runLloyd(tsLloydChunks([rows], k, matrix.cols), rows, centers, k, maxIterations, tolerance, outputs);
}
