/**
 * Where every block of the kernels' memory comes from.
 *
 * - Builds with their own memory (no `threads` feature): AssemblyScript's
 *   TLSF allocator, whose state lives in that memory.
 * - Shared-memory builds (`--enable threads --importMemory --sharedMemory`,
 *   for the worker pool): one memory serves every thread's instance, and a
 *   TLSF state per instance would overwrite the others'. Blocks then come
 *   from the host (src/kernels/shared-blocks.ts): each thread grows the
 *   memory for its own regions and allocates in them, so no two threads
 *   ever share a block or a free list.
 */

// @ts-ignore: decorator
@external("env", "hostAlloc")
declare function hostAlloc(bytes: usize): usize;

// @ts-ignore: decorator
@external("env", "hostFree")
declare function hostFree(ptr: usize): void;

/** A 16-aligned block of `bytes` bytes; traps or throws when memory cannot grow enough. */
export function allocate(bytes: usize): usize {
  if (ASC_FEATURE_THREADS) return hostAlloc(bytes);
  return heap.alloc(bytes);
}

/** Frees a block from `allocate`. */
export function release(ptr: usize): void {
  if (ASC_FEATURE_THREADS) hostFree(ptr);
  else heap.free(ptr);
}
