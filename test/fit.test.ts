import { describe, expect, it } from 'vitest';
import { COVARIANCE_TYPES, fit, fitAsync, MixemError } from '../src/index.js';
import { dataset, relativeError } from './helpers/fixtures.js';
import { blobs } from './helpers/generate.js';

const faithful = dataset('faithful');

describe('fit', () => {
  it('finds the two Old Faithful clusters with the textbook log-likelihood', () => {
    const model = fit(faithful, { components: 2, seed: 0, tolerance: 1e-10 });
    expect(model.converged).toBe(true);
    expect(model.warnings).toEqual([]);
    // scikit-learn 1.2.1, GaussianMixture(2, tol=1e-10, random_state=0) on the same file:
    // score -4.155382206594468, small cluster mean (2.036388664476659, 54.478518444877416), weight 0.3558729423644107.
    // Both stop within ~1e-10 of the optimum, so 6-7 digits must agree.
    expect(model.logLikelihood!).toBeCloseTo(-4.155382206594468, 8);
    const small = model.means[0][0] < model.means[1][0] ? 0 : 1;
    expect(model.means[small][0]).toBeCloseTo(2.036388664476659, 5);
    expect(model.means[small][1]).toBeCloseTo(54.478518444877416, 4);
    expect(model.weights[small]).toBeCloseTo(0.3558729423644107, 6);
  });

  it('runs exactly maxIterations M-steps when the tolerance is 0 and warns that it did not converge', () => {
    const model = fit(faithful, { components: 2, tolerance: 0, maxIterations: 7 });
    expect(model.iterations).toBe(7);
    expect(model.history).toHaveLength(8);
    expect(model.converged).toBe(false);
    expect(model.warnings.join()).toMatch(/did not converge in 7 iterations/);
  });

  it('with maxIterations 0 returns the start and its log-likelihood', () => {
    const model = fit(faithful, { components: 2, maxIterations: 0 });
    expect(model.iterations).toBe(0);
    expect(model.history).toEqual([model.logLikelihood]);
    expect(model.score(faithful)).toBe(model.logLikelihood);
  });

  it('reports as logLikelihood the mean log-likelihood of the returned parameters', () => {
    for (const covariance of COVARIANCE_TYPES) {
      const model = fit(faithful, { components: 3, covariance, seed: 4 });
      expect(relativeError(model.score(faithful), model.logLikelihood)).toBeLessThan(1e-14);
      expect(model.history[model.history.length - 1]).toBe(model.logLikelihood);
    }
  });

  it('keeps the best of several restarts', () => {
    const data = blobs(300, [[0, 0], [3, 0], [0, 3], [3, 3], [8, 8]], 0.7, 9);
    const single = [0, 1, 2, 3, 4].map((seed) => fit(data, { components: 5, init: 'random', seed }).logLikelihood!);
    const best = fit(data, { components: 5, init: 'random', seed: 0, restarts: 5 });
    expect(best.logLikelihood!).toBeGreaterThanOrEqual(Math.max(...single) - 1e-9);
  });

  it('warm-starts from a previous model and continues where it stopped', () => {
    const first = fit(faithful, { components: 2, tolerance: 0, maxIterations: 5 });
    const continued = fit(faithful, { components: 2, start: first, tolerance: 0, maxIterations: 5 });
    const straight = fit(faithful, { components: 2, tolerance: 0, maxIterations: 10 });
    expect(relativeError(continued.means, straight.means)).toBeLessThan(1e-12);
    expect(relativeError(continued.covariances, straight.covariances)).toBeLessThan(1e-12);
  });

  it('fills the parts of a partial start from the init method', () => {
    const means = [
      [2, 55],
      [4.5, 80],
    ];
    const model = fit(faithful, { components: 2, start: { means }, maxIterations: 0 });
    expect(model.means).toEqual(means);
    expect(model.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
  });

  it('calls onIteration after every iteration and stops when it returns false', () => {
    const seen: number[] = [];
    const model = fit(faithful, {
      components: 2,
      tolerance: 0,
      maxIterations: 50,
      restarts: 3,
      onIteration: (info) => {
        seen.push(info.iteration);
        expect(info.restarts).toBe(3);
        expect(Number.isFinite(info.change)).toBe(true);
        return info.iteration < 4;
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(model.iterations).toBe(4);
    expect(model.converged).toBe(false);
    expect(model.warnings.join()).toMatch(/stopped by onIteration/);
  });

  it('weighted fit equals the unweighted fit on rows repeated by their integer weights', () => {
    const weights = faithful.map((_, i) => (i * 7) % 4); // 0, 1, 2 or 3 copies
    const repeated = faithful.flatMap((row, i) => Array.from({ length: weights[i] }, () => row));
    for (const covariance of COVARIANCE_TYPES) {
      const start = fit(repeated, { components: 2, covariance, maxIterations: 0 });
      const options = { components: 2, covariance, start, tolerance: 0, maxIterations: 20 };
      const weighted = fit(faithful, { ...options, sampleWeights: weights });
      const plain = fit(repeated, options);
      expect(relativeError(weighted.weights, plain.weights)).toBeLessThan(1e-12);
      expect(relativeError(weighted.means, plain.means)).toBeLessThan(1e-12);
      expect(relativeError(weighted.covariances, plain.covariances)).toBeLessThan(1e-12);
      expect(relativeError(weighted.logLikelihood, plain.logLikelihood)).toBeLessThan(1e-12);
      expect(relativeError(weighted.bic(faithful, { sampleWeights: weights }), plain.bic(repeated))).toBeLessThan(1e-12);
      expect(relativeError(weighted.aic(faithful, { sampleWeights: weights }), plain.aic(repeated))).toBeLessThan(1e-12);
    }
  });

  it('re-seeds a component that empties and records it in the diagnostics', () => {
    // A start whose third component sits far from all data with a tiny covariance: it gets no responsibility.
    const model = fit(faithful, {
      components: 3,
      start: {
        weights: [0.4, 0.4, 0.2],
        means: [[2, 55], [4.5, 80], [1000, -1000]],
        covariances: [[[0.1, 0], [0, 30]], [[0.1, 0], [0, 30]], [[1e-3, 0], [0, 1e-3]]],
      },
      maxIterations: 50,
    });
    expect(model.recoveries.length).toBeGreaterThan(0);
    const recovery = model.recoveries[0];
    expect(recovery).toMatchObject({ component: 2, reason: 'empty', iteration: 1 });
    expect(recovery.row).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(model.logLikelihood!)).toBe(true);
    expect(model.weights[2]).toBeGreaterThan(0.01);
  });

  it('re-seeds a component whose covariance turns singular and records it', () => {
    // Without regularization, a component started on one row with a tiny covariance captures only that row.
    const model = fit(faithful, {
      components: 3,
      regularization: 0,
      start: {
        weights: [0.45, 0.45, 0.1],
        means: [[2, 55], [4.5, 80], faithful[5]],
        covariances: [[[0.1, 0], [0, 30]], [[0.1, 0], [0, 30]], [[1e-8, 0], [0, 1e-8]]],
      },
    });
    expect(model.recoveries[0]).toMatchObject({ component: 2, reason: 'singular-covariance', iteration: 1 });
    expect(model.recoveries[0].softCount).toBeCloseTo(1, 6);
    expect(Number.isFinite(model.logLikelihood!)).toBe(true);
  });

  it('names a component that keeps collapsing in a typed error with the remedy', () => {
    // Three collinear rows far from the rest, no regularization: the likelihood is unbounded there.
    const data = [...faithful, [10, 10], [10.5, 10.5], [11, 11]];
    const attempt = () =>
      fit(data, {
        components: 3,
        regularization: 0,
        start: {
          weights: [0.45, 0.45, 0.1],
          means: [[2, 55], [4.5, 80], [10.5, 10.5]],
          covariances: [[[0.1, 0], [0, 30]], [[0.1, 0], [0, 30]], [[0.5, 0], [0, 0.5]]],
        },
      });
    expect(attempt).toThrow(MixemError);
    expect(attempt).toThrow(/component 2 collapsed \(soft count 3\.00\).*raise regularization \(now 0\)/);
    try {
      attempt();
    } catch (error) {
      expect((error as MixemError).code).toBe('degenerate-component');
    }
  });

  it('fitAsync gives the same model as fit and stops when its signal aborts', async () => {
    const options = { components: 3, restarts: 2, seed: 5, tolerance: 0, maxIterations: 30 };
    const synchronous = fit(faithful, options);
    const asynchronous = await fitAsync(faithful, options);
    expect(JSON.stringify(asynchronous)).toBe(JSON.stringify(synchronous));

    const controller = new AbortController();
    const stopped = await fitAsync(faithful, {
      ...options,
      signal: controller.signal,
      onIteration: (info) => {
        if (info.iteration === 3) controller.abort();
      },
    });
    expect(stopped.iterations).toBe(3);
    expect(stopped.converged).toBe(false);
  });
});
