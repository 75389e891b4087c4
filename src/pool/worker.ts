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
import { resultLayout, type EStepMessage, type LloydMessage, type LoadMessage, type PoolMessage, type ReserveMessage, type SeedMessage } from './protocol.js';

const EMPTY = new Float64Array(0);

/**
 * A worker's state over `kernel` (the inner kernel: WebAssembly, which copies
 * the rows it loads into its own memory, or the reference, which keeps them)
 * and the handler of the messages it gets; the handler throws on failure.
 */
export function createPoolWorker(kernel: Kernel, inner: 'wasm' | 'reference'): (message: PoolMessage) => void {
  let chunks: { index: number; data: LoadedData }[] = [];

  /** Frees the rows held and any k-means state. */
  function drop(): void {
    endLloyd();
    endSeed();
    for (const chunk of chunks) kernel.release?.(chunk.data);
    chunks = [];
  }

  /** Drops the rows held, then makes room for the rows to come; never throws (a hint: the load reports what fails). */
  function reserve(message: ReserveMessage): void {
    try {
      drop();
      kernel.reserve?.(message.rows, message.cols, message.weighted);
    } catch {
      // The load that follows frees, allocates and reports again.
    }
  }

  function load(message: LoadMessage): void {
    endLloyd();
    endSeed();
    if (message.reset) drop();
    const base = message.firstChunk * message.chunkRows;
    const count = Math.min(message.rows, message.endChunk * message.chunkRows) - base;
    const rows = new Float64Array(message.staging, 0, count * message.cols);
    const weights = message.weighted ? new Float64Array(message.staging, count * message.cols * 8, count) : null;
    for (let c = message.firstChunk; c < message.endChunk; c++) {
      const start = c * message.chunkRows - base;
      const end = Math.min(message.rows, (c + 1) * message.chunkRows) - base;
      // The staging buffer is reused by the next round. The WebAssembly kernel
      // copies the rows into its own memory and reads them only there, so it
      // loads straight from the buffer and keeps no view of it; the reference
      // kernel reads the rows it was given, so it gets its own copy.
      const wasm = inner === 'wasm';
      const take = (a: Float64Array, from: number, to: number) => (wasm ? a.subarray(from, to) : a.slice(from, to));
      const matrix = { rows: end - start, cols: message.cols, data: take(rows, start * message.cols, end * message.cols) };
      const chunkWeights = weights === null ? null : take(weights, start, end);
      chunks.push({ index: c, data: kernel.load(matrix, chunkWeights) });
      if (wasm) matrix.data = EMPTY;
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
    else if (message.type === 'load') load(message);
    else if (message.type === 'lloyd') lloyd(message);
    else if (message.type === 'seed') seed(message);
    else eStep(message);
  };
}
