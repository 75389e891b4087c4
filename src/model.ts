/**
 * The fitted model: immutable parameters and everything computed from them.
 *
 * Symbols: n rows, d features, k components, m a component.
 */
import { covarianceModels, pack, parameterCount, type MixtureParameters } from './covariance/index.js';
import { MixemError, show } from './errors.js';
import { BLOCK_ROWS, type Kernel, type PackedParameters } from './kernels/kernel.js';
import { referenceKernel } from './kernels/reference.js';
import { cholesky } from './linalg.js';
import { toMatrix } from './matrix.js';
import { evaluateIncomplete, hasMissing, imputeMissing, type IncompleteOutputs } from './missing.js';
import { isKernel, resolveSampleWeights } from './options.js';
import { Random } from './random.js';
import type { CovarianceType, Covariances, DataInput, InitMethod, Matrix, Recovery } from './types.js';

/** The options that produced a model, as recorded in it and in its file. */
export interface FitSettings {
  readonly components: number;
  readonly covariance: CovarianceType;
  readonly init: InitMethod;
  /** `"explicit"` when start parameters (or a previous model) were given. */
  readonly start: 'explicit' | null;
  readonly restarts: number;
  readonly maxIterations: number;
  readonly tolerance: number;
  readonly regularization: number;
  readonly seed: number;
  /** Whether per-row sample weights were used. */
  readonly weighted: boolean;
  /** EM acceleration (absent in files written before it existed: plain EM). */
  readonly acceleration?: 'none' | 'squarem';
  /** Rows with a known component (semi-supervised fit); absent when none. */
  readonly labelledRows?: number;
  /** Missing values marginalized by the fit; absent when none. */
  readonly missingValues?: number;
}

/** What a model knows about how it was fitted. */
export interface FitDiagnostics {
  readonly converged: boolean;
  readonly iterations: number;
  /** Mean log-likelihood per sample at the final parameters; null if unknown (a start-only file). */
  readonly logLikelihood: number | null;
  /** Mean log-likelihood at the start and after each iteration of the kept run. */
  readonly history: readonly number[];
  readonly warnings: readonly string[];
  readonly recoveries: readonly Recovery[];
  readonly settings: FitSettings | null;
}

/** Points drawn from a model, with the component each came from. */
export interface SampleResult {
  /** n×d points, row-major. */
  readonly points: Matrix;
  /** n component indices. */
  readonly labels: Int32Array;
}

/** Options of the scoring methods. */
/** Options of the methods that evaluate rows: predict, predictProba, scoreSamples. */
export interface EvaluateOptions {
  /**
   * The kernel that evaluates complete rows (default: the reference TypeScript
   * kernel). `createWasmKernelSync()` is several times faster on large data;
   * its results agree with the reference to about 1e-15 relative.
   */
  kernel?: Kernel;
}

/** Options of score, bic, aic and icl. */
export interface ScoreOptions extends EvaluateOptions {
  /** Per-row weights; the result is then as if rows were repeated by their weight. */
  sampleWeights?: ArrayLike<number>;
}

/**
 * Rows evaluated per kernel call: a kernel that copies rows into its own
 * memory (WebAssembly) then holds only this many at a time, never the data.
 */
const EVALUATE_ROWS = 64 * BLOCK_ROWS;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/**
 * A fitted Gaussian mixture. Instances are immutable; create them with
 * {@link fit} or {@link loadModel}.
 *
 * @example
 * ```ts
 * const model = fit(data, { components: 2, seed: 1 });
 * model.predict([[2.0, 55]]); // Int32Array [ component ]
 * model.bic(data);
 * ```
 */
