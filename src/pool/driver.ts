/**
 * The parallel kernel, wherever its workers run (Node's worker_threads:
 * node/parallel-kernel.ts; a browser's Web Workers: ./web-kernel.ts).
 *
 * The rows are cut into fixed chunks of CHUNK_ROWS; each worker owns a
 * contiguous range of chunks and computes every chunk's statistics from zero
 * with the inner kernel. The calling thread then adds the chunk statistics in
 * chunk order. The sums therefore never depend on the number of threads: one
 * thread or sixteen give bit-identical models. k-means (seeding and Lloyd)
 * runs the same way on the rows the workers hold.
 *
 * The rows lie once, in one WebAssembly memory that the calling thread and
 * every worker share (src/kernels/shared-blocks.ts), and the float64 kernels
 * read each chunk where it lies. A matrix from `allocateMatrix` is there
 * already; any other is copied in at its first use (the workers first make
 * their part's pages resident, in parallel, while the calling thread goes
 * on) and freed at `release`, so one fit's data costs its bytes once more.
 * The float32 workers store their rows as f32 and get them in rounds
 * through small blocks instead.
 *
 * The kernel interface is synchronous, so the calling thread posts the work
 * and blocks on `Atomics.wait` until every worker has finished: allowed in
 * Node's main thread and in a browser's Web Workers, not on a browser's main
 * thread. A worker that fails writes its message into its failure slot
 * (./protocol.ts) before it counts itself done.
 *
 * Browser-safe: nothing here imports from `node:`.
 */
import type { EvaluationOutputs, Kernel, LoadedData, PackedParameters, SufficientStatistics } from '../kernels/kernel.js';
import { CHUNK_ROWS, clearStatistics } from '../kernels/kernel.js';
import { kmeansPlusPlus as seedOnMainThread, lloyd as lloydOnMainThread } from '../kmeans.js';
import { lloydSlot, runLloyd, scatterSlot, type LloydChunks, type LloydPass, type LloydOutputs, type LloydResult } from '../lloyd.js';
import type { Random } from '../random.js';
import { runSeeding, seedTrials, type SeedChunks } from '../seeding.js';
import type { Matrix } from '../types.js';
import { MixemError } from '../errors.js';
import { sharedBlocks, type SharedMemory } from '../kernels/shared-blocks.js';
import { resultLayout, takeFailure, type AttachMessage, type EStepMessage, type LloydMessage, type PoolMessage, type ReserveMessage, type SeedMessage } from './protocol.js';

export { CHUNK_ROWS };

/** One k-means pass's own fields, without those every message of its kind carries. */
type PassOf<M> = M extends { op: string } ? Omit<M, 'type' | 'control' | 'chunkRows'> : never;

/** Bytes of rows (and weights) a worker gets per round when it stores them its own way (the float32 kernel). */
const STREAM_BYTES = 4 * 1024 * 1024;

/** Data of at most this many chunks stays on the main thread (the messages would cost more than they save). */
export const LOCAL_CHUNKS = 1;

/** Options of {@link createParallelKernel}. */
export interface ParallelKernelOptions {
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
  /** The kernel each worker runs: `"wasm"` (default when WebAssembly SIMD works) or `"reference"`. */
  inner?: 'wasm' | 'reference';
  /**
   * The WebAssembly kernel's arithmetic (default `"float64"`); `"float32"` is
   * the opt-in single-precision kernel (docs/float32.md), for `inner: "wasm"` only.
   */
  precision?: 'float64' | 'float32';
}

/** A kernel backed by worker threads; `close()` stops them. */
export interface ParallelKernel extends Kernel {
  readonly threads: number;
  readonly inner: 'wasm' | 'reference';
  readonly precision: 'float64' | 'float32';
  /**
   * A rows×cols matrix in the pool's shared memory, zero-filled. Fill its
   * `data` and fit it (or a matrix of its first rows, a view of `data` from
   * its start, while the values after those rows are zero): the workers then
   * read the rows where they are, with no copy. Any other matrix is copied
   * into the shared memory once per fit. Free it with
   * {@link ParallelKernel.freeMatrix} when done.
   */
  allocateMatrix(rows: number, cols: number): Matrix;
  /** Frees a matrix from {@link ParallelKernel.allocateMatrix}; its `data` must not be used after. */
  freeMatrix(matrix: Matrix): void;
  close(): Promise<void>;
}

