/**
 * Shapes shared across mixem: the data matrix, covariance types, parameters and options.
 */

/**
 * A dense matrix of `rows` × `cols` numbers stored row-major in `data`
 * (element (i, j) is `data[i * cols + j]`). This is how mixem passes data
 * around internally; public functions also accept `number[][]`.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Data accepted by public functions: rows of numbers, or a row-major matrix. */
export type DataInput =
  | ReadonlyArray<ReadonlyArray<number>>
  | { readonly rows: number; readonly cols: number; readonly data: ArrayLike<number> };

/**
 * How each component's covariance is modelled (scikit-learn's names):
 * - `full`: each component has its own general covariance matrix;
 * - `tied`: all components share one general covariance matrix;
 * - `diag`: each component has its own diagonal covariance matrix;
 * - `spherical`: each component has its own single variance.
 */
export type CovarianceType = 'full' | 'tied' | 'diag' | 'spherical';

/** Every covariance type, in a fixed order. */
export const COVARIANCE_TYPES: readonly CovarianceType[] = ['full', 'tied', 'diag', 'spherical'];

/**
 * Covariances in scikit-learn's shapes: full K×D×D, tied D×D, diag K×D, spherical K.
 */
export type Covariances = number[][][] | number[][] | number[];

/** How the first parameters are chosen when no explicit start is given. */
export type InitMethod = 'kmeans' | 'kmeans++' | 'random' | 'random-from-data';

/** Every start method, in a fixed order. */
export const INIT_METHODS: readonly InitMethod[] = ['kmeans', 'kmeans++', 'random', 'random-from-data'];

/**
 * Explicit start parameters. Any part that is absent is estimated from the
 * `init` method, as scikit-learn does with `weights_init`, `means_init` and
 * `precisions_init`.
 */
export interface StartParameters {
  /** K mixing weights, each in [0, 1], summing to 1 (within 1e-8). */
  readonly weights?: ArrayLike<number>;
  /** K×D component means. */
  readonly means?: ReadonlyArray<ArrayLike<number>>;
  /** Covariances in scikit-learn's shape for the covariance type; each must be positive definite. */
  readonly covariances?: Covariances;
}

/** What the per-iteration callback receives. */
export interface IterationInfo {
  /** 0-based index of the current restart. */
  readonly restart: number;
  /** Number of restarts in this fit. */
  readonly restarts: number;
  /** 1-based iteration number (M-steps done in this restart). */
  readonly iteration: number;
  /** Mean per-sample log-likelihood after this iteration. */
  readonly logLikelihood: number;
  /** Change of the mean log-likelihood since the previous iteration. */
  readonly change: number;
}

/** A component that EM found degenerate and re-seeded. */
export interface Recovery {
  /** 0-based restart. */
  readonly restart: number;
  /** Iteration (1-based) whose M-step produced the degenerate component. */
  readonly iteration: number;
  /** 0-based component index. */
  readonly component: number;
  /** Why it was degenerate. */
  readonly reason: 'empty' | 'singular-covariance';
  /** Its soft count (weighted number of rows) when it was found degenerate. */
  readonly softCount: number;
  /** The row it was re-seeded at (0-based). */
  readonly row: number;
}
