import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COVARIANCE_TYPES, fit } from '../src/index.js';
import { dataset } from './helpers/fixtures.js';
import { blobs } from './helpers/generate.js';

describe('SQUAREM acceleration', () => {
  it('never lets the log-likelihood fall', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(...COVARIANCE_TYPES),
        fc.integer({ min: 1, max: 4 }),
        (seed, covariance, k) => {
          const data = blobs(200, [[0, 0], [2.5, 0], [0, 2.5]], 1, seed);
          const model = fit(data, { components: k, covariance, seed, acceleration: 'squarem', tolerance: 0, maxIterations: 25 });
          for (let t = 1; t < model.history.length; t++) {
            expect(model.history[t]).toBeGreaterThanOrEqual(model.history[t - 1] - 1e-12 * Math.abs(model.history[t - 1]));
          }
        },
      ),
      { seed: 42, numRuns: 30 },
    );
  });

  it('reaches the same optimum as plain EM in far fewer iterations on overlapping clusters', () => {
    const data = blobs(3000, [[0, 0], [2, 0], [0, 2], [2, 2]], 1, 3);
    const options = { components: 2, seed: 1, tolerance: 1e-9, maxIterations: 5000 };
    const plain = fit(data, options);
    const accelerated = fit(data, { ...options, acceleration: 'squarem' });
    expect(accelerated.converged).toBe(true);
    expect(accelerated.logLikelihood!).toBeGreaterThanOrEqual(plain.logLikelihood! - 1e-8);
    // Each SQUAREM iteration costs three EM evaluations; it still needs far fewer in total.
    expect(3 * accelerated.iterations).toBeLessThan(plain.iterations / 2);
    expect(accelerated.settings!.acceleration).toBe('squarem');
  });

  // Why plain EM stays the default: SQUAREM's step length −‖r‖/‖v‖ mixes weights, means and
  // covariances in one Euclidean norm, so the path depends on the data's units; plain EM's does not.
  it('depends on the units of the features, where plain EM does not (why it is opt-in)', () => {
    // Overlapping clusters, where EM creeps and a few cycles stop far from the optimum.
    const data = blobs(3000, [[0, 0], [2, 0], [0, 2], [2, 2]], 1, 3);
    const scaled = data.map(([x, y]) => [1000 * x, y]);
    const start = fit(data, { components: 2, seed: 1, maxIterations: 0 });
    const scale = [1000, 1];
    const scaledStart = {
      weights: start.weights,
      means: start.means.map((row) => row.map((v, j) => scale[j] * v)),
      covariances: (start.covariances as number[][][]).map((c) => c.map((row, a) => row.map((v, b) => scale[a] * scale[b] * v))),
    };
    const options = { components: 2, tolerance: 0, maxIterations: 4, regularization: 0 };
    const gap = (acceleration: 'none' | 'squarem'): number => {
      const a = fit(data, { ...options, acceleration, start });
      const b = fit(scaled, { ...options, acceleration, start: scaledStart });
      return Math.max(...a.means.flatMap((row, m) => [Math.abs(b.means[m][0] / 1000 - row[0]), Math.abs(b.means[m][1] - row[1])]));
    };
    expect(gap('none')).toBeLessThan(1e-9);
    expect(gap('squarem')).toBeGreaterThan(1e-6);
  });

  it('is deterministic and survives a save/load round trip of its settings', () => {
    const data = dataset('faithful');
    const a = fit(data, { components: 3, acceleration: 'squarem', seed: 4 });
    const b = fit(data, { components: 3, acceleration: 'squarem', seed: 4 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
