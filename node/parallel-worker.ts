/**
 * A worker thread of the parallel kernel (node/parallel-kernel.ts): it starts
 * the inner kernel, says so on its port, then hands every message to the
 * worker logic of src/pool/worker.ts, one at a time, and counts itself done
 * in the shared control word (after writing any failure into its slot).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Kernel } from '../src/index.js';
import { referenceKernel } from '../src/kernels/reference.js';
import type { PoolMessage } from '../src/pool/protocol.js';
import { writeFailure } from '../src/pool/protocol.js';
import { createPoolWorker } from '../src/pool/worker.js';
import type { SharedMemory } from '../src/kernels/shared-blocks.js';

const { inner, precision, port, failure, memory } = workerData as {
  inner: 'wasm' | 'reference';
  precision: 'float64' | 'float32';
  port: MessagePort;
  failure: SharedArrayBuffer;
  memory: SharedMemory;
};

async function innerKernel(): Promise<Kernel> {
  if (inner === 'reference') return referenceKernel;
  const module = (await import('../src/kernels/wasm.js')) as { createWasmKernelSync(o: { precision: string; memory: SharedMemory }): Kernel };
  return module.createWasmKernelSync({ precision, memory });
}

let handle: ((message: PoolMessage) => void) | null = null;
let queue: Promise<void> = innerKernel().then(
  (kernel) => {
    handle = createPoolWorker(kernel, memory);
    port.postMessage({ ready: true });
  },
  (error: unknown) => port.postMessage({ ready: false, message: (error as Error).message ?? String(error) }),
);

parentPort!.on('message', (message: PoolMessage | { type: 'close' }) => {
  if (message.type === 'close') {
    port.close();
    parentPort!.close();
    return;
  }
  queue = queue.then(() => {
    const control = new Int32Array(message.control);
    try {
      if (handle === null) throw new Error('the inner kernel could not start');
      handle(message);
    } catch (error) {
      writeFailure(failure, (error as Error).message ?? String(error));
    }
    Atomics.add(control, 0, 1);
    Atomics.notify(control, 0);
  });
});
