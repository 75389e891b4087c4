import { describe, expect, it } from 'vitest';
import { kmeans, MixemError, Random } from '../src/index.js';
import { kmeansWasmAvailable, kmeansWasmMemoryBytes, kmeansPlusPlusWasm, lloydWasm, setKmeansWasmEnabled } from '../src/kernels/kmeans-wasm.js';
import { kmeansPlusPlus, kmeansPlusPlusTs, lloyd, lloydTs } from '../src/kmeans.js';
import { CHUNK_ROWS } from '../src/kernels/kernel.js';
import type { Matrix } from '../src/types.js';
import { dataset } from './helpers/fixtures.js';
import { blobs } from './helpers/generate.js';

describe('kmeans', () => {
  const data = blobs(600, [[0, 0], [10, 0], [0, 10]], 1, 3);

  it('separates well-separated blobs', () => {
    for (const init of ['kmeans++', 'random'] as const) {
      const result = kmeans(data, { clusters: 3, seed: 1, init });
      expect(result.converged).toBe(true);
      // blobs() cycles through the centres, so rows i and i+3 share a cluster.
      for (let i = 0; i + 3 < data.length; i++) expect(result.labels[i + 3]).toBe(result.labels[i]);
      expect(new Set(result.labels).size).toBe(3);
    }
  });

  it('gives the inertia as the sum of squared distances to the assigned centres', () => {
    const result = kmeans(data, { clusters: 3, seed: 2 });
    let inertia = 0;
    data.forEach((row, i) => {
      const c = result.centers[result.labels[i]];
      inertia += (row[0] - c[0]) ** 2 + (row[1] - c[1]) ** 2;
    });
    expect(result.inertia).toBeCloseTo(inertia, 8);
  });

  it('is deterministic for a seed', () => {
    const faithful = dataset('faithful');
    const a = kmeans(faithful, { clusters: 4, seed: 9 });
    const b = kmeans(faithful, { clusters: 4, seed: 9 });
    expect(b.centers).toEqual(a.centers);
    expect(b.labels).toEqual(a.labels);
  });

  it('treats a weighted row like repeated rows', () => {
    const small = [[0], [1], [10], [11], [12]];
    const weighted = kmeans(small, { clusters: 2, seed: 0, sampleWeights: [1, 3, 1, 1, 1] });
    const centers = weighted.centers.map((c) => c[0]).sort((a, b) => a - b);
    expect(centers[0]).toBeCloseTo(0.75, 12);
    expect(centers[1]).toBeCloseTo(11, 12);
  });

  it('rejects a bad number of clusters with a typed error', () => {
    expect(() => kmeans(data, { clusters: 0 })).toThrow(MixemError);
    expect(() => kmeans([[1], [2]], { clusters: 3 })).toThrow(/clusters \(3\) is larger than the number of rows \(2\)/);
  });
});

/**
 * Plain Lloyd, written the obvious way: every row against every centre each
 * iteration, the sums over rows taken per chunk of `chunkRows` rows from
 * zero and the chunk totals added in chunk order (the library's canonical
 * order, src/lloyd.ts). The library's lloyd (Hamerly's bounds, fused sums)
 * must give exactly its labels, centres, iterations and inertia.
 */
