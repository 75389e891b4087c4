/**
 * A kernel that runs the E-step on several worker threads (Node only).
 *
 * The rows are cut into fixed chunks of `chunkRows`; each worker owns a
 * contiguous range of chunks and computes every chunk's statistics from zero
 * with the inner kernel. The main thread then adds the chunk statistics in
 * chunk order. The sums therefore never depend on the number of threads: one
 * thread or sixteen give bit-identical models.
 *
 * The kernel interface is synchronous, so the main thread posts the work and
 * blocks on `Atomics.wait` until every worker has finished (allowed in Node's
 * main thread, not in a browser's).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { EvaluationOutputs, Kernel, LoadedData, Matrix, PackedParameters, SufficientStatistics } from '../src/index.js';
import { referenceKernel } from '../src/kernels/reference.js';
import { resultLayout, type EStepMessage, type LoadMessage, type WorkerReply } from './parallel-protocol.js';

/** Rows per chunk: the unit of work given to a worker and of summation order. */
export const CHUNK_ROWS = 4096;

/** Options of {@link createParallelKernel}. */
export interface ParallelKernelOptions {
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
  /** The kernel each worker runs: `"wasm"` (default when WebAssembly SIMD works) or `"reference"`. */
  inner?: 'wasm' | 'reference';
}

/** A kernel backed by worker threads; `close()` stops them. */
export interface ParallelKernel extends Kernel {
  readonly threads: number;
  readonly inner: 'wasm' | 'reference';
  close(): Promise<void>;
}

interface ParallelData extends LoadedData {
  readonly chunks: number;
  readonly active: number;
  /** The inner kernel's data on the main thread, for `evaluate` (loaded on first use). */
  mainThread: LoadedData | null;
}

async function mainThreadKernel(inner: 'wasm' | 'reference'): Promise<Kernel> {
  if (inner === 'reference') return referenceKernel;
  const module = (await import('../src/kernels/wasm.js')) as { createWasmKernelSync(): Kernel };
  return module.createWasmKernelSync();
}