export class GaussianMixture {
  /** Covariance type. */
  readonly covariance: CovarianceType;
  /** Number of components K. */
  readonly components: number;
  /** Number of features D. */
  readonly dimensions: number;
  /** K mixing weights. */
  readonly weights: readonly number[];
  /** K×D means. */
  readonly means: readonly (readonly number[])[];
  /** Covariances in scikit-learn's shape: full K×D×D, tied D×D, diag K×D, spherical K. */
  readonly covariances: Covariances;
  /** Whether the kept run met the tolerance before maxIterations. */
  readonly converged: boolean;
  /** EM iterations (M-steps) of the kept run. */
  readonly iterations: number;
  /** Mean log-likelihood per sample at these parameters, on the training data; null if unknown. */
  readonly logLikelihood: number | null;
  /** Mean log-likelihood at the start and after each iteration of the kept run. */
  readonly history: readonly number[];
  /** Non-fatal problems, e.g. "did not converge". */
  readonly warnings: readonly string[];
  /** Components that collapsed during the fit and were re-seeded. */
  readonly recoveries: readonly Recovery[];
  /** The options that produced the model; null for a model built from bare parameters. */
  readonly settings: FitSettings | null;

  readonly #params: MixtureParameters;
  readonly #packed: PackedParameters;

  /** @internal Use {@link fit} or {@link loadModel}. */
  constructor(params: MixtureParameters, diagnostics: FitDiagnostics) {
    const packed = pack(params);
    if (!packed.packed) {
      throw new MixemError('invalid-model', `covariance of component ${packed.failed[0]} is not positive definite`);
    }
    const model = covarianceModels[params.covariance];
    this.#params = params;
    this.#packed = packed.packed;
    this.covariance = params.covariance;
    this.components = params.k;
    this.dimensions = params.d;
    this.weights = Array.from(params.weights);
    const means: number[][] = [];
    for (let m = 0; m < params.k; m++) means.push(Array.from(params.means.subarray(m * params.d, (m + 1) * params.d)));
    this.means = means;
    this.covariances = model.toNested(params.covariances, params.k, params.d);
    this.converged = diagnostics.converged;
    this.iterations = diagnostics.iterations;
    this.logLikelihood = diagnostics.logLikelihood;
    this.history = [...diagnostics.history];
    this.warnings = [...diagnostics.warnings];
    this.recoveries = diagnostics.recoveries.map((r) => ({ ...r }));
    this.settings = diagnostics.settings === null ? null : { ...diagnostics.settings };
    deepFreeze(this);
  }

