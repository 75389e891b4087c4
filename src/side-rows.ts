/**
 * The rows the E-step kernel does not take: rows with missing values, which
 * are marginalized exactly, and rows with a known component, whose
 * responsibilities are fixed one-hot (semi-supervised EM). Their expected
 * sufficient statistics are added, in a fixed order, to the kernel's, so the
 * M-step is the same for every kind of row.
 *
 * For a row observing O and missing M, under component m with responsibility r:
 *   E[x − μ_m]             = (x_O − μ_mO, B_m (x_O − μ_mO))
 *   E[(x − μ_m)(x − μ_m)ᵀ] = E[x − μ_m] E[x − μ_m]ᵀ + C_m on the M×M block,
 * with B_m and C_m the regression and conditional covariance of ./missing.ts.
 * A labelled row contributes log π_z + log N(x_O | z) to the objective, which
 * EM then never lowers (Ghahramani & Jordan 1994; McLachlan & Peel 2000, §2.19).
 *
 * Symbols: n rows, d features, k components, o observed and u missing features.
 */
import type { MixtureParameters } from './covariance/index.js';
import { MixemError, show } from './errors.js';
import type { SufficientStatistics } from './kernels/kernel.js';
import { conditionalShift, groupByPattern, patternGaussians, patternJointLogProbabilities, rowHasMissing, type RowGroup } from './missing.js';
import type { Matrix } from './types.js';

/** Rows handled outside the kernel. */
export interface SideRows {
  /** The whole data, NaN where missing (rows are indexed as in the user's data). */
  readonly matrix: Matrix;
  readonly weights: Float64Array | null;
  /** Known component per row, −1 where unknown; null when no row is labelled. */
  readonly labels: Int32Array | null;
  /** The side rows, grouped by pattern of observed features. */
  readonly groups: readonly RowGroup[];
}

/** How the data splits between the kernel and the side pass. */
export interface RowSplit {
  /** The rows for the kernel (a compact copy, or the data itself when every row goes there). */
  readonly kernelMatrix: Matrix;
  readonly kernelWeights: Float64Array | null;
  /** The user's row index of each kernel row; null when the kernel takes every row. */
  readonly kernelRows: Int32Array | null;
  /** null when every row goes to the kernel. */
  readonly side: SideRows | null;
}

/**
 * Sends complete unlabelled rows to the kernel and the others to the side pass.
 * With no missing value and no label, the kernel gets the data untouched.
 */
export function splitRows(matrix: Matrix, weights: Float64Array | null, labels: Int32Array | null, anyMissing = true): RowSplit {
  const { rows: n, cols: d, data: x } = matrix;
  if (!anyMissing && labels === null) return { kernelMatrix: matrix, kernelWeights: weights, kernelRows: null, side: null };
  const isSide = (i: number) => (labels !== null && labels[i] >= 0) || rowHasMissing(matrix, i);
  // Counted first, so that complete unlabelled data (the usual case) allocates nothing.
  let sideCount = 0;
  for (let i = 0; i < n; i++) if (isSide(i)) sideCount++;
  if (sideCount === 0) return splitRows(matrix, weights, null, false);
  const kernelRows = new Int32Array(n - sideCount);
  const sideRows: number[] = [];
  for (let i = 0, q = 0; i < n; i++) {
    if (isSide(i)) sideRows.push(i);
    else kernelRows[q++] = i;
  }
  const compact = new Float64Array(kernelRows.length * d);
  const compactWeights = weights === null ? null : new Float64Array(kernelRows.length);
  kernelRows.forEach((i, q) => {
    compact.set(x.subarray(i * d, (i + 1) * d), q * d);
    if (compactWeights !== null) compactWeights[q] = weights![i];
  });
  return {
    kernelMatrix: { rows: kernelRows.length, cols: d, data: compact },
    kernelWeights: compactWeights,
    kernelRows,
    side: { matrix, weights, labels, groups: groupByPattern(matrix, sideRows) },
  };
}

/**
 * Adds the side rows' expected statistics to `stats` (which holds the kernel's),
 * their log-likelihood to `stats.logLikelihood`, and updates the worst row.
 * @returns the side rows' weighted log-likelihood.
 */
