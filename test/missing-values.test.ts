/**
 * Missing values (NaN) are marginalized inside EM: checks of the exact
 * marginal, of the expected statistics against the kernel, of EM's
 * invariants, and of recovery and imputation against simple baselines.
 */
import { describe, expect, it } from 'vitest';
import { COVARIANCE_TYPES, createWasmKernelSync, fit, loadModel, MODEL_FORMAT, MODEL_VERSION, type GaussianMixture } from '../src/index.js';
import { pack } from '../src/covariance/index.js';
import { createStatistics } from '../src/kernels/kernel.js';
import { referenceKernel } from '../src/kernels/reference.js';
import { groupByPattern } from '../src/missing.js';
import { sideEStep } from '../src/side-rows.js';
import { correlatedMixture, permutation, removeAtRandom } from './helpers/generate.js';

const { rows: complete } = correlatedMixture(600, 11);
const holed = removeAtRandom(complete, 0.3, 5);

/** Largest |a − b| / max(1, |b|) over two nested arrays. */
function maxRelativeDifference(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) / Math.max(1, Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.reduce((m: number, v, i) => Math.max(m, maxRelativeDifference(v, b[i])), 0);
  throw new Error('shape mismatch');
}

function gaussian1(x: number, mean: number, variance: number): number {
  return -0.5 * Math.log(2 * Math.PI * variance) - ((x - mean) * (x - mean)) / (2 * variance);
}

describe('the marginal of a row with missing values', () => {
  const model = loadModel({
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    covariance: 'full',
    weights: [0.3, 0.7],
    means: [
      [0, 1],
      [3, -2],
    ],
    covariances: [
      [
        [2, 0.8],
        [0.8, 1],
      ],
      [
        [0.5, -0.3],
        [-0.3, 1.5],
      ],
    ],
  });

  it('scoreSamples of [x, NaN] is the log of the mixture of the first coordinate’s marginals', () => {
    const x = 0.7;
    const expected = Math.log(0.3 * Math.exp(gaussian1(x, 0, 2)) + 0.7 * Math.exp(gaussian1(x, 3, 0.5)));
    expect(model.scoreSamples([[x, NaN]])[0]).toBeCloseTo(expected, 13);
    const y = -1.1;
    const expectedY = Math.log(0.3 * Math.exp(gaussian1(y, 1, 1)) + 0.7 * Math.exp(gaussian1(y, -2, 1.5)));
    expect(model.scoreSamples([[NaN, y]])[0]).toBeCloseTo(expectedY, 13);
  });

  it('predictProba and predict use the marginal; complete rows are unchanged', () => {
    const x = 0.7;
    const a = 0.3 * Math.exp(gaussian1(x, 0, 2));
    const b = 0.7 * Math.exp(gaussian1(x, 3, 0.5));
    const proba = model.predictProba([
      [x, NaN],
      [1, 1],
    ]);
    expect(proba.data[0]).toBeCloseTo(a / (a + b), 13);
    expect(Array.from(proba.data.subarray(2))).toEqual(Array.from(model.predictProba([[1, 1]]).data));
    expect(model.predict([[x, NaN]])[0]).toBe(a > b ? 0 : 1);
  });

  it('impute gives the conditional mean of a single Gaussian by hand', () => {
    const single = loadModel({
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      covariance: 'full',
      weights: [1],
      means: [[1, 2, 3]],
      covariances: [
        [
          [2, 0.6, 0.4],
          [0.6, 1, 0.2],
          [0.4, 0.2, 1.5],
        ],
      ],
    });
    // x = (NaN, 2.5, NaN): μ_M + Σ_MO Σ_OO⁻¹ (x_O − μ_O) with O = {1}.
    const filled = single.impute([[NaN, 2.5, NaN]]);
    expect(filled.data[0]).toBeCloseTo(1 + (0.6 / 1) * 0.5, 14);
    expect(filled.data[1]).toBe(2.5);
    expect(filled.data[2]).toBeCloseTo(3 + (0.2 / 1) * 0.5, 14);
    // Draws scatter around it with the conditional variance Σ_00 − Σ_01²/Σ_11 = 2 − 0.36.
    const draws = single.impute([[NaN, 2.5, 3]], { draws: 4000, seed: 3 }).map((m) => m.data[0]);
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / draws.length;
    // Conditional on x2 = 3 too: O = {1, 2}.
    const det = 1 * 1.5 - 0.2 * 0.2;
    const inv = [1.5 / det, -0.2 / det, -0.2 / det, 1 / det];
    const b0 = 0.6 * inv[0] + 0.4 * inv[2];
    const b1 = 0.6 * inv[1] + 0.4 * inv[3];
    const condMean = 1 + b0 * 0.5 + b1 * 0;
    const condVar = 2 - (b0 * 0.6 + b1 * 0.4);
    expect(Math.abs(mean - condMean)).toBeLessThan(4 * Math.sqrt(condVar / draws.length));
    expect(Math.abs(variance / condVar - 1)).toBeLessThan(0.08);
    // The same seed gives the same draws.
    expect(single.impute([[NaN, 2.5, 3]], { draws: 2, seed: 3 })[1].data).toEqual(single.impute([[NaN, 2.5, 3]], { draws: 2, seed: 3 })[1].data);
  });
});

