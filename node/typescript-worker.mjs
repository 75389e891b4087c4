// Development only: runs a TypeScript worker (tests run the sources, not dist/).
// The worker's file URL comes in workerData.entry; tsx compiles it on the fly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
