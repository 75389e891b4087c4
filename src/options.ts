/**
 * Fit options: their defaults and their validation, from one declarative table.
 */
import { MixemError, show } from './errors.js';
import type { Kernel } from './kernels/kernel.js';
import { referenceKernel } from './kernels/reference.js';
import {
  COVARIANCE_TYPES,
  INIT_METHODS,
  type CovarianceType,
  type InitMethod,
  type IterationInfo,
  type StartParameters,
} from './types.js';

/** Anything that can serve as a start: explicit parameters, or a fitted model (warm start). */
export interface StartSource extends StartParameters {
  readonly covariance?: CovarianceType;
}

/** Options of {@link fit}. Only `components` is required. */
export interface FitOptions {
  /** Number of mixture components K (a positive integer, at most the number of rows). */
  components: number;
  /** Covariance type (default `"full"`). */
  covariance?: CovarianceType;
  /** Start method when no explicit `start` is given, or for its missing parts (default `"kmeans"`). */
  init?: InitMethod;
  /**
   * Explicit start parameters, or a previously fitted model for a warm start.
   * Parts left out are estimated by `init`.
   */
  start?: StartSource;
  /** Number of EM runs from different starts; the best by log-likelihood is kept (default 1). */
  restarts?: number;
  /** Maximum number of EM iterations (M-steps) per run; 0 returns the start (default 100). */
  maxIterations?: number;
  /** Convergence threshold on the change of the mean log-likelihood (default 1e-3; 0 runs every iteration). */
  tolerance?: number;
  /** Added to every covariance diagonal after each M-step (default 1e-6). */
  regularization?: number;
  /** Seed of the random stream used by the start and recovery (default 0). */
  seed?: number;
  /** Per-row non-negative weights; a weighted fit equals the fit on rows repeated by integer weights. */
  sampleWeights?: ArrayLike<number>;
  /**
   * Known components for some rows (semi-supervised EM): per row a component
   * index in [0, K), or null / −1 / NaN where unknown. Labelled rows keep
   * one-hot responsibilities; the start is the M-step on the labelled rows.
   * With every row labelled the fit is one M-step: Gaussian discriminant
   * analysis (QDA for full covariances, LDA for tied).
   */
  labels?: ArrayLike<number | null | undefined>;
  /**
   * Called after every iteration with progress. Return `false` to stop the fit:
   * the best parameters so far are returned, marked not converged.
   */
  onIteration?: (info: IterationInfo) => boolean | void;
  /**
   * The implementation of the E-step pass (default: the plain TypeScript
   * reference kernel). Faster kernels give the same result within rounding.
   */
  kernel?: Kernel;
  /**
   * `"squarem"` accelerates EM (Varadhan & Roland 2008): each iteration is then one
   * SQUAREM cycle of three EM evaluations, kept only if the likelihood does not fall.
   * Default `"none"`: plain EM, one M-step per iteration, as scikit-learn.
   */
  acceleration?: 'none' | 'squarem';
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly components: number;
  readonly covariance: CovarianceType;
  readonly init: InitMethod;
  readonly start: StartSource | undefined;
  readonly restarts: number;
  readonly maxIterations: number;
  readonly tolerance: number;
  readonly regularization: number;
  readonly seed: number;
  readonly sampleWeights: ArrayLike<number> | undefined;
  readonly labels: ArrayLike<number | null | undefined> | undefined;
  readonly onIteration: ((info: IterationInfo) => boolean | void) | undefined;
  readonly kernel: Kernel;
  readonly acceleration: 'none' | 'squarem';
}

interface Rule {
  readonly default?: unknown;
  readonly valid: (value: unknown) => boolean;
  readonly expected: string;
}

