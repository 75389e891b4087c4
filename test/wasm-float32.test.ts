/**
 * The float32 WebAssembly kernel (`createWasmKernelSync({ precision: 'float32' })`,
 * assembly/estep32.ts): agreement with the reference kernel within the
 * tolerances documented in docs/float32.md, fits that reach the float64
 * fit's log-likelihood, determinism (the same bits twice, and whatever the
 * split into chunks), and bad input handled as the float64 kernel handles it.
 */
import { describe, expect, it } from 'vitest';
import { covarianceModels, pack, type MixtureParameters } from '../src/covariance/index.js';
import { BLOCK_ROWS, createStatistics, type Kernel, type PackedParameters, type SufficientStatistics } from '../src/kernels/kernel.js';
import { referenceKernel } from '../src/kernels/reference.js';
import { CHUNK_ROWS, createWasmKernel, createWasmKernelSync, type WasmKernel } from '../src/kernels/wasm.js';
import { WASM32_SIMD_BASE64 } from '../src/kernels/wasm-binary.generated.js';
import { COVARIANCE_TYPES, fit, MixemError, Random, type CovarianceType, type Matrix } from '../src/index.js';
import { dataset, relativeError } from './helpers/fixtures.js';
import { randomParameters } from './helpers/generate.js';

/** The tolerances of docs/float32.md (about ten times the largest errors observed). */
const TOLERANCE = {
  /** |Σ w log p − reference| / |reference|. */
  logLikelihood: 1e-6,
  /** Largest |counts, first, second − reference| over the array's largest |value|. */
  statistics: 1e-4,
  /** |log p(x_i) − reference| / max(1, |reference|), row by row. */
  logDensity: 1e-5,
  /** |r_ik − reference|. */
  responsibility: 1e-3,
  /** A fit's log-likelihood against the float64 fit's, relative. */
  fitLogLikelihood: 1e-5,
  /**
   * After the same number of EM iterations, a fit's weights, means and
   * covariances against the float64 fit's (largest difference over largest
   * value). Fits that stop on the tolerance may stop an iteration apart,
   * which moves slowly converging parameters by more than the precision does.
   */
  fitParameters: 1e-5,
};

const kernel = createWasmKernelSync({ precision: 'float32' });
const simd = createWasmKernelSync({ precision: 'float32', variant: 'simd' });
const float64 = createWasmKernelSync();
const relaxed: WasmKernel | null = (() => {
  try {
    return createWasmKernelSync({ precision: 'float32', variant: 'relaxed' });
  } catch (error) {
    if (error instanceof MixemError) return null; // this engine lacks relaxed SIMD
    throw error;
  }
})();


function randomMatrix(n: number, d: number, rng: Random, offset = 0): Matrix {
  return { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => offset + 4 * rng.normal()) };
}

/** Largest |a − b| over the largest |b|. */
function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return error === 0 ? 0 : error / scale;
}

function eStep(k: Kernel, matrix: Matrix, weights: Float64Array | null, packed: PackedParameters): SufficientStatistics {
  const stats = createStatistics(packed.shape, packed.k, packed.d);
  const loaded = k.load(matrix, weights);
  k.eStep(loaded, packed, stats);
  k.release?.(loaded);
  return stats;
}

function expectCloseStatistics(actual: SufficientStatistics, expected: SufficientStatistics): void {
  expect(Math.abs(actual.logLikelihood - expected.logLikelihood)).toBeLessThanOrEqual(TOLERANCE.logLikelihood * Math.abs(expected.logLikelihood));
  for (const key of ['counts', 'first', 'second'] as const) {
    expect(scaledError(actual[key], expected[key]), key).toBeLessThanOrEqual(TOLERANCE.statistics);
  }
  expect(Math.abs(actual.worstLogDensity - expected.worstLogDensity)).toBeLessThanOrEqual(
    TOLERANCE.logDensity * Math.max(1, Math.abs(expected.worstLogDensity)),
  );
}

