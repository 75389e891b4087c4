import { describe, expect, it } from 'vitest';
import { COVARIANCE_TYPES, fit, MixemError, Random, select } from '../src/index.js';
import { dataset } from './helpers/fixtures.js';
import { blobs } from './helpers/generate.js';

describe('select', () => {
  it('fits every combination and picks the true number of well-separated clusters by BIC', () => {
    const data = blobs(450, [[0, 0], [8, 0], [0, 8]], 1, 4);
    const result = select(data, { components: [1, 2, 3, 4, 5], seed: 1, restarts: 2 });
    expect(result.entries).toHaveLength(5 * COVARIANCE_TYPES.length);
    expect(result.best.components).toBe(3);
    expect(result.criterion).toBe('bic');
    for (const entry of result.entries) {
      if (entry.bic === null) continue;
      expect(result.best.bic!).toBeLessThanOrEqual(entry.bic);
    }
  });

  it('reports BIC, AIC and ICL that agree with the model methods, with ICL ≥ BIC', () => {
    const data = dataset('faithful');
    const result = select(data, { components: [2, 3], covariance: ['full', 'diag'], seed: 3 });
    for (const entry of result.entries) {
      const model = fit(data, { components: entry.components, covariance: entry.covariance, seed: 3 });
      expect(entry.bic).toBe(model.bic(data));
      expect(entry.aic).toBe(model.aic(data));
      expect(entry.icl).toBe(model.icl(data));
      expect(entry.icl!).toBeGreaterThanOrEqual(entry.bic!);
      expect(entry.parameters).toBe(model.parameterCount);
    }
  });

  it('counts free parameters as scikit-learn does for each covariance type', () => {
    const data = dataset('iris'); // D = 4
    const counts = Object.fromEntries(
      COVARIANCE_TYPES.map((covariance) => [covariance, fit(data, { components: 3, covariance, maxIterations: 0 }).parameterCount]),
    );
    // covariance parameters + K·D means + (K − 1) weights
    expect(counts).toEqual({ full: 30 + 12 + 2, tied: 10 + 12 + 2, diag: 12 + 12 + 2, spherical: 3 + 12 + 2 });
  });

  it('records a combination that cannot be fitted instead of failing the whole selection', () => {
    const data = [[0], [1], [2], [10], [11]];
    const result = select(data, { components: [1, 2, 6], covariance: ['full'] });
    const failed = result.entries.find((e) => e.components === 6)!;
    expect(failed.model).toBeNull();
    expect(failed.error).toMatch(/components \(6\) is larger than the number of rows \(5\)/);
    expect(result.best.components).not.toBe(6);
  });

  it('rejects bad candidate lists with a typed error', () => {
    expect(() => select([[1], [2]], { components: [] })).toThrow(MixemError);
    expect(() => select([[1], [2]], { components: [1], covariance: ['fulll' as 'full'] })).toThrow(/option covariance/);
    expect(() => select([[1], [2]], { components: [1], criterion: 'bicc' as 'bic' })).toThrow(/option criterion/);
  });
});

describe('select recovers the true number of components', () => {
  /** n points from K random Gaussians in 2-D: means on a jittered circle, random rotations and axis ratios. */
  function randomMixture(k: number, n: number, seed: number): number[][] {
    const rng = new Random(seed);
    const parts = Array.from({ length: k }, (_, c) => {
      const angle = (2 * Math.PI * c) / k + 0.3 * rng.normal();
      const radius = 6 + rng.uniform() * 2;
      const theta = Math.PI * rng.uniform();
      const [s1, s2] = [0.6 + rng.uniform(), 0.3 + 0.5 * rng.uniform()];
      return { mean: [radius * Math.cos(angle), radius * Math.sin(angle)], theta, s1, s2 };
    });
    return Array.from({ length: n }, (_, i) => {
      const { mean, theta, s1, s2 } = parts[i % k];
      const [u, v] = [s1 * rng.normal(), s2 * rng.normal()];
      return [mean[0] + Math.cos(theta) * u - Math.sin(theta) * v, mean[1] + Math.sin(theta) * u + Math.cos(theta) * v];
    });
  }

  it('picks K = 4 by BIC in at least 9 of 10 seeds (all four covariance types, K = 1..7)', () => {
    const picked: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const data = randomMixture(4, 400, 100 + seed);
      picked.push(select(data, { components: [1, 2, 3, 4, 5, 6, 7], seed, restarts: 3 }).best.components);
    }
    expect(picked.filter((k) => k === 4).length).toBeGreaterThanOrEqual(9);
  });

  it('works on data with missing values', () => {
    const data = randomMixture(3, 450, 7).map((row, i) => (i % 5 === 0 ? [row[0], NaN] : row));
    const result = select(data, { components: [1, 2, 3, 4, 5], covariance: ['full'], seed: 1, restarts: 2 });
    expect(result.best.components).toBe(3);
    expect(result.best.model?.settings?.missingValues).toBe(90);
  });
});
