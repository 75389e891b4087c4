/**
 * Start parameters: from an init method (k-means, k-means++, random
 * responsibilities, random rows), from explicit user parameters, or both.
 *
 * Symbols: n rows, d features, k components, i a row, j a feature, m a component.
 */
import { columnMoments } from './moments.js';
import { covarianceModels, maximize, pack, type MixtureParameters } from './covariance/index.js';
import { readMatrix, readVector } from './covariance/shapes.js';
import { createStatistics, type Kernel, type LoadedData, type SufficientStatistics } from './kernels/kernel.js';
import type { LloydScatter } from './lloyd.js';
import { assignNearest, kmeansPlusPlus, lloyd, randomRows } from './kmeans.js';
import { MixemError, show } from './errors.js';
import type { StartSource } from './options.js';
import type { Random } from './random.js';
import type { CovarianceType, InitMethod, Matrix } from './types.js';

/** Explicit start parts, checked and flattened; absent parts are undefined. */
export interface ParsedStart {
  readonly weights?: Float64Array;
  readonly means?: Float64Array;
  readonly covariances?: Float64Array;
}

/**
 * Checks explicit start parameters against K, D and the covariance type, as
 * scikit-learn does: shapes, weights in [0, 1] summing to 1 within 1e-8, and
 * positive-definite covariances.
 * @throws MixemError `invalid-start` naming the part at fault.
 */
export function parseStart(start: StartSource, k: number, d: number, covariance: CovarianceType): ParsedStart {
  const fail = (message: string): never => {
    throw new MixemError('invalid-start', `start ${message}`);
  };
  if (start.covariance !== undefined && start.covariance !== covariance) {
    fail(`has covariance ${show(start.covariance)} but the fit asks for ${show(covariance)}; fit with covariance: ${show(start.covariance)} or give a start of that type`);
  }
  let weights: Float64Array | undefined;
  let means: Float64Array | undefined;
  let covariances: Float64Array | undefined;
  if (start.weights !== undefined) {
    weights = new Float64Array(k);
    const problem = readVector(start.weights, k, 'weights', weights, 0);
    if (problem) fail(problem);
    let sum = 0;
    for (let m = 0; m < k; m++) {
      if (weights[m] < 0 || weights[m] > 1) fail(`weights[${m}] is ${weights[m]}; weights must lie in [0, 1]`);
      sum += weights[m];
    }
    if (Math.abs(sum - 1) > 1e-8) fail(`weights sum to ${sum}; they must sum to 1`);
  }
  if (start.means !== undefined) {
    means = new Float64Array(k * d);
    const problem = readMatrix(start.means, k, d, 'means', means, 0);
    if (problem) fail(problem);
  }
  if (start.covariances !== undefined) {
    const parsed = covarianceModels[covariance].fromNested(start.covariances, k, d);
    if (typeof parsed === 'string') fail(parsed);
    covariances = parsed as Float64Array;
    const check = pack({ covariance, k, d, weights: new Float64Array(k).fill(1 / k), means: new Float64Array(k * d), covariances });
    if (check.failed.length > 0) {
      const which = covariance === 'tied' ? 'the tied covariance' : `covariances[${check.failed[0]}]`;
      fail(`${which} is not positive definite`);
    }
  }
  return { weights, means, covariances };
}

/**
 * The weighted covariance of the whole data (d×d, two-pass), plus
 * `regularization` on the diagonal. Used to re-seed collapsed components,
 * which is rare, so {@link lazyDataCovariance} computes it on first use.
 */
export function dataCovariance(matrix: Matrix, weights: Float64Array | null, regularization: number): Float64Array {
  const { rows: n, cols: d, data: x } = matrix;
  const { total, means: mean } = columnMoments(matrix, weights, false);
  const cov = new Float64Array(d * d);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const w = weights === null ? 1 : weights[i];
    for (let j = 0; j < d; j++) diff[j] = x[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] += w * diff[a] * diff[b];
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      cov[a * d + b] /= total;
      cov[b * d + a] = cov[a * d + b];
    }
    cov[a * d + a] += regularization;
  }
  for (let q = 0; q < d * d; q++) if (!Number.isFinite(cov[q])) throw covarianceOverflow(Math.floor(q / d));
  return cov;
}

/**
 * The data's covariance ({@link dataCovariance}), computed on first call.
 * What can fail is checked now: each feature's centred variance, in O(n·d)
 * rather than the O(n·d²) of the whole matrix. Every entry of the covariance is
 * a sum of terms w·Δa·Δb with |Δa·Δb| ≤ (Δa² + Δb²)/2, so it is finite
 * whenever the variances are (the full pass still checks every entry). Most
 * data need only one pass: with every |x| ≤ A, each |Δ| ≤ 2A, so when
 * 16·A²·Σw is finite (twice the bound, for rounding) no variance can overflow.
 * A is `largest` when the caller knows it (the check of the values found
 * it; a column mean put in for a missing value is no larger), else one pass.
 * @throws MixemError `numeric-overflow` naming the first feature whose variance overflows.
 */
