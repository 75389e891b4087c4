/**
 * k-means on the rows a kernel holds (Kernel.kmeansPlusPlus, Kernel.lloyd):
 * the worker pool, on 1, 2 and 3 threads, with the WebAssembly or the
 * reference kernel inside, and the single-threaded WebAssembly kernel must
 * give src/kmeans.ts kmeansPlusPlusTs's draws and centres and lloydTs's
 * labels, centres, iterations and inertia bit for bit (chunked sums,
 * src/seeding.ts and src/lloyd.ts), and the clusters' scatter for a
 * mixture's start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createParallelKernel, type ParallelKernel } from '../node/parallel-kernel.js';
import { fit, referenceKernel, Random, type Kernel } from '../src/index.js';
import { CHUNK_ROWS } from '../src/kernels/kernel.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { kmeansPlusPlus, kmeansPlusPlusTs, lloyd, lloydTs, type LloydResult } from '../src/kmeans.js';
import { PLAIN_LLOYD_MAX_KD, plainLloyd, type LloydOutputs } from '../src/lloyd.js';
import type { Matrix } from '../src/types.js';

const pools = new Map<string, ParallelKernel>();
afterAll(async () => {
  await Promise.all([...pools.values()].map((p) => p.close()));
});

/** One pool per (threads, inner), shared by the tests: starting workers is the slow part. */
async function pool(threads: number, inner: 'wasm' | 'reference'): Promise<ParallelKernel> {
  const key = `${threads}-${inner}`;
  if (!pools.has(key)) pools.set(key, await createParallelKernel({ threads, inner }));
  return pools.get(key)!;
}

/** Every kernel with `lloyd` under test, by name. */
async function kernels(): Promise<[string, Kernel][]> {
  const list: [string, Kernel][] = [['wasm', createWasmKernelSync()]];
  for (const inner of ['wasm', 'reference'] as const) for (const threads of [1, 2, 3]) list.push([`pool ${threads} ${inner}`, await pool(threads, inner)]);
  return list;
}

/** n rows in d dimensions from `groups` overlapping Gaussian blobs. */
function overlapping(n: number, d: number, groups: number, seed: number): Matrix {
  const rng = new Random(seed);
  const means = Array.from({ length: groups * d }, () => 2 * rng.normal());
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const g = rng.integer(groups);
    for (let j = 0; j < d; j++) data[i * d + j] = means[g * d + j] + rng.normal();
  }
  return { rows: n, cols: d, data };
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function expectSame(actual: LloydResult, expected: LloydResult, what: string): void {
  expect([actual.iterations, actual.converged], what).toEqual([expected.iterations, expected.converged]);
  expect(actual.labels === undefined, `${what}: labels given`).toBe(expected.labels === undefined);
  if (actual.labels !== undefined && expected.labels !== undefined) expect(sameBits(actual.labels, expected.labels), `${what}: labels`).toBe(true);
  expect(sameBits(actual.centers, expected.centers), `${what}: centres`).toBe(true);
  expect(Object.is(actual.inertia, expected.inertia), `${what}: inertia ${actual.inertia} vs ${expected.inertia}`).toBe(true);
  expect(actual.scatter === undefined, `${what}: scatter given`).toBe(expected.scatter === undefined);
  if (actual.scatter !== undefined && expected.scatter !== undefined) {
    for (const part of ['counts', 'first', 'second'] as const) {
      expect(sameBits(actual.scatter[part], expected.scatter[part]), `${what}: scatter ${part}`).toBe(true);
    }
  }
}

type Scatter = LloydOutputs;

/** Every kernel's lloyd on (matrix, weights) from `start` against lloydTs. */
async function expectKernelsSame(
  matrix: Matrix,
  weights: Float64Array | null,
  start: Float64Array,
  k: number,
  maxIterations = 300,
  scatter: Scatter = 'clusters',
): Promise<LloydResult> {
  const expected = lloydTs(matrix, weights, Float64Array.from(start), k, maxIterations, 1e-4, scatter);
  // The k-means module (its own copy of the rows) too.
  expectSame(lloyd(matrix, weights, Float64Array.from(start), k, maxIterations, 1e-4, scatter), expected, `k-means module, n ${matrix.rows}`);
  for (const [name, kernel] of await kernels()) {
    const loaded = kernel.load(matrix, weights);
    try {
      const centers = Float64Array.from(start);
      const actual = kernel.lloyd!(loaded, centers, k, maxIterations, 1e-4, scatter);
      expect(actual.centers).toBe(centers); // updated in place, as lloyd does
      expectSame(actual, expected, `${name}, n ${matrix.rows}, d ${matrix.cols}, k ${k}`);
    } finally {
      kernel.release?.(loaded);
    }
  }
  return expected;
}

