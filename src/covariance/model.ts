/**
 * The contract every covariance type fulfils: the covariance part of the
 * M-step, factoring for the kernel, shapes and parameter counts. Types are
 * strategy objects looked up by name (see ./index.ts), not subclasses.
 */
import type { CovarianceType, Covariances } from '../types.js';

/** Fitted or start parameters in flat form. */
export interface MixtureParameters {
  readonly covariance: CovarianceType;
  readonly k: number;
  readonly d: number;
  /** k mixing weights summing to 1. */
  readonly weights: Float64Array;
  /** k×d means, row-major. */
  readonly means: Float64Array;
  /** Flat covariances: full k×d×d, tied d×d, diag k×d, spherical k. */
  readonly covariances: Float64Array;
}

/** One covariance type's behaviour. k components, d features, m a component. */
export interface CovarianceModel {
  readonly type: CovarianceType;
  /** Which kernel shape its packed parameters use. */
  readonly kernelShape: 'full' | 'diag';
  /** Length of the flat covariance array. */
  size(k: number, d: number): number;
  /** Free covariance parameters (for BIC/AIC). */
  parameterCount(k: number, d: number): number;
  /**
   * Covariance M-step. `second` holds the centred second moments around the old
   * means (kernel shape), `counts` the raw soft counts, `nk` the floored counts,
   * and `shift` the k×d move of each mean. Writes regularized covariances to `out`.
   */
  estimate(
    second: Float64Array,
    counts: Float64Array,
    nk: Float64Array,
    shift: Float64Array,
    k: number,
    d: number,
    regularization: number,
    out: Float64Array,
  ): void;
  /**
   * Packs covariances for the kernel: `factors` (kernel shape) and
   * `logNormalizers`. Returns the components whose covariance is not
   * numerically positive definite (empty on success).
   */
  factor(
    covariances: Float64Array,
    k: number,
    d: number,
    factors: Float64Array,
    logNormalizers: Float64Array,
  ): number[];
  /** Sets component m's covariance from a full d×d matrix (used when re-seeding). */
  assign(covariances: Float64Array, m: number, k: number, d: number, full: Float64Array): void;
  /** Component m's covariance as a full d×d matrix. */
  expand(covariances: Float64Array, m: number, k: number, d: number, out: Float64Array): void;
  /** scikit-learn's nested shape. */
  toNested(covariances: Float64Array, k: number, d: number): Covariances;
  /**
   * Reads scikit-learn's nested shape. Returns a message describing the first
   * shape or value problem instead of throwing, so callers choose the error code.
   */
  fromNested(value: unknown, k: number, d: number): Float64Array | string;
}
