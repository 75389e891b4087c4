import { afterAll, describe, expect, it } from 'vitest';
import { createParallelKernel, type ParallelKernel } from '../node/parallel-kernel.js';
import { fit, type CovarianceType } from '../src/index.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { relativeError } from './helpers/fixtures.js';
import { blobs } from './helpers/generate.js';

const kernels = new Map<string, ParallelKernel>();
afterAll(async () => {
  await Promise.all([...kernels.values()].map((k) => k.close()));
});

/** One pool per (threads, inner), shared by the tests: starting workers is the slow part. */
async function kernel(threads: number, inner: 'wasm' | 'reference') {
  const key = `${threads}-${inner}`;
  if (!kernels.has(key)) kernels.set(key, await createParallelKernel({ threads, inner }));
  return kernels.get(key)!;
}

// 4096-row chunks: 21 000 rows make 6 chunks, the last one partial.
const data = blobs(21_000, [[0, 0, 0], [4, 1, 0], [0, 4, 2]], 1.2, 8);

describe('the parallel kernel', () => {
  for (const inner of ['reference', 'wasm'] as const) {
    for (const covariance of ['full', 'diag'] as CovarianceType[]) {
      it(`gives bit-identical models on 1, 2 and 3 threads (${inner} inside, ${covariance})`, async () => {
        const options = { components: 3, covariance, seed: 2, tolerance: 0, maxIterations: 8, sampleWeights: data.map((_, i) => 1 + (i % 2)) };
        const models = [];
        for (const threads of [1, 2, 3]) models.push(JSON.stringify(fit(data, { ...options, kernel: await kernel(threads, inner) })));
        expect(models[1]).toBe(models[0]);
        expect(models[2]).toBe(models[0]);
        const reference = fit(data, options);
        const parallel = JSON.parse(models[0]);
        expect(relativeError(parallel.means, reference.means)).toBeLessThan(1e-10);
        expect(relativeError(parallel.covariances, reference.covariances)).toBeLessThan(1e-10);
        expect(relativeError(parallel.logLikelihood, reference.logLikelihood)).toBeLessThan(1e-10);
      });
    }
  }

  it('gives the same bits as the single-threaded WebAssembly kernel (same chunks, same order)', async () => {
    const options = { components: 3, covariance: 'full' as const, seed: 5, tolerance: 0, maxIterations: 6 };
    const single = JSON.stringify(fit(data, { ...options, kernel: createWasmKernelSync() }));
    const pooled = JSON.stringify(fit(data, { ...options, kernel: await kernel(2, 'wasm') }));
    expect(pooled).toBe(single);
  });

  for (const inner of ['reference', 'wasm'] as const) {
    it(`fits a matrix from allocateMatrix in place on worker threads, with the bits of a copied one (${inner} inside)`, async () => {
      const pool = await kernel(2, inner);
      const options = { components: 3, covariance: 'full' as const, seed: 6, tolerance: 0, maxIterations: 6 };
      const matrix = pool.allocateMatrix(data.length, 3);
      matrix.data.set(data.flat());
      const inPlace = JSON.stringify(fit(matrix, { ...options, kernel: pool }));
      expect(inPlace).toBe(JSON.stringify(fit(data, { ...options, kernel: pool })));
      // A change to the rows reaches the next fit (nothing stale is kept).
      matrix.data[0] += 50;
      expect(JSON.stringify(fit(matrix, { ...options, kernel: pool }))).not.toBe(inPlace);
      pool.freeMatrix(matrix);
    });
  }
});

describe('the parallel kernel on small data and in rounds', () => {
  it('keeps data of one chunk on the main thread, with the same bits as the WebAssembly kernel', async () => {
    const small = data.slice(0, 1000);
    const options = { components: 3, covariance: 'full' as const, seed: 3, tolerance: 0, maxIterations: 5 };
    const pooled = await kernel(2, 'wasm');
    const loaded = pooled.load({ rows: 1000, cols: 3, data: Float64Array.from(small.flat()) }, null) as unknown as { active: number };
    expect(loaded.active).toBe(0);
    expect(JSON.stringify(fit(small, { ...options, kernel: pooled }))).toBe(JSON.stringify(fit(small, { ...options, kernel: createWasmKernelSync() })));
  });

  it('reloads new data cleanly, weighted and unweighted, with the same result as a fresh pool', async () => {
    const rounds = await createParallelKernel({ threads: 2, inner: 'wasm' });
    kernels.set('rounds', rounds);
    const options = { components: 3, covariance: 'diag' as const, seed: 4, tolerance: 0, maxIterations: 5, sampleWeights: data.map((_, i) => 1 + (i % 3)) };
    const expected = JSON.stringify(fit(data, { ...options, kernel: await kernel(2, 'wasm') }));
    // A different data set in between: the second load must drop the first's chunks.
    const other = data.slice(0, 9000).map((row) => row.map((v) => v * 2));
    fit(other, { components: 2, seed: 1, maxIterations: 3, kernel: rounds });
    expect(JSON.stringify(fit(data, { ...options, kernel: rounds }))).toBe(expected);
  });

});

describe('the parallel kernel in single precision', () => {
  it('gives the single-threaded float32 kernel\'s bits on 1, 2 and 3 threads', async () => {
    const options = { components: 3, covariance: 'full' as const, seed: 6, tolerance: 0, maxIterations: 6, sampleWeights: data.map((_, i) => 1 + (i % 2)) };
    const single = JSON.stringify(fit(data, { ...options, kernel: createWasmKernelSync({ precision: 'float32' }) }));
    for (const threads of [1, 2, 3]) {
      const pool = await createParallelKernel({ threads, precision: 'float32' });
      kernels.set(`f32-${threads}`, pool);
      expect(pool.precision).toBe('float32');
      expect(JSON.stringify(fit(data, { ...options, kernel: pool }))).toBe(single);
    }
    // And it is the float32 kernel: close to, but not the bits of, float64.
    const double = fit(data, { ...options, kernel: await kernel(2, 'wasm') });
    const float = JSON.parse(single);
    expect(float.logLikelihood).not.toBe(double.logLikelihood);
    expect(relativeError(float.logLikelihood, double.logLikelihood)).toBeLessThan(1e-5);
  });

  it('refuses float32 with the reference kernel inside, or an unknown precision', async () => {
    await expect(createParallelKernel({ threads: 1, inner: 'reference', precision: 'float32' })).rejects.toThrow(/float32.*WebAssembly/);
    await expect(createParallelKernel({ threads: 1, precision: 'half' as never })).rejects.toThrow(/precision/);
  });
});
