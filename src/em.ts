/**
 * The EM loop, written once for every covariance type and kernel. It is a
 * generator: `fit` drains it, and an interactive page can step it.
 *
 * Each iteration is an M-step from the statistics of the previous E-step,
 * then a fused E-step at the new parameters, which gives both the new mean
 * log-likelihood and the statistics for the next M-step. So `maxIterations`
 * M-steps take `maxIterations + 1` passes over the data, and the reported
 * log-likelihood always belongs to the returned parameters (unlike
 * scikit-learn's `lower_bound_`, which lags one step behind).
 *
 * Reference: Dempster, Laird & Rubin (1977) JRSS-B 39:1–38; Bishop (2006) §9.2.
 */
import { covarianceModels, maximize, pack, type MixtureParameters } from './covariance/index.js';
import { MixemError } from './errors.js';
import {
  clearStatistics,
  createStatistics,
  type Kernel,
  type LoadedData,
  type PackedParameters,
  type SufficientStatistics,
} from './kernels/kernel.js';
import type { Random } from './random.js';
import { sideEStep, type SideRows } from './side-rows.js';
import type { IterationInfo, Matrix, Recovery } from './types.js';

/** Everything one EM run needs besides its start. */
export interface RunContext {
  readonly kernel: Kernel;
  /** The rows loaded into the kernel: complete and unlabelled. */
  readonly data: LoadedData;
  /** The user's row index of each kernel row; null when the kernel has every row. */
  readonly kernelRows: Int32Array | null;
  /** Rows with missing values or known labels, handled outside the kernel; null if none. */
  readonly side: SideRows | null;
  /** Every row, in the user's order, with missing values filled: where re-seeded means come from. */
  readonly seedRows: Matrix;
  /** Σ of row weights (n when unweighted). */
  readonly totalWeight: number;
  readonly regularization: number;
  readonly tolerance: number;
  readonly maxIterations: number;
  readonly restart: number;
  readonly restarts: number;
  /** The data's covariance (d×d, regularized), computed on first call: the shape a re-seeded component starts with. */
  readonly globalCovariance: () => Float64Array;
  readonly rng: Random;
  /** `"squarem"` makes each iteration one SQUAREM cycle (three EM evaluations). */
  readonly acceleration: 'none' | 'squarem';
}

/** The outcome of one EM run. */
export interface RunResult {
  readonly params: MixtureParameters;
  readonly packed: PackedParameters;
  /** Mean log-likelihood at the start and after each iteration (length iterations + 1). */
  readonly history: number[];
  readonly iterations: number;
  readonly converged: boolean;
  readonly recoveries: Recovery[];
  readonly warnings: string[];
}

/** A component whose soft count is below this fraction of an average row is empty. */
const EMPTY_FRACTION = 1e-3;
/** Re-seeds allowed per component and run before a collapse is reported as an error. */
const RESEEDS_PER_COMPONENT = 3;

/**
 * Runs EM from `start`. Yields progress after every iteration; the caller
 * stops the run early by calling `return()` on the generator or by passing
 * `true` to `next()`.
 *
 * @throws MixemError `degenerate-component` when a collapsed component cannot be
 *   recovered, `numeric-overflow` when the likelihood is not finite.
 */
