/**
 * Full covariance: each component has its own d×d covariance matrix.
 * Flat layout: k row-major d×d matrices.
 */
import { cholesky, invertLower, LOG_2PI, logDiagonalSum } from '../linalg.js';
import type { CovarianceModel } from './model.js';
import { checkSymmetric, readMatrix, toRows } from './shapes.js';

/**
 * Factors one covariance matrix into an inverse Cholesky factor F = L⁻¹ at
 * factors[offset ..] and returns −d/2·log 2π + log|F|, or NaN if the matrix is
 * not numerically positive definite. `scratch` holds d×d numbers.
 */
export function factorMatrix(
  a: Float64Array,
  offset: number,
  d: number,
  scratch: Float64Array,
  factors: Float64Array,
  factorOffset: number,
): number {
  if (!cholesky(a, offset, d, scratch, 0)) return NaN;
  invertLower(scratch, 0, d, factors, factorOffset);
  const logNormalizer = -0.5 * d * LOG_2PI - logDiagonalSum(scratch, 0, d);
  return Number.isFinite(logNormalizer) ? logNormalizer : NaN;
}

/** Σ_k = S2_k/nk − (2 − counts_k/nk)·δ_kδ_kᵀ + reg·I: the exact centred scatter around the new mean. */
export function centredScatter(
  second: Float64Array,
  secondOffset: number,
  shift: Float64Array,
  shiftOffset: number,
  d: number,
  scale: number,
  shiftScale: number,
  out: Float64Array,
  outOffset: number,
): void {
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      out[outOffset + a * d + b] +=
        second[secondOffset + a * d + b] * scale - shiftScale * shift[shiftOffset + a] * shift[shiftOffset + b];
    }
  }
}

export const fullCovariance: CovarianceModel = {
  type: 'full',
  kernelShape: 'full',
  size: (k, d) => k * d * d,
  parameterCount: (k, d) => (k * d * (d + 1)) / 2,

  estimate(second, counts, nk, shift, k, d, regularization, out) {
    const dd = d * d;
    out.fill(0);
    for (let m = 0; m < k; m++) {
      centredScatter(second, m * dd, shift, m * d, d, 1 / nk[m], 2 - counts[m] / nk[m], out, m * dd);
      for (let j = 0; j < d; j++) out[m * dd + j * d + j] += regularization;
    }
  },

  factor(covariances, k, d, factors, logNormalizers) {
    const scratch = new Float64Array(d * d);
    const failed: number[] = [];
    for (let m = 0; m < k; m++) {
      logNormalizers[m] = factorMatrix(covariances, m * d * d, d, scratch, factors, m * d * d);
      if (Number.isNaN(logNormalizers[m])) failed.push(m);
    }
    return failed;
  },

  assign(covariances, m, _k, d, full) {
    covariances.set(full, m * d * d);
  },

  expand(covariances, m, _k, d, out) {
    out.set(covariances.subarray(m * d * d, (m + 1) * d * d));
  },

  toNested(covariances, k, d) {
    const out: number[][][] = [];
    for (let m = 0; m < k; m++) out.push(toRows(covariances, m * d * d, d, d));
    return out;
  },

  fromNested(value, k, d) {
    if (!Array.isArray(value)) return `covariances must be an array of ${k} ${d}×${d} matrices for covariance "full"`;
    if (value.length !== k) return `covariances has ${value.length} matrices, expected ${k} for covariance "full"`;
    const out = new Float64Array(k * d * d);
    for (let m = 0; m < k; m++) {
      const problem =
        readMatrix(value[m], d, d, `covariances[${m}]`, out, m * d * d) ??
        checkSymmetric(out, m * d * d, d, `covariances[${m}]`);
      if (problem) return problem;
    }
    return out;
  },
};
