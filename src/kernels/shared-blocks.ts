/**
 * One WebAssembly memory shared by every thread of the worker pool, and the
 * blocks each thread takes from it.
 *
 * The pool's rows live once, in this memory: the calling thread writes them
 * (or the caller fills a matrix it got from the pool), and every worker's
 * module reads its chunks where they are. A module instance with its own
 * allocator state would overwrite the others' in a shared memory, so the
 * shared builds of the modules ask the host for blocks (assembly/blocks.ts),
 * and each thread serves its own: it grows the memory for a region of its
 * own (growing is atomic and returns where the new pages begin, so no two
 * threads ever get the same pages) and keeps its own free list. A block is
 * freed by the thread that allocated it.
 *
 * Browser-safe: nothing here imports from `node:`. Shared memories need
 * SharedArrayBuffer: always in Node; in browsers, on cross-origin isolated pages.
 */

/** Bytes of a WebAssembly page. */
const PAGE_BYTES = 65536;

/** The shared modules' least memory in pages (scripts/build-wasm.mjs SHARED_INITIAL_PAGES): their constants lie there. */
export const SHARED_INITIAL_PAGES = 4;

/** The most pages a 32-bit memory has: 4 GiB. */
export const SHARED_MAXIMUM_PAGES = 65536;

/** A thread grows the memory by at least this much at a time (fewer, larger regions). */
const REGION_BYTES = 4 * 1024 * 1024;

/** Blocks are aligned to, and sized in multiples of, this many bytes (the modules' vector loads need 16). */
const ALIGN = 16;

/** The parts of `WebAssembly.Memory` used here (the library compiles without DOM or Node types). */
export interface SharedMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

/**
 * A new shared memory for a pool: up to 4 GiB, or the most the engine reserves (at least 64 MiB).
 * @throws Error when the runtime has no shared WebAssembly memory (a browser page that is not cross-origin isolated).
 */
export function createSharedMemory(): SharedMemory {
  const api = (globalThis as { WebAssembly?: { Memory: new (d: object) => SharedMemory } }).WebAssembly;
  if (api === undefined || typeof SharedArrayBuffer === 'undefined') {
    throw new Error('the worker pool needs SharedArrayBuffer and WebAssembly (in browsers, a cross-origin isolated page)');
  }
  // A shared memory reserves its maximum up front; where the engine cannot (some
  // mobile browsers), a smaller one still serves smaller data.
  let error: unknown = null;
  for (let maximum = SHARED_MAXIMUM_PAGES; maximum >= 1024; maximum >>= 1) {
    try {
      return new api.Memory({ initial: SHARED_INITIAL_PAGES, maximum, shared: true });
    } catch (caught) {
      error = caught;
    }
  }
  throw new Error(`the worker pool could not reserve a shared WebAssembly memory: ${String(error)}`);
}

/** A free range of this thread's regions. */
interface FreeRange {
  start: number;
  size: number;
}

/** This thread's blocks of one shared memory. */
export class SharedBlocks {
  readonly memory: SharedMemory;
  /** Free ranges, by start, never adjacent (adjacent ones are merged). */
  readonly #free: FreeRange[] = [];
  /** Each allocated block's size. */
  readonly #sizes = new Map<number, number>();

  constructor(memory: SharedMemory) {
    this.memory = memory;
  }

  /**
   * A block of at least `bytes` bytes, 16-aligned; its contents are not cleared.
   * @throws Error when the memory cannot grow enough (4 GiB at most, less what the engine allows).
   */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let at = this.#firstFit(size);
    if (at < 0) {
      this.#grow(size);
      at = this.#firstFit(size);
    }
    const range = this.#free[at];
    const ptr = range.start;
    if (range.size === size) this.#free.splice(at, 1);
    else {
      range.start += size;
      range.size -= size;
    }
    this.#sizes.set(ptr, size);
    return ptr;
  }

  /** Frees a block from `alloc`; 0 is ignored. */
  free(ptr: number): void {
    if (ptr === 0) return;
    const size = this.#sizes.get(ptr);
    if (size === undefined) throw new Error(`the shared memory has no block at ${ptr} from this thread`);
    this.#sizes.delete(ptr);
    this.#insert(ptr, size);
  }

  /** Bytes in this thread's free ranges (for tests). */
  freeBytes(): number {
    return this.#free.reduce((sum, range) => sum + range.size, 0);
  }

  #firstFit(size: number): number {
    for (let q = 0; q < this.#free.length; q++) if (this.#free[q].size >= size) return q;
    return -1;
  }

  /** Adds a region of at least `size` bytes at the memory's end (a whole REGION_BYTES where there is room for one). */
  #grow(size: number): void {
    const least = Math.ceil(size / PAGE_BYTES);
    const wanted = Math.max(least, REGION_BYTES / PAGE_BYTES);
    let pages = wanted;
    let first: number;
    try {
      first = this.memory.grow(pages);
    } catch (error) {
      if (least === wanted) throw this.#full(size, error);
      try {
        pages = least;
        first = this.memory.grow(pages);
      } catch (again) {
        throw this.#full(size, again);
      }
    }
    this.#insert(first * PAGE_BYTES, pages * PAGE_BYTES);
  }

  #full(size: number, error: unknown): Error {
    return new Error(`the pool's shared memory cannot grow to hold a block of ${size} bytes (it holds ${this.memory.buffer.byteLength} bytes, and at most 4 GiB): ${String(error)}`);
  }

  /** Returns [start, start + size) to the free list, merged with its neighbours. */
  #insert(start: number, size: number): void {
    const free = this.#free;
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (free[mid].start < start) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? free[lo - 1] : null;
    const after = lo < free.length ? free[lo] : null;
    if (before !== null && before.start + before.size === start) {
      before.size += size;
      if (after !== null && before.start + before.size === after.start) {
        before.size += after.size;
        free.splice(lo, 1);
      }
    } else if (after !== null && start + size === after.start) {
      after.start = start;
      after.size += size;
    } else {
      free.splice(lo, 0, { start, size });
    }
  }
}

const perMemory = new WeakMap<SharedMemory, SharedBlocks>();

/** This thread's blocks of `memory` (one allocator per thread and memory, shared by the kernels on this thread). */
export function sharedBlocks(memory: SharedMemory): SharedBlocks {
  let blocks = perMemory.get(memory);
  if (blocks === undefined) {
    blocks = new SharedBlocks(memory);
    perMemory.set(memory, blocks);
  }
  return blocks;
}