export function* expectationMaximization(
  start: MixtureParameters,
  ctx: RunContext,
): Generator<IterationInfo, RunResult, boolean | undefined> {
  const { totalWeight } = ctx;
  const model = covarianceModels[start.covariance];
  const stats = createStatistics(model.kernelShape, start.k, start.d);
  const recoveries: Recovery[] = [];
  const warnings: string[] = [];
  const emptyThreshold = (EMPTY_FRACTION * totalWeight) / ctx.seedRows.rows;

  let params = start;
  let packed = settle(params, null, 0, ctx, recoveries, warnings, emptyThreshold);
  let logLikelihood = meanLogLikelihood(ctx, params, packed, stats, 0);
  const history = [logLikelihood];
  let converged = false;
  let iteration = 0;

  /** One EM update from `current` (whose statistics are in `stats`); leaves the new statistics in `stats`. */
  const emStep = (current: MixtureParameters, iteration: number) => {
    const next = maximize(stats, current, ctx.regularization);
    const nextPacked = settle(next, stats, iteration, ctx, recoveries, warnings, emptyThreshold);
    return { params: next, packed: nextPacked, logLikelihood: meanLogLikelihood(ctx, next, nextPacked, stats, iteration) };
  };

  /**
   * One SQUAREM cycle (Varadhan & Roland 2008, scheme S3): two EM updates θ1, θ2,
   * an extrapolation θ' = θ0 − 2αr + α²v with r = θ1 − θ0, v = θ2 − 2θ1 + θ0 and
   * α = −‖r‖/‖v‖ ≤ −1, then one EM update from θ'. The result is kept only if its
   * likelihood is at least that of θ1; otherwise the cycle falls back to θ2, so the
   * likelihood never falls. An invalid θ' (a weight ≤ 0, a covariance not positive
   * definite) halves the step towards α = −1, where θ' = θ2.
   */
  const squaremStep = (theta0: MixtureParameters, iteration: number) => {
    const recoveredBefore = recoveries.length;
    const first = emStep(theta0, iteration);
    const theta1 = first.params;
    const theta2 = maximize(stats, theta1, ctx.regularization);
    const packed2 = settle(theta2, stats, iteration, ctx, recoveries, warnings, emptyThreshold);
    const fallback = () => ({ params: theta2, packed: packed2, logLikelihood: meanLogLikelihood(ctx, theta2, packed2, stats, iteration) });
    if (recoveries.length !== recoveredBefore) return fallback();
    const parts = (t: MixtureParameters) => [t.weights, t.means, t.covariances];
    const [p0, p1, p2] = [parts(theta0), parts(theta1), parts(theta2)];
    let rr = 0;
    let vv = 0;
    for (let part = 0; part < 3; part++) {
      for (let q = 0; q < p0[part].length; q++) {
        const r = p1[part][q] - p0[part][q];
        const v = p2[part][q] - 2 * p1[part][q] + p0[part][q];
        rr += r * r;
        vv += v * v;
      }
    }
    let alpha = vv > 0 ? -Math.sqrt(rr / vv) : -1;
    for (let attempt = 0; alpha < -1 && attempt < 30; attempt++, alpha = (alpha - 1) / 2) {
      const [weights, means, covariances] = p0.map((a) => new Float64Array(a.length));
      const extrapolated = [weights, means, covariances];
      for (let part = 0; part < 3; part++) {
        for (let q = 0; q < p0[part].length; q++) {
          const r = p1[part][q] - p0[part][q];
          const v = p2[part][q] - 2 * p1[part][q] + p0[part][q];
          extrapolated[part][q] = p0[part][q] - 2 * alpha * r + alpha * alpha * v;
        }
      }
      let sum = 0;
      for (const w of weights) sum += w;
      if (!weights.every((w) => w > 0)) continue;
      for (let m = 0; m < weights.length; m++) weights[m] /= sum;
      const thetaPrime: MixtureParameters = { ...theta0, weights, means, covariances };
      const packedPrime = pack(thetaPrime).packed;
      if (packedPrime === null) continue;
      const primeLogLikelihood = eStep(ctx, thetaPrime, packedPrime, stats) / totalWeight;
      if (!Number.isFinite(primeLogLikelihood)) continue;
      const accelerated = maximize(stats, thetaPrime, ctx.regularization);
      const packedAccelerated = pack(accelerated).packed;
      if (packedAccelerated === null) break;
      const value = eStep(ctx, accelerated, packedAccelerated, stats) / totalWeight;
      if (value >= first.logLikelihood) return { params: accelerated, packed: packedAccelerated, logLikelihood: value };
      break;
    }
    return fallback();
  };
  const update = ctx.acceleration === 'squarem' ? squaremStep : emStep;

  // As scikit-learn: once the change falls below the tolerance, one more
  // iteration runs (its M-step gives the parameters scikit-learn returns; its
  // E-step scores them, the pass scikit-learn makes for its final labels) and
  // the loop ends, converged.
  let last = false;
  while (iteration < ctx.maxIterations) {
    iteration++;
    const recoveredBefore = recoveries.length;
    const next = update(params, iteration);
    params = next.params;
    packed = next.packed;
    const change = next.logLikelihood - logLikelihood;
    logLikelihood = next.logLikelihood;
    history.push(logLikelihood);
    const stop = yield { restart: ctx.restart, restarts: ctx.restarts, iteration, logLikelihood, change };
    if (stop === true || last) break;
    // A re-seeded iteration may lower the likelihood; never call that convergence.
    if (recoveries.length === recoveredBefore && Math.abs(change) < ctx.tolerance) {
      converged = true;
      last = true;
    }
  }
  return { params, packed, history, iterations: iteration, converged, recoveries, warnings };
}

/**
 * One E-step over every row: the kernel's rows, then the side rows, in that
 * fixed order. Fills `stats` and returns Σ w log p.
 */