export function lazyDataCovariance(matrix: Matrix, weights: Float64Array | null, regularization: number, largest = largestMagnitude(matrix)): () => Float64Array {
  const { rows: n, cols: d } = matrix;
  let total = n;
  if (weights !== null) {
    total = 0;
    for (let i = 0; i < n; i++) total += weights[i];
  }
  if (!Number.isFinite(16 * largest * largest * total)) {
    const { total: sum, squares } = columnMoments(matrix, weights);
    for (let j = 0; j < d; j++) if (!Number.isFinite(squares[j] / sum)) throw covarianceOverflow(j);
  }
  let cov: Float64Array | null = null;
  return () => (cov ??= dataCovariance(matrix, weights, regularization));
}


/** The largest |x| of the matrix. */
function largestMagnitude(matrix: Matrix): number {
  const x = matrix.data;
  let largest = 0;
  for (let q = 0; q < matrix.rows * matrix.cols; q++) {
    const a = Math.abs(x[q]);
    if (a > largest) largest = a;
  }
  return largest;
}

function covarianceOverflow(feature: number): MixemError {
  return new MixemError(
    'numeric-overflow',
    `the data's covariance overflows double precision (feature ${feature}); rescale or standardize the data`,
  );
}

/**
 * How rows belong to components at the start: soft responsibilities (n×k,
 * row-major), one component per row (−1 for none), which needs no n×k array,
 * or k-means' clusters as their scatter about Lloyd's final centres.
 */
export type StartAssignment =
  | { readonly responsibilities: Float64Array }
  | { readonly labels: Int32Array }
  | { readonly centres: Float64Array; readonly scatter: LloydScatter };

/**
 * Parameters estimated from an assignment: one pass for the means, one for the
 * centred scatter, then the common M-step. A component with no rows is placed
 * at a random row with the data's covariance. A label gives the same sums as
 * the one-hot responsibilities it stands for, bit for bit (the zero terms it
 * skips change no sum).
 */
export function parametersFromResponsibilities(
  matrix: Matrix,
  weights: Float64Array | null,
  assignment: StartAssignment,
  k: number,
  covariance: CovarianceType,
  regularization: number,
  globalCovariance: () => Float64Array,
  rng: Random,
): MixtureParameters {
  if ('scatter' in assignment) return parametersFromScatter(matrix, assignment, k, covariance, regularization, globalCovariance, rng);
  const { rows: n, cols: d, data: x } = matrix;
  const model = covarianceModels[covariance];
  const resp = 'responsibilities' in assignment ? assignment.responsibilities : null;
  const labels = 'labels' in assignment ? assignment.labels : null;
  const counts = new Float64Array(k);
  const means = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    const w = weights === null ? 1 : weights[i];
    if (labels !== null) {
      const m = labels[i];
      if (m < 0) continue;
      counts[m] += w;
      for (let j = 0; j < d; j++) means[m * d + j] += w * x[i * d + j];
      continue;
    }
    for (let m = 0; m < k; m++) {
      const r = w * (resp as Float64Array)[i * k + m];
      counts[m] += r;
      for (let j = 0; j < d; j++) means[m * d + j] += r * x[i * d + j];
    }
  }
  for (let m = 0; m < k; m++) if (counts[m] > 0) for (let j = 0; j < d; j++) means[m * d + j] /= counts[m];
  const empty = placeEmpty(matrix, counts, means, rng);
  const stats = createStatistics(model.kernelShape, k, d);
  const full = model.kernelShape === 'full';
  const { counts: sk, first: s1, second: s2 } = stats;
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const w = weights === null ? 1 : weights[i];
    const label = labels === null ? -1 : labels[i];
    if (labels !== null && label < 0) continue;
    const from = labels === null ? 0 : label;
    const to = labels === null ? k : label + 1;
    for (let m = from; m < to; m++) {
      const r = labels === null ? w * (resp as Float64Array)[i * k + m] : w;
      if (r === 0) continue;
      sk[m] += r;
      const mo = m * d;
      for (let a = 0; a < d; a++) diff[a] = x[i * d + a] - means[mo + a];
      for (let a = 0; a < d; a++) s1[mo + a] += r * diff[a];
      if (full) {
        // The lower triangle; the upper is mirrored below, as the kernels do.
        const so = mo * d;
        for (let a = 0; a < d; a++) {
          const rda = r * diff[a];
          for (let b = 0; b <= a; b++) s2[so + a * d + b] += rda * diff[b];
        }
      } else {
        for (let a = 0; a < d; a++) s2[mo + a] += r * diff[a] * diff[a];
      }
    }
  }
  if (full) {
    for (let m = 0; m < k; m++) {
      const so = m * d * d;
      for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) s2[so + a * d + b] = s2[so + b * d + a];
    }
  }
  return startStep(stats, means, empty, k, covariance, regularization, globalCovariance);
}

