/**
 * Messages between the page (main.ts) and the fitting worker (worker.ts).
 * Every request carries an id; the worker handles requests one at a time, in
 * order, and ends each with `done` or `error` carrying that id. `stop` is the
 * exception: it takes effect at once and ends every long request up to its id.
 */
import type { CovarianceType, Covariances, InitMethod } from 'mixem';

/** The fit options the page's controls set. */
export interface Settings {
  components: number;
  covariance: CovarianceType;
  init: InitMethod;
  seed: number;
  restarts: number;
  tolerance: number;
  maxIterations: number;
}

/** The parameters of a mixture, as plain data. */
export interface Snapshot {
  covariance: CovarianceType;
  components: number;
  dimensions: number;
  weights: number[];
  means: number[][];
  covariances: Covariances;
  /** Mean log-likelihood per row of the current data at these parameters. */
  logLikelihood: number;
}

/** One point of a log-likelihood trace. */
export interface TracePoint {
  restart: number;
  iteration: number;
  logLikelihood: number;
}

/** One K of the BIC curve. */
export interface SelectionPoint {
  components: number;
  bic: number | null;
  logLikelihood: number | null;
  error: string | null;
}

export type Request =
  /**
   * New data (n × d, row-major, the fitted columns) and the rows that are drawn.
   * With `keepModel` (points were added) the current parameters stay and are re-scored.
   */
  | { type: 'data'; id: number; values: Float64Array; rows: number; cols: number; drawn: Int32Array; source: string; columns: string[]; keepModel: boolean }
  /** New start parameters from the start method and seed (no EM step yet). */
  | { type: 'reset'; id: number; settings: Settings }
  /** Responsibilities at the current parameters. */
  | { type: 'e-step'; id: number }
  /** One M-step from the responsibilities at the current parameters. */
  | { type: 'm-step'; id: number; settings: Settings }
  /** EM steps from the current parameters until the change falls below the tolerance, paced so they can be watched. */
  | { type: 'run'; id: number; settings: Settings }
  /** The library's fit from scratch, with restarts. */
  | { type: 'fit'; id: number; settings: Settings }
  /** k-means with K clusters, matched to the EM components. */
  | { type: 'kmeans'; id: number; settings: Settings }
  /** BIC for K = 1 … maxComponents. */
  | { type: 'select'; id: number; settings: Settings; maxComponents: number }
  /** The model file and the labelled data. */
  | { type: 'export'; id: number }
  /** Stops every long request with an id up to this one. */
  | { type: 'stop'; id: number };

export type Reply =
  /**
   * New parameters. `responsibilities` (drawn rows × K, row-major) is null when
   * the step left them stale (an M-step) or not yet computed (a reset).
   */
  | { type: 'model'; id: number; cause: 'reset' | 'm-step' | 'run' | 'fit' | 'data'; model: Snapshot; responsibilities: Float64Array | null; iterations: number; converged: boolean; notes: string[] }
  /** Responsibilities of the drawn rows at the current parameters (an E-step). */
  | { type: 'responsibilities'; id: number; responsibilities: Float64Array; components: number }
  /** Log-likelihoods of the library's fit since the last progress message. */
  | { type: 'progress'; id: number; points: TracePoint[]; restarts: number }
  /** A restart of the library's fit has ended. */
  | { type: 'restart'; id: number; restart: number; restarts: number; logLikelihood: number; bestBefore: number | null }
  /** k-means labels of the drawn rows, renumbered to match the EM components where there are any. */
  | { type: 'kmeans'; id: number; labels: Int32Array; centers: number[][]; inertia: number; disagreements: number | null; matched: boolean }
  /** One more K of the BIC curve. */
  | { type: 'selection'; id: number; point: SelectionPoint }
  | { type: 'export'; id: number; model: string; labels: string }
  | { type: 'done'; id: number; stopped: boolean }
  | { type: 'error'; id: number; message: string };
