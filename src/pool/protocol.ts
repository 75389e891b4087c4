/**
 * Messages and shared-buffer layout between the parallel kernel
 * (./driver.ts) and its workers (./worker.ts), in Node and in browsers.
 */

/**
 * Sent once or more per fit: the chunks [firstChunk, endChunk) for this worker
 * to hold, in `staging`: their rows (row-major), then their weights when
 * `weighted`. `reset` drops what the worker held before.
 */
export interface LoadMessage {
  type: 'load';
  control: SharedArrayBuffer;
  reset: boolean;
  staging: SharedArrayBuffer;
  weighted: boolean;
  /** Rows of the whole data set. */
  rows: number;
  cols: number;
  chunkRows: number;
  firstChunk: number;
  endChunk: number;
}

/**
 * Sent at `load`, before the rows (which go at their first use): drop the
 * rows held before, and make room for `rows` rows of `cols` features
 * (src/kernels/kernel.ts `reserve`). A hint: the worker reports no failure,
 * and no one waits on `control`, which is this message's own.
 */
export interface ReserveMessage {
  type: 'reserve';
  control: SharedArrayBuffer;
  rows: number;
  cols: number;
  weighted: boolean;
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
export type PoolMessage = ReserveMessage | LoadMessage | EStepMessage | LloydMessage | SeedMessage;

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
