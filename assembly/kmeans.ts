/**
 * k-means in WebAssembly SIMD, on a copy of the data (for src/kmeans.ts's
 * `kmeans` and fits whose kernel cannot run k-means itself): the per-chunk
 * work of greedy k-means++ seeding (assembly/seed-chunks.ts) and of Lloyd's
 * algorithm with Hamerly's bounds (assembly/lloyd-chunks.ts), both shared
 * with the E-step module, giving the same doubles, bit for bit, as the
 * TypeScript of src/seeding.ts and src/lloyd.ts.
 *
 * Bit-for-bit contract: see assembly/distances.ts (every squared distance the
 * plain sum, no fused multiply-add; this module is built without relaxed
 * SIMD). Sums over rows are per chunk, the chunks added in TypeScript.
 *
 * Memory: the caller (src/kernels/kmeans-wasm.ts) copies the data in with
 * `alloc` and frees what it allocated before returning (AssemblyScript's
 * minimal runtime, TLSF allocator; memory grows as needed).
 *
 * Symbols: n rows, d features, k clusters; i a row, j a feature, c a
 * cluster. Pointers are byte offsets; f64 arrays are row-major.
 */
import { allocate, release } from './blocks';
export { lloydAssign, lloydAssignPlain, lloydCentres, lloydConfigure, lloydDistances, lloydInertia, lloydLabels, lloydRelease, lloydScatter } from './lloyd-chunks';
export { seedConfigure, seedLastPositive, seedPick, seedPoints, seedRelease, seedRescore, seedStart, seedTrials, seedUpdate } from './seed-chunks';

/** A 16-aligned block of `bytes` bytes; aborts when memory cannot grow enough. */
export function alloc(bytes: usize): usize {
  return allocate(bytes);
}

/** Frees a block from `alloc`. */
export function free(ptr: usize): void {
  release(ptr);
}
