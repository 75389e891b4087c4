import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { covarianceModels, pack, type MixtureParameters } from '../src/covariance/index.js';
import { BLOCK_ROWS, createStatistics, type PackedParameters, type SufficientStatistics } from '../src/kernels/kernel.js';
import { referenceKernel } from '../src/kernels/reference.js';
import { CHUNK_ROWS, createWasmKernel, createWasmKernelSync, type WasmKernel } from '../src/kernels/wasm.js';
import { COVARIANCE_TYPES, fit, MixemError, Random, type CovarianceType, type GaussianMixture, type Matrix } from '../src/index.js';
import { WASM_RELAXED_BASE64, WASM_SIMD_BASE64 } from '../src/kernels/wasm-binary.generated.js';
import { dataset, relativeError } from './helpers/fixtures.js';
import { randomParameters } from './helpers/generate.js';

const kernel = createWasmKernelSync();
const simd = createWasmKernelSync({ variant: 'simd' });
const relaxed: WasmKernel | null = (() => {
  try {
    return createWasmKernelSync({ variant: 'relaxed' });
  } catch (error) {
    if (error instanceof MixemError) return null; // this engine lacks relaxed SIMD
    throw error;
  }
})();


function randomMatrix(n: number, d: number, rng: Random): Matrix {
  return { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => 4 * rng.normal()) };
}

/** |a − b| within 1e-10 of the larger of 1, |b| and the array's scale (the conformance suite's rule). */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= 1e-10 * scale)) {
      expect.fail(`element ${i}: ${actual[i]} vs ${expected[i]} (scale ${scale})`);
    }
  }
}

function eStepBoth(matrix: Matrix, weights: Float64Array | null, packed: PackedParameters, shape: 'full' | 'diag', k: number, d: number) {
  const expected = createStatistics(shape, k, d);
  const actual = createStatistics(shape, k, d);
  const expectedTotal = referenceKernel.eStep(referenceKernel.load(matrix, weights), packed, expected);
  const loaded = kernel.load(matrix, weights);
  const actualTotal = kernel.eStep(loaded, packed, actual);
  kernel.release?.(loaded);
  return { expected, actual, expectedTotal, actualTotal };
}

function expectSameStatistics(actual: SufficientStatistics, expected: SufficientStatistics): void {
  expectClose([actual.logLikelihood], [expected.logLikelihood]);
  expectClose(actual.counts, expected.counts);
  expectClose(actual.first, expected.first);
  expectClose(actual.second, expected.second);
  expect(actual.worstRow).toBe(expected.worstRow);
  expectClose([actual.worstLogDensity], [expected.worstLogDensity]);
}

function expectSameFit(actual: GaussianMixture, expected: GaussianMixture): void {
  expect(actual.iterations).toBe(expected.iterations);
  expect(actual.converged).toBe(expected.converged);
  expect(actual.history.length).toBe(expected.history.length);
  expect(relativeError(actual.history, expected.history)).toBeLessThan(1e-10);
  expect(Math.abs(actual.logLikelihood! - expected.logLikelihood!)).toBeLessThan(1e-10 * Math.abs(expected.logLikelihood!));
  expect(relativeError(actual.weights, expected.weights)).toBeLessThan(1e-10);
  expect(relativeError(actual.means, expected.means)).toBeLessThan(1e-10);
  expect(relativeError(actual.covariances, expected.covariances)).toBeLessThan(1e-10);
}

/** 5000×5 from four correlated Gaussian clusters. */
function synthetic(): number[][] {
  const rng = new Random(2024);
  const centers = [
    [0, 0, 0, 0, 0],
    [6, -2, 1, 0, 3],
    [-4, 5, 2, -3, 0],
    [2, 2, -6, 4, -2],
  ];
  const mixing = centers.map(() => Array.from({ length: 25 }, () => rng.normal() * 0.8));
  return Array.from({ length: 5000 }, (_, i) => {
    const c = i % 4;
    const z = Array.from({ length: 5 }, () => rng.normal());
    return centers[c].map((mu, a) => mu + z.reduce((s, v, b) => s + mixing[c][a * 5 + b] * v, 0));
  });
}

