/**
 * The reference kernel in plain TypeScript over Float64Arrays. Every faster
 * kernel must agree with it (see test/kernel-conformance.test.ts).
 *
 * Symbols: n rows, d features, k components, i a row, j/c features, m a component.
 */
import type { Matrix } from '../types.js';
import {
  BLOCK_ROWS,
  clearStatistics,
  type EvaluationOutputs,
  type Kernel,
  type LoadedData,
  type PackedParameters,
  type SufficientStatistics,
} from './kernel.js';

/**
 * Writes log π_m + log N(x_i | m) for every m into `logp`, and x_i − μ_m into
 * `diff` (k×d), for the row starting at `x[rowOffset]`.
 */
function jointLogProbabilities(
  x: Float64Array,
  rowOffset: number,
  p: PackedParameters,
  diff: Float64Array,
  logp: Float64Array,
): void {
  const { k, d, means, factors, logWeights, logNormalizers } = p;
  if (p.shape === 'full') {
    const dd = d * d;
    for (let m = 0; m < k; m++) {
      const mo = m * d;
      for (let j = 0; j < d; j++) diff[mo + j] = x[rowOffset + j] - means[mo + j];
      const fo = m * dd;
      let sq = 0;
      for (let j = 0; j < d; j++) {
        const row = fo + j * d;
        let y = 0;
        for (let c = 0; c <= j; c++) y += factors[row + c] * diff[mo + c];
        sq += y * y;
      }
      logp[m] = logWeights[m] + logNormalizers[m] - 0.5 * sq;
    }
  } else {
    for (let m = 0; m < k; m++) {
      const mo = m * d;
      let sq = 0;
      for (let j = 0; j < d; j++) {
        const delta = x[rowOffset + j] - means[mo + j];
        diff[mo + j] = delta;
        const y = factors[mo + j] * delta;
        sq += y * y;
      }
      logp[m] = logWeights[m] + logNormalizers[m] - 0.5 * sq;
    }
  }
}

/** Max-shifted log-sum-exp of logp[0..k). */
function logSumExpRow(logp: Float64Array, k: number): number {
  let max = -Infinity;
  for (let m = 0; m < k; m++) if (logp[m] > max) max = logp[m];
  if (!(max > -Infinity)) return max; // −∞ or NaN: the caller reports it
  let sum = 0;
  for (let m = 0; m < k; m++) sum += Math.exp(logp[m] - max);
  return max + Math.log(sum);
}

/** The plain TypeScript kernel. Stateless; one instance serves every fit. */
export const referenceKernel: Kernel = {
  load(matrix: Matrix, weights: Float64Array | null): LoadedData {
    return { matrix, weights };
  },

  eStep(data: LoadedData, p: PackedParameters, s: SufficientStatistics): number {
    const { k, d } = p;
    const { rows: n, data: x } = data.matrix;
    const w = data.weights;
    const full = p.shape === 'full';
    const secondSize = full ? d * d : d;
    const diff = new Float64Array(k * d);
    const logp = new Float64Array(k);
    const blockCounts = new Float64Array(k);
    const blockFirst = new Float64Array(k * d);
    const blockSecond = new Float64Array(k * secondSize);
    clearStatistics(s);
    let total = 0;
    let worst = Infinity;
    let worstRow = -1;

    for (let start = 0; start < n; start += BLOCK_ROWS) {
      const end = Math.min(n, start + BLOCK_ROWS);
      blockCounts.fill(0);
      blockFirst.fill(0);
      blockSecond.fill(0);
      let blockTotal = 0;
      for (let i = start; i < end; i++) {
        const wi = w === null ? 1 : w[i];
        if (wi === 0) continue;
        jointLogProbabilities(x, i * d, p, diff, logp);
        const lse = logSumExpRow(logp, k);
        blockTotal += wi * lse;
        if (lse < worst) {
          worst = lse;
          worstRow = i;
        }
        for (let m = 0; m < k; m++) {
          const r = wi * Math.exp(logp[m] - lse);
          if (r === 0) continue;
          blockCounts[m] += r;
          const mo = m * d;
          if (full) {
            const so = m * secondSize;
            for (let a = 0; a < d; a++) {
              const ra = r * diff[mo + a];
              blockFirst[mo + a] += ra;
              const row = so + a * d;
              for (let b = 0; b <= a; b++) blockSecond[row + b] += ra * diff[mo + b];
            }
          } else {
            for (let a = 0; a < d; a++) {
              const ra = r * diff[mo + a];
              blockFirst[mo + a] += ra;
              blockSecond[mo + a] += ra * diff[mo + a];
            }
          }
        }
      }
      total += blockTotal;
      for (let m = 0; m < k; m++) s.counts[m] += blockCounts[m];
      for (let q = 0; q < blockFirst.length; q++) s.first[q] += blockFirst[q];
      for (let q = 0; q < blockSecond.length; q++) s.second[q] += blockSecond[q];
    }

    if (full) {
      // Only the lower triangles were accumulated; mirror them.
      for (let m = 0; m < k; m++) {
        const so = m * d * d;
        for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) s.second[so + a * d + b] = s.second[so + b * d + a];
      }
    }
    s.logLikelihood = total;
    s.worstRow = worstRow;
    s.worstLogDensity = worst;
    return total;
  },

  evaluate(data: LoadedData, p: PackedParameters, out: EvaluationOutputs): void {
    const { k, d } = p;
    const { rows: n, data: x } = data.matrix;
    const diff = new Float64Array(k * d);
    const logp = new Float64Array(k);
    const { logDensity, labels, responsibilities } = out;
    for (let i = 0; i < n; i++) {
      jointLogProbabilities(x, i * d, p, diff, logp);
      const lse = logSumExpRow(logp, k);
      if (logDensity) logDensity[i] = lse;
      if (labels) {
        let best = 0;
        for (let m = 1; m < k; m++) if (logp[m] > logp[best]) best = m;
        labels[i] = best;
      }
      if (responsibilities) {
        for (let m = 0; m < k; m++) responsibilities[i * k + m] = Math.exp(logp[m] - lse);
      }
    }
  },
};
