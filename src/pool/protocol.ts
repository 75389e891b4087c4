/**
 * Messages and shared-buffer layout between the parallel kernel
 * (./driver.ts) and its workers (./worker.ts), in Node and in browsers. The
 * rows lie once in the pool's shared WebAssembly memory
 * (src/kernels/shared-blocks.ts), which every worker got at its start.
 */

/**
 * Sent at `load` when the calling thread will copy the rows into the shared
 * memory: drop the rows held before, write zeros over bytes [start, end) of
 * the shared memory (this worker's part of the rows' block, so that the
 * pages are resident before the copy: a page's first touch is most of a
 * copy's cost, and the workers pay it in parallel while the calling thread
 * goes on), and make room for the Lloyd state of `rows` rows of `cols`
 * features (src/kernels/kernel.ts `reserve`). The calling thread waits on
 * `control`, this message's own, before it copies.
 */
export interface ReserveMessage {
  type: 'reserve';
  control: SharedArrayBuffer;
  start: number;
  end: number;
  rows: number;
  cols: number;
  weighted: boolean;
}

/**
 * Sent at a data set's first use: hold the chunks [firstChunk, endChunk) of
 * the data's n = `rows` rows, whose first row lies at byte offset `x` of the
 * shared memory (row-major, followed by two zeros or by more rows) and whose
 * weights lie at `w` (0: none). `reset` drops what the worker held before.
 * A float64 kernel reads them there, in place; the float32 kernel copies them
 * (the calling thread then sends the chunks in rounds, through a block it
 * reuses).
 */
export interface AttachMessage {
  type: 'attach';
  control: SharedArrayBuffer;
  reset: boolean;
  x: number;
  w: number;
  rows: number;
  cols: number;
  chunkRows: number;
  firstChunk: number;
  endChunk: number;
}

/** Sent every iteration: the packed parameters and where to put the statistics. */
export interface EStepMessage {
  type: 'estep';
  control: SharedArrayBuffer;
  params: unknown;
  results: SharedArrayBuffer;
  chunkRows: number;
}

/** What a worker says when it has finished a message. */
export type WorkerReply = { ok: true } | { ok: false; message: string };

/**
 * One chunk's slot in the result buffer: [Σ w log p, worst row, its log density,
 * counts (k), first moments (k·d), second moments (k·d·d or k·d)].
 */
export function resultLayout(shape: 'full' | 'diag', k: number, d: number) {
  const counts = 3;
  const first = counts + k;
  const second = first + k * d;
  const size = second + (shape === 'full' ? k * d * d : k * d);
  return { counts, first, second, size };
}

/**
 * k-means on the rows the workers hold (src/lloyd.ts): the main thread runs
 * the iterations and sends each worker one message per pass over its chunks.
 * - `begin`: set up for k clusters of d features; `params` (shared, written
 *   by the main thread before each pass) holds the centres (k×d), their
 *   movements (k) and half distances to the nearest other centre (k);
 *   `results` holds one slot per chunk (src/lloyd.ts `lloydSlot`).
 * - `assign`: one assignment pass; each chunk's counts and sums go to its slot.
 * - `distances`: each row's squared distance to its centre, into `out` (n f64).
 * - `inertia`: each chunk's inertia, into its slot's first value.
 * - `labels`: each row's label, into `out` (n i32).
 * - `scatter`: each chunk's scatter about the centres, into its slot of `out`
 *   (src/lloyd.ts `scatterSlot`).
 * - `end`: free the per-row state.
 */
export type LloydMessage = { type: 'lloyd'; control: SharedArrayBuffer; chunkRows: number } & (
  | { op: 'begin'; k: number; d: number; params: SharedArrayBuffer; results: SharedArrayBuffer }
  | { op: 'assign'; first: boolean; accumulate: boolean; fastest: number; firstMove: number; secondMove: number; margin: number }
  | { op: 'distances'; out: SharedArrayBuffer }
  | { op: 'inertia' }
  | { op: 'labels'; out: SharedArrayBuffer }
  | { op: 'scatter'; full: boolean; out: SharedArrayBuffer }
  | { op: 'end' }
);

/**
 * k-means++ seeding on the rows the workers hold (src/seeding.ts): the main
 * thread draws and sends one message per pass. At `begin`: `points` (shared,
 * f64) holds the new centre or the candidates (trials×d); `sums` (f64)
 * receives each chunk's sum of scores at [chunk], or its candidates' sums at
 * [chunk·trials + t]; `picks` (i32) holds the draws' chunks [0, trials), the
 * picked rows [trials, 2·trials) and each chunk's last row with a positive
 * score [2·trials, 2·trials + chunks); `targets` (f64) holds the draws'
 * targets [0, trials) and their chunks' prefixes [trials, 2·trials).
 */
export type SeedMessage = { type: 'seed'; control: SharedArrayBuffer; chunkRows: number } & (
  | { op: 'begin'; d: number; trials: number; points: SharedArrayBuffer; sums: SharedArrayBuffer; picks: SharedArrayBuffer; targets: SharedArrayBuffer }
  | { op: 'start' }
  | { op: 'update' }
  | { op: 'rescore'; clear: boolean }
  | { op: 'trials'; count: number }
  | { op: 'pick'; count: number }
  | { op: 'last' }
  | { op: 'end' }
);

/** Every message a worker handles (besides its environment's start and close). */
export type PoolMessage = ReserveMessage | AttachMessage | EStepMessage | LloydMessage | SeedMessage;

/**
 * A worker's failure slot, for environments where the kernel cannot read a
 * reply message while it blocks (browsers): Int32 [length], then the UTF-16
 * code units of the last failure's message, written before the worker counts
 * itself done. Length 0: no failure.
 */
export const FAILURE_UNITS = 1024;

/** Bytes of a failure slot. */
export const FAILURE_BYTES = 4 + 2 * FAILURE_UNITS;

/** Writes `message` (cut to fit) into a failure slot. */
export function writeFailure(slot: SharedArrayBuffer, message: string): void {
  const length = Math.min(message.length, FAILURE_UNITS);
  const units = new Uint16Array(slot, 4, length);
  for (let q = 0; q < length; q++) units[q] = message.charCodeAt(q);
  Atomics.store(new Int32Array(slot, 0, 1), 0, length);
}

/** Reads and clears a failure slot: the message, or null when none. */
export function takeFailure(slot: SharedArrayBuffer): string | null {
  const length = Atomics.exchange(new Int32Array(slot, 0, 1), 0, 0);
  if (length === 0) return null;
  const units = new Uint16Array(slot, 4, length);
  let message = '';
  for (let q = 0; q < length; q++) message += String.fromCharCode(units[q]);
  return message;
}