/** Whether the WebAssembly kernel can run here. */
async function wasmAvailable(): Promise<boolean> {
  try {
    await mainThreadKernel('wasm');
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a pool of worker threads and returns a kernel that uses them.
 *
 * @example
 * ```ts
 * const kernel = await createParallelKernel({ threads: 2 });
 * const model = fit(data, { components: 5, kernel });
 * await kernel.close();
 * ```
 */
export async function createParallelKernel(options: ParallelKernelOptions = {}): Promise<ParallelKernel> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer; got ${threads}`);
  const inner = options.inner ?? ((await wasmAvailable()) ? 'wasm' : 'reference');
  const local = await mainThreadKernel(inner);
  // From dist/ the worker is plain JavaScript; from the TypeScript sources (tests), a bootstrap compiles it with tsx.
  const typescript = import.meta.url.endsWith('.ts');
  const entry = new URL(typescript ? 'parallel-worker.ts' : 'parallel-worker.js', import.meta.url);
  const script = typescript ? new URL('typescript-worker.mjs', import.meta.url) : entry;
  const pool: { worker: Worker; port: MessagePort }[] = [];
  for (let t = 0; t < threads; t++) {
    const channel = new MessageChannel();
    const worker = new Worker(script, {
      workerData: { entry: entry.href, inner, port: channel.port2 },
      transferList: [channel.port2],
    });
    worker.unref();
    pool.push({ worker, port: channel.port1 });
  }
  // Each worker says when its inner kernel is ready; a worker that cannot start fails here, not in a blocking wait.
  try {
    await Promise.all(
      pool.map(
        ({ worker, port }) =>
          new Promise<void>((resolve, reject) => {
            worker.once('error', reject);
            port.once('message', (message: { ready: boolean; message?: string }) => {
              worker.off('error', reject);
              if (message.ready) resolve();
              else reject(new Error(message.message));
            });
          }),
      ),
    );
  } catch (error) {
    await Promise.all(pool.map(({ worker }) => worker.terminate()));
    throw new Error(`the parallel kernel's workers could not start: ${(error as Error).message}`);
  }
  const control = new Int32Array(new SharedArrayBuffer(4));
  let results: SharedArrayBuffer | null = null;

  /** Blocks until `count` workers have answered; throws the first failure. */
  function waitFor(count: number): void {
    for (;;) {
      const done = Atomics.load(control, 0);
      if (done >= count) break;
      Atomics.wait(control, 0, done, 1000);
    }
    let failure: string | null = null;
    for (let t = 0; t < count; t++) {
      const reply = receiveMessageOnPort(pool[t].port)?.message as WorkerReply | undefined;
      if (reply && !reply.ok && failure === null) failure = reply.message;
    }
    if (failure !== null) throw new Error(`a parallel kernel worker failed: ${failure}`);
  }

  return {
    threads,
    inner,

    load(matrix: Matrix, weights: Float64Array | null): LoadedData {
      const chunks = Math.ceil(matrix.rows / CHUNK_ROWS);
      const active = Math.min(threads, chunks);
      const data = new SharedArrayBuffer(matrix.data.length * 8);
      new Float64Array(data).set(matrix.data);
      let sharedWeights: SharedArrayBuffer | null = null;
      if (weights !== null) {
        sharedWeights = new SharedArrayBuffer(weights.length * 8);
        new Float64Array(sharedWeights).set(weights);
      }
      Atomics.store(control, 0, 0);
      for (let t = 0; t < active; t++) {
        const message: LoadMessage = {
          type: 'load',
          control: control.buffer as SharedArrayBuffer,
          data,
          weights: sharedWeights,
          rows: matrix.rows,
          cols: matrix.cols,
          chunkRows: CHUNK_ROWS,
          firstChunk: Math.floor((t * chunks) / active),
          endChunk: Math.floor(((t + 1) * chunks) / active),
        };
        pool[t].worker.postMessage(message);
      }
      waitFor(active);
      const loaded: ParallelData = { matrix, weights, chunks, active, mainThread: null };
      return loaded;
    },

    eStep(loaded: LoadedData, p: PackedParameters, s: SufficientStatistics): number {
      const { chunks, active } = loaded as ParallelData;
      const layout = resultLayout(p.shape, p.k, p.d);
      const bytes = chunks * layout.size * 8;
      if (results === null || results.byteLength < bytes) results = new SharedArrayBuffer(bytes);
      Atomics.store(control, 0, 0);
      const params = { ...p };
      for (let t = 0; t < active; t++) {
        const message: EStepMessage = { type: 'estep', control: control.buffer as SharedArrayBuffer, params, results, chunkRows: CHUNK_ROWS };
        pool[t].worker.postMessage(message);
      }
      waitFor(active);
      // Add the chunks in chunk order: the result is independent of how many threads ran.
      const r = new Float64Array(results, 0, chunks * layout.size);
      s.counts.fill(0);
      s.first.fill(0);
      s.second.fill(0);
      let total = 0;
      let worst = Infinity;
      let worstRow = -1;
      for (let c = 0; c < chunks; c++) {
        const o = c * layout.size;
        total += r[o];
        if (r[o + 2] < worst) {
          worst = r[o + 2];
          worstRow = r[o + 1];
        }
        for (let q = 0; q < s.counts.length; q++) s.counts[q] += r[o + layout.counts + q];
        for (let q = 0; q < s.first.length; q++) s.first[q] += r[o + layout.first + q];
        for (let q = 0; q < s.second.length; q++) s.second[q] += r[o + layout.second + q];
      }
      s.logLikelihood = total;
      s.worstRow = worstRow;
      s.worstLogDensity = worst;
      return total;
    },

    evaluate(loaded: LoadedData, p: PackedParameters, out: EvaluationOutputs): void {
      const data = loaded as ParallelData;
      data.mainThread ??= local.load(data.matrix, data.weights);
      local.evaluate(data.mainThread, p, out);
    },

    release(loaded: LoadedData): void {
      const data = loaded as ParallelData;
      if (data.mainThread) local.release?.(data.mainThread);
      data.mainThread = null;
    },

    async close(): Promise<void> {
      await Promise.all(
        pool.map(async ({ worker, port }) => {
          port.close();
          await worker.terminate();
        }),
      );
    },
  };
}
