/**
 * The parallel kernel's driver (src/pool/driver.ts) with workers that run on
 * this thread: what it does besides threads — the chunk order, the failure
 * slots — without starting any.
 */
import { describe, expect, it } from 'vitest';
import { pack } from '../src/covariance/index.js';
import { fit, MixemError } from '../src/index.js';
import { createStatistics, type Kernel, type LoadedData, type SufficientStatistics } from '../src/kernels/kernel.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { poolKernel, resolvePoolOptions, type PoolWorker } from '../src/pool/driver.js';
import { createSharedMemory, type SharedMemory } from '../src/kernels/shared-blocks.js';
import { FAILURE_BYTES, FAILURE_UNITS, takeFailure, writeFailure, type AttachMessage, type PoolMessage, type ReserveMessage } from '../src/pool/protocol.js';
import { createPoolWorker } from '../src/pool/worker.js';

/**
 * Workers that handle each message at once, on this thread, as a worker
 * thread would, in `memory` (`seen` gets each message).
 */
function inThreadWorkers(count: number, memory: SharedMemory, failOn: { type: PoolMessage['type'] } | null = null, seen: PoolMessage[] = []): PoolWorker[] {
  return Array.from({ length: count }, () => {
    const handle = createPoolWorker(createWasmKernelSync({ memory }), memory);
    const failure = new SharedArrayBuffer(FAILURE_BYTES);
    return {
      failure,
      post(message: PoolMessage): void {
        seen.push(message);
        try {
          if (failOn !== null && message.type === failOn.type) throw new Error(`deliberate failure in ${message.type}`);
          handle(message);
        } catch (error) {
          writeFailure(failure, (error as Error).message);
        }
        Atomics.add(new Int32Array(message.control), 0, 1);
      },
    };
  });
}

function data(n: number, d: number): { rows: number; cols: number; data: Float64Array } {
  const values = new Float64Array(n * d);
  for (let q = 0; q < values.length; q++) values[q] = Math.sin(q * 0.7) * 3 + (Math.floor(q / d) % 3) * 2;
  return { rows: n, cols: d, data: values };
}

const settings = resolvePoolOptions({ threads: 3 }, 1, true);

/** A pool kernel over `count` workers on this thread, in a shared memory of its own. */
function inThreadPool(count: number, failOn: { type: PoolMessage['type'] } | null = null, seen: PoolMessage[] = []) {
  const memory = createSharedMemory();
  const workers = inThreadWorkers(count, memory, failOn, seen);
  const kernel = poolKernel(workers, createWasmKernelSync({ memory }), settings, memory, async () => {});
  return { kernel, workers, memory };
}

/** One E-step of a 2-component diagonal mixture on loaded data. */
function statistics(kernel: Kernel, loaded: LoadedData, d: number): SufficientStatistics {
  const means = new Float64Array(2 * d);
  means.fill(1, d);
  const params = { covariance: 'diag' as const, k: 2, d, weights: new Float64Array([0.4, 0.6]), means, covariances: new Float64Array(2 * d).fill(2) };
  const stats = createStatistics('diag', 2, d);
  kernel.eStep(loaded, pack(params).packed!, stats);
  return stats;
}

