/**
 * Spherical covariance: each component has one variance shared by all features.
 * Flat layout: k variances. Packed for the kernel as diagonal.
 */
import { centredVariances, factorVariances } from './diag.js';
import type { CovarianceModel } from './model.js';
import { readVector } from './shapes.js';

export const sphericalCovariance: CovarianceModel = {
  type: 'spherical',
  kernelShape: 'diag',
  size: (k) => k,
  parameterCount: (k) => k,

  estimate(second, counts, nk, shift, k, d, regularization, out) {
    // Regularize each feature's variance, then average (scikit-learn's order; the same value).
    const variances = new Float64Array(k * d);
    centredVariances(second, counts, nk, shift, k, d, regularization, variances);
    for (let m = 0; m < k; m++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += variances[m * d + j];
      out[m] = sum / d;
    }
  },

  factor(covariances, k, d, factors, logNormalizers) {
    const failed: number[] = [];
    const variances = new Float64Array(d);
    for (let m = 0; m < k; m++) {
      variances.fill(covariances[m]);
      logNormalizers[m] = factorVariances(variances, 0, d, factors, m * d);
      if (Number.isNaN(logNormalizers[m])) failed.push(m);
    }
    return failed;
  },

  assign(covariances, m, _k, d, full) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += full[j * d + j];
    covariances[m] = sum / d;
  },

  expand(covariances, m, _k, d, out) {
    out.fill(0);
    for (let j = 0; j < d; j++) out[j * d + j] = covariances[m];
  },

  toNested(covariances) {
    return Array.from(covariances);
  },

  fromNested(value, k) {
    const out = new Float64Array(k);
    return readVector(value, k, 'covariances', out, 0) ?? out;
  },
};
