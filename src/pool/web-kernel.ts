/**
 * The parallel kernel on a browser's Web Workers (src/pool/driver.ts does the
 * work; this file starts the workers).
 *
 * Two things a browser asks for:
 * - SharedArrayBuffer, which needs a cross-origin isolated page (served with
 *   `Cross-Origin-Opener-Policy: same-origin` and
 *   `Cross-Origin-Embedder-Policy: require-corp`);
 * - blocking waits (`Atomics.wait`), which a browser allows in workers only:
 *   create this kernel, and fit with it, inside a Web Worker of your own.
 *
 * The pool's workers run a bundle of ./web-worker.ts (the package's
 * `mixem/web-worker` entry): pass its URL as `workerUrl`.
 */
import type { Kernel } from '../kernels/kernel.js';
import { referenceKernel } from '../kernels/reference.js';
import { createSharedMemory } from '../kernels/shared-blocks.js';
import { createWasmKernelSync } from '../kernels/wasm.js';
import { poolKernel, resolvePoolOptions, type ParallelKernel, type ParallelKernelOptions, type PoolWorker } from './driver.js';
import { FAILURE_BYTES, type PoolMessage } from './protocol.js';
import type { WebWorkerStart } from './web-worker.js';

/** Options of {@link createWebParallelKernel}. */
export interface WebParallelKernelOptions extends ParallelKernelOptions {
  /** URL of the pool's worker script (a string or a `URL`): a bundle of src/pool/web-worker.ts. */
  workerUrl: string | { readonly href: string };
  /** How to load that script (default `"module"`). */
  workerType?: 'module' | 'classic';
}

// The browser API, typed here because the library compiles without DOM types.
interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
}
interface BrowserScope {
  Worker?: new (url: string | { readonly href: string }, options: { type: 'module' | 'classic' }) => WebWorker;
  crossOriginIsolated?: boolean;
  document?: unknown;
  navigator?: { hardwareConcurrency?: number };
}

/**
 * Starts a pool of Web Workers and returns a kernel that uses them, inside a
 * Web Worker of a cross-origin isolated page. Bit for bit the results of
 * one thread, whatever `threads` is.
 *
 * @throws Error when the page is not cross-origin isolated, when called on a
 *   page's main thread, or when a worker cannot start; RangeError for a bad option.
 * @example
 * ```ts
 * // inside your own worker:
 * const kernel = await createWebParallelKernel({ workerUrl: new URL('mixem-web-worker.js', import.meta.url) });
 * const model = fit(data, { components: 5, kernel });
 * await kernel.close();
 * ```
 */
export async function createWebParallelKernel(options: WebParallelKernelOptions): Promise<ParallelKernel> {
  const scope = globalThis as BrowserScope;
  if (scope.crossOriginIsolated !== true || typeof SharedArrayBuffer === 'undefined') {
    throw new Error(
      'the parallel kernel needs SharedArrayBuffer: serve the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)',
    );
  }
  if (scope.document !== undefined) {
    throw new Error("the parallel kernel blocks while its workers run, which a browser allows only in workers: create it, and fit with it, in a Web Worker");
  }
  if (scope.Worker === undefined) throw new Error('this browser cannot start Web Workers from a worker');
  if (options?.workerUrl === undefined) throw new RangeError('workerUrl is required: the URL of a bundle of mixem/web-worker');
  let wasm = true;
  try {
    createWasmKernelSync();
  } catch {
    wasm = false;
  }
  const settings = resolvePoolOptions(options, scope.navigator?.hardwareConcurrency ?? 1, wasm);
  const { threads, inner, precision } = settings;
  const memory = createSharedMemory();
  const local: Kernel = inner === 'wasm' ? createWasmKernelSync({ precision, memory }) : referenceKernel;
  const type = options.workerType ?? 'module';
  const started: { worker: WebWorker; failure: SharedArrayBuffer }[] = [];
  try {
    for (let t = 0; t < threads; t++) {
      const worker = new scope.Worker(options.workerUrl, { type });
      const failure = new SharedArrayBuffer(FAILURE_BYTES);
      started.push({ worker, failure });
    }
    // Each worker says when its inner kernel is ready; one that cannot start fails here, not in a blocking wait.
    await Promise.all(
      started.map(
        ({ worker, failure }) =>
          new Promise<void>((resolve, reject) => {
            worker.onerror = (event) => reject(new Error(event.message ?? 'the worker script failed to load'));
            worker.onmessage = (event) => {
              const reply = event.data as { ready: boolean; message?: string };
              worker.onmessage = null;
              worker.onerror = null;
              if (reply.ready) resolve();
              else reject(new Error(reply.message));
            };
            const start: WebWorkerStart = { type: 'start', inner, precision, failure, memory };
            worker.postMessage(start);
          }),
      ),
    );
  } catch (error) {
    for (const { worker } of started) worker.terminate();
    throw new Error(`the parallel kernel's workers could not start: ${(error as Error).message}`);
  }
  const workers: PoolWorker[] = started.map(({ worker, failure }) => ({ post: (message: PoolMessage) => worker.postMessage(message), failure }));
  return poolKernel(workers, local, settings, memory, async () => {
    for (const { worker } of started) worker.terminate();
  });
}