describe('the WebAssembly kernel', () => {
  it('uses a build this engine supports and processes rows in chunks of whole blocks', () => {
    expect(['simd', 'relaxed']).toContain(kernel.variant);
    expect(simd.variant).toBe('simd');
    expect(kernel.variant).toBe(relaxed === null ? 'simd' : 'relaxed');
    expect(CHUNK_ROWS % BLOCK_ROWS).toBe(0);
    expect(CHUNK_ROWS).toBe(4096);
  });

  it('can be created asynchronously', async () => {
    const asyncKernel = await createWasmKernel({ variant: 'simd' });
    const rng = new Random(3);
    const matrix = randomMatrix(100, 3, rng);
    const packed = pack(randomParameters('full', 2, 3, rng, Math.sqrt(3))).packed!;
    const a = createStatistics('full', 2, 3);
    const b = createStatistics('full', 2, 3);
    asyncKernel.eStep(asyncKernel.load(matrix, null), packed, a);
    simd.eStep(simd.load(matrix, null), packed, b);
    expect(Array.from(a.second)).toEqual(Array.from(b.second));
    expect(a.logLikelihood).toBe(b.logLikelihood);
  });

  describe('agrees with the reference kernel within 1e-10', () => {
    const shapes = [
      { n: 2 * CHUNK_ROWS + 3, d: 2, k: 3 },
      { n: CHUNK_ROWS + 1, d: 4, k: 2 },
      { n: 2, d: 6, k: 5 },
      { n: 701, d: 7, k: 3 },
      { n: 999, d: 8, k: 8 },
      { n: 513, d: 9, k: 2 },
      { n: 300, d: 13, k: 4 },
      { n: 61, d: 50, k: 3 },
    ];
    for (const covariance of COVARIANCE_TYPES) {
      for (const { n, d, k } of shapes) {
        it(`for ${covariance} covariance with n=${n}, d=${d}, k=${k}`, () => {
          const rng = new Random(n + 100 * d + k);
          const packed = pack(randomParameters(covariance, k, d, rng, Math.sqrt(d))).packed!;
          const matrix = randomMatrix(n, d, rng);
          const weights = n % 2 === 1 ? Float64Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : 0.25 + (i % 4))) : null;
          const shape = covarianceModels[covariance].kernelShape;
          const { expected, actual, expectedTotal, actualTotal } = eStepBoth(matrix, weights, packed, shape, k, d);
          expect(actualTotal).toBe(actual.logLikelihood);
          expectClose([actualTotal], [expectedTotal]);
          expectSameStatistics(actual, expected);

          const want = { logDensity: new Float64Array(n), labels: new Int32Array(n), responsibilities: new Float64Array(n * k) };
          const got = { logDensity: new Float64Array(n), labels: new Int32Array(n), responsibilities: new Float64Array(n * k) };
          referenceKernel.evaluate(referenceKernel.load(matrix, null), packed, want);
          kernel.evaluate(kernel.load(matrix, null), packed, got);
          expectClose(got.logDensity, want.logDensity);
          expectClose(got.responsibilities, want.responsibilities);
          expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
        });
      }
    }
  });

  describe('agrees with the reference kernel within 1e-10 around the tile edges of the large-d paths', () => {
    // The generic full path tiles by 4 rows of F and by 4×2 blocks of the second
    // moments (2-row tiles when d mod 4 is 1 or 2), over gathered row pairs.
    const ds = [5, 6, 7, 8, 9, 16, 17, 31, 50, 63];
    for (const covariance of ['full', 'diag'] as const) {
      for (const d of ds) {
        for (const k of [1, 3, 8]) {
          it(`for ${covariance} covariance with d=${d}, k=${k}, odd n and zero weights`, () => {
            const rng = new Random(1000 + 10 * d + k);
            const n = BLOCK_ROWS + 2 * (d + k) + 1;
            const packed = pack(randomParameters(covariance, k, d, rng, Math.sqrt(d))).packed!;
            const matrix = randomMatrix(n, d, rng);
            // Zero weights: scattered, a whole pair, and the last (unpaired) row.
            const weights = Float64Array.from({ length: n }, (_, i) => (i % 5 === 2 || i === 10 || i === 11 || i === n - 1 ? 0 : 0.5 + (i % 3)));
            const { expected, actual, expectedTotal, actualTotal } = eStepBoth(matrix, weights, packed, covariance, k, d);
            expectClose([actualTotal], [expectedTotal]);
            expectSameStatistics(actual, expected);
            const unweighted = eStepBoth(matrix, null, packed, covariance, k, d);
            expectSameStatistics(unweighted.actual, unweighted.expected);
            const want = new Float64Array(n);
            const got = new Float64Array(n);
            referenceKernel.evaluate(referenceKernel.load(matrix, null), packed, { logDensity: want });
            kernel.evaluate(kernel.load(matrix, null), packed, { logDensity: got });
            expectClose(got, want);
          });
        }
      }
    }

    // The diagonal path: densities in tiles of 8 features, then a tail of 0…7
    // (d = 1…7 tail only; 11, 12, 14 with tiles before the tail); moments in
    // tiles of 3 vectors then 2 or 1; blocks cut in chunks of about 2048/d rows
    // (at least 16: d = 130), so odd n ends in a partial chunk.
    for (const d of [1, 3, 4, 11, 12, 14, 130]) {
      it(`for diag covariance with d=${d}, k=3, odd n and zero weights`, () => {
        const rng = new Random(2000 + d);
        const k = 3;
        const n = BLOCK_ROWS + 2 * (d + k) + 1;
        const packed = pack(randomParameters('diag', k, d, rng, Math.sqrt(d))).packed!;
        const matrix = randomMatrix(n, d, rng);
        const weights = Float64Array.from({ length: n }, (_, i) => (i % 5 === 2 || i === 10 || i === 11 || i === n - 1 ? 0 : 0.5 + (i % 3)));
        const { expected, actual, expectedTotal, actualTotal } = eStepBoth(matrix, weights, packed, 'diag', k, d);
        expectClose([actualTotal], [expectedTotal]);
        expectSameStatistics(actual, expected);
        const want = new Float64Array(n);
        const got = new Float64Array(n);
        referenceKernel.evaluate(referenceKernel.load(matrix, null), packed, { logDensity: want });
        kernel.evaluate(kernel.load(matrix, null), packed, { logDensity: got });
        expectClose(got, want);
      });
    }

    it('for diag covariance when components get no responsibility for some rows and whole blocks', () => {
      const rng = new Random(37);
      const k = 3;
      for (const d of [2, 9, 50]) {
        const parameters = randomParameters('diag', k, d, rng, Math.sqrt(d));
        for (let m = 0; m < k; m++) for (let j = 0; j < d; j++) parameters.means[m * d + j] = 1000 * m;
        const packed = pack(parameters).packed!;
        // Block 0 alternates between components 0 and 2 row by row (lists with gaps,
        // pairs split between components), block 1 is all component 0, block 2
        // (partial, odd) all component 2.
        const n = 2 * BLOCK_ROWS + 51;
        const matrix = randomMatrix(n, d, rng);
        for (let i = 0; i < n; i++) {
          const far = i >= 2 * BLOCK_ROWS || (i < BLOCK_ROWS && i % 3 === 1);
          if (far) for (let j = 0; j < d; j++) matrix.data[i * d + j] += 2000;
        }
        const { expected, actual } = eStepBoth(matrix, null, packed, 'diag', k, d);
        expect(expected.counts[1]).toBe(0);
        expectSameStatistics(actual, expected);
      }
    });

    it('when components get no responsibility in whole blocks (well separated clusters)', () => {
      const rng = new Random(31);
      const k = 3;
      for (const d of [7, 50]) {
        const parameters = randomParameters('full', k, d, rng, Math.sqrt(d));
        for (let m = 0; m < k; m++) for (let j = 0; j < d; j++) parameters.means[m * d + j] = 1000 * m;
        const packed = pack(parameters).packed!;
        // Blocks 0 and 1 near component 0, block 2 near component 2 (partial, odd).
        const n = 2 * BLOCK_ROWS + 51;
        const matrix = randomMatrix(n, d, rng);
        for (let i = 2 * BLOCK_ROWS; i < n; i++) for (let j = 0; j < d; j++) matrix.data[i * d + j] += 2000;
        const { expected, actual } = eStepBoth(matrix, null, packed, 'full', k, d);
        expect(expected.counts[1]).toBe(0);
        expectSameStatistics(actual, expected);
      }
    });
  });

  it('gives the same totals as adding its chunks in chunk order (what a thread pool would do)', () => {
    const rng = new Random(77);
    const k = 3;
    const d = 3;
    const n = 3 * CHUNK_ROWS + 123;
    const packed = pack(randomParameters('full', k, d, rng, Math.sqrt(d))).packed!;
    const matrix = randomMatrix(n, d, rng);
    const whole = createStatistics('full', k, d);
    kernel.eStep(kernel.load(matrix, null), packed, whole);
    const sum = createStatistics('full', k, d);
    sum.logLikelihood = 0;
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, n - start);
      const chunk = { rows, cols: d, data: matrix.data.subarray(start * d, (start + rows) * d) };
      const part = createStatistics('full', k, d);
      kernel.eStep(kernel.load(chunk, null), packed, part);
      sum.logLikelihood += part.logLikelihood;
      if (part.worstLogDensity < sum.worstLogDensity) {
        sum.worstLogDensity = part.worstLogDensity;
        sum.worstRow = start + part.worstRow;
      }
      for (const key of ['counts', 'first', 'second'] as const) part[key].forEach((v, q) => (sum[key][q] += v));
    }
    expect(whole.logLikelihood).toBe(sum.logLikelihood);
    expect(whole.worstRow).toBe(sum.worstRow);
    expect(Array.from(whole.counts)).toEqual(Array.from(sum.counts));
    expect(Array.from(whole.first)).toEqual(Array.from(sum.first));
    expect(Array.from(whole.second)).toEqual(Array.from(sum.second));
  });

  it('accepts data loaded by another kernel, and refuses data it has released', () => {
    const rng = new Random(5);
    const matrix = randomMatrix(50, 2, rng);
    const packed = pack(randomParameters('diag', 2, 2, rng, Math.sqrt(2))).packed!;
    const a = createStatistics('diag', 2, 2);
    const b = createStatistics('diag', 2, 2);
    const own = kernel.load(matrix, null);
    kernel.eStep(own, packed, a);
    kernel.eStep(referenceKernel.load(matrix, null), packed, b);
    expect(Array.from(b.second)).toEqual(Array.from(a.second));
    kernel.release?.(own);
    expect(() => kernel.eStep(own, packed, a)).toThrow(/released/);
  });

  it('handles empty data', () => {
    const packed = pack(randomParameters('full', 2, 3, new Random(1), Math.sqrt(3))).packed!;
    const stats = createStatistics('full', 2, 3);
    stats.counts.fill(7);
    expect(kernel.eStep(kernel.load({ rows: 0, cols: 3, data: new Float64Array(0) }, null), packed, stats)).toBe(0);
    expect(Array.from(stats.counts)).toEqual([0, 0]);
    expect(stats.worstRow).toBe(-1);
    expect(stats.worstLogDensity).toBe(Infinity);
  });

  it('grows its memory for large data (n = 300000, d = 2) and keeps earlier data intact', () => {
    const own = createWasmKernelSync();
    const rng = new Random(9);
    const k = 3;
    const d = 2;
    const packed = pack(randomParameters('full', k, d, rng, Math.sqrt(d))).packed!;
    const small = randomMatrix(1000, d, rng);
    const smallLoaded = own.load(small, null);
    const before = createStatistics('full', k, d);
    own.eStep(smallLoaded, packed, before);

    const n = 300_000;
    const large = randomMatrix(n, d, rng);
    const weights = Float64Array.from({ length: n }, (_, i) => 1 + (i % 3));
    const loaded = own.load(large, weights);
    const actual = createStatistics('full', k, d);
    const expected = createStatistics('full', k, d);
    own.eStep(loaded, packed, actual);
    referenceKernel.eStep(referenceKernel.load(large, weights), packed, expected);
    expectSameStatistics(actual, expected);
    const logDensity = new Float64Array(n);
    const wanted = new Float64Array(n);
    own.evaluate(loaded, packed, { logDensity });
    referenceKernel.evaluate(referenceKernel.load(large, null), packed, { logDensity: wanted });
    expectClose(logDensity, wanted);

    const after = createStatistics('full', k, d);
    own.eStep(smallLoaded, packed, after);
    expect(Array.from(after.second)).toEqual(Array.from(before.second));
    expect(after.logLikelihood).toBe(before.logLikelihood);
    own.release?.(loaded);
    own.release?.(smallLoaded);
  });

  it('makes room ahead of a load over free memory only, and never throws for more than it can hold', () => {
    const rng = new Random(13);
    const packed = pack(randomParameters('full', 3, 4, rng, 2)).packed!;
    for (const precision of ['float64', 'float32'] as const) {
      const own = createWasmKernelSync({ precision });
      const held = own.load(randomMatrix(5000, 4, rng), null);
      const before = createStatistics('full', 3, 4);
      own.eStep(held, packed, before);
      own.reserve!(200_000, 4, true);
      own.reserve!(1e12, 4, false);
      const after = createStatistics('full', 3, 4);
      own.eStep(held, packed, after);
      expect(Array.from(after.second)).toEqual(Array.from(before.second));
      expect(after.logLikelihood).toBe(before.logLikelihood);
      const large = randomMatrix(200_000, 4, rng);
      const weights = Float64Array.from({ length: 200_000 }, (_, i) => 1 + (i % 2));
      const actual = createStatistics('full', 3, 4);
      own.eStep(own.load(large, weights), packed, actual);
      const expected = createStatistics('full', 3, 4);
      const fresh = createWasmKernelSync({ precision });
      fresh.eStep(fresh.load(large, weights), packed, expected);
      expect(Array.from(actual.second)).toEqual(Array.from(expected.second));
    }
  });

  it.skipIf(relaxed === null)('gives the same results in its relaxed-SIMD build (fused multiply-add) within 1e-12', () => {
    const rng = new Random(11);
    const matrix = randomMatrix(2000, 8, rng);
    const packed = pack(randomParameters('full', 4, 8, rng, Math.sqrt(8))).packed!;
    const a = createStatistics('full', 4, 8);
    const b = createStatistics('full', 4, 8);
    simd.eStep(simd.load(matrix, null), packed, a);
    relaxed!.eStep(relaxed!.load(matrix, null), packed, b);
    expect(relativeError(Array.from(b.second), Array.from(a.second))).toBeLessThan(1e-12);
    expect(Math.abs(b.logLikelihood - a.logLikelihood)).toBeLessThan(1e-12 * Math.abs(a.logLikelihood));
  });
});

