/**
 * Tied covariance: one d×d covariance matrix shared by every component.
 * Flat layout: one row-major d×d matrix. Packed for the kernel as k copies of
 * the same factor.
 */
import { centredScatter, factorMatrix } from './full.js';
import type { CovarianceModel } from './model.js';
import { checkSymmetric, readMatrix, toRows } from './shapes.js';

export const tiedCovariance: CovarianceModel = {
  type: 'tied',
  kernelShape: 'full',
  size: (_k, d) => d * d,
  parameterCount: (_k, d) => (d * (d + 1)) / 2,

  estimate(second, counts, nk, shift, k, d, regularization, out) {
    // Σ = Σ_k [S2_k − (2·nk − counts_k)·δδᵀ] / Σ_k nk, each component centred on its own new mean.
    let total = 0;
    for (let m = 0; m < k; m++) total += nk[m];
    out.fill(0);
    for (let m = 0; m < k; m++) {
      centredScatter(second, m * d * d, shift, m * d, d, 1 / total, (2 * nk[m] - counts[m]) / total, out, 0);
    }
    for (let j = 0; j < d; j++) out[j * d + j] += regularization;
  },

  factor(covariances, k, d, factors, logNormalizers) {
    const scratch = new Float64Array(d * d);
    const logNormalizer = factorMatrix(covariances, 0, d, scratch, factors, 0);
    if (Number.isNaN(logNormalizer)) return Array.from({ length: k }, (_, m) => m);
    for (let m = 0; m < k; m++) {
      factors.copyWithin(m * d * d, 0, d * d);
      logNormalizers[m] = logNormalizer;
    }
    return [];
  },

  assign() {
    // The shared covariance is not per component: re-seeding moves only the mean.
  },

  expand(covariances, _m, _k, d, out) {
    out.set(covariances.subarray(0, d * d));
  },

  toNested(covariances, _k, d) {
    return toRows(covariances, 0, d, d);
  },

  fromNested(value, _k, d) {
    const out = new Float64Array(d * d);
    const problem =
      readMatrix(value, d, d, 'covariances', out, 0) ?? checkSymmetric(out, 0, d, 'covariances');
    return problem ?? out;
  },
};
