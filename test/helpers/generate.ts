import { covarianceModels, type MixtureParameters } from '../../src/covariance/index.js';
import { Random, type CovarianceType } from '../../src/index.js';

/** n points from well-separated 2-D or 3-D blobs, deterministic in `seed`. */
export function blobs(n: number, centers: number[][], spread: number, seed: number): number[][] {
  const rng = new Random(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const c = centers[i % centers.length];
    rows.push(c.map((v) => v + spread * rng.normal()));
  }
  return rows;
}

/** A permutation of 0..n-1 from the seed. */
export function permutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  new Random(seed).shuffle(order);
  return order;
}

/**
 * n points from a known 3-component mixture in 3-D with correlated (rotated)
 * covariances, deterministic in `seed`; rows cycle through the components.
 */
export function correlatedMixture(n: number, seed: number): { rows: number[][]; labels: number[] } {
  const means = [
    [0, 0, 0],
    [4, 3, -1],
    [-1, 5, 3],
  ];
  // Lower-triangular factors: Σ = L Lᵀ, strongly correlated features.
  const factors = [
    [[1, 0, 0], [0.9, 0.5, 0], [0.6, 0.3, 0.4]],
    [[0.8, 0, 0], [-0.6, 0.6, 0], [0.2, 0.7, 0.5]],
    [[1.2, 0, 0], [0.5, 0.4, 0], [-0.8, 0.2, 0.3]],
  ];
  const rng = new Random(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const z = [rng.normal(), rng.normal(), rng.normal()];
    rows.push(means[c].map((mu, a) => mu + factors[c][a].reduce((s, l, b) => s + l * z[b], 0)));
    labels.push(c);
  }
  return { rows, labels };
}

/** A copy with each value removed (NaN) with probability `fraction`, keeping at least one value per row. */
export function removeAtRandom(rows: number[][], fraction: number, seed: number): number[][] {
  const rng = new Random(seed);
  return rows.map((row) => {
    const out = row.map((v) => (rng.uniform() < fraction ? NaN : v));
    if (out.every(Number.isNaN)) {
      const j = rng.integer(row.length);
      out[j] = row[j];
    }
    return out;
  });
}

/**
 * Random mixture parameters for kernel tests: weights from 0.2 + U(0, 1),
 * normalized; means N(0, 3²); covariances B·Bᵀ + 0.5·I with B's entries
 * N(0, 1) / `divisor`.
 */
export function randomParameters(covariance: CovarianceType, k: number, d: number, rng: Random, divisor = 1): MixtureParameters {
  const model = covarianceModels[covariance];
  const weights = Float64Array.from({ length: k }, () => 0.2 + rng.uniform());
  const total = weights.reduce((s, w) => s + w, 0);
  weights.forEach((w, m) => (weights[m] = w / total));
  const means = Float64Array.from({ length: k * d }, () => 3 * rng.normal());
  const covariances = new Float64Array(model.size(k, d));
  for (let m = 0; m < k; m++) {
    const b = Array.from({ length: d * d }, () => rng.normal() / divisor);
    const full = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = i === j ? 0.5 : 0;
        for (let p = 0; p < d; p++) s += b[i * d + p] * b[j * d + p];
        full[i * d + j] = s;
      }
    }
    model.assign(covariances, m, k, d, full);
    if (covariance === 'tied' && m === 0) covariances.set(full);
  }
  return { covariance, k, d, weights, means, covariances };
}