describe('its exp', () => {
  const variants = relaxed === null ? [simd] : [simd, relaxed];
  for (const k of variants) {
    it(`(${k.variant}) is within 1e-14 relative of Math.exp over [−745, 709] and within one subnormal step below 2^−1022`, () => {
      const rng = new Random(1);
      const count = 1_000_000;
      const x = new Float64Array(count + 20_000);
      for (let i = 0; i < count; i++) x[i] = -745 + (1454 * i) / (count - 1);
      for (let i = count; i < x.length; i++) x[i] = -745 + 1454 * rng.uniform();
      const y = k.exp(x);
      let worst = 0;
      let worstAt = 0;
      for (let i = 0; i < x.length; i++) {
        const expected = Math.exp(x[i]);
        if (expected >= 2 ** -1022) {
          const error = Math.abs(y[i] - expected) / expected;
          if (error > worst) {
            worst = error;
            worstAt = x[i];
          }
        } else if (!(Math.abs(y[i] - expected) <= 2 ** -1074)) {
          expect.fail(`exp(${x[i]}) = ${y[i]}, Math.exp gives ${expected}`);
        }
      }
      expect(worst, `worst at x = ${worstAt}`).toBeLessThan(1e-14);
    });

    it(`(${k.variant}) underflows to 0, overflows to ∞ and keeps NaN`, () => {
      const y = k.exp(Float64Array.of(-Infinity, -1e308, -1000, -746, 0, 709.78, 710, 1e308, Infinity, NaN));
      expect(Array.from(y.subarray(0, 4))).toEqual([0, 0, 0, 0]);
      expect(y[4]).toBe(1);
      expect(y[5]).toBeCloseTo(Math.exp(709.78), -300);
      expect(Math.abs(y[5] - Math.exp(709.78)) / Math.exp(709.78)).toBeLessThan(1e-14);
      expect(Array.from(y.subarray(6, 9))).toEqual([Infinity, Infinity, Infinity]);
      expect(y[9]).toBeNaN();
    });
  }
});

