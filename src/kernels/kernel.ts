/**
 * The kernel interface: the one pass over the data that EM spends its time in.
 *
 * Symbols used in kernels: n rows, d features, k components, i a row, j a feature.
 *
 * A kernel evaluates, for every row i and component k,
 *   log π_k + log N(x_i | μ_k, Σ_k) = log π_k − d/2·log 2π + log|F_k| − ½‖F_k (x_i − μ_k)‖²,
 * where F_k is the inverse of the Cholesky factor of Σ_k (so the precision is
 * F_kᵀF_k), then a log-sum-exp over k, and (in `eStep`) accumulates the
 * sufficient statistics around the current means. Rows are processed in blocks
 * of {@link BLOCK_ROWS}; each block's statistics are summed on their own and
 * then added to the totals in block order, so any implementation that keeps
 * that order (threads, WebAssembly) gives bit-identical results.
 */
import type { LloydOutputs, LloydResult } from '../lloyd.js';
import type { Random } from '../random.js';
import type { Matrix } from '../types.js';

/** Rows per block: the unit of work and of summation order. */
export const BLOCK_ROWS = 256;

/**
 * Rows per chunk (16 blocks): the unit a thread pool hands out. Statistics
 * and k-means sums are computed per chunk from zero and the chunks added in
 * chunk order, so one thread or many give the same bits.
 */
export const CHUNK_ROWS = 16 * BLOCK_ROWS;

/**
 * Parameters in the form kernels use.
 * - `full`: `factors` holds k lower-triangular d×d matrices F_k = L_k⁻¹ (row-major).
 * - `diag`: `factors` holds k×d inverse standard deviations.
 * Tied and spherical models are packed as full and diag with repeated factors.
 */
export interface PackedParameters {
  readonly shape: 'full' | 'diag';
  readonly k: number;
  readonly d: number;
  /** k log mixing weights. */
  readonly logWeights: Float64Array;
  /** k×d means. */
  readonly means: Float64Array;
  /** See the interface's description. */
  readonly factors: Float64Array;
  /** k values of −d/2·log 2π + log|F_k|. */
  readonly logNormalizers: Float64Array;
}

/**
 * Sufficient statistics of one E-step, accumulated around the means μ_k that
 * produced them (so the centred second moments never cancel catastrophically):
 * with w_i the row weight and r_ik the responsibility,
 * `counts[k]` = Σ w r, `first[k·d + j]` = Σ w r (x − μ_k)_j and
 * `second` = Σ w r (x − μ_k)(x − μ_k)ᵀ (full: k d×d symmetric matrices; diag: k×d).
 */
export interface SufficientStatistics {
  readonly shape: 'full' | 'diag';
  readonly k: number;
  readonly d: number;
  readonly counts: Float64Array;
  readonly first: Float64Array;
  readonly second: Float64Array;
  /** Σ_i w_i log p(x_i). */
  logLikelihood: number;
  /** The row with the lowest log density (−1 if none): where a collapsed component is re-seeded. */
  worstRow: number;
  /** That row's log density (+∞ if none). */
  worstLogDensity: number;
}

/** Allocates zeroed statistics for the given shape. */
export function createStatistics(shape: 'full' | 'diag', k: number, d: number): SufficientStatistics {
  return {
    shape,
    k,
    d,
    counts: new Float64Array(k),
    first: new Float64Array(k * d),
    second: new Float64Array(shape === 'full' ? k * d * d : k * d),
    logLikelihood: 0,
    worstRow: -1,
    worstLogDensity: Infinity,
  };
}

/** Empties `s` for a new pass: zero sums, no log-likelihood yet, no worst row. */
export function clearStatistics(s: SufficientStatistics): void {
  s.counts.fill(0);
  s.first.fill(0);
  s.second.fill(0);
  s.logLikelihood = 0;
  s.worstRow = -1;
  s.worstLogDensity = Infinity;
}

/** Data loaded into a kernel, with optional per-row weights. */
export interface LoadedData {
  readonly matrix: Matrix;
  /** Per-row weights, or null for all ones. */
  readonly weights: Float64Array | null;
}

/** Per-row outputs that `evaluate` fills when they are present. */
export interface EvaluationOutputs {
  /** n values of log p(x_i). */
  logDensity?: Float64Array;
  /** n most probable components. */
  labels?: Int32Array;
  /** n×k responsibilities, row-major. */
  responsibilities?: Float64Array;
}

/** What every kernel implementation provides. */
export interface Kernel {
  /** Prepares data for repeated passes (a WebAssembly kernel copies it once here). */
  load(matrix: Matrix, weights: Float64Array | null): LoadedData;
  /** One fused E-step: fills `stats` (zeroing it first) and returns Σ w log p. */
  eStep(data: LoadedData, params: PackedParameters, stats: SufficientStatistics): number;
  /** Per-row log densities, labels and responsibilities, for prediction and scoring. */
  evaluate(data: LoadedData, params: PackedParameters, out: EvaluationOutputs): void;
  /** Frees what `load` allocated (optional; the fit calls it when done). */
  release?(data: LoadedData): void;
  /**
   * Lloyd's k-means iterations (src/kmeans.ts `lloyd`, the same results bit
   * for bit) from `centers` (k×d, updated in place) on the loaded data, where
   * the kernel holds it (optional: a kernel that offers it spares the k-means
   * start a copy of the data, and may run it on several threads). `outputs`
   * (src/lloyd.ts `LloydOutputs`, default `'clusters'`: labels and inertia)
   * says what the result holds besides the centres: the start's M-step asks
   * for the clusters' scatter about them instead.
   */
  lloyd?(data: LoadedData, centers: Float64Array, k: number, maxIterations: number, tolerance: number, outputs?: LloydOutputs): LloydResult;
  /**
   * Greedy k-means++ seeding (src/kmeans.ts `kmeansPlusPlus`: the same draws
   * from `rng` and the same k×d centres, bit for bit) on the loaded data,
   * where the kernel holds it (optional, as `lloyd`).
   */
  kmeansPlusPlus?(data: LoadedData, k: number, rng: Random): Float64Array;
  /**
   * A hint that `rows` rows of `cols` features (with weights when `weighted`)
   * are about to be loaded, with k-means' per-row state beside them
   * (optional). A kernel with memory of its own makes room now and writes
   * over it, so that the copy later finds its pages resident: the parallel
   * kernel's workers do this while the calling thread works. Never throws; a
   * load that then does not fit says so.
   */
  reserve?(rows: number, cols: number, weighted: boolean): void;
  /**
   * Data already in this kernel's memory, shared with other threads (the
   * parallel kernel's rows: src/kernels/shared-blocks.ts): the rows at byte
   * offset `x`, followed by two zero values, and the weights at `w` (0:
   * none); `matrix` and `weights` are views of them. Nothing is copied, and
   * `release` frees nothing (optional: only the float64 WebAssembly kernel
   * in a shared memory has it).
   */
  loadInPlace?(matrix: Matrix, weights: Float64Array | null, x: number, w: number): LoadedData;
}