function plainLloyd(
  matrix: Matrix,
  weights: Float64Array | null,
  start: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
  chunkRows = CHUNK_ROWS,
) {
  const { rows: n, cols: d, data: x } = matrix;
  const centers = Float64Array.from(start);
  const w = (i: number) => (weights === null ? 1 : weights[i]);
  const distance2 = (i: number, c: number) => {
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const delta = x[i * d + j] - centers[c * d + j];
      sum += delta * delta;
    }
    return sum;
  };
  const labels = new Int32Array(n);
  const distances = new Float64Array(n);
  const assign = () => {
    let inertia = 0;
    for (let first = 0; first < n; first += chunkRows) {
      let chunk = 0;
      for (let i = first; i < Math.min(n, first + chunkRows); i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (distance2(i, c) < distance2(i, best)) best = c;
        labels[i] = best;
        distances[i] = distance2(i, best);
        chunk += w(i) * distances[i];
      }
      inertia += chunk;
    }
    return inertia;
  };
  // tolerance × the mean over features of the weighted variance.
  let variances = 0;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let sw = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      sw += w(i);
      mean += w(i) * x[i * d + j];
    }
    mean /= sw;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += w(i) * (x[i * d + j] - mean) * (x[i * d + j] - mean);
    variances += variance / sw;
    total = sw;
  }
  const threshold = tolerance * (total > 0 ? variances / d : 0);
  assign();
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let first = 0; first < n; first += chunkRows) {
      const chunkSums = new Float64Array(k * d);
      const chunkCounts = new Float64Array(k);
      for (let i = first; i < Math.min(n, first + chunkRows); i++) {
        chunkCounts[labels[i]] += w(i);
        for (let j = 0; j < d; j++) chunkSums[labels[i] * d + j] += w(i) * x[i * d + j];
      }
      for (let c = 0; c < k; c++) counts[c] += chunkCounts[c];
      for (let q = 0; q < k * d; q++) sums[q] += chunkSums[q];
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      // An empty cluster moves to the row farthest from its centre.
      let far = -1;
      if (!(counts[c] > 0)) {
        far = 0;
        for (let i = 1; i < n; i++) if (distances[i] > distances[far]) far = i;
        distances[far] = 0;
      }
      for (let j = 0; j < d; j++) {
        const next = far < 0 ? sums[c * d + j] / counts[c] : x[far * d + j];
        const delta = next - centers[c * d + j];
        shift += delta * delta;
        centers[c * d + j] = next;
      }
    }
    assign();
    if (shift <= threshold) {
      converged = true;
      break;
    }
  }
  return { centers, labels, inertia: assign(), iterations, converged };
}

/** n rows in d dimensions from `groups` overlapping Gaussian blobs, times `scale`. */
function overlapping(n: number, d: number, groups: number, seed: number, scale = 1): Matrix {
  const rng = new Random(seed);
  const means = Array.from({ length: groups * d }, () => 2 * rng.normal());
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const g = rng.integer(groups);
    for (let j = 0; j < d; j++) data[i * d + j] = scale * (means[g * d + j] + rng.normal());
  }
  return { rows: n, cols: d, data };
}

function expectSameAsPlain(matrix: Matrix, weights: Float64Array | null, start: Float64Array, k: number, maxIterations = 300, tolerance = 1e-4) {
  const expected = plainLloyd(matrix, weights, start, k, maxIterations, tolerance);
  const actual = lloyd(matrix, weights, Float64Array.from(start), k, maxIterations, tolerance);
  expect(actual.iterations).toBe(expected.iterations);
  expect(actual.converged).toBe(expected.converged);
  expect(Array.from(actual.labels)).toEqual(Array.from(expected.labels));
  // Bit for bit: Object.is also tells 0 from -0.
  const differing = Array.from(actual.centers).filter((v, i) => !Object.is(v, expected.centers[i]));
  expect(differing).toEqual([]);
  expect(Object.is(actual.inertia, expected.inertia)).toBe(true);
  return expected;
}

/**
 * Greedy k-means++ the obvious way: each candidate drawn and scored in turn,
 * sums over rows per chunk of `chunkRows` from zero with the chunks added in
 * order, and a draw picking the first row whose cumulative score (the
 * earlier chunks' total plus the chunk's running sum) exceeds its target
 * (src/seeding.ts).
 */