describe('its log (of the sums of exponentials in the log-sum-exp)', () => {
  type Exports = { memory: { buffer: ArrayBuffer }; alloc(bytes: number): number; logInPlace(ptr: number, count: number): void };
  const builds = [
    { name: 'simd', base64: WASM_SIMD_BASE64 },
    ...(relaxed === null ? [] : [{ name: 'relaxed', base64: WASM_RELAXED_BASE64 }]),
  ];
  /** The module's log of every value, through its test export. */
  function moduleLog(base64: string, values: Float64Array): Float64Array {
    const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    const exports = new WebAssembly.Instance(module, { env: { abort: () => {} } }).exports as unknown as Exports;
    const ptr = exports.alloc(8 * values.length);
    new Float64Array(exports.memory.buffer, ptr, values.length).set(values);
    exports.logInPlace(ptr, values.length);
    return new Float64Array(exports.memory.buffer, ptr, values.length).slice();
  }
  const rng = new Random(3);
  const count = 400_001; // odd: the last value takes the one-lane path
  const x = new Float64Array(count);
  for (let i = 0; i < 200_000; i++) x[i] = 1 + (99 * i) / 199_999; // the sums lie in [1, k]
  for (let i = 200_000; i < 300_000; i++) x[i] = 10 ** (-300 + 600 * rng.uniform());
  // Near powers of 2 and near their √2 multiples (where the reduction switches), normal numbers only.
  for (let i = 300_000; i < count; i++) {
    const power = 2 ** (-1000 + ((i - 300_000) % 2001));
    const near = 1 + 1e-9 * (rng.uniform() - 0.5);
    x[i] = i % 2 === 0 ? power * near : power * Math.SQRT2 * near;
  }
  for (const build of builds) {
    it(`(${build.name}) is within 1 ulp of Math.log on [1, 100], 1e-300…1e300, near powers of 2 and their √2 multiples`, () => {
      const y = moduleLog(build.base64, x);
      for (let i = 0; i < count; i++) {
        const expected = Math.log(x[i]);
        if (!Number.isFinite(expected)) continue;
        const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(expected), 2 ** -1022))) - 52);
        if (!(Math.abs(y[i] - expected) <= ulp)) expect.fail(`log(${x[i]}) = ${y[i]}, Math.log gives ${expected}`);
      }
    });

    it(`(${build.name}) is exact at 1 and 2 and keeps NaN`, () => {
      const y = moduleLog(build.base64, Float64Array.of(1, 2, 0.5, NaN, Math.SQRT2));
      expect(y[0]).toBe(0);
      expect(y[1]).toBe(Math.LN2);
      expect(y[2]).toBe(-Math.LN2);
      expect(y[3]).toBeNaN();
      expect(Math.abs(y[4] - Math.LN2 / 2)).toBeLessThanOrEqual(2 ** -53);
    });
  }
});

