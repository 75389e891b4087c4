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

  it('is deterministic and survives a save/load round trip of its settings', () => {
    const data = dataset('faithful');
    const a = fit(data, { components: 3, acceleration: 'squarem', seed: 4 });
    const b = fit(data, { components: 3, acceleration: 'squarem', seed: 4 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
