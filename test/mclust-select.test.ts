/**
 * Model selection against R's mclust (fixtures from scripts/make-mclust-fixtures.R,
 * mclust 6.0.0): the BIC table of Mclust(X, G = 1:9, modelNames = c("VVV", "EEE",
 * "VVI", "VII")) on Old Faithful and on a synthetic 3-component, 3-D dataset.
 *
 * Covariance types: full = VVV, tied = EEE, diag = VVI, spherical = VII.
 * mclust's BIC is 2·log L − p·ln n (higher is better); mixem's is −2·log L + p·ln n,
 * so the fixtures' `mixemBic` is −(mclust BIC).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModel, select, type CovarianceType, type Covariances } from '../src/index.js';

interface SelectEntry {
  modelName: 'VVV' | 'EEE' | 'VVI' | 'VII';
  covariance: CovarianceType;
  G: number;
  npar: number;
  bic: number | null;
  mixemBic: number | null;
  loglik: number | null;
  iterations?: number;
  parameters: { weights: number[]; means: number[][]; covariances: Covariances } | null;
  error: string | null;
}

interface SelectFixture {
  name: string;
  n: number;
  d: number;
  mclustVersion: string;
  best: { modelName: string; covariance: CovarianceType; G: number; bic: number; mixemBic: number };
  data: number[][];
  entries: SelectEntry[];
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'mclust');
const fixtures: SelectFixture[] = ['faithful', 'synthetic'].map(
  (name) => JSON.parse(readFileSync(join(dir, `select-${name}.json`), 'utf8')) as SelectFixture,
);

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/**
 * Tolerances of the fitted-selection comparison (test 2).
 *
 * SLACK (BIC units, i.e. 2 × log-likelihood): how much worse than mclust mixem may be
 * on a combination with K ≤ 3. mixem adds regularization 1e-6 to covariance diagonals
 * and stops at a change of 1e-6 in the mean log-likelihood per row; mclust is
 * prior-free and stops at a relative change 1e-5 of the total; both effects are far
 * below 0.05. With K ≤ 3 the likelihoods here have one dominant optimum that 5
 * restarts of mixem reach (observed: mixem − mclust ≤ 2.3e-9 on every such
 * combination; mixem is better by up to 0.1 where mclust stops earlier, and by up to
 * 18 where mclust's single hierarchical start ends in a worse optimum, e.g. faithful
 * full K=3, synthetic diag K=2).
 *
 * For K ≥ 4 both programs find local optima (mclust one start, mixem 5 k-means
 * starts), either one the better: mixem is better on 42 of the 48 K ≥ 4 combinations
 * (by up to 46, or 1.4%). There mixem may be at most 1% worse than mclust (observed
 * worst: faithful spherical K=6, mixem worse by 26.4 = 0.87%; next synthetic diag
 * K=4, 17.5 = 0.28%).
 *
 * Test 1 (mclust's parameters scored by mixem) agrees to 1.6e-15 relative; it is
 * checked at 1e-9.
 */
const SLACK = 0.05;
const WIDE = 0.01;
const SELECT_OPTIONS = { restarts: 5, seed: 1, tolerance: 1e-6, maxIterations: 1000 } as const;

describe.each(fixtures)('mclust $mclustVersion reference: select-$name', (fixture) => {
  it('has the expected shape', () => {
    expect(fixture.data).toHaveLength(fixture.n);
    expect(fixture.entries).toHaveLength(4 * 9);
  });

  it("reproduces mclust's log-likelihood, parameter count and BIC (sign flipped) at mclust's parameters", () => {
    let worst = 0;
    for (const entry of fixture.entries) {
      if (entry.parameters === null) continue; // mclust could not fit it: nothing to compare
      const model = loadModel({ format: 'mixem/gaussian-mixture', version: 1, covariance: entry.covariance, ...entry.parameters });
      const label = `${entry.modelName}/${entry.covariance} G=${entry.G}`;
      expect(model.parameterCount, label).toBe(entry.npar);
      const total = model.score(fixture.data) * fixture.n;
      const bic = model.bic(fixture.data);
      worst = Math.max(worst, relative(total, entry.loglik!), relative(bic, entry.mixemBic!));
      expect(relative(total, entry.loglik!), label).toBeLessThan(1e-9);
      expect(relative(bic, entry.mixemBic!), label).toBeLessThan(1e-9);
      expect(relative(bic, -entry.bic!), label).toBeLessThan(1e-9);
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("selects mclust's best model and reaches mclust's BIC on every combination", () => {
    const result = select(fixture.data, {
      components: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      covariance: ['full', 'tied', 'diag', 'spherical'],
      ...SELECT_OPTIONS,
    });
    expect({ covariance: result.best.covariance, components: result.best.components }).toEqual({
      covariance: fixture.best.covariance,
      components: fixture.best.G,
    });
    expect(result.best.bic!).toBeLessThanOrEqual(fixture.best.mixemBic + SLACK);

    for (const reference of fixture.entries) {
      const entry = result.entries.find((e) => e.covariance === reference.covariance && e.components === reference.G)!;
      const label = `${reference.modelName}/${reference.covariance} G=${reference.G}`;
      expect(entry.error, label).toBeNull();
      expect(entry.parameters, label).toBe(reference.npar);
      if (reference.mixemBic === null) continue; // mclust failed; mixem may still fit it
      if (reference.G <= 3) {
        expect(entry.bic!, label).toBeLessThanOrEqual(reference.mixemBic + SLACK);
      } else {
        expect(entry.bic!, label).toBeLessThanOrEqual(reference.mixemBic + WIDE * Math.abs(reference.mixemBic));
      }
    }
  });
});
