/**
 * Lloyd's per-chunk work ({@link LloydChunks}) on rows held in a WebAssembly
 * module's memory: the k-means module's copy (src/kernels/kmeans-wasm.ts) or
 * the E-step kernel's own (src/kernels/wasm.ts, in one thread or in each
 * worker of the pool). The module functions are assembly/lloyd-chunks.ts;
 * the iterations run in src/lloyd.ts `runLloyd`.
 *
 * Each part of rows gets its labels and bounds in the module's memory for
 * as long as the chunks live; `release` frees them. Browser-safe.
 */
import { CHUNK_ROWS } from './kernel.js';
import { ModuleBlocks, moduleChunks, type ModuleRows } from './module-chunks.js';
import { lloydSlot, plainLloyd, scatterSlot, type LloydChunks, type LloydPass } from '../lloyd.js';

/** The exports of a module with assembly/lloyd-chunks.ts compiled in. Pointers are byte offsets. */
export interface LloydExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  alloc(bytes: number): number;
  free(ptr: number): void;
  lloydConfigure(k: number, d: number): number;
  lloydRelease(): void;
  lloydCentres(): void;
  lloydAssign(
    x: number,
    w: number,
    n: number,
    labels: number,
    upper: number,
    lower: number,
    out: number,
    first: number,
    accumulate: number,
    fastest: number,
    firstMove: number,
    secondMove: number,
    margin: number,
  ): void;
  lloydAssignPlain(x: number, w: number, n: number, out: number): void;
  lloydLabels(x: number, n: number, out: number): void;
  lloydDistances(x: number, n: number, labels: number, out: number): void;
  lloydInertia(x: number, w: number, n: number, labels: number): number;
  lloydScatter(x: number, w: number, n: number, labels: number, full: number, out: number): void;
}

/** Lloyd's state per row: its label and Hamerly's two bounds (bytes each). */
const LLOYD_ROW_STATE = { labels: 4, upper: 8, lower: 8 } as const;

/** Bytes of Lloyd's state per row. */
export const LLOYD_ROW_BYTES = LLOYD_ROW_STATE.labels + LLOYD_ROW_STATE.upper + LLOYD_ROW_STATE.lower;

/** Plain Lloyd's (no) state per row. */
const NO_ROW_STATE = { labels: 0, upper: 0, lower: 0 } as const;

/**
 * The per-chunk work over the parts' rows in `wasm`'s memory, cut into chunks
 * of {@link CHUNK_ROWS} each, part after part. Configures the module for k
 * and d (one set of chunks per module at a time). Throws when the module
 * cannot allocate the state, having freed what it took.
 */
export function wasmLloydChunks(wasm: LloydExports, parts: readonly ModuleRows[], k: number, d: number): LloydChunks {
  const blocks = new ModuleBlocks(wasm);
  let params = 0;
  try {
    const slot = lloydSlot(k, d);
    const plain = plainLloyd(k, d);
    const list = moduleChunks(parts, d, blocks, plain ? NO_ROW_STATE : LLOYD_ROW_STATE);
    /** The rows' labels in the module: none for plain Lloyd, whose functions then take each row's nearest centre. */
    const labelsOf = (h: (typeof list)[number]): number => (plain ? 0 : h.labels);
    const slotPtr = blocks.alloc(8 * slot);
    const rowsPtr = blocks.alloc(8 * CHUNK_ROWS);
    params = wasm.lloydConfigure(k, d);

    /** Writes the centres (and the bounds' per-centre inputs) where the module reads them. */
    const configure = (centers: Float64Array, pass: LloydPass | null): Float64Array => {
      const view = new Float64Array(wasm.memory.buffer);
      const at = params / 8;
      view.set(centers.subarray(0, k * d), at);
      if (pass !== null && !pass.first) {
        view.set(pass.movement.subarray(0, k), at + k * d);
        view.set(pass.half.subarray(0, k), at + k * d + k);
      }
      wasm.lloydCentres();
      return view;
    };

    return {
      chunks: list.length,
      assign(pass: LloydPass, out: Float64Array): void {
        // Plain Lloyd keeps nothing from a pass whose sums nobody reads.
        if (plain && !pass.accumulate) return;
        const view = configure(pass.centers, pass);
        const from = slotPtr / 8 + 1;
        for (let c = 0; c < list.length; c++) {
          const h = list[c];
          if (plain) {
            wasm.lloydAssignPlain(h.x, h.w, h.n, slotPtr);
            out.set(view.subarray(from, from + slot - 1), c * slot + 1);
            continue;
          }
          wasm.lloydAssign(
            h.x,
            h.w,
            h.n,
            h.labels,
            h.upper,
            h.lower,
            slotPtr,
            pass.first ? 1 : 0,
            pass.accumulate ? 1 : 0,
            pass.fastest,
            pass.firstMove,
            pass.secondMove,
            pass.margin,
          );
          if (pass.accumulate) out.set(view.subarray(from, from + slot - 1), c * slot + 1);
        }
      },
      distances(centers: Float64Array, out: Float64Array): void {
        const view = configure(centers, null);
        for (const h of list) {
          wasm.lloydDistances(h.x, h.n, labelsOf(h), rowsPtr);
          out.set(view.subarray(rowsPtr / 8, rowsPtr / 8 + h.n), h.row);
        }
      },
      inertia(centers: Float64Array, out: Float64Array): void {
        configure(centers, null);
        for (let c = 0; c < list.length; c++) out[c * slot] = wasm.lloydInertia(list[c].x, list[c].w, list[c].n, labelsOf(list[c]));
      },
      labels(out: Int32Array): void {
        for (const h of list) {
          // Plain Lloyd: the nearest centres to the centres last written (the final ones: runLloyd takes the inertia first).
          if (plain) wasm.lloydLabels(h.x, h.n, rowsPtr);
          const at = plain ? rowsPtr : h.labels;
          out.set(new Int32Array(wasm.memory.buffer, at, h.n), h.row);
        }
      },
      scatter(centers: Float64Array, full: boolean, out: Float64Array): void {
        const size = scatterSlot(k, d, full);
        const at = blocks.alloc(8 * size);
        configure(centers, null);
        for (let c = 0; c < list.length; c++) {
          const h = list[c];
          wasm.lloydScatter(h.x, h.w, h.n, labelsOf(h), full ? 1 : 0, at);
          out.set(new Float64Array(wasm.memory.buffer, at, size), c * size);
        }
      },
      release(): void {
        wasm.lloydRelease();
        blocks.release();
      },
    };
  } catch (error) {
    if (params !== 0) wasm.lloydRelease();
    blocks.release();
    throw error;
  }
}
