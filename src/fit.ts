/**
 * `fit`: validation at the boundary, restarts, and the choice of the best run.
 */
import './timers.js';
import { expectationMaximization, type RunContext, type RunResult } from './em.js';
import { MixemError } from './errors.js';
import { initialParameters, lazyDataCovariance, parseStart, type ParsedStart } from './init.js';
import { referenceKernel } from './kernels/reference.js';
import { toMatrixWithMissing } from './matrix.js';
import { checkColumnsObserved, meanImputed } from './missing.js';
import { resolveLabels, splitRows } from './side-rows.js';
import { GaussianMixture, type FitSettings } from './model.js';
import { resolveOptions, resolveSampleWeights, type FitOptions } from './options.js';
import { Random } from './random.js';
import type { DataInput, IterationInfo } from './types.js';

/**
 * Fits a Gaussian mixture by Expectation–Maximization.
 *
 * Each restart draws a start (k-means by default), then alternates M-steps and
 * fused E-steps until the mean log-likelihood changes by less than
 * `tolerance` or `maxIterations` M-steps are done. The run with the highest
 * final log-likelihood is kept. The same options and seed give a bit-identical model.
 *
 * @param data n×d rows: `number[][]`, or `{ rows, cols, data }` with a row-major array.
 * @param options see {@link FitOptions}; `components` is required.
 * @returns an immutable {@link GaussianMixture}.
 * @throws MixemError `invalid-data`, `invalid-option`, `invalid-start`,
 *   `degenerate-component` or `numeric-overflow`, each with a message naming the cause.
 * @see Bishop, Pattern Recognition and Machine Learning (2006), §9.2.
 * @example
 * ```ts
 * import { fit } from 'mixem';
 * const model = fit([[1, 2], [1.1, 2.1], [8, 9], [8.2, 9.1]], { components: 2, seed: 7 });
 * model.weights;        // [0.5, 0.5]
 * model.logLikelihood;  // mean log-likelihood per row
 * ```
 */
export function fit(data: DataInput, options: FitOptions): GaussianMixture {
  const steps = fitting(data, options);
  let step = steps.next();
  while (!step.done) step = steps.next(options.onIteration?.(step.value) === false);
  return step.value;
}

/** Options of {@link fitAsync}: those of {@link fit}, plus an abort signal. */
export interface FitAsyncOptions extends FitOptions {
  /** Aborting stops the fit after the current iteration and resolves with the best model so far. */
  signal?: { readonly aborted: boolean };
}

/**
 * {@link fit} that yields to the event loop between iterations (at most every
 * 25 ms), so a page stays responsive and a signal can stop it. The result is
 * bit-identical to `fit` with the same options.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const model = await fitAsync(data, { components: 3, signal: controller.signal });
 * ```
 */
export async function fitAsync(data: DataInput, options: FitAsyncOptions): Promise<GaussianMixture> {
  const { signal, ...fitOptions } = options;
  const steps = fitting(data, fitOptions);
  let step = steps.next();
  let last = Date.now();
  while (!step.done) {
    let stop = fitOptions.onIteration?.(step.value) === false;
    if (Date.now() - last >= 25) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      last = Date.now();
    }
    if (signal?.aborted) stop = true;
    step = steps.next(stop);
  }
  return step.value;
}

/**
 * The fit as a generator: yields after every iteration of every restart, and
 * returns the model. Passing `true` to `next()` stops the fit; the best
 * parameters so far are returned, marked not converged. `onIteration` in the
 * options is not called: the consumer sees every step itself.
 */