interface ParallelData extends LoadedData {
  readonly chunks: number;
  readonly active: number;
  /** The inner kernel's data on the main thread, for `evaluate` (loaded on first use). */
  mainThread: LoadedData | null;
  /** Where the caller's rows lie in the shared memory (a matrix from `allocateMatrix`), or null. */
  readonly rowsAt: number | null;
  /**
   * Where the rows (n×d, then two zeros) and the weights (0: none) lie in the
   * shared memory, and which of the two blocks the pool made (and frees at
   * `release`); null while they have no place there.
   */
  place: Place | null;
  /** While the workers still write zeros over the place (`reserve`): their control word and count. */
  touching: { control: Int32Array; count: number } | null;
  /** Whether the rows and weights have been copied into their place. */
  copied: boolean;
}

interface Place {
  x: number;
  w: number;
  ownsRows: boolean;
  ownsWeights: boolean;
}

/** Worker t's chunks [first, end) of `chunks`, for `active` workers. */
function workerRange(t: number, active: number, chunks: number): { first: number; end: number } {
  return { first: Math.floor((t * chunks) / active), end: Math.floor(((t + 1) * chunks) / active) };
}

/** One worker as the kernel sees it: where its messages go, and its failure slot (./protocol.ts). */
export interface PoolWorker {
  post(message: PoolMessage): void;
  readonly failure: SharedArrayBuffer;
}

/** Checked options: what {@link resolvePoolOptions} gives. */
export interface PoolSettings {
  readonly threads: number;
  readonly inner: 'wasm' | 'reference';
  readonly precision: 'float64' | 'float32';
}

/**
 * Checks the options shared by every environment's parallel kernel.
 * @param defaultThreads the environment's parallelism.
 * @param wasm whether the WebAssembly kernel runs here (the default inner kernel when it does).
 * @throws RangeError naming the option at fault.
 */