describe('the side pass', () => {
  it('gives the kernel’s statistics on complete rows (within rounding), for every covariance type', () => {
    const matrix = { rows: complete.length, cols: 3, data: Float64Array.from(complete.flat()) };
    for (const covariance of COVARIANCE_TYPES) {
      const model = fit(complete, { components: 3, covariance, seed: 1, maxIterations: 5 });
      const json = model.toJSON();
      const params = {
        covariance,
        k: 3,
        d: 3,
        weights: Float64Array.from(json.weights),
        means: Float64Array.from(json.means.flat()),
        covariances: Float64Array.from((json.covariances as number[] | number[][] | number[][][]).flat(2) as number[]),
      };
      const packed = pack(params).packed!;
      const kernelStats = createStatistics(packed.shape, 3, 3);
      const kernelTotal = referenceKernel.eStep(referenceKernel.load(matrix, null), packed, kernelStats);
      const sideStats = createStatistics(packed.shape, 3, 3);
      const all = Int32Array.from(complete.keys());
      const sideTotal = sideEStep({ matrix, weights: null, labels: null, groups: groupByPattern(matrix, all) }, params, sideStats);
      expect(Math.abs(sideTotal - kernelTotal) / Math.abs(kernelTotal)).toBeLessThan(1e-12);
      // Centred first moments are sums that cancel: scale them by count × spread.
      const spread = Math.sqrt(Math.max(...kernelStats.second.map(Math.abs))) * Math.max(...kernelStats.counts);
      for (const part of ['counts', 'first', 'second'] as const) {
        const scale = part === 'first' ? spread : Math.max(...kernelStats[part].map(Math.abs));
        kernelStats[part].forEach((v, q) => expect(Math.abs(sideStats[part][q] - v)).toBeLessThan(1e-11 * scale));
      }
    }
  });
});