export function sideEStep(side: SideRows, params: MixtureParameters, stats: SufficientStatistics): number {
  const { k, d } = params;
  const { matrix, weights, labels } = side;
  const x = matrix.data;
  const full = stats.shape === 'full';
  const e = new Float64Array(d);
  const logp = new Float64Array(k);
  const summed = new Float64Array(k);
  let total = 0;
  for (const group of side.groups) {
    const { observed, missing } = group;
    const o = observed.length;
    const u = missing.length;
    const gaussians = patternGaussians(params, group);
    const diff = new Float64Array(k * o);
    const shift = new Float64Array(u);
    summed.fill(0);
    for (const i of group.rows) {
      const w = weights === null ? 1 : weights[i];
      if (w === 0) continue;
      patternJointLogProbabilities(x, i, d, params, group, gaussians, diff, logp);
      const label = labels === null ? -1 : labels[i];
      let lse: number;
      if (label >= 0) {
        lse = logp[label];
      } else {
        let max = -Infinity;
        for (let m = 0; m < k; m++) if (logp[m] > max) max = logp[m];
        let sum = 0;
        for (let m = 0; m < k; m++) sum += Math.exp(logp[m] - max);
        lse = max + Math.log(sum);
      }
      total += w * lse;
      if (lse < stats.worstLogDensity) {
        stats.worstLogDensity = lse;
        stats.worstRow = i;
      }
      for (let m = 0; m < k; m++) {
        const r = label >= 0 ? (m === label ? w : 0) : w * Math.exp(logp[m] - lse);
        if (r === 0 || r !== r) continue;
        for (let a = 0; a < o; a++) e[observed[a]] = diff[m * o + a];
        if (u > 0) {
          conditionalShift(gaussians[m], diff, m * o, o, u, shift);
          for (let a = 0; a < u; a++) e[missing[a]] = shift[a];
        }
        stats.counts[m] += r;
        summed[m] += r;
        for (let a = 0; a < d; a++) {
          const ra = r * e[a];
          stats.first[m * d + a] += ra;
          if (full) {
            const row = m * d * d + a * d;
            for (let b = 0; b < d; b++) stats.second[row + b] += ra * e[b];
          } else {
            stats.second[m * d + a] += ra * e[a];
          }
        }
      }
    }
    // The conditional covariance of the missing block, once per pattern and component.
    if (u > 0) {
      for (let m = 0; m < k; m++) {
        if (summed[m] === 0) continue;
        const c = gaussians[m].conditional;
        for (let a = 0; a < u; a++) {
          if (full) {
            for (let b = 0; b < u; b++) stats.second[m * d * d + missing[a] * d + missing[b]] += summed[m] * c[a * u + b];
          } else {
            stats.second[m * d + missing[a]] += summed[m] * c[a * u + a];
          }
        }
      }
    }
  }
  stats.logLikelihood += total;
  return total;
}

/**
 * Checks known labels: one per row, each an integer in [0, K) or unknown
 * (null, undefined, NaN or −1). Returns them as an Int32Array with −1 for
 * unknown, or null when no row has a label.
 * @throws MixemError `invalid-option` naming the first bad label.
 */
export function resolveLabels(labels: ArrayLike<number | null | undefined> | undefined, rows: number, k: number): Int32Array | null {
  if (labels === undefined) return null;
  if (labels.length !== rows) {
    throw new MixemError('invalid-option', `option labels has ${labels.length} values but the data has ${rows} rows`);
  }
  const out = new Int32Array(rows);
  let known = 0;
  for (let i = 0; i < rows; i++) {
    const v = labels[i];
    if (v === null || v === undefined || v === -1 || (typeof v === 'number' && Number.isNaN(v))) {
      out[i] = -1;
    } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < k) {
      out[i] = v;
      known++;
    } else {
      throw new MixemError(
        'invalid-option',
        `option labels[${i}] is ${show(v)}; a label must be a component index 0..${k - 1}, or null/−1 for unknown`,
      );
    }
  }
  return known === 0 ? null : out;
}
