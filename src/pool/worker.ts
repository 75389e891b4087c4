/**
 * What a worker of the parallel kernel does, wherever it runs (Node's
 * worker_threads: node/parallel-worker.ts; a browser's Web Workers:
 * ./web-worker.ts): it holds a contiguous range of chunks of the data, runs
 * the inner kernel's E-step on each chunk on its own, and writes each chunk's
 * statistics into its slot of the shared result buffer. For k-means it runs
 * the seeding's and Lloyd's per-chunk work (src/seeding.ts, src/lloyd.ts) on
 * the same chunks, keeping each row's state (distance to the nearest centre
 * and score; label and bounds) between passes.
 *
 * Browser-safe: nothing here imports from `node:`.
 */
import { createStatistics, type Kernel, type LoadedData, type PackedParameters, type SufficientStatistics } from '../kernels/kernel.js';
import { lloydSlot, scatterSlot, tsLloydChunks, type LloydChunks, type LloydChunksSource, type LloydPass } from '../lloyd.js';
import { tsSeedChunks, type SeedChunks, type SeedChunksSource } from '../seeding.js';
import type { SharedMemory } from '../kernels/shared-blocks.js';
import { resultLayout, type AttachMessage, type EStepMessage, type LloydMessage, type PoolMessage, type ReserveMessage, type SeedMessage } from './protocol.js';

/**
 * A worker's state over `kernel` (the inner kernel: WebAssembly in the pool's
 * shared `memory`, or the reference) and the handler of the messages it
 * gets; the handler throws on failure.
 */