describe('EM with missing values', () => {
  it.each(COVARIANCE_TYPES)('the log-likelihood never falls (%s)', (covariance) => {
    for (const seed of [1, 2, 3]) {
      const model = fit(holed, { components: 3, covariance, seed, tolerance: 0, maxIterations: 40, regularization: 0, init: 'random' });
      expect(model.recoveries).toEqual([]);
      for (let t = 1; t < model.history.length; t++) {
        expect(model.history[t]).toBeGreaterThanOrEqual(model.history[t - 1] - 1e-12 * Math.abs(model.history[t - 1]));
      }
    }
  });

  it('the reported log-likelihood is the mean marginal log density of the training rows', () => {
    const model = fit(holed, { components: 3, seed: 1 });
    expect(Math.abs(model.score(holed) - (model.logLikelihood as number))).toBeLessThan(1e-12);
    expect(model.settings?.missingValues).toBe(holed.flat().filter(Number.isNaN).length);
  });

  it('without missing values the data goes through the kernel untouched (bit-identical with the plain fit)', () => {
    const a = fit(complete, { components: 3, seed: 4 });
    const b = fit(complete, { components: 3, seed: 4, labels: complete.map(() => null) });
    expect(b.toJSON()).toEqual(a.toJSON());
  });

  it('does not depend on the row order (within rounding)', () => {
    const start = fit(holed, { components: 3, seed: 2, maxIterations: 0 });
    const order = permutation(holed.length, 9);
    const options = { components: 3, start, tolerance: 0, maxIterations: 30 };
    const a = fit(holed, options);
    const b = fit(
      order.map((i) => holed[i]),
      options,
    );
    expect(maxRelativeDifference(b.means, a.means)).toBeLessThan(1e-10);
    expect(maxRelativeDifference(b.covariances, a.covariances)).toBeLessThan(1e-10);
    expect(Math.abs((b.logLikelihood as number) - (a.logLikelihood as number))).toBeLessThan(1e-12);
  });

  it('the WebAssembly kernel gives the reference result within 1e-10', () => {
    const options = { components: 3, seed: 2, tolerance: 0, maxIterations: 20 };
    const a = fit(holed, options);
    const b = fit(holed, { ...options, kernel: createWasmKernelSync() });
    expect(maxRelativeDifference(b.means, a.means)).toBeLessThan(1e-10);
    expect(maxRelativeDifference(b.covariances, a.covariances)).toBeLessThan(1e-10);
  });

  it('recovers the full-data fit better than mean imputation does, at 10 %, 30 % and 50 % missing', () => {
    const { rows } = correlatedMixture(1500, 21);
    const reference = fit(rows, { components: 3, seed: 1, tolerance: 1e-8, restarts: 3 });
    const error = (model: GaussianMixture) => {
      // Match components by nearest mean, then compare means and covariances.
      let total = 0;
      for (const mean of reference.means) {
        const m = model.means.reduce((best, candidate, c) => (dist(candidate, mean) < dist(model.means[best], mean) ? c : best), 0);
        total += dist(model.means[m], mean);
      }
      return total / 3;
    };
    for (const fraction of [0.1, 0.3, 0.5]) {
      const data = removeAtRandom(rows, fraction, 7);
      const marginalized = fit(data, { components: 3, seed: 1, tolerance: 1e-8, restarts: 3 });
      const means = [0, 1, 2].map((j) => mean(data.map((r) => r[j]).filter((v) => !Number.isNaN(v))));
      const imputed = fit(
        data.map((r) => r.map((v, j) => (Number.isNaN(v) ? means[j] : v))),
        { components: 3, seed: 1, tolerance: 1e-8, restarts: 3 },
      );
      expect(error(marginalized)).toBeLessThan(error(imputed));
      expect(error(marginalized)).toBeLessThan(0.1 + fraction * 0.5);
    }
  });

  it('conditional-mean imputation beats column-mean imputation (RMSE against the truth)', () => {
    const { rows } = correlatedMixture(1500, 22);
    const data = removeAtRandom(rows, 0.3, 8);
    const model = fit(data, { components: 3, seed: 1, restarts: 3 });
    const filled = model.impute(data);
    const columnMeans = [0, 1, 2].map((j) => mean(data.map((r) => r[j]).filter((v) => !Number.isNaN(v))));
    let model2 = 0;
    let mean2 = 0;
    let count = 0;
    data.forEach((row, i) =>
      row.forEach((v, j) => {
        if (!Number.isNaN(v)) return;
        model2 += (filled.data[i * 3 + j] - rows[i][j]) ** 2;
        mean2 += (columnMeans[j] - rows[i][j]) ** 2;
        count++;
      }),
    );
    expect(Math.sqrt(model2 / count)).toBeLessThan(0.6 * Math.sqrt(mean2 / count));
  });
});

function dist(a: readonly number[], b: readonly number[]): number {
  return Math.sqrt(a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0));
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