const isInteger = (min: number) => (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNonNegative = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const oneOf = (values: readonly string[]) => (v: unknown) => typeof v === 'string' && values.includes(v);
const isObject = (v: unknown) => v !== null && typeof v === 'object';
const isArrayLike = (v: unknown) => isObject(v) && typeof (v as ArrayLike<number>).length === 'number';

/** The option table: default, check, and what a valid value is. */
const RULES: Record<keyof FitOptions, Rule> = {
  components: { valid: isInteger(1), expected: 'a positive integer' },
  covariance: { default: 'full', valid: oneOf(COVARIANCE_TYPES), expected: `one of ${COVARIANCE_TYPES.join(', ')}` },
  init: { default: 'kmeans', valid: oneOf(INIT_METHODS), expected: `one of ${INIT_METHODS.join(', ')}` },
  start: { default: undefined, valid: isObject, expected: 'an object with weights, means and/or covariances, or a fitted model' },
  restarts: { default: 1, valid: isInteger(1), expected: 'a positive integer' },
  maxIterations: { default: 100, valid: isInteger(0), expected: 'a non-negative integer' },
  tolerance: { default: 1e-3, valid: isNonNegative, expected: 'a finite number ≥ 0' },
  regularization: { default: 1e-6, valid: isNonNegative, expected: 'a finite number ≥ 0' },
  seed: { default: 0, valid: (v) => typeof v === 'number' && Number.isFinite(v), expected: 'a finite number' },
  sampleWeights: { default: undefined, valid: isArrayLike, expected: 'an array of non-negative numbers, one per row' },
  labels: { default: undefined, valid: isArrayLike, expected: 'an array with a component index or null per row' },
  onIteration: { default: undefined, valid: (v) => typeof v === 'function', expected: 'a function' },
  acceleration: { default: 'none', valid: oneOf(['none', 'squarem']), expected: 'one of none, squarem' },
  kernel: { default: referenceKernel, valid: isKernel, expected: 'a kernel with load, eStep and evaluate' },
};

/** Whether `v` has a kernel's methods. */
export function isKernel(v: unknown): v is Kernel {
  return isObject(v) && ['load', 'eStep', 'evaluate'].every((f) => typeof (v as Record<string, unknown>)[f] === 'function');
}

/**
 * Applies defaults and checks every option against the table.
 * @throws MixemError `invalid-option` naming the option, the bad value and what is expected.
 */
export function resolveOptions(options: FitOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new MixemError('invalid-option', `options must be an object such as { components: 2 }; got ${show(options)}`);
  }
  const known = Object.keys(RULES);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new MixemError('invalid-option', `unknown option ${JSON.stringify(key)}; the options are ${known.join(', ')}`);
    }
  }
  const resolved: Record<string, unknown> = {};
  for (const key of known as (keyof FitOptions)[]) {
    const rule = RULES[key];
    const given = options[key];
    if (given === undefined) {
      if (!('default' in rule)) throw new MixemError('invalid-option', `option ${key} is required: ${rule.expected}`);
      resolved[key] = rule.default;
    } else if (!rule.valid(given)) {
      throw new MixemError('invalid-option', `option ${key} must be ${rule.expected}; got ${show(given)}`);
    } else {
      resolved[key] = given;
    }
  }
  return resolved as unknown as ResolvedOptions;
}

/**
 * Checks sample weights against the number of rows and copies them.
 * @throws MixemError `invalid-option` naming the first bad weight.
 */
export function resolveSampleWeights(weights: ArrayLike<number> | undefined, rows: number): Float64Array | null {
  if (weights === undefined) return null;
  if (weights.length !== rows) {
    throw new MixemError('invalid-option', `option sampleWeights has ${weights.length} values but the data has ${rows} rows`);
  }
  const out = new Float64Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new MixemError('invalid-option', `option sampleWeights[${i}] is ${show(w)}; weights must be finite and ≥ 0`);
    }
    out[i] = w;
    total += w;
  }
  if (!(total > 0)) throw new MixemError('invalid-option', 'option sampleWeights are all zero; at least one row needs a positive weight');
  if (!Number.isFinite(total)) {
    throw new MixemError('invalid-option', 'option sampleWeights sum to more than the largest double; divide them by a common factor');
  }
  return out;
}