function plainKmeansPlusPlus(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random): Float64Array {
  const chunkRows = CHUNK_ROWS;
  const { rows: n, cols: d, data: x } = matrix;
  const w = (i: number) => (weights === null ? 1 : weights[i]);
  const distance2 = (i: number, r: number) => {
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const delta = x[i * d + j] - x[r * d + j];
      sum += delta * delta;
    }
    return sum;
  };
  const chunkedSum = (term: (i: number) => number) => {
    let total = 0;
    for (let first = 0; first < n; first += chunkRows) {
      let chunk = 0;
      for (let i = first; i < Math.min(n, first + chunkRows); i++) chunk += term(i);
      total += chunk;
    }
    return total;
  };
  const draw = (score: Float64Array, potential: number) => {
    if (!(potential > 0)) return rng.integer(n);
    const target = rng.uniform() * potential;
    let prefix = 0;
    for (let first = 0; first < n; first += chunkRows) {
      let running = 0;
      for (let i = first; i < Math.min(n, first + chunkRows); i++) {
        running += score[i];
        if (target < prefix + running) return i;
      }
      prefix += running;
    }
    for (let i = n - 1; i >= 0; i--) if (score[i] > 0) return i;
    return n - 1;
  };
  const chosen = [weights === null ? rng.integer(n) : rng.categorical(weights)];
  let closest = Float64Array.from({ length: n }, (_, i) => distance2(i, chosen[0]));
  for (let c = 1; c < k; c++) {
    const score = Float64Array.from(closest, (v, i) => w(i) * v);
    const potential = chunkedSum((i) => score[i]);
    let best: { potential: number; row: number; closest: Float64Array } | null = null;
    for (let t = 0; t < 2 + Math.floor(Math.log(k)); t++) {
      const row = draw(score, potential);
      const candidate = Float64Array.from(closest, (v, i) => Math.min(v, distance2(i, row)));
      const total = chunkedSum((i) => w(i) * candidate[i]);
      if (best === null || total < best.potential) best = { potential: total, row, closest: candidate };
    }
    chosen.push(best!.row);
    closest = best!.closest;
  }
  const centers = new Float64Array(k * d);
  chosen.forEach((r, c) => centers.set(x.subarray(r * d, (r + 1) * d), c * d));
  return centers;
}

describe('lloyd (Hamerly bounds)', () => {
  it('gives plain Lloyd’s labels and bit-identical centres from k-means++ starts', () => {
    for (const [n, d, k, seed] of [
      [3000, 2, 5, 1],
      [2000, 10, 8, 2],
      [1500, 30, 12, 3],
      [2500, 5, 3, 4],
      [500, 1, 4, 5],
    ]) {
      const matrix = overlapping(n, d, Math.max(2, k - 2), seed);
      const start = kmeansPlusPlus(matrix, null, k, new Random(seed));
      const expected = expectSameAsPlain(matrix, null, start, k);
      expect(expected.iterations).toBeGreaterThan(3); // the bounds had work to do
      expectSameAsPlain(matrix, null, start, k, 300, 0);
      expectSameAsPlain(matrix, null, start, k, 4);
    }
  });

  it('matches plain Lloyd on weighted data, zero weights included', () => {
    for (const [d, k, seed] of [
      [3, 6, 11],
      [12, 9, 12],
    ]) {
      const matrix = overlapping(2000, d, 5, seed);
      const rng = new Random(seed + 1);
      const weights = Float64Array.from({ length: matrix.rows }, (_, i) => (i % 7 === 0 ? 0 : 0.1 + 3 * rng.uniform()));
      expectSameAsPlain(matrix, weights, kmeansPlusPlus(matrix, weights, k, rng), k);
    }
  });

  it('matches plain Lloyd when clusters empty out and are relocated', () => {
    const matrix = overlapping(1000, 4, 3, 21);
    // A centre far from every row, and two exactly equal centres (the higher index loses every tie).
    const far = Float64Array.from([...matrix.data.subarray(0, 8), 1e3, 1e3, 1e3, 1e3, ...matrix.data.subarray(8, 12)]);
    expectSameAsPlain(matrix, null, far, 4);
    const twins = Float64Array.from([...matrix.data.subarray(0, 4), ...matrix.data.subarray(0, 4), ...matrix.data.subarray(4, 8)]);
    expectSameAsPlain(matrix, null, twins, 3, 300, 0);
    const rng = new Random(22);
    const weights = Float64Array.from({ length: matrix.rows }, () => rng.uniform());
    expectSameAsPlain(matrix, weights, far, 4);
  });

  it('matches plain Lloyd with exact distance ties and at extreme scales', () => {
    // Integer grid data: many rows exactly equidistant from two centres.
    const grid = overlapping(1500, 3, 4, 31);
    grid.data.forEach((v, i) => (grid.data[i] = Math.round(v)));
    for (const k of [2, 5, 9]) expectSameAsPlain(grid, null, kmeansPlusPlus(grid, null, k, new Random(k)), k, 300, 0);
    // Squared distances that underflow into subnormals, and a large offset.
    for (const [d, k] of [
      [1, 3],
      [1, 4],
      [6, 4],
    ]) {
      const tiny = overlapping(400, d, 3, 1, 1e-160);
      expectSameAsPlain(tiny, null, kmeansPlusPlus(tiny, null, k, new Random(1)), k, 300, 0);
    }
    const offset = overlapping(800, 3, 3, 33);
    offset.data.forEach((v, i) => (offset.data[i] = 1e8 + 1e-4 * v));
    expectSameAsPlain(offset, null, kmeansPlusPlus(offset, null, 5, new Random(2)), 5);
  });

  it('seeds k-means++ exactly as the plain candidate-by-candidate loop', () => {
    for (const [d, k, seed] of [
      [2, 3, 41],
      [7, 8, 42],
      [25, 21, 43],
    ]) {
      const matrix = overlapping(1200, d, 5, seed);
      const rng = new Random(seed);
      const weights = seed === 42 ? Float64Array.from({ length: matrix.rows }, (_, i) => (i % 5 === 0 ? 0 : rng.uniform())) : null;
      const expected = plainKmeansPlusPlus(matrix, weights, k, new Random(seed));
      const actual = kmeansPlusPlus(matrix, weights, k, new Random(seed));
      expect(Array.from(actual).every((v, i) => Object.is(v, expected[i]))).toBe(true);
    }
  });
});

