/**
 * The k-means start on large data (src/init.ts sampleCentres): k-means++ and
 * Lloyd on a random sample of rows first, then Lloyd on all rows from there.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createParallelKernel, type ParallelKernel } from '../node/parallel-kernel.js';
import { fit, kmeans, referenceKernel, Random, type Kernel } from '../src/index.js';
import { KMEANS_SAMPLE_ROWS, sampleCentres, sampleRows } from '../src/init.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { lloyd } from '../src/kmeans.js';

let pool: ParallelKernel | null = null;
afterAll(async () => {
  await pool?.close();
});

/** n rows of d features from k well-separated blobs, sorted by blob (so the first rows are one blob only). */
function blobs(n: number, d: number, k: number, seed: number) {
  const rng = new Random(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor((i * k) / n);
    for (let j = 0; j < d; j++) data[i * d + j] = 6 * c * (j % 2 === 0 ? 1 : -1) + rng.normal();
  }
  return { rows: n, cols: d, data };
}

describe('sampleRows', () => {
  it('draws distinct rows in increasing order, the same for a seed, spread over all rows', () => {
    const rows = sampleRows(100_000, 5000, new Random(3));
    expect(rows.length).toBe(5000);
    for (let r = 1; r < rows.length; r++) expect(rows[r]).toBeGreaterThan(rows[r - 1]);
    expect(rows[0]).toBeGreaterThanOrEqual(0);
    expect(rows[rows.length - 1]).toBeLessThan(100_000);
    expect(sampleRows(100_000, 5000, new Random(3))).toEqual(rows);
    // Uniform: the mean row is near the middle (its standard error is about 400).
    const mean = rows.reduce((a, b) => a + b, 0) / rows.length;
    expect(Math.abs(mean - 50_000)).toBeLessThan(2000);
    // Every tenth of the rows gets about a tenth of the draws.
    const tenths = new Array(10).fill(0);
    for (const row of rows) tenths[Math.floor(row / 10_000)]++;
    for (const count of tenths) expect(Math.abs(count - 500)).toBeLessThan(100);
  });

  it('takes every row when m = n', () => {
    expect(sampleRows(7, 7, new Random(1))).toEqual(Int32Array.from({ length: 7 }, (_, i) => i));
  });
});

describe('the k-means start on large data', () => {
  const n = 4 * KMEANS_SAMPLE_ROWS + 123;
  const matrix = blobs(n, 3, 4, 11);

  it('starts from a sample only from 4·m unweighted rows on', () => {
    const small = blobs(4 * KMEANS_SAMPLE_ROWS - 1, 2, 3, 1);
    expect(sampleCentres(small, null, 3, new Random(0))).toBeNull();
    expect(sampleCentres(matrix, new Float64Array(n).fill(1), 4, new Random(0))).toBeNull();
    // 512 rows per cluster at least: with k = 40 the sample is 20 480 rows, so 4·16 384 rows are not enough.
    expect(sampleCentres(matrix, null, 40, new Random(0))).toBeNull();
    expect(sampleCentres(matrix, null, 4, new Random(0))).not.toBeNull();
  });

  it('gives the same centres and random stream with the sample’s k-means on a kernel', async () => {
    pool ??= await createParallelKernel({ threads: 2 });
    const expectedRng = new Random(4);
    const expected = sampleCentres(matrix, null, 4, expectedRng)!;
    const next = expectedRng.nextUint32();
    for (const kernel of [createWasmKernelSync(), pool, referenceKernel]) {
      const rng = new Random(4);
      expect(sampleCentres(matrix, null, 4, rng, kernel)).toEqual(expected);
      expect(rng.nextUint32()).toBe(next);
    }
  });

  it('finds every blob although the rows are sorted by blob, and ends at a Lloyd fixed point of all rows', () => {
    const centres = sampleCentres(matrix, null, 4, new Random(5))!;
    const found = Array.from({ length: 4 }, (_, c) => Math.round(centres[c * 3] / 6)).sort();
    expect(found).toEqual([0, 1, 2, 3]);
    const result = lloyd(matrix, null, centres.slice(), 4, 300, 1e-4);
    // From the sample's centres, all rows need few iterations; k-means from scratch lands on the same clustering.
    expect(result.iterations).toBeLessThanOrEqual(3);
    const full = kmeans(matrix, { clusters: 4, seed: 5 });
    expect(Math.abs(result.inertia - full.inertia) / full.inertia).toBeLessThan(1e-6);
  });

  it('gives the same start, bit for bit, on the reference, WebAssembly and pool kernels, which run the sample’s k-means too', async () => {
    pool ??= await createParallelKernel({ threads: 2 });
    const options = { components: 4, seed: 9, maxIterations: 0 };
    const reference = fit(matrix, { ...options, kernel: referenceKernel });
    expect(fit(matrix, { ...options, kernel: createWasmKernelSync() }).means).toEqual(reference.means);
    let seedings = 0;
    let lloyds = 0;
    const inner = pool;
    const counting: Kernel = {
      ...inner,
      kmeansPlusPlus(...args) {
        seedings++;
        return inner.kmeansPlusPlus!(...args);
      },
      lloyd(...args) {
        lloyds++;
        return inner.lloyd!(...args);
      },
    };
    const pooled = fit(matrix, { ...options, kernel: counting });
    expect(pooled.means).toEqual(reference.means);
    expect(pooled.covariances).toEqual(reference.covariances);
    // Seeding and Lloyd on the sample, then Lloyd on all rows: all on the kernel.
    expect([seedings, lloyds]).toEqual([1, 2]);
  });
});