export function resolvePoolOptions(options: ParallelKernelOptions, defaultThreads: number, wasm: boolean): PoolSettings {
  const threads = options.threads ?? defaultThreads;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer; got ${threads}`);
  const precision = options.precision ?? 'float64';
  if (precision !== 'float64' && precision !== 'float32') throw new RangeError(`precision must be "float64" or "float32"; got ${String(precision)}`);
  const inner = options.inner ?? (precision === 'float32' || wasm ? 'wasm' : 'reference');
  if (precision === 'float32' && inner !== 'wasm') throw new RangeError('precision "float32" needs the WebAssembly inner kernel');
  return { threads, inner, precision };
}

/**
 * The kernel over started workers (one thread each; `settings.threads` is
 * what was asked for, `workers` what started), which share `memory` (made by
 * src/kernels/shared-blocks.ts `createSharedMemory`). `local` is the inner
 * kernel on the calling thread, in the same memory (small data stays there,
 * and `evaluate` runs there); `close` stops the workers.
 */
export function poolKernel(workers: readonly PoolWorker[], local: Kernel, settings: PoolSettings, memory: SharedMemory, close: () => Promise<void>): ParallelKernel {
  const { inner, precision } = settings;
  const threads = workers.length;
  const control = new Int32Array(new SharedArrayBuffer(4));
  const blocks = sharedBlocks(memory);
  /** Whether the workers read the rows where they lie (float64, or the reference kernel), or store them their own way (float32). */
  const inPlace = precision === 'float64';
  let results: SharedArrayBuffer | null = null;
  /** The blocks handed out by `allocateMatrix`: byte offset → bytes. */
  const allocated = new Map<number, number>();
  /** The memory's buffers that views handed out by `allocateMatrix` lie on (one per size the memory has had). */
  const handedOut = new WeakSet<ArrayBufferLike>();

  /**
   * Where the matrix's rows lie in the shared memory when they are (a view
   * of a block from `allocateMatrix`, with two zeros after the rows inside
   * the block), else null.
   */
  function rowsInMemory(matrix: Matrix): number | null {
    const a = matrix.data;
    if (!handedOut.has(a.buffer)) return null;
    const start = a.byteOffset;
    const end = start + 8 * matrix.rows * matrix.cols;
    for (const [x, bytes] of allocated) {
      if (start >= x && end + 16 <= x + bytes) {
        const after = new Float64Array(memory.buffer, end, 2);
        return after[0] === 0 && after[1] === 0 ? start : null;
      }
    }
    return null;
  }

  /** Blocks until `count` workers have counted themselves done on `word`. */
  function waitOn(word: Int32Array, count: number): void {
    for (;;) {
      const done = Atomics.load(word, 0);
      if (done >= count) break;
      Atomics.wait(word, 0, done, 1000);
    }
  }

  /** Blocks until the given workers (the first `count`, or those listed) have answered; throws the first failure. */
  function waitFor(listed: number | number[]): void {
    const which = typeof listed === 'number' ? Array.from({ length: listed }, (_, t) => t) : listed;
    waitOn(control, which.length);
    let failure: string | null = null;
    for (const t of which) {
      const message = takeFailure(workers[t].failure);
      if (message !== null && failure === null) failure = message;
    }
    if (failure !== null) throw new Error(`a parallel kernel worker failed: ${failure}`);
  }

  /** The data whose rows the workers hold (null: none, or not known). */
  let held: ParallelData | null = null;
  /** The data whose rows were copied into a place of the pool's own (at most one at a time). */
  let copy: ParallelData | null = null;

  /**
   * A block of the shared memory for `what`; a memory that cannot grow enough
   * is the data's fault (too large), so it is named as such.
   */
  function dataBlock(bytes: number, what: string): number {
    try {
      return blocks.alloc(bytes);
    } catch (error) {
      throw new MixemError(
        'invalid-data',
        `the worker pool's shared memory cannot hold the ${what} (${bytes} bytes; it holds the rows and its work areas in at most 4 GiB): use fewer rows, or float32 (${(error as Error).message})`,
      );
    }
  }

  /** Frees the blocks the pool made for the data's rows and weights, if any. */
  function unplace(data: ParallelData): void {
    if (data.touching !== null) waitOn(data.touching.control, data.touching.count);
    data.touching = null;
    const place = data.place;
    if (place !== null && (place.ownsRows || place.ownsWeights)) {
      if (held === data) held = null;
      if (data.mainThread !== null) local.release?.(data.mainThread);
      data.mainThread = null;
      if (place.ownsRows) blocks.free(place.x);
      if (place.ownsWeights) blocks.free(place.w);
      data.place = null;
      data.copied = false;
    }
    if (copy === data) copy = null;
  }

  /**
   * Makes a place in the shared memory for the data's rows and weights (and
   * frees the last data's), unless they have one: the caller's rows where
   * they lie, else a block for them; the weights' block is filled at once.
   */
  function makePlace(data: ParallelData): Place {
    if (data.place !== null) return data.place;
    if (copy !== null) unplace(copy);
    const { rows, cols } = data.matrix;
    const ownsRows = data.rowsAt === null;
    const x = ownsRows ? dataBlock(8 * (rows * cols + 2), `${rows}×${cols} data`) : data.rowsAt!;
    let w = 0;
    try {
      if (data.weights !== null) {
        w = dataBlock(8 * Math.max(1, rows), `${rows} weights`);
        new Float64Array(memory.buffer, w, rows).set(data.weights.subarray(0, rows));
      }
    } catch (error) {
      if (ownsRows) blocks.free(x);
      throw error;
    }
    data.place = { x, w, ownsRows, ownsWeights: w !== 0 };
    data.copied = !ownsRows;
    if (ownsRows || w !== 0) copy = data;
    return data.place;
  }

  /** Copies the data's rows into their place, once the workers have made its pages resident. */
  function fill(data: ParallelData): Place {
    const place = makePlace(data);
    if (data.copied) return place;
    if (data.touching !== null) waitOn(data.touching.control, data.touching.count);
    data.touching = null;
    const { rows, cols } = data.matrix;
    const values = rows * cols;
    const view = new Float64Array(memory.buffer, place.x, values + 2);
    view.set(data.matrix.data.subarray(0, values));
    view[values] = 0;
    view[values + 1] = 0;
    data.copied = true;
    return place;
  }

  /** Posts worker t's attach message for chunks [firstChunk, endChunk), whose first row lies at `x` (weights at `w`). */
  function attach(t: number, data: ParallelData, x: number, w: number, firstChunk: number, endChunk: number, reset: boolean): void {
    const message: AttachMessage = {
      type: 'attach',
      control: control.buffer as SharedArrayBuffer,
      reset,
      x,
      w,
      rows: data.matrix.rows,
      cols: data.matrix.cols,
      chunkRows: CHUNK_ROWS,
      firstChunk,
      endChunk,
    };
    workers[t].post(message);
  }

  /** Has the workers hold the data's rows, unless they hold them already. */
  function hold(data: ParallelData): void {
    if (held === data) return;
    held = null;
    const { chunks, active } = data;
    if (data.place === null && !inPlace) stream(data);
    else {
      // In place: each worker's chunks where they lie.
      const { x, w } = fill(data);
      Atomics.store(control, 0, 0);
      for (let t = 0; t < active; t++) {
        const { first, end } = workerRange(t, active, chunks);
        attach(t, data, x + first * CHUNK_ROWS * data.matrix.cols * 8, w === 0 ? 0 : w + first * CHUNK_ROWS * 8, first, end, true);
      }
      waitFor(active);
    }
    held = data;
  }

  /**
   * For workers that store rows their own way (the float32 kernel): the rows
   * go to them in rounds of at most STREAM_BYTES per worker, through a
   * staging block of the shared memory each, so the rows never lie whole in
   * the shared memory as well.
   */
  function stream(data: ParallelData): void {
    const { matrix, weights, chunks, active } = data;
    const d = matrix.cols;
    const rowBytes = 8 * d + (weights === null ? 0 : 8);
    const perRound = Math.max(1, Math.floor(STREAM_BYTES / (CHUNK_ROWS * rowBytes)));
    const staging: number[] = [];
    try {
      for (let t = 0; t < active; t++) staging.push(dataBlock(Math.min(perRound * CHUNK_ROWS, matrix.rows) * rowBytes + 16, 'rows in transit'));
      const next = Array.from({ length: active }, (_, t) => workerRange(t, active, chunks).first);
      for (let round = 0; ; round++) {
        Atomics.store(control, 0, 0);
        const posted: number[] = [];
        for (let t = 0; t < active; t++) {
          const firstChunk = next[t];
          const endChunk = Math.min(workerRange(t, active, chunks).end, firstChunk + perRound);
          if (firstChunk >= endChunk) continue;
          next[t] = endChunk;
          const firstRow = firstChunk * CHUNK_ROWS;
          const endRow = Math.min(matrix.rows, endChunk * CHUNK_ROWS);
          const values = (endRow - firstRow) * d;
          new Float64Array(memory.buffer, staging[t], values).set(matrix.data.subarray(firstRow * d, endRow * d));
          const w = weights === null ? 0 : staging[t] + values * 8;
          if (weights !== null) new Float64Array(memory.buffer, w, endRow - firstRow).set(weights.subarray(firstRow, endRow));
          attach(t, data, staging[t], w, firstChunk, endChunk, round === 0);
          posted.push(t);
        }
        if (posted.length === 0) break;
        waitFor(posted);
      }
    } finally {
      for (const block of staging) blocks.free(block);
    }
  }

  /** Posts one pass to the first `active` workers and blocks until they have all done it. */
  function broadcast(message: PoolMessage, active: number): void {
    Atomics.store(control, 0, 0);
    for (let t = 0; t < active; t++) workers[t].post(message);
    waitFor(active);
  }

  /**
   * Lloyd's iterations (src/lloyd.ts `runLloyd`) on this thread, each pass
   * over the rows run by the workers on the chunks they hold, in parallel;
   * each chunk's sums come back in its slot and are added here in chunk
   * order, so the result is that of src/kmeans.ts `lloyd` for any number of threads.
   */
  function lloydOnPool(
    loaded: LoadedData,
    centers: Float64Array,
    k: number,
    maxIterations: number,
    tolerance: number,
    outputs: LloydOutputs = 'clusters',
  ): LloydResult {
    const data = loaded as ParallelData;
    if (data.active === 0) {
      return (
        local.lloyd?.(data.mainThread!, centers, k, maxIterations, tolerance, outputs) ??
        lloydOnMainThread(data.matrix, data.weights, centers, k, maxIterations, tolerance, outputs)
      );
    }
    hold(data);
    const { chunks, active } = data;
    const { rows: n, cols: d } = data.matrix;
    const slot = lloydSlot(k, d);
    const params = new SharedArrayBuffer(8 * (k * d + 2 * k));
    const results = new SharedArrayBuffer(8 * chunks * slot);
    const shared = new Float64Array(params);
    const slots = new Float64Array(results);
    const send = (op: PassOf<LloydMessage>): void => broadcast({ type: 'lloyd', control: control.buffer as SharedArrayBuffer, chunkRows: CHUNK_ROWS, ...op } as LloydMessage, active);
    const work: LloydChunks = {
      chunks,
      assign(pass: LloydPass, out: Float64Array): void {
        shared.set(pass.centers);
        if (!pass.first) {
          shared.set(pass.movement, k * d);
          shared.set(pass.half, k * d + k);
        }
        const { first, accumulate, fastest, firstMove, secondMove, margin } = pass;
        send({ op: 'assign', first, accumulate, fastest, firstMove, secondMove, margin });
        if (accumulate) out.set(slots);
      },
      distances(c: Float64Array, out: Float64Array): void {
        shared.set(c);
        const buffer = new SharedArrayBuffer(8 * n);
        send({ op: 'distances', out: buffer });
        out.set(new Float64Array(buffer));
      },
      inertia(c: Float64Array, out: Float64Array): void {
        shared.set(c);
        send({ op: 'inertia' });
        for (let q = 0; q < chunks; q++) out[q * slot] = slots[q * slot];
      },
      labels(out: Int32Array): void {
        const buffer = new SharedArrayBuffer(4 * n);
        send({ op: 'labels', out: buffer });
        out.set(new Int32Array(buffer));
      },
      scatter(c: Float64Array, full: boolean, out: Float64Array): void {
        shared.set(c);
        const buffer = new SharedArrayBuffer(8 * chunks * scatterSlot(k, d, full));
        send({ op: 'scatter', full, out: buffer });
        out.set(new Float64Array(buffer));
      },
      release(): void {
        send({ op: 'end' });
      },
    };
    send({ op: 'begin', k, d, params, results });
    try {
      return runLloyd(work, data, centers, k, maxIterations, tolerance, outputs);
    } finally {
      work.release();
    }
  }

  /**
   * Greedy k-means++ seeding (src/seeding.ts `runSeeding`): the draws on this
   * thread, each pass over the rows run by the workers on the chunks they
   * hold, in parallel; the chunks' sums are added here in chunk order, so the
   * centres (and the draws) are those of src/kmeans.ts `kmeansPlusPlus` for
   * any number of threads.
   */
  function seedOnPool(loaded: LoadedData, k: number, rng: Random): Float64Array {
    const data = loaded as ParallelData;
    if (data.active === 0) return local.kmeansPlusPlus?.(data.mainThread!, k, rng) ?? seedOnMainThread(data.matrix, data.weights, k, rng);
    hold(data);
    const { chunks, active } = data;
    const d = data.matrix.cols;
    const trials = seedTrials(k);
    const points = new SharedArrayBuffer(8 * Math.max(1, trials * d));
    const sums = new SharedArrayBuffer(8 * chunks * trials);
    const picks = new SharedArrayBuffer(4 * (2 * trials + chunks));
    const targets = new SharedArrayBuffer(8 * 2 * trials);
    const shared = { points: new Float64Array(points), sums: new Float64Array(sums), picks: new Int32Array(picks), targets: new Float64Array(targets) };
    const send = (op: PassOf<SeedMessage>): void => broadcast({ type: 'seed', control: control.buffer as SharedArrayBuffer, chunkRows: CHUNK_ROWS, ...op } as SeedMessage, active);
    const chunkSums = (out: Float64Array): void => out.set(shared.sums.subarray(0, chunks));
    const work: SeedChunks = {
      chunks,
      start(centre: Float64Array, out: Float64Array): void {
        shared.points.set(centre);
        send({ op: 'start' });
        chunkSums(out);
      },
      update(centre: Float64Array, out: Float64Array): void {
        shared.points.set(centre);
        send({ op: 'update' });
        chunkSums(out);
      },
      rescore(clear: boolean, out: Float64Array): void {
        send({ op: 'rescore', clear });
        chunkSums(out);
      },
      trials(candidates: Float64Array, count: number, out: Float64Array): void {
        shared.points.set(candidates.subarray(0, count * d));
        send({ op: 'trials', count });
        out.set(shared.sums.subarray(0, chunks * count));
      },
      pick(chunk: Int32Array, target: Float64Array, prefix: Float64Array, out: Int32Array): void {
        shared.picks.set(chunk);
        shared.targets.set(target);
        shared.targets.set(prefix, trials);
        send({ op: 'pick', count: chunk.length });
        out.set(shared.picks.subarray(trials, trials + chunk.length));
      },
      lastPositive(out: Int32Array): void {
        send({ op: 'last' });
        out.set(shared.picks.subarray(2 * trials, 2 * trials + chunks));
      },
      release(): void {
        send({ op: 'end' });
      },
    };
    send({ op: 'begin', d, trials, points, sums, picks, targets });
    try {
      return runSeeding(work, data, k, rng);
    } finally {
      work.release();
    }
  }

  return {
    threads,
    inner,
    precision,

    load(matrix: Matrix, weights: Float64Array | null): LoadedData {
      const chunks = Math.ceil(matrix.rows / CHUNK_ROWS);
      const rowsAt = rowsInMemory(matrix);
      const data: ParallelData = { matrix, weights, chunks, active: Math.min(threads, chunks), mainThread: null, rowsAt, place: null, touching: null, copied: false };
      if (chunks <= LOCAL_CHUNKS) {
        // Too little work to pay for the messages: the main thread runs the inner kernel itself.
        const onMain: ParallelData = { ...data, active: 0, mainThread: local.load(matrix, weights) };
        return onMain;
      }
      if (rowsAt !== null) {
        // A matrix of `allocateMatrix`: the workers read it where it is (the weights, if any, are copied).
        makePlace(data);
        return data;
      }
      // The rows are copied at their first use (`hold`). Meanwhile each
      // worker drops what it held and writes zeros over its part of the
      // rows' place, while this thread goes on (a fit draws its k-means
      // sample): a page's first touch is most of a copy's cost. Workers that
      // store rows their own way get them in rounds instead (`stream`).
      const place = inPlace ? makePlace(data) : { x: 0 };
      const rowBytes = inPlace ? 8 * matrix.cols : 0;
      const touch = new Int32Array(new SharedArrayBuffer(4));
      for (let t = 0; t < data.active; t++) {
        const { first, end } = workerRange(t, data.active, chunks);
        const endRow = Math.min(matrix.rows, end * CHUNK_ROWS);
        const message: ReserveMessage = {
          type: 'reserve',
          control: touch.buffer as SharedArrayBuffer,
          start: place.x + first * CHUNK_ROWS * rowBytes,
          end: place.x + endRow * rowBytes,
          rows: endRow - first * CHUNK_ROWS,
          cols: matrix.cols,
          weighted: weights !== null,
        };
        workers[t].post(message);
      }
      if (inPlace) data.touching = { control: touch, count: data.active };
      held = null;
      return data;
    },

    eStep(loaded: LoadedData, p: PackedParameters, s: SufficientStatistics): number {
      const { chunks, active, mainThread } = loaded as ParallelData;
      // The inner kernels sum in the same chunks and order, so this gives the workers' bits.
      if (active === 0) return local.eStep(mainThread!, p, s);
      hold(loaded as ParallelData);
      const layout = resultLayout(p.shape, p.k, p.d);
      const bytes = chunks * layout.size * 8;
      if (results === null || results.byteLength < bytes) results = new SharedArrayBuffer(bytes);
      const message: EStepMessage = { type: 'estep', control: control.buffer as SharedArrayBuffer, params: { ...p }, results, chunkRows: CHUNK_ROWS };
      broadcast(message, active);
      // Add the chunks in chunk order: the result is independent of how many threads ran.
      const r = new Float64Array(results, 0, chunks * layout.size);
      clearStatistics(s);
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

    // k-means (seeding and Lloyd) on the workers' rows: float64 only (the float32 workers hold rounded rows; fits then use src/kmeans.ts).
    ...(precision === 'float64' ? { lloyd: lloydOnPool, kmeansPlusPlus: seedOnPool } : {}),

    evaluate(loaded: LoadedData, p: PackedParameters, out: EvaluationOutputs): void {
      const data = loaded as ParallelData;
      if (data.mainThread === null) {
        // On this thread, from the rows' place in the shared memory where the inner kernel reads in place.
        if (data.active > 0 && local.loadInPlace !== undefined) {
          const { x, w } = fill(data);
          const { rows, cols } = data.matrix;
          const matrix = { rows, cols, data: new Float64Array(memory.buffer, x, rows * cols) };
          data.mainThread = local.loadInPlace(matrix, w === 0 ? null : new Float64Array(memory.buffer, w, rows), x, w);
        } else {
          data.mainThread = local.load(data.matrix, data.weights);
        }
      }
      local.evaluate(data.mainThread, p, out);
    },

    release(loaded: LoadedData): void {
      const data = loaded as ParallelData;
      if (data.mainThread) local.release?.(data.mainThread);
      data.mainThread = null;
      unplace(data);
    },

    allocateMatrix(rows: number, cols: number): Matrix {
      if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 1)) {
        throw new RangeError(`allocateMatrix needs whole rows ≥ 0 and cols ≥ 1; got ${rows}×${cols}`);
      }
      const bytes = 8 * (rows * cols + 2);
      const x = dataBlock(bytes, `${rows}×${cols} matrix`);
      const buffer = memory.buffer;
      new Float64Array(buffer, x, rows * cols + 2).fill(0);
      handedOut.add(buffer);
      allocated.set(x, bytes);
      return { rows, cols, data: new Float64Array(buffer, x, rows * cols) };
    },

    freeMatrix(matrix: Matrix): void {
      const x = matrix.data.byteOffset;
      if (!handedOut.has(matrix.data.buffer) || !allocated.has(x)) throw new Error('freeMatrix takes a matrix from allocateMatrix of this kernel, once');
      if (held !== null && held.rowsAt !== null && held.rowsAt >= x && held.rowsAt < x + allocated.get(x)!) held = null;
      allocated.delete(x);
      blocks.free(x);
    },

    close,
  };
}