/** Whether two arrays hold the same doubles bit for bit (Object.is tells 0 from -0; NaN equals NaN). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The WebAssembly k-means must give the TypeScript's seeds, draws, labels, centres, iterations and inertia. */
function expectWasmSameAsTs(matrix: Matrix, weights: Float64Array | null, k: number, seed: number, maxIterations = 300, tolerance = 1e-4) {
  const rngTs = new Random(seed);
  const rngWasm = new Random(seed);
  const seedsTs = kmeansPlusPlusTs(matrix, weights, k, rngTs);
  const seedsWasm = kmeansPlusPlusWasm(matrix, weights, k, rngWasm);
  expect(seedsWasm).not.toBeNull();
  expect(sameBits(seedsWasm!, seedsTs)).toBe(true);
  // The same random draws were made: the streams continue alike.
  expect(rngWasm.nextUint32()).toBe(rngTs.nextUint32());
  const expected = lloydTs(matrix, weights, Float64Array.from(seedsTs), k, maxIterations, tolerance);
  const actual = lloydWasm(matrix, weights, Float64Array.from(seedsTs), k, maxIterations, tolerance);
  expect(actual).not.toBeNull();
  expect(actual!.iterations).toBe(expected.iterations);
  expect(actual!.converged).toBe(expected.converged);
  expect(Array.from(actual!.labels)).toEqual(Array.from(expected.labels));
  expect(sameBits(actual!.centers, expected.centers)).toBe(true);
  expect(Object.is(actual!.inertia, expected.inertia)).toBe(true);
  return expected;
}