export function createPoolWorker(kernel: Kernel, memory: SharedMemory): (message: PoolMessage) => void {
  let chunks: { index: number; data: LoadedData }[] = [];

  /** Frees the rows held and any k-means state. */
  function drop(): void {
    endLloyd();
    endSeed();
    for (const chunk of chunks) kernel.release?.(chunk.data);
    chunks = [];
  }

  /**
   * Drops the rows held, writes zeros over this worker's part of the rows'
   * block (making its pages resident before the calling thread's copy), then
   * makes room for the Lloyd state. The room is a hint: a failure there is
   * reported by the step that allocates.
   */
  function reserve(message: ReserveMessage): void {
    drop();
    if (message.end > message.start) new Uint8Array(memory.buffer, message.start, message.end - message.start).fill(0);
    try {
      kernel.reserve?.(message.rows, message.cols, message.weighted);
    } catch {
      // The step that allocates reports it.
    }
  }

  /** Holds chunks [firstChunk, endChunk) of the rows in the shared memory (the first at `x`). */
  function attach(message: AttachMessage): void {
    if (message.reset) drop();
    else {
      endLloyd();
      endSeed();
    }
    const { x, w, cols, chunkRows } = message;
    const buffer = memory.buffer;
    for (let c = message.firstChunk; c < message.endChunk; c++) {
      const offset = (c - message.firstChunk) * chunkRows;
      const rows = Math.min(message.rows, c * chunkRows + chunkRows) - c * chunkRows;
      const at = x + 8 * offset * cols;
      const wAt = w === 0 ? 0 : w + 8 * offset;
      const matrix = { rows, cols, data: new Float64Array(buffer, at, rows * cols) };
      const weights = w === 0 ? null : new Float64Array(buffer, wAt, rows);
      // The float64 WebAssembly kernel reads the rows in place; the float32 one stores them as f32; the reference keeps the views.
      const data = kernel.loadInPlace?.(matrix, weights, at, wAt) ?? kernel.load(matrix, weights);
      chunks.push({ index: c, data });
    }
  }

  function eStep(message: EStepMessage): void {
    const p = message.params as PackedParameters;
    const stats: SufficientStatistics = createStatistics(p.shape, p.k, p.d);
    const results = new Float64Array(message.results);
    const layout = resultLayout(p.shape, p.k, p.d);
    for (const chunk of chunks) {
      kernel.eStep(chunk.data, p, stats);
      const o = chunk.index * layout.size;
      const firstRow = chunk.index * message.chunkRows;
      results[o] = stats.logLikelihood;
      results[o + 1] = stats.worstRow < 0 ? -1 : firstRow + stats.worstRow;
      results[o + 2] = stats.worstLogDensity;
      results.set(stats.counts, o + layout.counts);
      results.set(stats.first, o + layout.first);
      results.set(stats.second, o + layout.second);
    }
  }

  /** The k-means run in progress: its shared buffers and the per-chunk work over this worker's chunks. */
  let session: {
    k: number;
    d: number;
    centers: Float64Array;
    movement: Float64Array;
    half: Float64Array;
    results: Float64Array;
    work: LloydChunks;
    /** The chunks' slots, in this worker's chunk order. */
    local: Float64Array;
  } | null = null;

  function endLloyd(): void {
    session?.work.release();
    session = null;
  }

  function lloyd(message: LloydMessage): void {
    if (message.op === 'begin') {
      endLloyd();
      const { k, d } = message;
      const parts = chunks.map((chunk) => chunk.data);
      // The WebAssembly kernel clusters the rows in its own memory; the reference kernel's rows are plain arrays.
      const source = kernel as Partial<LloydChunksSource>;
      const work = typeof source.lloydChunks === 'function' ? source.lloydChunks(parts, k, d) : tsLloydChunks(parts, k, d);
      const params = new Float64Array(message.params);
      session = {
        k,
        d,
        centers: params.subarray(0, k * d),
        movement: params.subarray(k * d, k * d + k),
        half: params.subarray(k * d + k, k * d + 2 * k),
        results: new Float64Array(message.results),
        work,
        local: new Float64Array(chunks.length * lloydSlot(k, d)),
      };
      return;
    }
    if (message.op === 'end') {
      endLloyd();
      return;
    }
    if (session === null) throw new Error('k-means was not begun');
    const { centers, results, work, local } = session;
    const slot = lloydSlot(session.k, session.d);
    const firstRow = chunks[0].index * message.chunkRows;
    let rows = 0;
    for (const chunk of chunks) rows += chunk.data.matrix.rows;
    switch (message.op) {
      case 'assign': {
        const pass: LloydPass = { ...message, centers, movement: session.movement, half: session.half };
        work.assign(pass, local);
        if (pass.accumulate) chunks.forEach((chunk, c) => results.set(local.subarray(c * slot + 1, (c + 1) * slot), chunk.index * slot + 1));
        break;
      }
      case 'distances':
        work.distances(centers, new Float64Array(message.out, 8 * firstRow, rows));
        break;
      case 'inertia':
        work.inertia(centers, local);
        chunks.forEach((chunk, c) => (results[chunk.index * slot] = local[c * slot]));
        break;
      case 'labels':
        work.labels(new Int32Array(message.out, 4 * firstRow, rows));
        break;
      case 'scatter': {
        const size = scatterSlot(session.k, session.d, message.full);
        work.scatter(centers, message.full, new Float64Array(message.out, 8 * chunks[0].index * size, chunks.length * size));
        break;
      }
    }
  }

  /** The k-means++ seeding in progress: its shared buffers and the per-chunk work over this worker's chunks. */
  let seeding: {
    d: number;
    trials: number;
    points: Float64Array;
    sums: Float64Array;
    picks: Int32Array;
    targets: Float64Array;
    work: SeedChunks;
    /** Scratch in this worker's chunk order. */
    local: Float64Array;
  } | null = null;

  function endSeed(): void {
    seeding?.work.release();
    seeding = null;
  }

  function seed(message: SeedMessage): void {
    if (message.op === 'begin') {
      endSeed();
      const { d, trials } = message;
      const parts = chunks.map((chunk) => chunk.data);
      const source = kernel as Partial<SeedChunksSource>;
      const work = typeof source.seedChunks === 'function' ? source.seedChunks(parts, d, trials) : tsSeedChunks(parts, d);
      seeding = {
        d,
        trials,
        points: new Float64Array(message.points),
        sums: new Float64Array(message.sums),
        picks: new Int32Array(message.picks),
        targets: new Float64Array(message.targets),
        work,
        local: new Float64Array(chunks.length * trials),
      };
      return;
    }
    if (message.op === 'end') {
      endSeed();
      return;
    }
    if (seeding === null) throw new Error('the seeding was not begun');
    const { d, trials, points, sums, picks, targets, work, local } = seeding;
    const firstChunk = chunks[0].index;
    const firstRow = firstChunk * message.chunkRows;
    const chunkSums = (): void => chunks.forEach((chunk, c) => (sums[chunk.index] = local[c]));
    switch (message.op) {
      case 'start':
        work.start(points.subarray(0, d), local);
        chunkSums();
        break;
      case 'update':
        work.update(points.subarray(0, d), local);
        chunkSums();
        break;
      case 'rescore':
        work.rescore(message.clear, local);
        chunkSums();
        break;
      case 'trials': {
        const count = message.count;
        work.trials(points.subarray(0, count * d), count, local);
        chunks.forEach((chunk, c) => sums.set(local.subarray(c * count, (c + 1) * count), chunk.index * count));
        break;
      }
      case 'pick': {
        // The draws whose chunk this worker holds, as its own chunk numbers.
        const mine: number[] = [];
        for (let q = 0; q < message.count; q++) if (picks[q] >= firstChunk && picks[q] < firstChunk + chunks.length) mine.push(q);
        const chunk = Int32Array.from(mine, (q) => picks[q] - firstChunk);
        const target = Float64Array.from(mine, (q) => targets[q]);
        const prefix = Float64Array.from(mine, (q) => targets[trials + q]);
        const out = new Int32Array(mine.length);
        work.pick(chunk, target, prefix, out);
        mine.forEach((q, r) => (picks[trials + q] = out[r] < 0 ? -1 : firstRow + out[r]));
        break;
      }
      case 'last': {
        const out = new Int32Array(chunks.length);
        work.lastPositive(out);
        chunks.forEach((chunk, c) => (picks[2 * trials + chunk.index] = out[c] < 0 ? -1 : firstRow + out[c]));
        break;
      }
    }
  }

  return (message: PoolMessage): void => {
    if (message.type === 'reserve') reserve(message);
    else if (message.type === 'attach') attach(message);
    else if (message.type === 'lloyd') lloyd(message);
    else if (message.type === 'seed') seed(message);
    else eStep(message);
  };
}
