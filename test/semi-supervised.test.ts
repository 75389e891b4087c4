/**
 * Semi-supervised EM: rows with a known component keep one-hot
 * responsibilities. With every row labelled the fit is Gaussian discriminant
 * analysis in closed form; with some, EM's objective still never falls.
 */
import { describe, expect, it } from 'vitest';
import { fit } from '../src/index.js';
import { correlatedMixture, removeAtRandom } from './helpers/generate.js';
import { Random } from '../src/index.js';

const { rows, labels } = correlatedMixture(300, 31);

/** Class means, per-class scatter / n_k, pooled scatter / n, and class fractions. */
function discriminantAnalysis(x: number[][], z: number[], k: number) {
  const d = x[0].length;
  const counts = new Array(k).fill(0);
  const means = Array.from({ length: k }, () => new Array(d).fill(0));
  x.forEach((row, i) => {
    counts[z[i]]++;
    row.forEach((v, j) => (means[z[i]][j] += v));
  });
  means.forEach((m, c) => m.forEach((_, j) => (m[j] /= counts[c])));
  const scatter = Array.from({ length: k }, () => Array.from({ length: d }, () => new Array(d).fill(0)));
  x.forEach((row, i) => {
    const c = z[i];
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) scatter[c][a][b] += (row[a] - means[c][a]) * (row[b] - means[c][b]);
  });
  const quadratic = scatter.map((s, c) => s.map((r) => r.map((v) => v / counts[c])));
  const pooled = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => scatter.reduce((t, s) => t + s[a][b], 0) / x.length));
  return { weights: counts.map((n) => n / x.length), means, quadratic, pooled };
}

function close(actual: unknown, expected: unknown, tolerance: number): void {
  if (typeof expected === 'number') {
    expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
  } else {
    (expected as unknown[]).forEach((e, i) => close((actual as unknown[])[i], e, tolerance));
  }
}

describe('every row labelled: one M-step, Gaussian discriminant analysis', () => {
  const truth = discriminantAnalysis(rows, labels, 3);

  it('full covariance gives QDA: class means, class covariances (÷ n_k) and class fractions', () => {
    const model = fit(rows, { components: 3, labels, regularization: 0 });
    expect(model.iterations).toBe(1);
    expect(model.converged).toBe(true);
    close(model.weights, truth.weights, 1e-14);
    close(model.means, truth.means, 1e-13);
    close(model.covariances, truth.quadratic, 1e-12);
  });

  it('tied covariance gives LDA: the pooled within-class covariance (÷ n)', () => {
    const model = fit(rows, { components: 3, covariance: 'tied', labels, regularization: 0 });
    close(model.means, truth.means, 1e-13);
    close(model.covariances, truth.pooled, 1e-12);
  });

  it('regularization is added to the diagonal as in any fit', () => {
    const model = fit(rows, { components: 3, labels, regularization: 0.5 });
    close(model.covariances, truth.quadratic.map((s) => s.map((r, a) => r.map((v, b) => v + (a === b ? 0.5 : 0)))), 1e-12);
  });
});

describe('some rows labelled', () => {
  it('the objective never falls, with and without missing values', () => {
    const rng = new Random(4);
    const partial = labels.map((z) => (rng.uniform() < 0.15 ? z : null));
    for (const data of [rows, removeAtRandom(rows, 0.2, 3)]) {
      for (const covariance of ['full', 'tied', 'diag', 'spherical'] as const) {
        const model = fit(data, { components: 3, covariance, labels: partial, tolerance: 0, maxIterations: 30, regularization: 0 });
        for (let t = 1; t < model.history.length; t++) {
          expect(model.history[t]).toBeGreaterThanOrEqual(model.history[t - 1] - 1e-12 * Math.abs(model.history[t - 1]));
        }
        expect(model.settings?.labelledRows).toBe(partial.filter((z) => z !== null).length);
      }
    }
  });

  it('labels fix a split that unsupervised EM gets wrong', () => {
    // Two long parallel clusters: unsupervised EM with two components prefers to cut across them.
    const rng = new Random(8);
    const data: number[][] = [];
    const truth: number[] = [];
    for (let i = 0; i < 400; i++) {
      const c = i % 2;
      data.push([10 * rng.normal(), 1.6 * c + 0.35 * rng.normal()]);
      truth.push(c);
    }
    const accuracy = (predicted: Int32Array) => {
      let same = 0;
      predicted.forEach((p, i) => (same += p === truth[i] ? 1 : 0));
      return Math.max(same, predicted.length - same) / predicted.length;
    };
    const unsupervised = fit(data, { components: 2, seed: 1, restarts: 3 });
    const known = truth.map((z, i) => (i % 20 === 0 ? z : null));
    const semi = fit(data, { components: 2, labels: known });
    expect(accuracy(semi.predict(data))).toBeGreaterThan(0.95);
    expect(accuracy(semi.predict(data))).toBeGreaterThan(accuracy(unsupervised.predict(data)) + 0.2);
  });

  it('a component with no labelled row still gets fitted', () => {
    const partial = labels.map((z, i) => (z < 2 && i % 10 === 0 ? z : null));
    const model = fit(rows, { components: 3, labels: partial, seed: 2 });
    expect(model.weights.every((w) => w > 0.2)).toBe(true);
  });
});