describe('k-means in WebAssembly', () => {
  it('is available in this Node (WebAssembly SIMD)', () => {
    expect(kmeansWasmAvailable()).toBe(true);
  });

  it('gives the TypeScript’s results bit for bit, unweighted and weighted, d = 1…50 and k = 1…16', () => {
    let run = 0;
    for (const d of [1, 2, 3, 7, 10, 50]) {
      for (const k of [1, 2, 3, 4, 5, 7, 8, 9, 16]) {
        run++;
        const n = d === 50 ? 300 : 600;
        const matrix = overlapping(n, d, Math.max(2, k - 1), 100 + run);
        const rng = new Random(run);
        const weights = Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 ? 0 : 0.05 + 2 * rng.uniform()));
        const plain = expectWasmSameAsTs(matrix, null, k, run);
        if (k > 1) expect(plain.iterations).toBeGreaterThan(1);
        expectWasmSameAsTs(matrix, weights, k, run);
        if (k === 5) {
          expectWasmSameAsTs(matrix, null, k, run, 0);
          expectWasmSameAsTs(matrix, weights, k, run, 1);
          expectWasmSameAsTs(matrix, null, k, run, 300, 0);
        }
      }
    }
  });

  it('matches on integer data full of ties and duplicate rows', () => {
    for (const d of [1, 2, 3, 7]) {
      const grid = overlapping(900, d, 4, 60 + d);
      grid.data.forEach((v, i) => (grid.data[i] = Math.round(v)));
      // Every third row a copy of the row before it.
      for (let i = 2; i < grid.rows; i += 3) grid.data.copyWithin(i * d, (i - 1) * d, i * d);
      for (const k of [2, 6, 13]) expectWasmSameAsTs(grid, null, k, k + d, 300, 0);
    }
    // Few distinct rows: more clusters than distinct points, so clusters empty out.
    const few: number[][] = Array.from({ length: 200 }, (_, i) => [i % 3, (i % 3) * 2]);
    const matrix: Matrix = { rows: 200, cols: 2, data: Float64Array.from(few.flat()) };
    for (const k of [3, 4, 8]) expectWasmSameAsTs(matrix, null, k, k);
  });

  it('matches when clusters empty out and are relocated, and at extreme scales', () => {
    const matrix = overlapping(1000, 4, 3, 21);
    const far = Float64Array.from([...matrix.data.subarray(0, 8), 1e3, 1e3, 1e3, 1e3, ...matrix.data.subarray(8, 12)]);
    const rng = new Random(5);
    const weights = Float64Array.from({ length: matrix.rows }, () => rng.uniform());
    for (const w of [null, weights]) {
      for (const maxIterations of [0, 1, 2, 300]) {
        const expected = lloydTs(matrix, w, Float64Array.from(far), 4, maxIterations, 1e-4);
        const actual = lloydWasm(matrix, w, Float64Array.from(far), 4, maxIterations, 1e-4)!;
        expect([actual.iterations, actual.converged, Array.from(actual.labels)]).toEqual([
          expected.iterations,
          expected.converged,
          Array.from(expected.labels),
        ]);
        expect(sameBits(actual.centers, expected.centers)).toBe(true);
        expect(Object.is(actual.inertia, expected.inertia)).toBe(true);
      }
    }
    const tiny = overlapping(400, 6, 3, 1, 1e-160);
    expectWasmSameAsTs(tiny, null, 4, 1, 300, 0);
    const offset = overlapping(800, 3, 3, 33);
    offset.data.forEach((v, i) => (offset.data[i] = 1e8 + 1e-4 * v));
    expectWasmSameAsTs(offset, null, 5, 2);
    // Overflowing data: infinite distances, the seeding's no-winner branch.
    const huge = overlapping(300, 3, 3, 34, 1e300);
    expectWasmSameAsTs(huge, null, 4, 3, 5);
  });

  it('is what kmeans() and lloyd() run, and setKmeansWasmEnabled(false) gives the TypeScript path the same results', () => {
    const faithful = dataset('faithful');
    const withWasm = kmeans(faithful, { clusters: 3, seed: 4 });
    const previous = setKmeansWasmEnabled(false);
    try {
      expect(kmeansWasmAvailable()).toBe(false);
      const withTs = kmeans(faithful, { clusters: 3, seed: 4 });
      expect(withWasm).toEqual(withTs);
    } finally {
      setKmeansWasmEnabled(previous);
    }
    expect(kmeansWasmAvailable()).toBe(true);
  });

  it('reuses its memory across calls', () => {
    const matrix = overlapping(2000, 10, 4, 71);
    const first = lloyd(matrix, null, kmeansPlusPlus(matrix, null, 6, new Random(1)), 6, 300, 1e-4);
    const bytes = kmeansWasmMemoryBytes();
    expect(bytes).toBeGreaterThan(0);
    for (let r = 0; r < 20; r++) {
      const again = lloyd(matrix, null, kmeansPlusPlus(matrix, null, 6, new Random(1)), 6, 300, 1e-4);
      expect(sameBits(again.centers, first.centers)).toBe(true);
    }
    // Everything a call allocates is freed, so the same memory serves every later call.
    expect(kmeansWasmMemoryBytes()).toBe(bytes);
  });
});