function expectSameBits(a: SufficientStatistics, b: SufficientStatistics): void {
  expect(Object.is(a.logLikelihood, b.logLikelihood)).toBe(true);
  expect(a.worstRow).toBe(b.worstRow);
  expect(Object.is(a.worstLogDensity, b.worstLogDensity)).toBe(true);
  for (const key of ['counts', 'first', 'second'] as const) expect(Array.from(a[key])).toEqual(Array.from(b[key]));
}

function evaluations(n: number, k: number) {
  return { logDensity: new Float64Array(n), labels: new Int32Array(n), responsibilities: new Float64Array(n * k) };
}

/** `count` rows from `k` overlapping correlated Gaussian clusters in d dimensions. */
function clusters(count: number, d: number, k: number, seed: number, separation: number): number[][] {
  const rng = new Random(seed);
  const centers = Array.from({ length: k }, () => Array.from({ length: d }, () => separation * rng.normal()));
  const mixing = centers.map(() => Array.from({ length: d * d }, () => rng.normal() / Math.sqrt(d)));
  return Array.from({ length: count }, (_, i) => {
    const c = i % k;
    const z = Array.from({ length: d }, () => rng.normal());
    return centers[c].map((mu, a) => mu + 0.5 * z[a] + z.reduce((s, v, b) => s + mixing[c][a * d + b] * v, 0));
  });
}

