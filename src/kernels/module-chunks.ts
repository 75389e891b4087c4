/**
 * Rows in a WebAssembly module's memory, cut into chunks of CHUNK_ROWS for
 * the k-means passes (./lloyd-wasm.ts, ./seed-wasm.ts), with per-row state
 * allocated beside them, and the module blocks that hold it, freed together.
 * Browser-safe.
 */
import { CHUNK_ROWS } from './kernel.js';

/** A module's allocator (the exports every module here has). */
export interface ModuleAllocator {
  alloc(bytes: number): number;
  free(ptr: number): void;
}

/** Rows in a module's memory: n×d values at `x`, n weights at `w` (0: unweighted). */
export interface ModuleRows {
  readonly x: number;
  readonly w: number;
  readonly rows: number;
}

/** Blocks allocated in a module for one purpose and freed together, the last first. */
export class ModuleBlocks {
  readonly #module: ModuleAllocator;
  readonly #blocks: number[] = [];

  constructor(module: ModuleAllocator) {
    this.#module = module;
  }

  /** A block of at least `bytes` (8 at least, so that it is never null). */
  alloc(bytes: number): number {
    const ptr = this.#module.alloc(Math.max(bytes, 8));
    this.#blocks.push(ptr);
    return ptr;
  }

  release(): void {
    for (let b = this.#blocks.length - 1; b >= 0; b--) this.#module.free(this.#blocks[b]);
    this.#blocks.length = 0;
  }
}

/**
 * One chunk: its rows' addresses, its first row's index among all the parts'
 * rows, and the address of its share of each per-row state array.
 */
export type ModuleChunk<S extends string> = { readonly x: number; readonly w: number; readonly n: number; readonly row: number } & {
  readonly [K in S]: number;
};

/**
 * The parts' rows cut into chunks of CHUNK_ROWS, part after part, with one
 * array per entry of `state` (its bytes per row) allocated per part in `blocks`.
 */
export function moduleChunks<S extends string>(
  parts: readonly ModuleRows[],
  d: number,
  blocks: ModuleBlocks,
  state: Readonly<Record<S, number>>,
): ModuleChunk<S>[] {
  const names = Object.keys(state) as S[];
  const list: ModuleChunk<S>[] = [];
  let row = 0;
  for (const part of parts) {
    const arrays = names.map((name) => blocks.alloc(state[name] * part.rows));
    for (let start = 0; start < part.rows; start += CHUNK_ROWS) {
      const chunk: Record<string, number> = {
        x: part.x + 8 * start * d,
        w: part.w === 0 ? 0 : part.w + 8 * start,
        n: Math.min(part.rows, start + CHUNK_ROWS) - start,
        row: row + start,
      };
      names.forEach((name, a) => (chunk[name] = arrays[a] + state[name] * start));
      list.push(chunk as ModuleChunk<S>);
    }
    row += part.rows;
  }
  return list;
}