describe('lloyd over several chunks of rows', () => {
  /** lloydTs against plain Lloyd with chunked sums, and the WebAssembly module against lloydTs, bit for bit. */
  function expectAllSame(matrix: Matrix, weights: Float64Array | null, start: Float64Array, k: number, maxIterations = 300, tolerance = 1e-4) {
    const plain = plainLloyd(matrix, weights, start, k, maxIterations, tolerance);
    const ts = lloydTs(matrix, weights, Float64Array.from(start), k, maxIterations, tolerance);
    const wasm = lloydWasm(matrix, weights, Float64Array.from(start), k, maxIterations, tolerance)!;
    for (const actual of [ts, wasm]) {
      expect([actual.iterations, actual.converged]).toEqual([plain.iterations, plain.converged]);
      expect(sameBits(actual.labels, plain.labels)).toBe(true);
      expect(sameBits(actual.centers, plain.centers)).toBe(true);
      expect(Object.is(actual.inertia, plain.inertia)).toBe(true);
    }
    return plain;
  }

  it('sums each chunk of CHUNK_ROWS rows from zero and adds the chunks in order', () => {
    let orderMattered = false;
    for (const [n, d, k, seed] of [
      [3 * CHUNK_ROWS + 123, 3, 5, 1],
      [2 * CHUNK_ROWS, 1, 4, 2],
      [CHUNK_ROWS + 1, 7, 6, 3],
      [2 * CHUNK_ROWS + 5, 50, 8, 4],
      [CHUNK_ROWS + 77, 4, 1, 5],
    ]) {
      const matrix = overlapping(n, d, Math.max(2, k - 1), seed);
      const rng = new Random(seed);
      const weights = Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 0 : 0.1 + 2 * rng.uniform()));
      const maxIterations = d === 50 ? 12 : 300;
      for (const w of [null, weights]) {
        const start = kmeansPlusPlus(matrix, w, k, new Random(seed));
        const chunked = expectAllSame(matrix, w, start, k, maxIterations);
        if (k > 1) expect(chunked.iterations).toBeGreaterThan(1);
        // The canonical order is not the plain row order: the test can tell them apart.
        const sequential = plainLloyd(matrix, w, start, k, maxIterations, 1e-4, Infinity);
        if (!sameBits(sequential.centers, chunked.centers) || !Object.is(sequential.inertia, chunked.inertia)) orderMattered = true;
      }
    }
    expect(orderMattered).toBe(true);
  });

  it('seeds k-means++ with per-chunk sums and draws, in TypeScript and WebAssembly alike', () => {
    // (Whole-data sums would almost always give the same seeds: a draw or a
    // choice changes only when a target or two candidates' potentials lie
    // within rounding of each other. The Lloyd test above tells the orders apart.)
    for (const [n, d, k, seed] of [
      [3 * CHUNK_ROWS + 123, 3, 5, 1],
      [2 * CHUNK_ROWS + 1, 1, 9, 2],
      [CHUNK_ROWS + 500, 50, 4, 3],
      [4 * CHUNK_ROWS, 2, 1, 4],
    ]) {
      const matrix = overlapping(n, d, 4, seed);
      const rng = new Random(seed);
      const weights = Float64Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 0 : 0.1 + 2 * rng.uniform()));
      for (const w of [null, weights]) {
        const plainRng = new Random(seed);
        const expected = plainKmeansPlusPlus(matrix, w, k, plainRng);
        const tsRng = new Random(seed);
        expect(sameBits(kmeansPlusPlusTs(matrix, w, k, tsRng), expected)).toBe(true);
        const wasmRng = new Random(seed);
        expect(sameBits(kmeansPlusPlusWasm(matrix, w, k, wasmRng)!, expected)).toBe(true);
        // The same random draws were made: the streams continue alike.
        const next = plainRng.nextUint32();
        expect(tsRng.nextUint32()).toBe(next);
        expect(wasmRng.nextUint32()).toBe(next);
      }
    }
  });

  it('relocates emptied clusters to the same rows across chunks', () => {
    const matrix = overlapping(2 * CHUNK_ROWS + 300, 3, 3, 21);
    // Two centres far from every row: both empty out and move to the worst-fitted rows, wherever they are.
    const far = Float64Array.from([...matrix.data.subarray(0, 6), 1e3, 1e3, 1e3, -1e3, 1e3, -1e3]);
    for (const maxIterations of [1, 2, 300]) expectAllSame(matrix, null, far, 4, maxIterations);
    const rng = new Random(5);
    const weights = Float64Array.from({ length: matrix.rows }, () => rng.uniform());
    expectAllSame(matrix, weights, far, 4);
  });
});

describe('the library core', () => {
  it('imports nothing Node-only, so it runs in browsers', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files = readdirSync('src', { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(join(file.parentPath, file.name), 'utf8');
      expect(text, file.name).not.toMatch(/from ['"](node:|fs|path|os|worker_threads|child_process)['"/]/);
      expect(text, file.name).not.toMatch(/\b(process|require|Buffer)\.[a-zA-Z]/);
    }
  });
});