describe('the float32 WebAssembly kernel', () => {
  it('is opt-in: float64 stays the default, and an unknown precision is refused', async () => {
    expect(kernel.precision).toBe('float32');
    expect(['simd', 'relaxed']).toContain(kernel.variant);
    expect(simd.variant).toBe('simd');
    expect(float64.precision).toBe('float64');
    expect(createWasmKernelSync({ precision: 'float64' }).precision).toBe('float64');
    const asyncKernel = await createWasmKernel({ precision: 'float32', variant: 'simd' });
    expect(asyncKernel.precision).toBe('float32');
    const rng = new Random(3);
    const matrix = randomMatrix(500, 3, rng);
    const packed = pack(randomParameters('full', 2, 3, rng, Math.sqrt(3))).packed!;
    expectSameBits(eStep(asyncKernel, matrix, null, packed), eStep(simd, matrix, null, packed));
    for (const precision of ['float16', 'f32', 32]) {
      expect(() => createWasmKernelSync({ precision } as never)).toThrow(/precision must be "float64" or "float32"/);
      await expect(createWasmKernel({ precision } as never)).rejects.toThrow(MixemError);
    }
  });

  describe('agrees with the reference kernel within the documented tolerances', () => {
    const shapes = [
      { n: 2 * CHUNK_ROWS + 3, d: 2, k: 3 },
      { n: CHUNK_ROWS + 1, d: 4, k: 2 },
      { n: 2, d: 6, k: 5 },
      { n: 7, d: 1, k: 3 },
      { n: BLOCK_ROWS + 1, d: 3, k: 1 },
      { n: 701, d: 7, k: 3 },
      { n: 999, d: 8, k: 8 },
      { n: 513, d: 9, k: 2 },
      { n: 300, d: 13, k: 4 },
      { n: 261, d: 50, k: 3 },
    ];
    for (const covariance of COVARIANCE_TYPES) {
      for (const { n, d, k } of shapes) {
        it(`for ${covariance} covariance with n=${n}, d=${d}, k=${k}`, () => {
          const rng = new Random(n + 100 * d + k);
          const packed = pack(randomParameters(covariance, k, d, rng, Math.sqrt(d))).packed!;
          const matrix = randomMatrix(n, d, rng);
          const weights = n % 2 === 1 ? Float64Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : 0.25 + (i % 4))) : null;
          const expected = eStep(referenceKernel, matrix, weights, packed);
          const loaded = kernel.load(matrix, weights);
          const actual = createStatistics(packed.shape, k, d);
          expect(kernel.eStep(loaded, packed, actual)).toBe(actual.logLikelihood);
          kernel.release?.(loaded);
          expectCloseStatistics(actual, expected);

          const want = evaluations(n, k);
          const got = evaluations(n, k);
          referenceKernel.evaluate(referenceKernel.load(matrix, null), packed, want);
          kernel.evaluate(kernel.load(matrix, null), packed, got);
          for (let i = 0; i < n; i++) {
            const error = Math.abs(got.logDensity[i] - want.logDensity[i]);
            if (!(error <= TOLERANCE.logDensity * Math.max(1, Math.abs(want.logDensity[i])))) {
              expect.fail(`row ${i}: log density ${got.logDensity[i]} vs ${want.logDensity[i]}`);
            }
            for (let m = 0; m < k; m++) {
              const r = i * k + m;
              if (!(Math.abs(got.responsibilities[r] - want.responsibilities[r]) <= TOLERANCE.responsibility)) {
                expect.fail(`row ${i}, component ${m}: responsibility ${got.responsibilities[r]} vs ${want.responsibilities[r]}`);
              }
            }
            // Labels agree except between components whose responsibilities are within the tolerance.
            const a = got.labels[i];
            const b = want.labels[i];
            if (a !== b) expect(Math.abs(want.responsibilities[i * k + a] - want.responsibilities[i * k + b])).toBeLessThanOrEqual(TOLERANCE.responsibility);
          }
        });
      }
    }
  });

  it('keeps its precision on data far from the origin (1e6 ± 4) and on data scaled to 1e±150', () => {
    const rng = new Random(21);
    const d = 3;
    const k = 2;
    const params = randomParameters('full', k, d, rng, Math.sqrt(d));
    const base = randomMatrix(3000, d, rng);
    for (const [offset, scale] of [
      [1e6, 1],
      [0, 1e150],
      [0, 1e-150],
    ]) {
      const matrix = { ...base, data: base.data.map((v) => offset + scale * v) };
      const shifted: MixtureParameters = {
        ...params,
        means: params.means.map((v) => offset + scale * v),
        covariances: params.covariances.map((v) => scale * scale * v),
      };
      const packed = pack(shifted).packed!;
      const expected = eStep(referenceKernel, matrix, null, packed);
      const actual = eStep(kernel, matrix, null, packed);
      expectCloseStatistics(actual, expected);
    }
  });

  it('keeps its precision on the other rows of a chunk when one row is far out', () => {
    const rng = new Random(8);
    const n = 2000;
    const d = 4;
    const matrix = randomMatrix(n, d, rng, 10);
    matrix.data.fill(1e6, 5 * d, 6 * d); // row 5
    const packed = pack(randomParameters('full', 3, d, rng, Math.sqrt(d))).packed!;
    const want = new Float64Array(n);
    const got = new Float64Array(n);
    referenceKernel.evaluate(referenceKernel.load(matrix, null), packed, { logDensity: want });
    kernel.evaluate(kernel.load(matrix, null), packed, { logDensity: got });
    for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(TOLERANCE.logDensity * Math.max(1, Math.abs(want[i])));
  });

  it('weights of any scale (1e±200) give the same statistics as the reference', () => {
    const rng = new Random(4);
    const matrix = randomMatrix(1000, 2, rng);
    const packed = pack(randomParameters('diag', 2, 2, rng, Math.sqrt(2))).packed!;
    for (const scale of [1e200, 1e-200]) {
      const weights = Float64Array.from({ length: 1000 }, (_, i) => scale * (1 + (i % 3)));
      expectCloseStatistics(eStep(kernel, matrix, weights, packed), eStep(referenceKernel, matrix, weights, packed));
    }
  });

  it.skipIf(relaxed === null)('agrees in its relaxed-SIMD build (fused multiply-add) within the same tolerances', () => {
    const rng = new Random(11);
    const matrix = randomMatrix(3000, 8, rng);
    const packed = pack(randomParameters('full', 4, 8, rng, Math.sqrt(8))).packed!;
    expectCloseStatistics(eStep(relaxed!, matrix, null, packed), eStep(simd, matrix, null, packed));
  });
});