/**
 * Parameters from k-means' labels with the clusters' scatter about Lloyd's
 * final centres (src/lloyd.ts `LloydScatter`, summed where the rows are: on
 * the kernel, in parallel on a pool): one M-step, whatever the centres' small
 * distance from the clusters' means (the M-step moves them by the mean of
 * x − c). An empty cluster is placed as in {@link parametersFromResponsibilities}.
 */
function parametersFromScatter(
  matrix: Matrix,
  assignment: { readonly centres: Float64Array; readonly scatter: LloydScatter },
  k: number,
  covariance: CovarianceType,
  regularization: number,
  globalCovariance: () => Float64Array,
  rng: Random,
): MixtureParameters {
  const d = matrix.cols;
  const { counts, first, second } = assignment.scatter;
  const means = assignment.centres.slice();
  const empty = placeEmpty(matrix, counts, means, rng);
  const stats = { ...createStatistics(covarianceModels[covariance].kernelShape, k, d), counts, first, second };
  return startStep(stats, means, empty, k, covariance, regularization, globalCovariance);
}

/** Moves each component with no weight to a random row (in component order); returns those components. */
function placeEmpty(matrix: Matrix, counts: Float64Array, means: Float64Array, rng: Random): number[] {
  const { rows: n, cols: d, data: x } = matrix;
  const empty: number[] = [];
  for (let m = 0; m < counts.length; m++) {
    if (counts[m] > 0) continue;
    empty.push(m);
    const row = rng.integer(n);
    means.set(x.subarray(row * d, (row + 1) * d), m * d);
  }
  return empty;
}

/** The start's M-step from statistics about `means`; the empty components get weight 1/k and the data's covariance. */
function startStep(
  stats: SufficientStatistics,
  means: Float64Array,
  empty: readonly number[],
  k: number,
  covariance: CovarianceType,
  regularization: number,
  globalCovariance: () => Float64Array,
): MixtureParameters {
  const d = means.length / k;
  const params = maximize(stats, { covariance, k, d, weights: new Float64Array(k), means, covariances: new Float64Array(0) }, regularization);
  if (empty.length > 0) {
    for (const m of empty) {
      covarianceModels[covariance].assign(params.covariances, m, k, d, globalCovariance());
      params.weights[m] = 1 / k;
    }
    normalize(params.weights);
  }
  return params;
}

/** Divides by the sum, in place. */
function normalize(values: Float64Array): void {
  let sum = 0;
  for (let q = 0; q < values.length; q++) sum += values[q];
  for (let q = 0; q < values.length; q++) values[q] /= sum;
}

/** m distinct rows of n (m ≤ n), every subset equally likely (Floyd's algorithm), in increasing order. */
export function sampleRows(n: number, m: number, rng: Random): Int32Array {
  // A byte per row marks the chosen ones; reading the marks in order sorts them.
  const taken = new Uint8Array(n);
  for (let j = n - m; j < n; j++) {
    const t = rng.integer(j + 1);
    taken[taken[t] === 1 ? j : t] = 1;
  }
  const rows = new Int32Array(m);
  for (let i = 0, r = 0; i < n; i++) if (taken[i] === 1) rows[r++] = i;
  return rows;
}

/** Rows of the k-means start's warm-up sample (at least 512 per cluster); see {@link sampleCentres}. */
export const KMEANS_SAMPLE_ROWS = 16384;

/**
 * Where the k-means start's Lloyd iterations on all rows begin, on large
 * unweighted data: k-means++ seeding and Lloyd's iterations (to the same
 * tolerance) on m = max(KMEANS_SAMPLE_ROWS, 512·k) rows drawn at random
 * without replacement, taken in row order. Most of k-means' slow creep then
 * happens on the sample, and the iterations on all rows start near a fixed
 * point: on the benchmark 1e6×10×10, 51 iterations on all rows become 112 on
 * the sample and 11 on all rows (2.9 s → 0.5 s), at the same inertia. The
 * result is still a k-means fixed point of all rows at scikit-learn's
 * tolerance, as without the sample; it is the same idea as mclust's
 * initialization on a subset of rows, and it applies from 4·m rows on.
 * Null below that, or with row weights (the start then seeds on all rows).
 * With a `kernel` that offers k-means, the sample is loaded there and
 * clustered by it (the same centres and draws, bit for bit: a pool runs it on
 * its workers, and the k-means module is not needed).
 */
