/**
 * Small dense linear algebra on row-major Float64Arrays: Cholesky factors,
 * triangular inverses and log-sum-exp. Sizes are D×D with D the number of
 * features, so these run O(K·D³) per iteration, outside the hot loop.
 */

/**
 * Cholesky factor L (lower triangular, A = L·Lᵀ) of the symmetric D×D matrix
 * stored at `a[offset ..]`, written to `out[outOffset ..]` (upper part zeroed).
 * Only the lower triangle of A is read.
 *
 * @returns true on success; false if A is not numerically positive definite
 *   (a pivot is not strictly positive and finite).
 */
export function cholesky(
  a: ArrayLike<number>,
  offset: number,
  d: number,
  out: Float64Array,
  outOffset: number,
): boolean {
  for (let i = 0; i < d; i++) {
    const rowI = outOffset + i * d;
    for (let j = 0; j <= i; j++) {
      const rowJ = outOffset + j * d;
      let sum = a[offset + i * d + j];
      for (let p = 0; p < j; p++) sum -= out[rowI + p] * out[rowJ + p];
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return false;
        out[rowI + i] = Math.sqrt(sum);
      } else {
        out[rowI + j] = sum / out[rowJ + j];
      }
    }
    for (let j = i + 1; j < d; j++) out[rowI + j] = 0;
  }
  return true;
}

/**
 * Inverse of the lower-triangular D×D matrix L at `l[offset ..]`, by forward
 * substitution against the identity (no general inverse). The result is lower
 * triangular and written to `out[outOffset ..]`.
 */
export function invertLower(l: Float64Array, offset: number, d: number, out: Float64Array, outOffset: number): void {
  for (let col = 0; col < d; col++) {
    for (let i = 0; i < col; i++) out[outOffset + i * d + col] = 0;
    for (let i = col; i < d; i++) {
      let sum = i === col ? 1 : 0;
      for (let p = col; p < i; p++) sum -= l[offset + i * d + p] * out[outOffset + p * d + col];
      out[outOffset + i * d + col] = sum / l[offset + i * d + i];
    }
  }
}

/** Σ log L_jj of a D×D triangular factor: half the log-determinant of L·Lᵀ. */
export function logDiagonalSum(l: Float64Array, offset: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) sum += Math.log(l[offset + j * d + j]);
  return sum;
}

/**
 * log Σ exp(values[offset + j]) for j < count, shifted by the maximum so that
 * nothing overflows and at least one term is exp(0) = 1.
 */
export function logSumExp(values: Float64Array, offset: number, count: number): number {
  let max = -Infinity;
  for (let j = 0; j < count; j++) if (values[offset + j] > max) max = values[offset + j];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < count; j++) sum += Math.exp(values[offset + j] - max);
  return max + Math.log(sum);
}

/** log(2π), used by every Gaussian log density. */
export const LOG_2PI = Math.log(2 * Math.PI);