describe('the float32 kernel is deterministic', () => {
  const rng = new Random(77);
  const n = 3 * CHUNK_ROWS + 123;
  const cases = [
    { covariance: 'full' as const, d: 2, k: 3 },
    { covariance: 'full' as const, d: 6, k: 3 },
    { covariance: 'diag' as const, d: 5, k: 4 },
  ].map(({ covariance, d, k }) => ({
    covariance,
    d,
    k,
    packed: pack(randomParameters(covariance, k, d, rng, Math.sqrt(d))).packed!,
    matrix: randomMatrix(n, d, rng, 3),
    weights: Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 ? 0 : 1 + (i % 3))),
  }));

  for (const { covariance, d, k, packed, matrix, weights } of cases) {
    it(`gives the same bits twice, and in a new instance (${covariance}, d=${d})`, () => {
      const loaded = kernel.load(matrix, weights);
      const a = createStatistics(packed.shape, k, d);
      const b = createStatistics(packed.shape, k, d);
      kernel.eStep(loaded, packed, a);
      kernel.eStep(loaded, packed, b);
      kernel.release?.(loaded);
      expectSameBits(a, b);
      const other = createWasmKernelSync({ precision: 'float32', variant: kernel.variant });
      expectSameBits(eStep(other, matrix, weights, packed), a);
    });

    it(`gives the same bits as adding its chunks, loaded one by one, in chunk order (a thread pool) (${covariance}, d=${d})`, () => {
      const whole = eStep(kernel, matrix, weights, packed);
      const sum = createStatistics(packed.shape, k, d);
      sum.logLikelihood = 0;
      for (let start = 0; start < n; start += CHUNK_ROWS) {
        const rows = Math.min(CHUNK_ROWS, n - start);
        const chunk = { rows, cols: d, data: matrix.data.subarray(start * d, (start + rows) * d) };
        const part = eStep(kernel, chunk, weights.subarray(start, start + rows), packed);
        sum.logLikelihood += part.logLikelihood;
        if (part.worstLogDensity < sum.worstLogDensity) {
          sum.worstLogDensity = part.worstLogDensity;
          sum.worstRow = start + part.worstRow;
        }
        for (const key of ['counts', 'first', 'second'] as const) part[key].forEach((v, q) => (sum[key][q] += v));
      }
      expectSameBits(whole, sum);
    });

    it(`evaluates every row to the same bits whatever the split at chunk boundaries (${covariance}, d=${d})`, () => {
      const whole = evaluations(n, k);
      kernel.evaluate(kernel.load(matrix, null), packed, whole);
      for (const cut of [CHUNK_ROWS, 2 * CHUNK_ROWS]) {
        for (const [start, end] of [
          [0, cut],
          [cut, n],
        ]) {
          const piece = { rows: end - start, cols: d, data: matrix.data.subarray(start * d, end * d) };
          const part = evaluations(end - start, k);
          kernel.evaluate(kernel.load(piece, null), packed, part);
          expect(Array.from(part.logDensity)).toEqual(Array.from(whole.logDensity.subarray(start, end)));
          expect(Array.from(part.labels)).toEqual(Array.from(whole.labels.subarray(start, end)));
          expect(Array.from(part.responsibilities)).toEqual(Array.from(whole.responsibilities.subarray(start * k, end * k)));
        }
      }
    });
  }
});