export function* fitting(data: DataInput, options: FitOptions): Generator<IterationInfo, GaussianMixture, boolean | undefined> {
  const opts = resolveOptions(options);
  // The pass that checks the values also counts the missing ones and finds the largest |x|.
  const { matrix, missing: missingValues, largest } = toMatrixWithMissing(data, 'data');
  const weights = resolveSampleWeights(opts.sampleWeights, matrix.rows);
  const k = opts.components;
  if (missingValues > 0) checkColumnsObserved(matrix);
  const labels = resolveLabels(opts.labels, matrix.rows, k);
  let labelledRows = 0;
  if (labels !== null) for (const z of labels) if (z >= 0) labelledRows++;
  let usableRows = matrix.rows;
  let totalWeight = matrix.rows;
  if (weights !== null) {
    usableRows = 0;
    totalWeight = 0;
    for (const w of weights) {
      if (w > 0) usableRows++;
      totalWeight += w;
    }
  }
  if (k > usableRows) {
    throw new MixemError(
      'invalid-data',
      `components (${k}) is larger than the number of rows${weights === null ? '' : ' with a positive weight'} (${usableRows}); use at most ${usableRows} components`,
    );
  }
  const start: ParsedStart = opts.start === undefined ? {} : parseStart(opts.start, k, matrix.cols, opts.covariance);
  // Complete unlabelled rows go to the kernel; the others to the side pass (./side-rows.ts).
  const split = splitRows(matrix, weights, labels, missingValues > 0);
  // Starts and re-seeds work on the data with missing values filled by column means.
  const seedRows = missingValues > 0 ? meanImputed(matrix, weights) : matrix;
  const globalCovariance = lazyDataCovariance(seedRows, weights, opts.regularization, largest);
  const rng = new Random(opts.seed);
  const kernel = split.kernelMatrix.rows > 0 ? opts.kernel : referenceKernel;
  const loaded = kernel.load(split.kernelMatrix, split.kernelWeights);

  let best: RunResult | null = null;
  let stopped = false;
  try {
    for (let restart = 0; restart < opts.restarts && !stopped; restart++) {
      // With known labels the start is the M-step on the labelled rows (./init.ts).
      const initial = initialParameters(seedRows, weights, k, opts.covariance, opts.init, start, opts.regularization, globalCovariance, rng, labels, kernel, loaded);
      const ctx: RunContext = {
        kernel,
        data: loaded,
        kernelRows: split.kernelRows,
        side: split.side,
        seedRows,
        totalWeight,
        regularization: opts.regularization,
        tolerance: opts.tolerance,
        // Every row labelled and nothing missing: the first M-step is the exact maximum.
        maxIterations: labelledRows === matrix.rows && missingValues === 0 ? Math.min(1, opts.maxIterations) : opts.maxIterations,
        restart,
        restarts: opts.restarts,
        globalCovariance,
        rng,
        acceleration: opts.acceleration,
      };
      const run = expectationMaximization(initial, ctx);
      let step = run.next();
      while (!step.done) {
        if ((yield step.value) === true) stopped = true;
        step = run.next(stopped);
      }
      const result = step.value;
      if (best === null || result.history[result.history.length - 1] > best.history[best.history.length - 1]) best = result;
    }
  } finally {
    kernel.release?.(loaded);
  }
  const kept = best!;
  const warnings = [...kept.warnings];
  if (stopped) warnings.push('the fit was stopped by onIteration before it converged');
  else if (!kept.converged && opts.maxIterations > 0) {
    warnings.push(
      `did not converge in ${opts.maxIterations} iterations (last change of the mean log-likelihood ${lastChange(kept.history).toExponential(2)}, tolerance ${opts.tolerance}); raise maxIterations or tolerance`,
    );
  }
  const settings: FitSettings = {
    components: k,
    covariance: opts.covariance,
    init: opts.init,
    start: opts.start === undefined ? null : 'explicit',
    restarts: opts.restarts,
    maxIterations: opts.maxIterations,
    tolerance: opts.tolerance,
    regularization: opts.regularization,
    seed: opts.seed,
    weighted: weights !== null,
    acceleration: opts.acceleration,
    ...(labelledRows > 0 ? { labelledRows } : {}),
    ...(missingValues > 0 ? { missingValues } : {}),
  };
  return new GaussianMixture(kept.params, {
    converged: kept.converged && !stopped,
    iterations: kept.iterations,
    logLikelihood: kept.history[kept.history.length - 1],
    history: kept.history,
    warnings,
    recoveries: kept.recoveries,
    settings,
  });
}

function lastChange(history: number[]): number {
  return history.length < 2 ? 0 : history[history.length - 1] - history[history.length - 2];
}