describe('the parallel kernel driver', () => {
  it('gives the one-thread WebAssembly model bit for bit, k-means start included', () => {
    const matrix = data(3 * 4096 + 55, 3);
    const options = { components: 3, seed: 2, maxIterations: 20, tolerance: 1e-12 };
    const one = fit(matrix, { ...options, kernel: createWasmKernelSync() });
    const { kernel } = inThreadPool(3);
    const pooled = fit(matrix, { ...options, kernel });
    expect(pooled.iterations).toBeGreaterThan(2);
    expect(pooled.history).toEqual(one.history);
    expect(pooled.means).toEqual(one.means);
    expect(pooled.covariances).toEqual(one.covariances);
  });

  it('copies the rows at their first use, after the workers made their pages resident, and the workers read them in place', () => {
    const seen: PoolMessage[] = [];
    const { kernel, memory } = inThreadPool(2, null, seen);
    const matrix = data(3 * 4096, 2);
    const loaded = kernel.load(matrix, null);
    expect(seen.map((m) => m.type)).toEqual(['reserve', 'reserve']);
    const [first, second] = seen as ReserveMessage[];
    // Worker 0 touches chunk 0 of the rows' place, worker 1 chunks 1 and 2, end to end.
    expect(second.start - first.start).toBe(4096 * 2 * 8);
    expect(second.end - second.start).toBe(2 * 4096 * 2 * 8);
    statistics(kernel, loaded, 2);
    expect(seen.slice(2).map((m) => m.type)).toEqual(['attach', 'attach', 'estep', 'estep']);
    const attach = seen[2] as AttachMessage;
    expect(attach.x).toBe(first.start);
    expect(new Float64Array(memory.buffer, attach.x, matrix.data.length)).toEqual(matrix.data);
    statistics(kernel, loaded, 2);
    expect(seen.slice(6).map((m) => m.type)).toEqual(['estep', 'estep']);
  });

  it('reads a matrix from allocateMatrix in place, with the bits of a copied one', () => {
    const seen: PoolMessage[] = [];
    const { kernel, memory } = inThreadPool(2, null, seen);
    const source = data(3 * 4096 + 5, 3);
    const matrix = kernel.allocateMatrix(source.rows, source.cols);
    expect(matrix.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(matrix.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    matrix.data.set(source.data);
    const bytes = memory.buffer.byteLength;
    const options = { components: 3, seed: 5, maxIterations: 8, tolerance: 0 };
    const inPlace = fit(matrix, { ...options, kernel });
    expect(seen.some((m) => m.type === 'reserve')).toBe(false);
    expect((seen.find((m) => m.type === 'attach') as AttachMessage).x).toBe(matrix.data.byteOffset);
    // No room was made for a copy of the rows (they take 295 KiB; the workers' work areas fit in the memory's first region).
    expect(memory.buffer.byteLength).toBe(bytes);
    expect(JSON.stringify(inPlace)).toBe(JSON.stringify(fit(source, { ...options, kernel: createWasmKernelSync() })));
    kernel.freeMatrix(matrix);
    expect(() => kernel.freeMatrix(matrix)).toThrow(/freeMatrix takes a matrix from allocateMatrix/);
    expect(() => kernel.allocateMatrix(-1, 2)).toThrow(/allocateMatrix needs whole rows/);
    expect(() => kernel.allocateMatrix(2, 0)).toThrow(/allocateMatrix needs whole rows/);
  });

  it('frees the copy of the rows when the fit releases them: repeated fits do not grow the memory', () => {
    const { kernel, memory } = inThreadPool(2);
    const matrix = data(6 * 4096, 40);
    const options = { components: 2, seed: 1, maxIterations: 3, tolerance: 0 };
    const first = fit(matrix, { ...options, kernel });
    const bytes = memory.buffer.byteLength;
    expect(bytes).toBeGreaterThan(matrix.data.length * 8);
    for (let q = 0; q < 3; q++) expect(fit(matrix, { ...options, kernel })).toEqual(first);
    expect(memory.buffer.byteLength).toBe(bytes);
  });

  it('sends float32 workers their rows in rounds through small blocks, never the whole data in the shared memory, with the one-thread bits', () => {
    const memory = createSharedMemory();
    const seen: PoolMessage[] = [];
    const workers = Array.from({ length: 2 }, () => {
      const handle = createPoolWorker(createWasmKernelSync({ precision: 'float32', memory }), memory);
      return {
        failure: new SharedArrayBuffer(FAILURE_BYTES),
        post(message: PoolMessage): void {
          seen.push(message);
          handle(message);
          Atomics.add(new Int32Array(message.control), 0, 1);
        },
      };
    });
    const f32 = resolvePoolOptions({ threads: 2, precision: 'float32' }, 1, true);
    const kernel = poolKernel(workers, createWasmKernelSync({ precision: 'float32', memory }), f32, memory, async () => {});
    // 30 chunks of 4096 rows × 10 features (9.8 MB): 12 chunks (3.9 MB) a round, so 2 rounds per worker.
    const matrix = data(30 * 4096, 10);
    const options = { components: 2, seed: 3, maxIterations: 4, tolerance: 0, init: 'random' as const };
    const pooled = fit(matrix, { ...options, kernel });
    expect(pooled).toEqual(fit(matrix, { ...options, kernel: createWasmKernelSync({ precision: 'float32' }) }));
    const attaches = seen.filter((m): m is AttachMessage => m.type === 'attach');
    expect(attaches.map((m) => [m.firstChunk, m.endChunk, m.reset])).toEqual([
      [0, 12, true],
      [15, 27, true],
      [12, 15, false],
      [27, 30, false],
    ]);
    // Each worker's second round comes through the block of its first: no f64 copy of the whole data is made.
    expect(attaches[2].x).toBe(attaches[0].x);
    expect(attaches[3].x).toBe(attaches[1].x);
  });

  it('names data too large for its shared memory as the data\'s fault, and fits smaller data after', () => {
    // A memory of 16 MiB at most: room for the work areas and a few MiB of rows.
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 256, shared: true });
    const kernel = poolKernel(inThreadWorkers(2, memory), createWasmKernelSync({ memory }), settings, memory, async () => {});
    const options = { components: 2, seed: 1, maxIterations: 3, tolerance: 0 };
    const error = (() => {
      try {
        fit(data(8 * 4096, 80), { ...options, kernel });
      } catch (caught) {
        return caught as MixemError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(MixemError);
    expect(error!.code).toBe('invalid-data');
    expect(error!.message).toMatch(/shared memory cannot hold the 32768×80 data \(20971536 bytes.*use fewer rows/);
    expect(() => kernel.allocateMatrix(8 * 4096, 80)).toThrow(/cannot hold the 32768×80 matrix/);
    const small = data(3 * 4096, 4);
    expect(fit(small, { ...options, kernel })).toEqual(fit(small, { ...options, kernel: createWasmKernelSync() }));
  });

  it('computes on the data it is given when two data sets are loaded in turn', () => {
    const local = createWasmKernelSync();
    const { kernel } = inThreadPool(2);
    const a = data(3 * 4096 + 7, 2);
    const b = { ...data(2 * 4096 + 9, 2) };
    b.data = b.data.map((v) => 2 * v - 1);
    const first = kernel.load(a, null);
    const second = kernel.load(b, null);
    for (const [loaded, matrix] of [[first, a], [second, b], [first, a]] as const) {
      expect(statistics(kernel, loaded, 2)).toEqual(statistics(local, local.load(matrix, null), 2));
    }
  });

  it("a worker's failure reaches the caller with its message, and the next call starts clean", () => {
    const { kernel, workers } = inThreadPool(2, { type: 'estep' });
    expect(() => fit(data(2 * 4096 + 1, 2), { components: 2, kernel })).toThrow(/a parallel kernel worker failed: deliberate failure in estep/);
    for (const worker of workers) expect(takeFailure(worker.failure)).toBeNull();
    const { kernel: working } = inThreadPool(2);
    expect(fit(data(2 * 4096 + 1, 2), { components: 2, kernel: working }).converged).toBe(true);
  });

  it('a failure slot keeps any text up to its size and cuts longer messages', () => {
    const slot = new SharedArrayBuffer(FAILURE_BYTES);
    expect(takeFailure(slot)).toBeNull();
    writeFailure(slot, 'Σ out of memory — 𝑥 ≠ y');
    expect(takeFailure(slot)).toBe('Σ out of memory — 𝑥 ≠ y');
    expect(takeFailure(slot)).toBeNull();
    writeFailure(slot, 'x'.repeat(FAILURE_UNITS + 10));
    expect(takeFailure(slot)).toBe('x'.repeat(FAILURE_UNITS));
  });

  it('checks its options, naming the one at fault', () => {
    expect(resolvePoolOptions({}, 4, true)).toEqual({ threads: 4, inner: 'wasm', precision: 'float64' });
    expect(resolvePoolOptions({}, 2, false).inner).toBe('reference');
    expect(() => resolvePoolOptions({ threads: 0 }, 2, true)).toThrow(/threads must be a positive integer; got 0/);
    expect(() => resolvePoolOptions({ precision: 'float32', inner: 'reference' }, 2, true)).toThrow(/float32.*WebAssembly/);
  });
});