describe('the float32 kernel handles bad input as the float64 kernel does', () => {
  it('handles empty data', () => {
    const packed = pack(randomParameters('full', 2, 3, new Random(1), Math.sqrt(3))).packed!;
    const stats = createStatistics('full', 2, 3);
    stats.counts.fill(7);
    expect(kernel.eStep(kernel.load({ rows: 0, cols: 3, data: new Float64Array(0) }, null), packed, stats)).toBe(0);
    expect(Array.from(stats.counts)).toEqual([0, 0]);
    expect(Array.from(stats.second)).toEqual(new Array(18).fill(0));
    expect(stats.worstRow).toBe(-1);
    expect(stats.worstLogDensity).toBe(Infinity);
    kernel.evaluate(kernel.load({ rows: 0, cols: 3, data: new Float64Array(0) }, null), packed, evaluations(0, 2));
  });

  it('accepts data loaded by another kernel, and refuses data it has released', () => {
    const rng = new Random(5);
    const matrix = randomMatrix(50, 2, rng);
    const packed = pack(randomParameters('diag', 2, 2, rng, Math.sqrt(2))).packed!;
    const own = kernel.load(matrix, null);
    const a = createStatistics('diag', 2, 2);
    const b = createStatistics('diag', 2, 2);
    kernel.eStep(own, packed, a);
    kernel.eStep(referenceKernel.load(matrix, null), packed, b);
    expectSameBits(a, b);
    kernel.release?.(own);
    kernel.release?.(own); // twice is harmless
    expect(() => kernel.eStep(own, packed, a)).toThrow(/released/);
    expect(() => kernel.evaluate(own, packed, evaluations(50, 2))).toThrow(/released/);
  });

  it('gives a non-finite log-likelihood and the same lowest row for NaN or infinite values, and leaves the other rows alone', () => {
    const rng = new Random(6);
    const n = 600;
    const d = 3;
    const k = 2;
    const packed = pack(randomParameters('full', k, d, rng, Math.sqrt(d))).packed!;
    for (const bad of [NaN, Infinity, -Infinity]) {
      const matrix = randomMatrix(n, d, rng);
      matrix.data[301 * d + 1] = bad;
      const expected = eStep(float64, matrix, null, packed);
      const actual = eStep(kernel, matrix, null, packed);
      expect(Number.isFinite(expected.logLikelihood)).toBe(false);
      expect(Number.isFinite(actual.logLikelihood)).toBe(false);
      expect(actual.worstRow).toBe(expected.worstRow);
      const want = new Float64Array(n);
      const got = new Float64Array(n);
      float64.evaluate(float64.load(matrix, null), packed, { logDensity: want });
      kernel.evaluate(kernel.load(matrix, null), packed, { logDensity: got });
      for (let i = 0; i < n; i++) {
        if (i === 301) expect(Number.isFinite(got[i])).toBe(Number.isFinite(want[i]));
        else expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(TOLERANCE.logDensity * Math.max(1, Math.abs(want[i])));
      }
    }
  });

  it('its exp is within 1 ulp of Math.exp over [−87.3, 88.72], 0 below, ∞ above, and keeps NaN', () => {
    const count = 200_000;
    const x = Float64Array.from({ length: count }, (_, i) => Math.fround(-87.3 + (176.02 * i) / (count - 1)));
    const y = kernel.exp(x);
    let worst = 0;
    for (let i = 0; i < count; i++) {
      const expected = Math.exp(x[i]);
      if (expected > 3.4e38) continue;
      worst = Math.max(worst, Math.abs(y[i] - expected) / expected);
    }
    expect(worst).toBeLessThan(2 ** -23);
    const edge = kernel.exp(Float64Array.of(-Infinity, -1000, -87.5, 0, 88.8, 1000, Infinity, NaN));
    expect(Array.from(edge.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(edge[3]).toBe(1);
    expect(Array.from(edge.subarray(4, 7))).toEqual([Infinity, Infinity, Infinity]);
    expect(edge[7]).toBeNaN();
  });

  it('its log (of the sums of exponentials) is within 1 ulp of Math.log from 1e-30 to 1e30, and keeps NaN', () => {
    // The module's test export, called directly.
    type Exports = { memory: { buffer: ArrayBuffer }; alloc(bytes: number): number; logInPlace(ptr: number, count: number): void };
    const module = new WebAssembly.Module(Buffer.from(WASM32_SIMD_BASE64, 'base64'));
    const exports = new WebAssembly.Instance(module, { env: { abort: () => {} } }).exports as unknown as Exports;
    const count = 200_004;
    const ptr = exports.alloc(4 * count);
    const values = new Float32Array(exports.memory.buffer, ptr, count);
    for (let i = 0; i < count - 4; i++) values[i] = 1e-30 * 1e60 ** (i / (count - 5));
    values.set([1, 2, 8, NaN], count - 4);
    const x = Float64Array.from(values);
    exports.logInPlace(ptr, count);
    const y = new Float32Array(exports.memory.buffer, ptr, count);
    for (let i = 0; i < count - 1; i++) {
      const expected = Math.log(x[i]);
      const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(expected), 2 ** -126))) - 23);
      if (!(Math.abs(y[i] - expected) <= ulp)) expect.fail(`log(${x[i]}) = ${y[i]}, Math.log gives ${expected}`);
    }
    expect(y[count - 4]).toBe(0);
    expect(y[count - 1]).toBeNaN();
  });
});