  /** Converts data for this model, checking its width. NaN marks a missing value. */
  #matrix(data: DataInput): Matrix {
    const matrix = toMatrix(data, 'data', { missing: true });
    if (matrix.cols !== this.dimensions) {
      throw new MixemError('invalid-data', `data has ${matrix.cols} columns but the model has ${this.dimensions} dimensions`);
    }
    return matrix;
  }

  /**
   * The most probable component of each row.
   * @param data n×D rows. @returns n labels in [0, K).
   * @throws MixemError `invalid-data`.
   */
  predict(data: DataInput, options: EvaluateOptions = {}): Int32Array {
    const matrix = this.#matrix(data);
    const labels = new Int32Array(matrix.rows);
    this.#evaluate(matrix, { labels }, options);
    return labels;
  }

  /**
   * Evaluates complete rows with the kernel, {@link EVALUATE_ROWS} at a time
   * (each row's outputs depend on that row alone), and rows with missing
   * values on their observed features.
   */
  #evaluate(matrix: Matrix, out: IncompleteOutputs, options: EvaluateOptions): void {
    const kernel = options.kernel ?? referenceKernel;
    if (!isKernel(kernel)) throw new MixemError('invalid-option', `option kernel must be a kernel with load, eStep and evaluate; got ${show(kernel)}`);
    const { rows: n, cols: d, data } = matrix;
    const k = this.components;
    for (let start = 0; start < n; start += EVALUATE_ROWS) {
      const end = Math.min(n, start + EVALUATE_ROWS);
      const part = start === 0 && end === n ? matrix : { rows: end - start, cols: d, data: data.subarray(start * d, end * d) };
      const loaded = kernel.load(part, null);
      try {
        kernel.evaluate(loaded, this.#packed, {
          ...(out.logDensity ? { logDensity: out.logDensity.subarray(start, end) } : {}),
          ...(out.labels ? { labels: out.labels.subarray(start, end) } : {}),
          ...(out.responsibilities ? { responsibilities: out.responsibilities.subarray(start * k, end * k) } : {}),
        });
      } finally {
        kernel.release?.(loaded);
      }
    }
    if (hasMissing(matrix)) evaluateIncomplete(matrix, this.#params, out);
  }

  /**
   * Posterior probability of each component for each row (responsibilities).
   * @param data n×D rows. @returns an n×K matrix whose rows sum to 1.
   */
  predictProba(data: DataInput, options: EvaluateOptions = {}): Matrix {
    const matrix = this.#matrix(data);
    const responsibilities = new Float64Array(matrix.rows * this.components);
    this.#evaluate(matrix, { responsibilities }, options);
    return { rows: matrix.rows, cols: this.components, data: responsibilities };
  }

  /**
   * Log density log p(x) of each row under the mixture.
   * @param data n×D rows. @returns n log densities.
   */
  scoreSamples(data: DataInput, options: EvaluateOptions = {}): Float64Array {
    const matrix = this.#matrix(data);
    const logDensity = new Float64Array(matrix.rows);
    this.#evaluate(matrix, { logDensity }, options);
    return logDensity;
  }

  /** Mean log density per row (weighted by `sampleWeights` if given). */
  score(data: DataInput, options: ScoreOptions = {}): number {
    const { total, count } = this.#totalLogLikelihood(data, options);
    return total / count;
  }

  #totalLogLikelihood(data: DataInput, options: ScoreOptions): { total: number; count: number } {
    const logDensity = this.scoreSamples(data, options);
    const weights = resolveSampleWeights(options.sampleWeights, logDensity.length);
    // Summed in blocks, in the kernel's order, so score() on the training data equals logLikelihood exactly.
    let total = 0;
    let count = 0;
    for (let start = 0; start < logDensity.length; start += BLOCK_ROWS) {
      const end = Math.min(logDensity.length, start + BLOCK_ROWS);
      let blockTotal = 0;
      for (let i = start; i < end; i++) {
        const w = weights === null ? 1 : weights[i];
        if (w === 0) continue;
        blockTotal += w * logDensity[i];
        count += w;
      }
      total += blockTotal;
    }
    return { total, count };
  }

  /** Number of free parameters: covariances + K·D means + (K − 1) weights. */
  get parameterCount(): number {
    return parameterCount(this.covariance, this.components, this.dimensions);
  }

  /**
   * Bayesian information criterion, −2·log L + p·ln n (lower is better), as scikit-learn.
   * With sample weights, n is their sum.
   */
  bic(data: DataInput, options: ScoreOptions = {}): number {
    const { total, count } = this.#totalLogLikelihood(data, options);
    return -2 * total + this.parameterCount * Math.log(count);
  }

  /**
   * Integrated completed likelihood, BIC − 2·Σ log z_i (lower is better), where z_i is
   * the probability of row i's most probable component: BIC plus a penalty for
   * overlapping components. Biernacki, Celeux & Govaert (2000) IEEE TPAMI 22(7):719–725;
   * mclust's `icl` with the sign flipped.
   */
  icl(data: DataInput, options: ScoreOptions = {}): number {
    const proba = this.predictProba(data, options);
    const weights = resolveSampleWeights(options.sampleWeights, proba.rows);
    const k = this.components;
    let entropy = 0;
    for (let i = 0; i < proba.rows; i++) {
      let best = 0;
      for (let m = 0; m < k; m++) best = Math.max(best, proba.data[i * k + m]);
      entropy -= (weights === null ? 1 : weights[i]) * Math.log(best);
    }
    return this.bic(data, options) + 2 * entropy;
  }

  /** Akaike information criterion, −2·log L + 2p (lower is better). */
  aic(data: DataInput, options: ScoreOptions = {}): number {
    const { total } = this.#totalLogLikelihood(data, options);
    return -2 * total + 2 * this.parameterCount;
  }

  /**
   * Fills missing values (NaN) from the model, given each row's observed values.
   * Without options: the conditional mean E[x_M | x_O] under the mixture.
   * With `draws`: that many multiple imputations, each value drawn from the
   * conditional distribution p(x_M | x_O) (a component from the row's
   * responsibilities, then its conditional Gaussian), reproducible by `seed`.
   * Observed values are copied unchanged.
   *
   * @example
   * ```ts
   * const filled = model.impute([[1.2, NaN], [NaN, 60]]);           // Matrix, conditional means
   * const five = model.impute([[1.2, NaN]], { draws: 5, seed: 1 }); // Matrix[] of 5 draws
   * ```
   * @throws MixemError `invalid-data` for a row with every value missing.
   */
  impute(data: DataInput): Matrix;
  impute(data: DataInput, options: { draws: number; seed?: number }): Matrix[];
  impute(data: DataInput, options?: { draws: number; seed?: number }): Matrix | Matrix[] {
    const matrix = this.#matrix(data);
    if (options === undefined) return imputeMissing(matrix, this.#params, null);
    const { draws, seed = 0 } = options;
    if (!Number.isInteger(draws) || draws < 1) throw new MixemError('invalid-option', `draws must be a positive integer; got ${show(draws)}`);
    if (!Number.isFinite(seed)) throw new MixemError('invalid-option', `seed must be a finite number; got ${show(seed)}`);
    const rng = new Random(seed);
    const out: Matrix[] = [];
    for (let t = 0; t < draws; t++) out.push(imputeMissing(matrix, this.#params, rng));
    return out;
  }

  /**
   * Draws n points: per-component counts from a multinomial on the weights,
   * each point as μ + L·z through the covariance's Cholesky factor, then
   * shuffled so that the output is not grouped by component.
   * @param n number of points (a non-negative integer). @param seed seed of the draw (default 0).
   */
  sample(n: number, seed = 0): SampleResult {
    if (!Number.isInteger(n) || n < 0) throw new MixemError('invalid-option', `sample size must be a non-negative integer; got ${show(n)}`);
    if (!Number.isFinite(seed)) throw new MixemError('invalid-option', `seed must be a finite number; got ${show(seed)}`);
    const { k, d, means, weights, covariances } = this.#params;
    const model = covarianceModels[this.covariance];
    const rng = new Random(seed);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) counts[rng.categorical(weights)]++;
    const points = new Float64Array(n * d);
    const labels = new Int32Array(n);
    const full = new Float64Array(d * d);
    const factor = new Float64Array(d * d);
    const z = new Float64Array(d);
    let row = 0;
    for (let m = 0; m < k; m++) {
      model.expand(covariances, m, k, d, full);
      cholesky(full, 0, d, factor, 0);
      for (let c = 0; c < counts[m]; c++, row++) {
        for (let j = 0; j < d; j++) z[j] = rng.normal();
        for (let a = 0; a < d; a++) {
          let v = means[m * d + a];
          for (let b = 0; b <= a; b++) v += factor[a * d + b] * z[b];
          points[row * d + a] = v;
        }
        labels[row] = m;
      }
    }
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    rng.shuffle(order);
    const shuffledPoints = new Float64Array(n * d);
    const shuffledLabels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      shuffledPoints.set(points.subarray(order[i] * d, (order[i] + 1) * d), i * d);
      shuffledLabels[i] = labels[order[i]];
    }
    return { points: { rows: n, cols: d, data: shuffledPoints }, labels: shuffledLabels };
  }

  /** The model file object (format "mixem/gaussian-mixture", version 1); see {@link loadModel}. */
  toJSON(): ModelFile {
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      covariance: this.covariance,
      components: this.components,
      dimensions: this.dimensions,
      weights: [...this.weights],
      means: this.means.map((row) => [...row]),
      covariances: structuredCloneCovariances(this.covariances),
      converged: this.converged,
      iterations: this.iterations,
      logLikelihood: this.logLikelihood,
      history: [...this.history],
      warnings: [...this.warnings],
      recoveries: this.recoveries.map((r) => ({ ...r })),
      options: this.settings === null ? null : { ...this.settings },
    };
  }
}

function structuredCloneCovariances(c: Covariances): Covariances {
  return JSON.parse(JSON.stringify(c)) as Covariances;
}

/** The model file's format tag. */
export const MODEL_FORMAT = 'mixem/gaussian-mixture';
/** The model file's version. */
export const MODEL_VERSION = 1;

/** The model file: a JSON object that other tools read. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  covariance: CovarianceType;
  components: number;
  dimensions: number;
  weights: number[];
  means: number[][];
  covariances: Covariances;
  converged: boolean;
  iterations: number;
  logLikelihood: number | null;
  history: number[];
  warnings: string[];
  recoveries: Recovery[];
  options: FitSettings | null;
}
