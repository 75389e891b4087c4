/**
 * The parallel kernel on Node's worker threads (src/pool/driver.ts does the
 * work; this file starts the workers).
 *
 * From dist/ each worker runs node/parallel-worker.js; from the TypeScript
 * sources (tests), a bootstrap compiles node/parallel-worker.ts with tsx.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Kernel } from '../src/index.js';
import { referenceKernel } from '../src/kernels/reference.js';
import {
  CHUNK_ROWS,
  LOCAL_CHUNKS,
  poolKernel,
  resolvePoolOptions,
  type ParallelKernel,
  type ParallelKernelOptions,
  type PoolWorker,
} from '../src/pool/driver.js';
import { FAILURE_BYTES } from '../src/pool/protocol.js';
import { createSharedMemory, type SharedMemory } from '../src/kernels/shared-blocks.js';

export { CHUNK_ROWS, LOCAL_CHUNKS, type ParallelKernel, type ParallelKernelOptions };

async function mainThreadKernel(inner: 'wasm' | 'reference', precision: 'float64' | 'float32' = 'float64', memory?: SharedMemory): Promise<Kernel> {
  if (inner === 'reference') return referenceKernel;
  const module = (await import('../src/kernels/wasm.js')) as { createWasmKernelSync(o: { precision: string; memory?: SharedMemory }): Kernel };
  return module.createWasmKernelSync({ precision, memory });
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
  const settings = resolvePoolOptions(options, availableParallelism(), options.inner !== undefined || (await wasmAvailable()));
  const { threads, inner, precision } = settings;
  const memory = createSharedMemory();
  const local = await mainThreadKernel(inner, precision, memory);
  const typescript = import.meta.url.endsWith('.ts');
  const entry = new URL(typescript ? 'parallel-worker.ts' : 'parallel-worker.js', import.meta.url);
  const script = typescript ? new URL('typescript-worker.mjs', import.meta.url) : entry;
  const started: { worker: Worker; port: MessagePort; failure: SharedArrayBuffer }[] = [];
  for (let t = 0; t < threads; t++) {
    const channel = new MessageChannel();
    const failure = new SharedArrayBuffer(FAILURE_BYTES);
    const worker = new Worker(script, {
      workerData: { entry: entry.href, inner, precision, port: channel.port2, failure, memory },
      transferList: [channel.port2],
    });
    worker.unref();
    started.push({ worker, port: channel.port1, failure });
  }
  // Each worker says when its inner kernel is ready; a worker that cannot start fails here, not in a blocking wait.
  try {
    await Promise.all(
      started.map(
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
    await Promise.all(started.map(({ worker }) => worker.terminate()));
    throw new Error(`the parallel kernel's workers could not start: ${(error as Error).message}`);
  }
  const workers: PoolWorker[] = started.map(({ worker, failure }) => ({ post: (message) => worker.postMessage(message), failure }));
  return poolKernel(workers, local, settings, memory, async () => {
    await Promise.all(
      started.map(async ({ worker, port }) => {
        port.close();
        await worker.terminate();
      }),
    );
  });
}