/** Every kernel's kmeansPlusPlus against kmeansPlusPlusTs: the same centres and the same draws. */
async function expectSeedsSame(matrix: Matrix, weights: Float64Array | null, k: number, seed: number): Promise<Float64Array> {
  const rng = new Random(seed);
  const expected = kmeansPlusPlusTs(matrix, weights, k, rng);
  const next = rng.nextUint32();
  for (const [name, kernel] of await kernels()) {
    const loaded = kernel.load(matrix, weights);
    try {
      const own = new Random(seed);
      expect(sameBits(kernel.kmeansPlusPlus!(loaded, k, own), expected), `${name}, n ${matrix.rows}, d ${matrix.cols}, k ${k}`).toBe(true);
      expect(own.nextUint32(), `${name}: the random stream`).toBe(next);
    } finally {
      kernel.release?.(loaded);
    }
  }
  return expected;
}

describe('Kernel.kmeansPlusPlus', () => {
  it('gives kmeansPlusPlusTs’s draws and centres on every kernel and thread count, weighted and unweighted', async () => {
    for (const [n, d, k, seed] of [
      [1000, 3, 4, 1],
      [3 * CHUNK_ROWS + 123, 3, 7, 2],
      [6 * CHUNK_ROWS + 1000, 2, 12, 3],
      [2 * CHUNK_ROWS + 17, 1, 5, 4],
      [2 * CHUNK_ROWS + 5, 7, 1, 5],
      [2 * CHUNK_ROWS + 300, 50, 6, 6],
    ]) {
      const matrix = overlapping(n, d, 4, seed);
      const rng = new Random(seed);
      // Zero weights in runs, so that whole chunks can have no score.
      const weights = Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 || (i > CHUNK_ROWS && i < 2 * CHUNK_ROWS) ? 0 : 0.1 + 2 * rng.uniform()));
      for (const w of [null, weights]) await expectSeedsSame(matrix, w, k, seed);
    }
  });

  it('matches with more centres than distinct rows (zero potentials) and on overflowing data', async () => {
    const few = overlapping(2 * CHUNK_ROWS + 9, 2, 3, 7);
    for (let i = 0; i < few.rows; i++) few.data.set(few.data.subarray(0, 2).map((v) => v + (i % 3)), i * 2);
    await expectSeedsSame(few, null, 5, 7);
    const huge = overlapping(CHUNK_ROWS + 99, 3, 3, 8);
    huge.data.forEach((v, i) => (huge.data[i] = v * 1e300));
    await expectSeedsSame(huge, null, 4, 8);
  });
});