describe('fit with the float32 kernel', () => {
  const faithful = dataset('faithful');
  const sets: { name: string; rows: number[][]; k: number; covariances: readonly CovarianceType[] }[] = [
    { name: 'Old Faithful', rows: faithful, k: 2, covariances: COVARIANCE_TYPES },
    { name: 'Old Faithful shifted by 1e6', rows: faithful.map((row) => row.map((v) => v + 1e6)), k: 2, covariances: ['full'] },
    { name: 'synthetic d = 2', rows: clusters(6000, 2, 4, 1, 2.5), k: 4, covariances: ['full', 'diag'] },
    { name: 'synthetic d = 10', rows: clusters(4000, 10, 4, 2, 0.5), k: 4, covariances: ['full', 'diag'] },
    { name: 'synthetic d = 50', rows: clusters(3000, 50, 3, 3, 0.25), k: 3, covariances: ['full', 'diag'] },
  ];
  for (const { name, rows, k, covariances } of sets) {
    for (const covariance of covariances) {
      it(`reaches the float64 fit's log-likelihood, and its parameters after as many iterations, on ${name} (${covariance}, k = ${k})`, () => {
        const options = { components: k, covariance, seed: 1, tolerance: 1e-6, maxIterations: 500 };
        const expected = fit(rows, { ...options, kernel: float64 });
        const actual = fit(rows, { ...options, kernel });
        expect(expected.iterations).toBeGreaterThan(2);
        expect(actual.converged).toBe(true);
        expect(Math.abs(actual.logLikelihood! - expected.logLikelihood!)).toBeLessThanOrEqual(TOLERANCE.fitLogLikelihood * Math.abs(expected.logLikelihood!));
        // The same number of iterations: what remains is the precision.
        const fixed = { ...options, tolerance: 0, maxIterations: expected.iterations };
        const same = fit(rows, { ...fixed, kernel });
        expect(same.iterations).toBe(expected.iterations);
        for (const key of ['weights', 'means', 'covariances'] as const) {
          expect(relativeError(same[key], expected[key]), key).toBeLessThanOrEqual(TOLERANCE.fitParameters);
        }
      });
    }
  }

  it('fits with sample weights as the float64 kernel does', () => {
    const sampleWeights = faithful.map((_, i) => (i % 4 === 0 ? 0 : 1 + (i % 3)));
    const options = { components: 3, covariance: 'full' as const, seed: 2, tolerance: 1e-6, sampleWeights };
    const expected = fit(faithful, { ...options, kernel: float64 });
    const actual = fit(faithful, { ...options, kernel });
    expect(Math.abs(actual.logLikelihood! - expected.logLikelihood!)).toBeLessThanOrEqual(TOLERANCE.fitLogLikelihood * Math.abs(expected.logLikelihood!));
  });
});