describe('fit with the WebAssembly kernel', () => {
  const faithful = dataset('faithful');
  for (const covariance of COVARIANCE_TYPES) {
    it(`matches the default kernel on Old Faithful (${covariance}, k = 2)`, () => {
      const options = { components: 2, covariance, seed: 1, tolerance: 1e-8, maxIterations: 500 };
      expectSameFit(fit(faithful, { ...options, kernel }), fit(faithful, options));
    });
  }

  const data = synthetic();
  for (const covariance of COVARIANCE_TYPES) {
    it(`matches the default kernel on a synthetic 5000×5 set (${covariance}, k = 4)`, () => {
      const options = { components: 4, covariance, seed: 7, tolerance: 1e-6, maxIterations: 300 };
      const expected = fit(data, options);
      expect(expected.iterations).toBeGreaterThan(2);
      expectSameFit(fit(data, { ...options, kernel }), expected);
    });
  }

  it('matches the default kernel with sample weights', () => {
    const sampleWeights = faithful.map((_, i) => (i % 4 === 0 ? 0 : 1 + (i % 3)));
    const options = { components: 3, covariance: 'full' as const, seed: 2, tolerance: 1e-8, sampleWeights };
    expectSameFit(fit(faithful, { ...options, kernel }), fit(faithful, options));
  });
});

