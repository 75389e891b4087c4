/**
 * k-means++ seeding's per-chunk work ({@link SeedChunks}) on rows held in a
 * WebAssembly module's memory: the k-means module's copy
 * (src/kernels/kmeans-wasm.ts) or the E-step kernel's own (src/kernels/wasm.ts,
 * in one thread or in each worker of the pool). The module functions are
 * assembly/seed-chunks.ts; the draws run in src/seeding.ts `runSeeding`.
 *
 * Each part of rows gets its `closest` and scores in the module's memory for
 * as long as the chunks live; `release` frees them. Browser-safe.
 */
import { ModuleBlocks, moduleChunks, type ModuleRows } from './module-chunks.js';
import type { SeedChunks } from '../seeding.js';

/** The exports of a module with assembly/seed-chunks.ts compiled in. Pointers are byte offsets. */
export interface SeedExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  alloc(bytes: number): number;
  free(ptr: number): void;
  seedConfigure(d: number, trials: number): number;
  seedRelease(): void;
  seedPoints(count: number): void;
  seedStart(x: number, w: number, n: number, closest: number, score: number): number;
  seedUpdate(x: number, w: number, n: number, closest: number, score: number): number;
  seedRescore(w: number, n: number, closest: number, score: number, clear: number): number;
  seedTrials(x: number, w: number, n: number, closest: number, trials: number, out: number): void;
  seedPick(score: number, n: number, target: number, prefix: number): number;
  seedLastPositive(score: number, n: number): number;
}

/**
 * The per-chunk seeding work over the parts' rows in `wasm`'s memory, cut
 * into chunks of {@link CHUNK_ROWS} each, part after part, for d features and
 * up to `trials` candidates. One set of chunks per module at a time. Throws
 * when the module cannot allocate the state, having freed what it took.
 */
export function wasmSeedChunks(wasm: SeedExports, parts: readonly ModuleRows[], d: number, trials: number): SeedChunks {
  const blocks = new ModuleBlocks(wasm);
  let points = 0;
  try {
    const list = moduleChunks(parts, d, blocks, { closest: 8, score: 8 });
    const trialsOut = blocks.alloc(8 * trials);
    points = wasm.seedConfigure(d, trials);

    /** Writes the points where the module reads them. */
    const write = (values: Float64Array, count: number): void => {
      new Float64Array(wasm.memory.buffer).set(values.subarray(0, count * d), points / 8);
    };

    return {
      chunks: list.length,
      start(centre: Float64Array, out: Float64Array): void {
        write(centre, 1);
        list.forEach((h, c) => (out[c] = wasm.seedStart(h.x, h.w, h.n, h.closest, h.score)));
      },
      update(centre: Float64Array, out: Float64Array): void {
        write(centre, 1);
        list.forEach((h, c) => (out[c] = wasm.seedUpdate(h.x, h.w, h.n, h.closest, h.score)));
      },
      rescore(clear: boolean, out: Float64Array): void {
        list.forEach((h, c) => (out[c] = wasm.seedRescore(h.w, h.n, h.closest, h.score, clear ? 1 : 0)));
      },
      trials(candidates: Float64Array, count: number, out: Float64Array): void {
        write(candidates, count);
        wasm.seedPoints(count);
        const at = trialsOut / 8;
        list.forEach((h, c) => {
          wasm.seedTrials(h.x, h.w, h.n, h.closest, count, trialsOut);
          out.set(new Float64Array(wasm.memory.buffer).subarray(at, at + count), c * count);
        });
      },
      pick(chunk: Int32Array, target: Float64Array, prefix: Float64Array, out: Int32Array): void {
        for (let q = 0; q < chunk.length; q++) {
          const h = list[chunk[q]];
          const i = wasm.seedPick(h.score, h.n, target[q], prefix[q]);
          out[q] = i < 0 ? -1 : h.row + i;
        }
      },
      lastPositive(out: Int32Array): void {
        list.forEach((h, c) => {
          const i = wasm.seedLastPositive(h.score, h.n);
          out[c] = i < 0 ? -1 : h.row + i;
        });
      },
      release(): void {
        wasm.seedRelease();
        blocks.release();
      },
    };
  } catch (error) {
    if (points !== 0) wasm.seedRelease();
    blocks.release();
    throw error;
  }
}
