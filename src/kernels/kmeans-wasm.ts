/**
 * The WebAssembly path of k-means on a copy of the data: the per-chunk work
 * of greedy k-means++ seeding and of Lloyd's algorithm with Hamerly's
 * bounds, run by assembly/kmeans.ts (AssemblyScript, 128-bit SIMD) with the
 * same results, bit for bit, as the TypeScript of src/seeding.ts and
 * src/lloyd.ts (which stay the fallback and the reference in tests). Fits
 * whose kernel runs k-means itself (Kernel.kmeansPlusPlus, Kernel.lloyd) do
 * not come here.
 * Browser-safe: the module is embedded as base64
 * (src/kernels/kmeans-binary.generated.ts, made by
 * `node scripts/build-kmeans-wasm.mjs`), instantiated synchronously on first
 * use, and nothing here imports from `node:`.
 *
 * Each call copies the data (and weights) into the module's memory and frees
 * everything before it returns, so repeated calls reuse the same memory. The
 * random draws stay on this thread, on the caller's {@link Random}, in the
 * order the TypeScript makes them.
 *
 * Each function returns null when the module cannot run (no WebAssembly SIMD,
 * more data than its 4 GiB memory holds); the caller then takes its
 * TypeScript path.
 */
import { runLloyd, scatterSlot, type LloydOutputs, type LloydResult } from '../lloyd.js';
import type { Random } from '../random.js';
import type { Matrix } from '../types.js';
import { KMEANS_SIMD_BASE64 } from './kmeans-binary.generated.js';
import { decodeBase64 } from './base64.js';
import { CHUNK_ROWS } from './kernel.js';
import { wasmLloydChunks, type LloydExports } from './lloyd-wasm.js';
import { ModuleBlocks } from './module-chunks.js';
import { wasmSeedChunks, type SeedExports } from './seed-wasm.js';
import { runSeeding } from '../seeding.js';

/** The module's exports (see assembly/kmeans.ts). Pointers are byte offsets. */
interface KMeansExports extends LloydExports, SeedExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  alloc(bytes: number): number;
  free(ptr: number): void;
}

// The WebAssembly API, typed here because the library compiles without DOM or Node types.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  validate(bytes: Uint8Array): boolean;
}

/** One allocation holds at most this many bytes (the allocator's 1 GiB block limit, less its overhead). */
const MAX_BLOCK_BYTES = 2 ** 30 - 64;
/** What the module's memory can hold in all (4 GiB), less room for the allocator and small areas. */
const MAX_TOTAL_BYTES = 2 ** 32 - 2 ** 26;

/** undefined: not tried yet; null: unavailable here. */
let instance: KMeansExports | null | undefined;
/** Set by {@link setKmeansWasmEnabled}: false forces the TypeScript path. */
let enabled = true;

/** The module instance, made on first use; null where WebAssembly SIMD is missing. */
function module(): KMeansExports | null {
  if (!enabled) return null;
  if (instance !== undefined) return instance;
  instance = null;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined) return null;
    const bytes = decodeBase64(KMEANS_SIMD_BASE64);
    if (!api.validate(bytes)) return null;
    const made = new api.Instance(new api.Module(bytes), {
      env: {
        abort(): never {
          throw new Error('the WebAssembly k-means module aborted (out of memory)');
        },
      },
    });
    instance = made.exports as KMeansExports;
  } catch {
    instance = null;
  }
  return instance;
}

/** Whether k-means runs in WebAssembly here (SIMD validates and the module instantiates). */
export function kmeansWasmAvailable(): boolean {
  return module() !== null;
}

/** Bytes of the module's memory now (0 before first use or without the module); for tests of reuse. */
export function kmeansWasmMemoryBytes(): number {
  return instance ? instance.memory.buffer.byteLength : 0;
}

/**
 * Turns the WebAssembly path off (false: every k-means runs the TypeScript)
 * or back on; for tests and comparisons. Returns the previous setting.
 */
