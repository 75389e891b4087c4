/**
 * Diagonal covariance: each component has its own variance per feature.
 * Flat layout: k×d variances.
 */
import { LOG_2PI } from '../linalg.js';
import type { CovarianceModel } from './model.js';
import { readMatrix, toRows } from './shapes.js';

/** Factors the d variances at variances[offset ..]; returns the log normalizer or NaN if one is not positive. */
export function factorVariances(
  variances: Float64Array,
  offset: number,
  d: number,
  factors: Float64Array,
  factorOffset: number,
): number {
  let logDet = 0;
  for (let j = 0; j < d; j++) {
    const v = variances[offset + j];
    if (!(v > 0) || !Number.isFinite(v)) return NaN;
    factors[factorOffset + j] = 1 / Math.sqrt(v);
    logDet += Math.log(v);
  }
  const logNormalizer = -0.5 * (d * LOG_2PI + logDet);
  return Number.isFinite(logNormalizer) ? logNormalizer : NaN;
}

/** Per-feature centred variances around the new means: S2/nk − (2 − counts/nk)·δ² + reg. */
export function centredVariances(
  second: Float64Array,
  counts: Float64Array,
  nk: Float64Array,
  shift: Float64Array,
  k: number,
  d: number,
  regularization: number,
  out: Float64Array,
): void {
  for (let m = 0; m < k; m++) {
    const shiftScale = 2 - counts[m] / nk[m];
    for (let j = 0; j < d; j++) {
      const q = m * d + j;
      out[q] = second[q] / nk[m] - shiftScale * shift[q] * shift[q] + regularization;
    }
  }
}

export const diagCovariance: CovarianceModel = {
  type: 'diag',
  kernelShape: 'diag',
  size: (k, d) => k * d,
  parameterCount: (k, d) => k * d,

  estimate(second, counts, nk, shift, k, d, regularization, out) {
    centredVariances(second, counts, nk, shift, k, d, regularization, out);
  },

  factor(covariances, k, d, factors, logNormalizers) {
    const failed: number[] = [];
    for (let m = 0; m < k; m++) {
      logNormalizers[m] = factorVariances(covariances, m * d, d, factors, m * d);
      if (Number.isNaN(logNormalizers[m])) failed.push(m);
    }
    return failed;
  },

  assign(covariances, m, _k, d, full) {
    for (let j = 0; j < d; j++) covariances[m * d + j] = full[j * d + j];
  },

  expand(covariances, m, _k, d, out) {
    out.fill(0);
    for (let j = 0; j < d; j++) out[j * d + j] = covariances[m * d + j];
  },

  toNested(covariances, k, d) {
    return toRows(covariances, 0, k, d);
  },

  fromNested(value, k, d) {
    const out = new Float64Array(k * d);
    return readMatrix(value, k, d, 'covariances', out, 0) ?? out;
  },
};