function eStep(ctx: RunContext, params: MixtureParameters, packed: PackedParameters, stats: SufficientStatistics): number {
  let total: number;
  if (ctx.data.matrix.rows > 0) {
    total = ctx.kernel.eStep(ctx.data, packed, stats);
    if (ctx.kernelRows !== null && stats.worstRow >= 0) stats.worstRow = ctx.kernelRows[stats.worstRow];
  } else {
    clearStatistics(stats);
    total = 0;
  }
  if (ctx.side !== null) total += sideEStep(ctx.side, params, stats);
  return total;
}

/** One E-step; returns the mean log-likelihood, or throws if it is not finite. */
function meanLogLikelihood(
  ctx: RunContext,
  params: MixtureParameters,
  packed: PackedParameters,
  stats: SufficientStatistics,
  iteration: number,
): number {
  const mean = eStep(ctx, params, packed, stats) / ctx.totalWeight;
  if (!Number.isFinite(mean)) {
    let largest = 0;
    for (const v of ctx.seedRows.data) largest = Math.max(largest, Math.abs(v));
    throw new MixemError(
      'numeric-overflow',
      `the log-likelihood became ${mean} at iteration ${iteration}: squared distances overflow double precision ` +
        `(largest |value| in the data is ${largest.toExponential(3)}); rescale or standardize the data, or check the start parameters`,
    );
  }
  return mean;
}

/**
 * Packs parameters for the kernel, first re-seeding every component that is
 * empty or whose covariance is not positive definite: its mean moves to the
 * worst-explained row (then to random rows), its covariance becomes the
 * data's, and its weight at least 1/k. Mutates `params` in place.
 */
function settle(
  params: MixtureParameters,
  stats: SufficientStatistics | null,
  iteration: number,
  ctx: RunContext,
  recoveries: Recovery[],
  warnings: string[],
  emptyThreshold: number,
): PackedParameters {
  const { k, d, covariance } = params;
  const model = covarianceModels[covariance];
  const x = ctx.seedRows.data;
  const n = ctx.seedRows.rows;
  let attempt = pack(params);
  const degenerate = new Map<number, Recovery['reason']>();
  for (const m of attempt.failed) degenerate.set(m, 'singular-covariance');
  if (stats !== null) {
    for (let m = 0; m < k; m++) {
      if (stats.counts[m] < emptyThreshold && !degenerate.has(m)) degenerate.set(m, 'empty');
    }
  }
  if (degenerate.size === 0 && attempt.packed) return attempt.packed;

  if (covariance === 'tied' && attempt.failed.length > 0) {
    throw degenerateError(
      'the shared (tied) covariance is not positive definite',
      ctx.regularization,
      'the data lie on a lower-dimensional subspace',
    );
  }
  let usedWorst = false;
  for (const [m, reason] of degenerate) {
    const softCount = stats === null ? 0 : stats.counts[m];
    const previous = recoveries.filter((r) => r.restart === ctx.restart && r.component === m).length;
    if (previous >= RESEEDS_PER_COMPONENT) {
      if (reason === 'empty') {
        if (!warnings.some((w) => w.startsWith(`component ${m} `))) {
          warnings.push(`component ${m} stayed empty after ${previous} re-seeds; fewer components may fit the data as well`);
        }
        continue;
      }
      throw degenerateError(
        `component ${m} collapsed (soft count ${softCount.toPrecision(3)}) and its covariance stayed singular after ${previous} re-seeds`,
        ctx.regularization,
        'the component sits on too few distinct points',
      );
    }
    const row = !usedWorst && stats !== null && stats.worstRow >= 0 ? stats.worstRow : ctx.rng.integer(n);
    usedWorst = true;
    params.means.set(x.subarray(row * d, (row + 1) * d), m * d);
    model.assign(params.covariances, m, k, d, ctx.globalCovariance());
    params.weights[m] = Math.max(params.weights[m], 1 / k);
    recoveries.push({ restart: ctx.restart, iteration, component: m, reason, softCount, row });
  }
  let sum = 0;
  for (let m = 0; m < k; m++) sum += params.weights[m];
  for (let m = 0; m < k; m++) params.weights[m] /= sum;
  attempt = pack(params);
  if (!attempt.packed) {
    throw degenerateError(
      `component ${attempt.failed[0]} has a singular covariance even after re-seeding it with the data's covariance`,
      ctx.regularization,
      'a feature is constant or the features are collinear',
    );
  }
  return attempt.packed;
}

function degenerateError(what: string, regularization: number, cause: string): MixemError {
  return new MixemError(
    'degenerate-component',
    `${what}; likely cause: ${cause}. Remedies: use fewer components, raise regularization ` +
      `(now ${regularization}), or standardize the data`,
  );
}