export function setKmeansWasmEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Blocks allocated in the module for one call, freed together. */
class Arena extends ModuleBlocks {
  readonly #wasm: KMeansExports;

  constructor(wasm: KMeansExports) {
    super(wasm);
    this.#wasm = wasm;
  }

  /** A block holding a copy of `values`. */
  copy(values: Float64Array): number {
    const ptr = this.alloc(8 * values.length);
    new Float64Array(this.#wasm.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }
}

/**
 * Runs `body` with an arena of the module, when `bytes` fit; frees the arena
 * after. A failure inside the module (out of memory) drops the instance, so
 * the next call starts a fresh one, and gives null.
 */
function withArena<T>(bytes: number, largest: number, body: (wasm: KMeansExports, arena: Arena) => T): T | null {
  const wasm = module();
  if (wasm === null || largest > MAX_BLOCK_BYTES || bytes > MAX_TOTAL_BYTES) return null;
  const arena = new Arena(wasm);
  try {
    const result = body(wasm, arena);
    arena.release();
    return result;
  } catch {
    instance = undefined;
    return null;
  }
}

/**
 * src/kmeans.ts `kmeansPlusPlus`, on a copy of the data in the module; null
 * when it cannot run. The draws are src/seeding.ts `runSeeding`, on the
 * caller's Random; the per-chunk work runs in the module.
 */
export function kmeansPlusPlusWasm(matrix: Matrix, weights: Float64Array | null, k: number, rng: Random): Float64Array | null {
  const { rows: n, cols: d, data: x } = matrix;
  const trials = 2 + Math.floor(Math.log(k));
  const tp = trials + (trials & 1);
  const bytes = 8 * (n * d + 3 * n + CHUNK_ROWS + (d + 1) * tp + 2 * trials * d);
  return withArena(bytes, 8 * n * d, (wasm, arena) => {
    const xp = arena.copy(x.length === n * d ? x : x.subarray(0, n * d));
    const wp = weights === null ? 0 : arena.copy(weights);
    const chunks = wasmSeedChunks(wasm, [{ x: xp, w: wp, rows: n }], d, trials);
    try {
      return runSeeding(chunks, { matrix, weights }, k, rng);
    } finally {
      chunks.release();
    }
  });
}

/**
 * src/kmeans.ts `lloyd`, on a copy of the data in the module (centers updated
 * in place); null when it cannot run. The iterations are src/lloyd.ts
 * `runLloyd`; the per-chunk work runs in the module.
 */
export function lloydWasm(
  matrix: Matrix,
  weights: Float64Array | null,
  centers: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
  outputs: LloydOutputs = 'clusters',
): LloydResult | null {
  const { rows: n, cols: d, data: x } = matrix;
  const kp = k + (k & 1);
  const scatterBytes = outputs === 'full' || outputs === 'diag' ? 8 * (scatterSlot(k, d, outputs === 'full') + d + 4) : 0;
  const bytes = 8 * (n * d + 3 * n + CHUNK_ROWS + 2 * k * d + d * kp + 4 * k) + 4 * (n + CHUNK_ROWS) + scatterBytes;
  // On a copy of the centres: if the module fails half-way, the caller's fallback starts from the given ones.
  const work = Float64Array.from(centers);
  const result = withArena(bytes, 8 * n * d, (wasm, arena) => {
    const xp = arena.copy(x.length === n * d ? x : x.subarray(0, n * d));
    const wp = weights === null ? 0 : arena.copy(weights);
    const chunks = wasmLloydChunks(wasm, [{ x: xp, w: wp, rows: n }], k, d);
    try {
      return runLloyd(chunks, { matrix, weights }, work, k, maxIterations, tolerance, outputs);
    } finally {
      chunks.release();
    }
  });
  if (result === null) return null;
  centers.set(work);
  return { ...result, centers };
}
