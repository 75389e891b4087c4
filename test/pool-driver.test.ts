/**
 * The parallel kernel's driver (src/pool/driver.ts) with workers that run on
 * this thread: what it does besides threads — the chunk order, the failure
 * slots — without starting any.
 */
import { describe, expect, it } from 'vitest';
import { pack } from '../src/covariance/index.js';
import { fit } from '../src/index.js';
import { createStatistics, type Kernel, type LoadedData, type SufficientStatistics } from '../src/kernels/kernel.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { poolKernel, resolvePoolOptions, type PoolWorker } from '../src/pool/driver.js';
import { FAILURE_BYTES, FAILURE_UNITS, takeFailure, writeFailure, type PoolMessage } from '../src/pool/protocol.js';
import { createPoolWorker } from '../src/pool/worker.js';

/** Workers that handle each message at once, on this thread, as a worker thread would (`seen` gets each message's type). */
function inThreadWorkers(count: number, failOn: { type: PoolMessage['type'] } | null = null, seen: string[] = []): PoolWorker[] {
  return Array.from({ length: count }, () => {
    const handle = createPoolWorker(createWasmKernelSync(), 'wasm');
    const failure = new SharedArrayBuffer(FAILURE_BYTES);
    return {
      failure,
      post(message: PoolMessage): void {
        seen.push(message.type);
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
    const kernel = poolKernel(inThreadWorkers(3), createWasmKernelSync(), settings, async () => {});
    const pooled = fit(matrix, { ...options, kernel });
    expect(pooled.iterations).toBeGreaterThan(2);
    expect(pooled.history).toEqual(one.history);
    expect(pooled.means).toEqual(one.means);
    expect(pooled.covariances).toEqual(one.covariances);
  });

  it('sends the rows at their first use, after asking the workers to make room for them', () => {
    const seen: string[] = [];
    const kernel = poolKernel(inThreadWorkers(2, null, seen), createWasmKernelSync(), settings, async () => {});
    const loaded = kernel.load(data(3 * 4096, 2), null);
    expect(seen).toEqual(['reserve', 'reserve']);
    statistics(kernel, loaded, 2);
    expect(seen.slice(2)).toEqual(['load', 'load', 'estep', 'estep']);
    statistics(kernel, loaded, 2);
    expect(seen.slice(6)).toEqual(['estep', 'estep']);
  });

  it('computes on the data it is given when two data sets are loaded in turn', () => {
    const local = createWasmKernelSync();
    const kernel = poolKernel(inThreadWorkers(2), createWasmKernelSync(), settings, async () => {});
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
    const workers = inThreadWorkers(2, { type: 'estep' });
    const kernel = poolKernel(workers, createWasmKernelSync(), settings, async () => {});
    expect(() => fit(data(2 * 4096 + 1, 2), { components: 2, kernel })).toThrow(/a parallel kernel worker failed: deliberate failure in estep/);
    for (const worker of workers) expect(takeFailure(worker.failure)).toBeNull();
    const working = poolKernel(inThreadWorkers(2), createWasmKernelSync(), settings, async () => {});
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
    expect(resolvePoolOptions({}, 4, true)).toEqual({ threads: 4, inner: 'wasm', precision: 'float64', loadBytes: 4 * 1024 * 1024 });
    expect(resolvePoolOptions({}, 2, false).inner).toBe('reference');
    expect(() => resolvePoolOptions({ threads: 0 }, 2, true)).toThrow(/threads must be a positive integer; got 0/);
    expect(() => resolvePoolOptions({ loadBytes: -1 }, 2, true)).toThrow(/loadBytes must be positive/);
    expect(() => resolvePoolOptions({ precision: 'float32', inner: 'reference' }, 2, true)).toThrow(/float32.*WebAssembly/);
  });
});