export function sampleCentres(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random, kernel: Kernel | null = null): Float64Array | null {
  const n = matrix.rows;
  const d = matrix.cols;
  const m = Math.max(KMEANS_SAMPLE_ROWS, 512 * k);
  if (weights !== null || n < 4 * m) return null;
  const rows = sampleRows(n, m, rng);
  const sample = new Float64Array(m * d);
  for (let r = 0; r < m; r++) sample.set(matrix.data.subarray(rows[r] * d, (rows[r] + 1) * d), r * d);
  const sampled: Matrix = { rows: m, cols: d, data: sample };
  if (kernel !== null && kernel.kmeansPlusPlus && kernel.lloyd) {
    const held = kernel.load(sampled, null);
    try {
      const centers = kernel.kmeansPlusPlus(held, k, rng);
      kernel.lloyd(held, centers, k, 300, 1e-4, 'centres');
      return centers;
    } finally {
      kernel.release?.(held);
    }
  }
  const centers = kmeansPlusPlus(sampled, null, k, rng);
  lloyd(sampled, null, centers, k, 300, 1e-4, 'centres');
  return centers;
}

/**
 * The init method's assignment: labels from k-means or a nearest centre, or
 * random responsibilities normalized to sum 1. The k-means++ seeding and
 * Lloyd's iterations run on the kernel (same results, bit for bit) when it
 * offers them and holds exactly these rows and weights: no copy of the data,
 * and a pool runs them in parallel.
 */
function initialAssignment(
  method: InitMethod,
  covariance: CovarianceType,
  matrix: Matrix,
  weights: Float64Array | null,
  k: number,
  rng: Random,
  kernel: Kernel | null,
  loaded: LoadedData | null,
): StartAssignment {
  const n = matrix.rows;
  if (method === 'random') {
    const resp = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let m = 0; m < k; m++) {
        resp[i * k + m] = rng.uniform();
        sum += resp[i * k + m];
      }
      for (let m = 0; m < k; m++) resp[i * k + m] /= sum;
    }
    return { responsibilities: resp };
  }
  const onKernel = kernel !== null && loaded !== null && loaded.matrix === matrix && loaded.weights === weights;
  const seeds = (): Float64Array =>
    onKernel && kernel.kmeansPlusPlus ? kernel.kmeansPlusPlus(loaded, k, rng) : kmeansPlusPlus(matrix, weights, k, rng);
  const centers = method === 'random-from-data' ? randomRows(matrix, k, rng) : method === 'kmeans' ? (sampleCentres(matrix, weights, k, rng, onKernel ? kernel : null) ?? seeds()) : seeds();
  if (method === 'kmeans') {
    const shape = covarianceModels[covariance].kernelShape;
    const result =
      onKernel && kernel.lloyd ? kernel.lloyd(loaded, centers, k, 300, 1e-4, shape) : lloyd(matrix, weights, centers, k, 300, 1e-4, shape);
    return { centres: result.centers, scatter: result.scatter! };
  }
  const labels = new Int32Array(n);
  assignNearest(matrix, weights, centers, k, labels, new Float64Array(n));
  return { labels };
}

/**
 * Start parameters for one EM run: the explicit parts of `start`, and the rest
 * estimated from the init method's assignment. With known labels the start is
 * the M-step on the labelled rows alone (mclust's MclustSSC gives the others
 * 1/K instead; both reach the same optimum in test/mclust-ssc.test.ts); a
 * component with no labelled row starts at a random row with the data's
 * covariance.
 */
export function initialParameters(
  matrix: Matrix,
  weights: Float64Array | null,
  k: number,
  covariance: CovarianceType,
  method: InitMethod,
  start: ParsedStart,
  regularization: number,
  globalCovariance: () => Float64Array,
  rng: Random,
  labels: Int32Array | null = null,
  kernel: Kernel | null = null,
  loaded: LoadedData | null = null,
): MixtureParameters {
  const d = matrix.cols;
  if (start.weights && start.means && start.covariances) {
    return { covariance, k, d, weights: start.weights.slice(), means: start.means.slice(), covariances: start.covariances.slice() };
  }
  const assignment = labels === null ? initialAssignment(method, covariance, matrix, weights, k, rng, kernel, loaded) : { labels };
  const estimated = parametersFromResponsibilities(matrix, weights, assignment, k, covariance, regularization, globalCovariance, rng);
  return {
    covariance,
    k,
    d,
    weights: start.weights ? start.weights.slice() : estimated.weights,
    means: start.means ? start.means.slice() : estimated.means,
    covariances: start.covariances ? start.covariances.slice() : estimated.covariances,
  };
}
