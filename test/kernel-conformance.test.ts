import { describe, expect, it } from 'vitest';
import { covarianceModels, pack, type MixtureParameters } from '../src/covariance/index.js';
import { BLOCK_ROWS, createStatistics, type Kernel } from '../src/kernels/kernel.js';
import { referenceKernel } from '../src/kernels/reference.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { COVARIANCE_TYPES, Random, type CovarianceType } from '../src/index.js';
import { randomParameters } from './helpers/generate.js';

/** Every kernel implementation registers here and must pass the same suite. */
const KERNELS: Record<string, Kernel> = { reference: referenceKernel, wasm: createWasmKernelSync() };

/** Inverse and determinant by Gauss–Jordan elimination with partial pivoting: the naive formula. */
function inverseAndDeterminant(a: number[][]): { inverse: number[][]; determinant: number } {
  const d = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  let determinant = 1;
  for (let c = 0; c < d; c++) {
    let pivot = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    if (pivot !== c) {
      [m[pivot], m[c]] = [m[c], m[pivot]];
      determinant = -determinant;
    }
    determinant *= m[c][c];
    const p = m[c][c];
    for (let j = 0; j < 2 * d; j++) m[c][j] /= p;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * d; j++) m[r][j] -= f * m[c][j];
    }
  }
  return { inverse: m.map((row) => row.slice(d)), determinant };
}


function naiveJointLogProbabilities(params: MixtureParameters, x: number[]): number[] {
  const { k, d, covariance } = params;
  const model = covarianceModels[covariance];
  const out: number[] = [];
  for (let m = 0; m < k; m++) {
    const full = new Float64Array(d * d);
    model.expand(params.covariances, m, k, d, full);
    const sigma = Array.from({ length: d }, (_, i) => Array.from(full.subarray(i * d, (i + 1) * d)));
    const { inverse, determinant } = inverseAndDeterminant(sigma);
    const diff = x.map((v, j) => v - params.means[m * d + j]);
    let quad = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) quad += diff[i] * inverse[i][j] * diff[j];
    out.push(Math.log(params.weights[m]) - 0.5 * (d * Math.log(2 * Math.PI) + Math.log(determinant) + quad));
  }
  return out;
}

const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-10 * Math.max(1, Math.abs(b), scale);

const SHAPES = [
  { n: 1, d: 1, k: 1 },
  { n: 7, d: 1, k: 3 },
  { n: BLOCK_ROWS + 1, d: 3, k: 1 },
  { n: 2 * BLOCK_ROWS + 37, d: 5, k: 4 },
  { n: 300, d: 2, k: 2 },
];

for (const [name, kernel] of Object.entries(KERNELS)) {
  describe(`the ${name} kernel agrees with the naive formula (explicit inverse and determinant)`, () => {
    for (const covariance of COVARIANCE_TYPES) {
      for (const { n, d, k } of SHAPES) {
        it(`for ${covariance} covariance with n=${n}, d=${d}, k=${k}`, () => {
          const rng = new Random(n * 1000 + d * 10 + k);
          const params = randomParameters(covariance, k, d, rng);
          const packed = pack(params).packed!;
          const rows = Array.from({ length: n }, () => Array.from({ length: d }, () => 4 * rng.normal()));
          const weights = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 0.5 + (i % 3)));
          const matrix = { rows: n, cols: d, data: Float64Array.from(rows.flat()) };
          const loaded = kernel.load(matrix, weights);
          const logDensity = new Float64Array(n);
          const labels = new Int32Array(n);
          const responsibilities = new Float64Array(n * k);
          kernel.evaluate(loaded, packed, { logDensity, labels, responsibilities });
          const stats = createStatistics(covarianceModels[covariance].kernelShape, k, d);
          const total = kernel.eStep(loaded, packed, stats);

          let expectedTotal = 0;
          const counts = new Float64Array(k);
          const first = new Float64Array(k * d);
          const second = new Float64Array(stats.second.length);
          rows.forEach((x, i) => {
            const joint = naiveJointLogProbabilities(params, x);
            const max = Math.max(...joint);
            const lse = max + Math.log(joint.reduce((s, v) => s + Math.exp(v - max), 0));
            expect(close(logDensity[i], lse, 1)).toBe(true);
            expect(labels[i]).toBe(joint.indexOf(max));
            joint.forEach((v, m) => {
              const r = Math.exp(v - lse);
              expect(close(responsibilities[i * k + m], r, 1)).toBe(true);
              const wr = weights[i] * r;
              if (weights[i] === 0) return;
              counts[m] += wr;
              for (let a = 0; a < d; a++) {
                const da = x[a] - params.means[m * d + a];
                first[m * d + a] += wr * da;
                if (stats.shape === 'full') {
                  for (let b = 0; b < d; b++) second[m * d * d + a * d + b] += wr * da * (x[b] - params.means[m * d + b]);
                } else {
                  second[m * d + a] += wr * da * da;
                }
              }
            });
            expectedTotal += weights[i] * lse;
          });
          expect(close(total, expectedTotal, n)).toBe(true);
          expect(stats.logLikelihood).toBe(total);
          const scale = (a: Float64Array) => a.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
          counts.forEach((c, m) => expect(close(stats.counts[m], c, scale(counts))).toBe(true));
          first.forEach((v, q) => expect(close(stats.first[q], v, scale(first))).toBe(true));
          second.forEach((v, q) => expect(close(stats.second[q], v, scale(second))).toBe(true));
        });
      }
    }
  });
}
