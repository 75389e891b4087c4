import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COVARIANCE_TYPES, fit, type CovarianceType } from '../src/index.js';
import { dataset, relativeError } from './helpers/fixtures.js';
import { blobs, permutation } from './helpers/generate.js';

const SEED = 20261128;

/** A small data set: a few Gaussian-ish clusters, so EM has real work but no degenerate components. */
const smallData = fc
  .record({
    n: fc.integer({ min: 30, max: 90 }),
    d: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    covariance: fc.constantFrom(...COVARIANCE_TYPES),
  })
  .map(({ n, d, k, seed, covariance }) => {
    const centers = Array.from({ length: k }, (_, c) => Array.from({ length: d }, (_, j) => 4 * c + (j === 0 ? 0 : c)));
    return { data: blobs(n, centers, 1.5, seed), k, covariance: covariance as CovarianceType, seed };
  });

describe('EM invariants', () => {
  it('the log-likelihood never falls between iterations', () => {
    fc.assert(
      fc.property(smallData, ({ data, k, covariance, seed }) => {
        // Regularization 0 keeps each iteration an exact EM step (scikit-learn tests it the same way).
        const model = fit(data, { components: k, covariance, seed, tolerance: 0, maxIterations: 40, regularization: 0, init: 'random' });
        if (model.recoveries.length > 0) return; // a re-seed may lower it on purpose
        for (let t = 1; t < model.history.length; t++) {
          const before = model.history[t - 1];
          expect(model.history[t]).toBeGreaterThanOrEqual(before - 1e-12 * Math.abs(before));
        }
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('the log-likelihood never falls on Old Faithful from any start method', () => {
    const data = dataset('faithful');
    for (const init of ['kmeans', 'kmeans++', 'random', 'random-from-data'] as const) {
      for (const covariance of COVARIANCE_TYPES) {
        const model = fit(data, { components: 3, covariance, init, seed: 3, tolerance: 0, maxIterations: 60, regularization: 0 });
        for (let t = 1; t < model.history.length; t++) {
          expect(model.history[t]).toBeGreaterThanOrEqual(model.history[t - 1] - 1e-12 * Math.abs(model.history[t - 1]));
        }
      }
    }
  });

  it('permuting the rows changes nothing but rounding', () => {
    fc.assert(
      fc.property(smallData, fc.integer({ min: 0, max: 1000 }), ({ data, k, covariance, seed }, shuffleSeed) => {
        const start = fit(data, { components: k, covariance, seed, maxIterations: 0 });
        const options = { components: k, covariance, start, tolerance: 0, maxIterations: 15 };
        const a = fit(data, options);
        const order = permutation(data.length, shuffleSeed);
        const b = fit(
          order.map((i) => data[i]),
          options,
        );
        expect(relativeError(b.weights, a.weights)).toBeLessThan(1e-9);
        expect(relativeError(b.means, a.means)).toBeLessThan(1e-9);
        expect(relativeError(b.covariances, a.covariances)).toBeLessThan(1e-9);
        const labelsA = a.predict(data);
        const labelsB = b.predict(order.map((i) => data[i]));
        order.forEach((i, position) => expect(labelsB[position]).toBe(labelsA[i]));
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it('relabelling the components of the start relabels the fit', () => {
    fc.assert(
      fc.property(smallData, fc.integer({ min: 0, max: 1000 }), ({ data, k, covariance, seed }, relabelSeed) => {
        const start = fit(data, { components: k, covariance, seed, maxIterations: 0 });
        const order = permutation(k, relabelSeed);
        const relabelled = {
          weights: order.map((m) => start.weights[m]),
          means: order.map((m) => start.means[m]),
          covariances:
            covariance === 'tied' ? start.covariances : order.map((m) => (start.covariances as unknown[])[m]),
        } as Parameters<typeof fit>[1]['start'];
        const options = { components: k, covariance, tolerance: 0, maxIterations: 15 };
        const a = fit(data, { ...options, start });
        const b = fit(data, { ...options, start: relabelled });
        expect(relativeError(b.weights, order.map((m) => a.weights[m]))).toBeLessThan(1e-9);
        expect(relativeError(b.means, order.map((m) => a.means[m]))).toBeLessThan(1e-9);
        const expected = covariance === 'tied' ? a.covariances : order.map((m) => (a.covariances as unknown[])[m]);
        expect(relativeError(b.covariances, expected)).toBeLessThan(1e-9);
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it('an affine map of the data maps the fitted parameters', () => {
    fc.assert(
      fc.property(
        smallData,
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -50, max: 50, noNaN: true }),
        ({ data, k, covariance, seed }, scale, offset) => {
          const start = fit(data, { components: k, covariance, seed, maxIterations: 0, regularization: 0 });
          const mapped = data.map((row) => row.map((v) => scale * v + offset));
          const mapCovariance = (c: unknown): unknown => (Array.isArray(c) ? c.map(mapCovariance) : scale * scale * (c as number));
          const options = { components: k, covariance, tolerance: 0, maxIterations: 10, regularization: 0 };
          const a = fit(data, { ...options, start });
          const b = fit(mapped, {
            ...options,
            start: {
              weights: start.weights,
              means: start.means.map((row) => row.map((v) => scale * v + offset)),
              covariances: mapCovariance(start.covariances) as number[],
            },
          });
          expect(relativeError(b.weights, a.weights)).toBeLessThan(1e-8);
          expect(relativeError(b.means, a.means.map((row) => row.map((v) => scale * v + offset)))).toBeLessThan(1e-8);
          expect(relativeError(b.covariances, mapCovariance(a.covariances))).toBeLessThan(1e-8);
        },
      ),
      { seed: SEED, numRuns: 25 },
    );
  });

  it('the same seed gives a bit-identical model, for every start method', () => {
    const data = dataset('faithful');
    for (const init of ['kmeans', 'kmeans++', 'random', 'random-from-data'] as const) {
      const a = fit(data, { components: 3, init, seed: 11, restarts: 3 });
      const b = fit(data, { components: 3, init, seed: 11, restarts: 3 });
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    }
  });

  it('fit never mutates its inputs', () => {
    const data = Object.freeze(dataset('iris').map((row) => Object.freeze(row)));
    const flat = Float64Array.from(data.flat());
    const copy = flat.slice();
    const weights = Object.freeze(data.map((_, i) => 1 + (i % 3)));
    const start = fit(data, { components: 3, maxIterations: 0 }).toJSON();
    const startText = JSON.stringify(start);
    fit(data, { components: 3, sampleWeights: weights, start, maxIterations: 5 });
    fit({ rows: data.length, cols: 4, data: flat }, { components: 3, restarts: 2 });
    expect(flat).toEqual(copy);
    expect(JSON.stringify(start)).toBe(startText);
  });

  it('sampling from a model and fitting the sample recovers well-separated parameters', () => {
    const truth = fit(
      [
        [0, 0],
        [10, 0],
        [0, 10],
      ],
      { components: 3, maxIterations: 0, start: {
        weights: [0.5, 0.3, 0.2],
        means: [[0, 0], [10, 0], [0, 10]],
        covariances: [[[1, 0.5], [0.5, 2]], [[2, -0.3], [-0.3, 1]], [[1, 0], [0, 1]]],
      } },
    );
    const n = 6000;
    const { points, labels } = truth.sample(n, 5);
    expect(points.rows).toBe(n);
    const model = fit(points, { components: 3, seed: 2, restarts: 3 });
    const order = truth.means.map((mu) => {
      let best = 0;
      for (let m = 1; m < 3; m++) {
        const dm = (model.means[m][0] - mu[0]) ** 2 + (model.means[m][1] - mu[1]) ** 2;
        const db = (model.means[best][0] - mu[0]) ** 2 + (model.means[best][1] - mu[1]) ** 2;
        if (dm < db) best = m;
      }
      return best;
    });
    expect(new Set(order).size).toBe(3);
    // Standard errors: weight ~ sqrt(w(1−w)/n) ≤ 0.007, mean ~ σ/sqrt(n·w) ≤ 0.04; allow 5 standard errors.
    order.forEach((m, t) => {
      expect(Math.abs(model.weights[m] - truth.weights[t])).toBeLessThan(0.035);
      expect(Math.abs(model.means[m][0] - truth.means[t][0])).toBeLessThan(0.2);
      expect(Math.abs(model.means[m][1] - truth.means[t][1])).toBeLessThan(0.2);
      const cov = (model.covariances as number[][][])[m];
      const expected = (truth.covariances as number[][][])[t];
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) expect(Math.abs(cov[a][b] - expected[a][b])).toBeLessThan(0.25);
    });
    // The sample is shuffled, not grouped by component.
    expect(Array.from(labels.slice(0, 30)).some((l, i, all) => i > 0 && l !== all[i - 1])).toBe(true);
  });
});
