/**
 * A Web Worker of the browser's parallel kernel (./web-kernel.ts). Bundle this
 * file as the pool's worker script. It starts the inner kernel when told to,
 * says so, then hands every message to the worker logic of ./worker.ts and
 * counts itself done in the shared control word (after writing any failure
 * into its slot).
 */
import type { Kernel } from '../kernels/kernel.js';
import { referenceKernel } from '../kernels/reference.js';
import type { SharedMemory } from '../kernels/shared-blocks.js';
import { createWasmKernelSync } from '../kernels/wasm.js';
import { writeFailure, type PoolMessage } from './protocol.js';
import { createPoolWorker } from './worker.js';

/** The first message a pool worker gets. */
export interface WebWorkerStart {
  type: 'start';
  inner: 'wasm' | 'reference';
  precision: 'float64' | 'float32';
  failure: SharedArrayBuffer;
  /** The pool's shared memory (src/kernels/shared-blocks.ts). */
  memory: SharedMemory;
}

interface WorkerScope {
  onmessage: ((event: { data: PoolMessage | WebWorkerStart }) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
let handle: ((message: PoolMessage) => void) | null = null;
let failure: SharedArrayBuffer | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'start') {
    failure = message.failure;
    try {
      const { memory } = message;
      const kernel: Kernel = message.inner === 'wasm' ? createWasmKernelSync({ precision: message.precision, memory }) : referenceKernel;
      handle = createPoolWorker(kernel, memory);
      scope.postMessage({ ready: true });
    } catch (error) {
      scope.postMessage({ ready: false, message: (error as Error).message ?? String(error) });
    }
    return;
  }
  const control = new Int32Array(message.control);
  try {
    if (handle === null) throw new Error('the inner kernel could not start');
    handle(message);
  } catch (error) {
    if (failure !== null) writeFailure(failure, (error as Error).message ?? String(error));
  }
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
};