describe('Kernel.lloyd', () => {
  it('gives lloydTs’s bits on every kernel and thread count, weighted and unweighted', async () => {
    for (const [n, d, k, seed] of [
      [1000, 3, 4, 1], // one chunk: the pool keeps it on the main thread
      [3 * CHUNK_ROWS + 123, 3, 5, 2], // a partial last chunk
      [6 * CHUNK_ROWS + 1000, 2, 6, 3], // several chunks per worker
      [2 * CHUNK_ROWS + 17, 1, 4, 4], // d = 1
      [2 * CHUNK_ROWS + 5, 7, 1, 5], // k = 1
      // Past plain Lloyd's k·d: the WebAssembly chunks keep Hamerly's bounds.
      [3 * CHUNK_ROWS + 201, 3, 7, 6],
      [4 * CHUNK_ROWS + 9, 2, 12, 7],
    ]) {
      const matrix = overlapping(n, d, Math.max(2, k - 1), seed);
      const rng = new Random(seed);
      const weights = Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 0 : 0.1 + 2 * rng.uniform()));
      for (const w of [null, weights]) {
        const result = await expectKernelsSame(matrix, w, kmeansPlusPlus(matrix, w, k, new Random(seed)), k, 300, w === null ? 'diag' : 'full');
        if (k > 1) expect(result.iterations).toBeGreaterThan(2);
      }
    }
  });

  it('matches with d = 50, and when iterations run out', async () => {
    const matrix = overlapping(2 * CHUNK_ROWS + 300, 50, 6, 6);
    const start = kmeansPlusPlus(matrix, null, 8, new Random(6));
    await expectKernelsSame(matrix, null, start, 8, 10, 'full');
    await expectKernelsSame(matrix, null, start, 8, 0, 'diag');
    await expectKernelsSame(matrix, null, start, 8, 1);
  });

  it('relocates emptied clusters to the same rows', async () => {
    const matrix = overlapping(3 * CHUNK_ROWS + 77, 3, 3, 7);
    // Two centres far from every row: they empty out and move to the worst-fitted rows, in any chunk.
    const far = Float64Array.from([...matrix.data.subarray(0, 6), 1e3, 1e3, 1e3, -1e3, 1e3, -1e3]);
    for (const maxIterations of [1, 2, 300]) await expectKernelsSame(matrix, null, far, 4, maxIterations, 'full');
    const rng = new Random(8);
    await expectKernelsSame(matrix, Float64Array.from({ length: matrix.rows }, () => rng.uniform()), far, 4);
    // With the bounds (k·d past plain Lloyd's): three more far centres.
    const more = Float64Array.from([...far, 2e3, 0, 0, 0, 2e3, 0, 0, 0, -2e3]);
    for (const maxIterations of [1, 300]) await expectKernelsSame(matrix, null, more, 7, maxIterations, 'diag');
  });

  it('breaks ties between equal centres and overflowing distances as lloydTs does (plain and with bounds)', async () => {
    const matrix = overlapping(2 * CHUNK_ROWS + 33, 2, 3, 10);
    const seeds = kmeansPlusPlus(matrix, null, 3, new Random(10));
    // Centre 2 repeats centre 0: every row nearer to them is a tie, which centre 0 wins.
    const twins = Float64Array.from([...seeds, seeds[0], seeds[1]]);
    await expectKernelsSame(matrix, null, twins, 4, 3, 'full'); // k·d = 8: plain
    const wide = Float64Array.from([...twins, ...Array.from({ length: 10 }, (_, q) => seeds[q % 6] + 1e3 * (q + 1))]);
    await expectKernelsSame(matrix, null, wide, 9, 3, 'full'); // k·d = 18: bounds
    // Squared distances overflow to ∞ for every centre: centre 0 keeps every row.
    const huge = overlapping(CHUNK_ROWS + 51, 2, 3, 11);
    huge.data.forEach((v, i) => (huge.data[i] = v * 1e300));
    await expectKernelsSame(huge, null, kmeansPlusPlusTs(huge, null, 3, new Random(11)), 3, 2, 'diag');
  });

  it('runs plain Lloyd (no per-row state) exactly up to k·d = 16', () => {
    expect([plainLloyd(8, 2), plainLloyd(9, 2), plainLloyd(5, 3), plainLloyd(6, 3), plainLloyd(1, 16), plainLloyd(2, 9)]).toEqual([true, false, true, false, true, false]);
    expect(PLAIN_LLOYD_MAX_KD).toBe(16);
  });

  it("gives each cluster's scatter about its centre for the labels, full and diagonal, weighted", () => {
    const matrix = overlapping(2 * CHUNK_ROWS + 321, 5, 3, 12);
    const { rows: n, cols: d, data: x } = matrix;
    const rng = new Random(12);
    const weights = Float64Array.from({ length: n }, () => 0.5 + rng.uniform());
    const k = 3;
    for (const w of [null, weights]) {
      const full = lloydTs(matrix, w, kmeansPlusPlus(matrix, w, k, new Random(1)), k, 300, 1e-4, 'full');
      const diag = lloydTs(matrix, w, kmeansPlusPlus(matrix, w, k, new Random(1)), k, 300, 1e-4, 'diag');
      const clusters = lloydTs(matrix, w, kmeansPlusPlus(matrix, w, k, new Random(1)), k, 300, 1e-4);
      // Asked for the scatter, Lloyd makes no labels and no inertia pass; the centres are the same.
      expect([full.labels, full.inertia, diag.labels, clusters.scatter]).toEqual([undefined, undefined, undefined, undefined]);
      expect(sameBits(diag.centers, full.centers) && sameBits(clusters.centers, full.centers)).toBe(true);
      const labels = clusters.labels!;
      // Plain sums in row order: the chunked ones agree to rounding.
      const counts = new Float64Array(k);
      const first = new Float64Array(k * d);
      const second = new Float64Array(k * d * d);
      for (let i = 0; i < n; i++) {
        const m = labels[i];
        const wi = w === null ? 1 : w[i];
        counts[m] += wi;
        for (let a = 0; a < d; a++) {
          const da = x[i * d + a] - full.centers[m * d + a];
          first[m * d + a] += wi * da;
          for (let b = 0; b < d; b++) second[(m * d + a) * d + b] += wi * da * (x[i * d + b] - full.centers[m * d + b]);
        }
      }
      const close = (actual: Float64Array, expected: Float64Array, scale: number) =>
        actual.every((v, q) => Math.abs(v - expected[q]) <= 1e-12 * scale);
      const scale = Math.max(...second);
      expect(close(full.scatter!.counts, counts, n)).toBe(true);
      expect(close(full.scatter!.first, first, scale)).toBe(true);
      expect(close(full.scatter!.second, second, scale)).toBe(true);
      expect(close(diag.scatter!.second, Float64Array.from({ length: k * d }, (_, q) => second[(q * d) + (q % d)]), scale)).toBe(true);
      // The centres are the means of the labels before the last pass: the first moments are small, not zero.
      expect(Math.max(...full.scatter!.first.map(Math.abs))).toBeLessThan(1e-3 * n);
    }
  });

  it('falls back to the rows on this thread when the WebAssembly kernel has no room for the per-row state', () => {
    const matrix = overlapping(2 * CHUNK_ROWS + 50, 3, 3, 9);
    const kernel = createWasmKernelSync();
    const full = () => {
      throw new Error('out of memory');
    };
    Object.assign(kernel, { lloydChunks: full, seedChunks: full });
    const loaded = kernel.load(matrix, null);
    const seeds = kernel.kmeansPlusPlus!(loaded, 4, new Random(9));
    expect(sameBits(seeds, kmeansPlusPlusTs(matrix, null, 4, new Random(9)))).toBe(true);
    expectSame(kernel.lloyd!(loaded, Float64Array.from(seeds), 4, 300, 1e-4), lloydTs(matrix, null, Float64Array.from(seeds), 4, 300, 1e-4), 'fallback');
    kernel.release!(loaded);
  });

  it('is absent from the float32 pool, which fits with the k-means of src/kmeans.ts', async () => {
    const float32 = await createParallelKernel({ threads: 1, precision: 'float32' });
    pools.set('float32', float32);
    expect(float32.lloyd).toBeUndefined();
    expect(float32.kmeansPlusPlus).toBeUndefined();
    expect(createWasmKernelSync({ precision: 'float32' }).lloyd).toBeUndefined();
    expect(createWasmKernelSync({ precision: 'float32' }).kmeansPlusPlus).toBeUndefined();
  });
});