describe('the WebAssembly kernel in a browser', () => {
  const CHROMIUM = '/usr/bin/chromium';
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');

  it.skipIf(!existsSync(CHROMIUM))('loads asynchronously on the main thread of headless Chromium and fits as the reference kernel does', async () => {
    // Bundling for the browser fails if the kernel reaches for anything Node-only.
    const bundle = await build({
      stdin: {
        contents: "export { fit } from './src/index.js'; export { createWasmKernel } from './src/kernels/wasm.js';",
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      globalName: 'mixem',
      platform: 'browser',
      write: false,
    });
    const rows = dataset('faithful');
    const options = { components: 3, covariance: 'full' as const, seed: 3, tolerance: 1e-8 };
    const expected = fit(rows, options);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ content: bundle.outputFiles[0].text });
      const result = await page.evaluate(
        async ({ rows, options }) => {
          type Api = { fit: typeof fit; createWasmKernel: typeof createWasmKernel };
          const api = (globalThis as unknown as { mixem: Api }).mixem;
          const kernel = await api.createWasmKernel();
          const model = api.fit(rows, { ...options, kernel });
          return { variant: kernel.variant, model: JSON.parse(JSON.stringify(model)) };
        },
        { rows, options },
      );
      // Chromium has had relaxed SIMD since version 114.
      expect(result.variant).toBe('relaxed');
      const actual = result.model;
      expect(actual.iterations).toBe(expected.iterations);
      for (const key of ['weights', 'means', 'covariances', 'history'] as const) {
        expect(relativeError(actual[key], expected[key])).toBeLessThan(1e-10);
      }
    } finally {
      await browser.close();
    }
  });
});