describe('fit with k-means on the kernel', () => {
  const matrix = overlapping(5 * CHUNK_ROWS + 999, 4, 4, 11);
  const data = { rows: matrix.rows, cols: matrix.cols, data: matrix.data };

  it('starts from the same k-means on every kernel, and the pool gives the WebAssembly kernel’s model', async () => {
    const options = { components: 4, covariance: 'diag' as const, seed: 3 };
    // No EM step: the model is the k-means start, which must not depend on the kernel.
    const starts = [];
    for (const kernel of [referenceKernel, createWasmKernelSync(), await pool(2, 'wasm'), await pool(3, 'reference')]) {
      starts.push(fit(data, { ...options, maxIterations: 0, kernel }).means);
    }
    for (const means of starts.slice(1)) expect(means).toEqual(starts[0]);
    const single = JSON.stringify(fit(data, { ...options, kernel: createWasmKernelSync() }));
    for (const threads of [1, 2, 3]) expect(JSON.stringify(fit(data, { ...options, kernel: await pool(threads, 'wasm') }))).toBe(single);
  });

  it('calls the kernel’s k-means when it holds exactly the seeding rows, and not for data with missing values', async () => {
    const inner = await pool(2, 'wasm');
    let calls = 0;
    let seedings = 0;
    const counting: Kernel = {
      ...inner,
      lloyd(...args) {
        calls++;
        return inner.lloyd!(...args);
      },
      kmeansPlusPlus(...args) {
        seedings++;
        return inner.kmeansPlusPlus!(...args);
      },
    };
    const weights = Array.from({ length: matrix.rows }, (_, i) => 1 + (i % 3));
    const plain = fit(data, { components: 3, seed: 1, maxIterations: 0, sampleWeights: weights, kernel: counting });
    expect([calls, seedings]).toEqual([1, 1]);
    expect(plain.means).toEqual(fit(data, { components: 3, seed: 1, maxIterations: 0, sampleWeights: weights }).means);
    const holes = Float64Array.from(matrix.data);
    holes[5] = NaN;
    fit({ rows: matrix.rows, cols: matrix.cols, data: holes }, { components: 3, seed: 1, maxIterations: 0, kernel: counting });
    expect([calls, seedings]).toEqual([1, 1]);
    // init 'kmeans++' (seeds, then the nearest seed) seeds on the kernel too.
    fit(data, { components: 3, seed: 1, maxIterations: 0, init: 'kmeans++', kernel: counting });
    expect([calls, seedings]).toEqual([1, 2]);
  });
});
