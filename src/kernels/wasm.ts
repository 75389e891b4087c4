/**
 * The WebAssembly kernel: the E-step of assembly/estep.ts (AssemblyScript,
 * 128-bit SIMD), behind the same {@link Kernel} interface as the reference
 * kernel and checked by the same conformance suite. Browser-safe: the modules
 * are embedded as base64 (src/kernels/wasm-binary.generated.ts, made by
 * `node scripts/build-wasm.mjs`), and nothing here imports from `node:`.
 *
 * - `load` copies the data (and weights) into the module's linear memory once
 *   per fit; `release` frees them.
 * - `eStep` copies the small packed parameters in, then processes the rows in
 *   chunks of {@link CHUNK_ROWS}: each chunk's statistics are computed from
 *   zero (in blocks of BLOCK_ROWS, added in block order) and the chunks are
 *   added in chunk order. A pool of threads that keeps that order gets the
 *   same bits as one thread.
 * - The relaxed-SIMD build (fused multiply-add) is taken where the engine
 *   validates it, else the plain SIMD build. Results agree with the
 *   reference kernel within rounding, not bit for bit (in tests, within
 *   3e-14 of each output's scale, most within 1e-15), and the two builds may
 *   differ from each other in the last bits.
 * - `kmeansPlusPlus` and `lloyd` run k-means's seeding and Lloyd iterations
 *   on the loaded rows in place (assembly/seed-chunks.ts and
 *   assembly/lloyd-chunks.ts are compiled into the float64 module), with
 *   src/kmeans.ts's results bit for bit: the k-means start of a fit needs no
 *   second copy of the data.
 * - `precision: 'float32'` (opt-in) runs assembly/estep32.ts instead: the
 *   data are stored as f32 (half the bytes), each chunk in its own frame
 *   (centred on its column medians, scaled by powers of two), and the
 *   densities and the per-block sums are computed in single precision, four
 *   rows per vector; the log-likelihood, the weights and the statistics
 *   from each block's sums onwards stay in f64. About twice as fast; agrees
 *   with the reference kernel within about 1e-6 relative (docs/float32.md).
 *   Its chunks are summed like the float64 kernel's, so its results do not
 *   depend on how the rows are split into chunks either.
 *
 * Symbols: n rows, d features, k components; ld = d rounded up to even,
 * kp = k rounded up to even (the module's padded layouts, described in
 * assembly/estep.ts).
 */
import { MixemError, show } from '../errors.js';
import type { Matrix } from '../types.js';
import {
  CHUNK_ROWS,
  type EvaluationOutputs,
  type Kernel,
  type LoadedData,
  type PackedParameters,
  type SufficientStatistics,
} from './kernel.js';
import {
  WASM32_RELAXED_BASE64,
  WASM32_SHARED_RELAXED_BASE64,
  WASM32_SHARED_SIMD_BASE64,
  WASM32_SIMD_BASE64,
  WASM_RELAXED_BASE64,
  WASM_SHARED_RELAXED_BASE64,
  WASM_SHARED_SIMD_BASE64,
  WASM_SIMD_BASE64,
} from './wasm-binary.generated.js';
import { sharedBlocks, type SharedMemory } from './shared-blocks.js';
import { decodeBase64 } from './base64.js';
import { LLOYD_ROW_BYTES, wasmLloydChunks, type LloydExports } from './lloyd-wasm.js';
import type { ModuleRows } from './module-chunks.js';
import { wasmSeedChunks, type SeedExports } from './seed-wasm.js';
import { runSeeding, seedTrials, tsSeedChunks, type SeedChunks, type SeedChunksSource } from '../seeding.js';
import type { Random } from '../random.js';
import { plainLloyd, runLloyd, tsLloydChunks, type LloydChunks, type LloydChunksSource, type LloydOutputs, type LloydResult, type LloydRows } from '../lloyd.js';

/** Rows per chunk of `eStep` and `evaluate` (src/kernels/kernel.ts), exported here as before. */
export { CHUNK_ROWS };

/** Which build of the module runs: plain SIMD, or relaxed SIMD with fused multiply-add. */
export type WasmVariant = 'simd' | 'relaxed';

/**
 * The arithmetic of the E-step: `float64` (double precision throughout) or
 * `float32` (single-precision densities and per-block sums; see docs/float32.md).
 */
export type WasmPrecision = 'float64' | 'float32';

/** Options of {@link createWasmKernelSync} and {@link createWasmKernel}. */
export interface WasmKernelOptions {
  /** `auto` (default): relaxed where the engine supports it, else simd. */
  readonly variant?: 'auto' | WasmVariant;
  /**
   * `float64` (default): double precision, within about 1e-14 of the
   * reference kernel. `float32`: about twice as fast, within about 1e-6
   * (relative) for well-scaled data; see docs/float32.md.
   */
  readonly precision?: WasmPrecision;
  /**
   * A shared memory (src/kernels/shared-blocks.ts `createSharedMemory`) to
   * run in, with the other kernels of a worker pool: the kernel then takes
   * its blocks from this thread's regions of it, and reads rows that another
   * thread wrote there in place ({@link WasmKernel.loadInPlace}).
   */
  readonly memory?: SharedMemory;
}

/** The WebAssembly kernel, with what it runs on. */
export interface WasmKernel extends Kernel {
  /** The build in use. */
  readonly variant: WasmVariant;
  /** The arithmetic in use. */
  readonly precision: WasmPrecision;
  /**
   * The module's vectorised exp applied to every value (for tests of its
   * accuracy); the float32 kernel rounds the values to f32 first.
   */
  exp(values: Float64Array): Float64Array;
}

// The WebAssembly API, typed here because the library compiles without DOM or Node types.
interface WasmModuleObject {
  readonly __brand?: 'WebAssembly.Module';
}
interface WasmInstanceObject {
  readonly exports: unknown;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModuleObject;
  Instance: new (module: WasmModuleObject, imports: object) => WasmInstanceObject;
  compile(bytes: Uint8Array): Promise<WasmModuleObject>;
  instantiate(module: WasmModuleObject, imports: object): Promise<WasmInstanceObject>;
  validate(bytes: Uint8Array): boolean;
}

/** The module's exports (see assembly/estep.ts; the k-means ones are assembly/lloyd-chunks.ts). Pointers and sizes are byte offsets. */
interface EStepExports extends LloydExports, SeedExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  alloc(bytes: number): number;
  free(ptr: number): void;
  statsLength(full: number, k: number, d: number): number;
  paramsLength(full: number, k: number, d: number): number;
  scratchBytes(full: number, k: number, d: number): number;
  configure(full: number, k: number, d: number, params: number, scratch: number): void;
  expInPlace(ptr: number, count: number): void;
  clearStats(out: number): void;
  estep(x: number, w: number, rowStart: number, rowEnd: number, out: number): void;
  merge(dst: number, src: number): void;
  evaluate(x: number, rowStart: number, rowEnd: number, logDensity: number, labels: number, resp: number): void;
}

/** The float32 module's exports (see assembly/estep32.ts). Pointers and sizes are byte offsets. */
interface EStep32Exports {
  readonly memory: { readonly buffer: ArrayBuffer };
  alloc(bytes: number): number;
  free(ptr: number): void;
  statsLength(full: number, k: number, d: number): number;
  paramsLength(full: number, k: number, d: number): number;
  scratchBytes(full: number, k: number, d: number): number;
  configure(full: number, k: number, d: number, params: number, scratch: number): void;
  expInPlace(ptr: number, count: number): void;
  clearStats(out: number): void;
  estep(x: number, w: number, frame: number, rowStart: number, rowEnd: number, out: number): void;
  merge(dst: number, src: number): void;
  evaluate(x: number, frame: number, rowStart: number, rowEnd: number, logDensity: number, labels: number, resp: number): void;
}

/** One allocation holds at most this many bytes (the allocator's 1 GiB block limit, less its overhead). */
const MAX_BLOCK_BYTES = 2 ** 30 - 64;
/** f64 values before the counts in a stats buffer. */
const HEADER = 4;

function webAssembly(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) {
    throw new MixemError('invalid-option', 'the WebAssembly kernel needs WebAssembly, which this runtime lacks; use the default (reference) kernel');
  }
  return api;
}

/** A module: one precision, one build, its own memory or a shared one. */
type ModuleKey = `${WasmPrecision}-${WasmVariant}` | `${WasmPrecision}-${WasmVariant}-shared`;

const BASE64_SOURCES: Record<ModuleKey, string> = {
  'float64-simd': WASM_SIMD_BASE64,
  'float64-relaxed': WASM_RELAXED_BASE64,
  'float32-simd': WASM32_SIMD_BASE64,
  'float32-relaxed': WASM32_RELAXED_BASE64,
  'float64-simd-shared': WASM_SHARED_SIMD_BASE64,
  'float64-relaxed-shared': WASM_SHARED_RELAXED_BASE64,
  'float32-simd-shared': WASM32_SHARED_SIMD_BASE64,
  'float32-relaxed-shared': WASM32_SHARED_RELAXED_BASE64,
};

const bytesCache: Partial<Record<ModuleKey, Uint8Array>> = {};
const moduleCache: Partial<Record<ModuleKey, WasmModuleObject>> = {};

function moduleBytes(key: ModuleKey): Uint8Array {
  return (bytesCache[key] ??= decodeBase64(BASE64_SOURCES[key]));
}

/** The precision asked for, checked. */
function choosePrecision(options: WasmKernelOptions): WasmPrecision {
  const precision = options.precision ?? 'float64';
  if (precision !== 'float64' && precision !== 'float32') {
    throw new MixemError('invalid-option', `precision must be "float64" or "float32"; got ${show(precision)}`);
  }
  return precision;
}

/** The build to run: the requested one if the engine validates it, else (for `auto`) the best that validates. */
function chooseVariant(api: WasmApi, requested: 'auto' | WasmVariant, precision: WasmPrecision): WasmVariant {
  const candidates: WasmVariant[] = requested === 'auto' ? ['relaxed', 'simd'] : [requested];
  for (const variant of candidates) if (api.validate(moduleBytes(moduleKey(precision, variant)))) return variant;
  const feature = requested === 'relaxed' ? 'relaxed SIMD' : 'SIMD';
  throw new MixemError(
    'invalid-option',
    `the WebAssembly kernel needs WebAssembly ${feature}, which this runtime does not support; use the default (reference) kernel`,
  );
}

/** The imports: `env.abort`, called by the AssemblyScript runtime on an impossible allocation. */
function imports(memory: () => EStepExports['memory'] | null): object {
  return {
    env: {
      abort(message: number, _file: number, line: number, column: number): never {
        let text = 'unknown error';
        const mem = memory();
        if (mem !== null && message > 0) {
          // An AssemblyScript string: UTF-16 code units, preceded by its byte length.
          const length = new Uint32Array(mem.buffer, message - 4, 1)[0];
          text = String.fromCharCode(...new Uint16Array(mem.buffer, message, length >>> 1));
        }
        throw new Error(`the WebAssembly kernel aborted: ${text} (at ${line}:${column})`);
      },
    },
  };
}

/** The exports every module has: its memory and allocator. */
interface HeapExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  alloc(bytes: number): number;
  free(ptr: number): void;
}

/** A 32-bit module's memory at most: 4 GiB. */
const MEMORY_LIMIT_BYTES = 2 ** 32;

/** The largest block {@link Heap.prefault} allocates at once. */
const PREFAULT_BLOCK = 64 * 1024 * 1024;

/** Allocation and typed views over one module instance's memory. */
class Heap {
  readonly #wasm: HeapExports;
  #buffer: ArrayBuffer | null = null;
  #f64 = new Float64Array(0);
  #f32 = new Float32Array(0);
  #i32 = new Int32Array(0);

  constructor(wasm: HeapExports) {
    this.#wasm = wasm;
  }

  alloc(bytes: number, what: string): number {
    if (bytes > MAX_BLOCK_BYTES) {
      throw new MixemError(
        'invalid-data',
        `the ${what} need ${bytes} bytes, more than the WebAssembly kernel can hold in one block (${MAX_BLOCK_BYTES}); use the reference kernel, or fewer rows`,
      );
    }
    try {
      return this.#wasm.alloc(bytes);
    } catch (error) {
      throw new MixemError(
        'invalid-data',
        `the WebAssembly kernel could not allocate ${bytes} bytes for the ${what} (its memory is limited to 4 GiB, less what the engine allows); use the reference kernel, or fewer rows (${String(error)})`,
      );
    }
  }

  free(ptr: number): void {
    this.#wasm.free(ptr);
  }

  /**
   * Makes `bytes` of free memory resident: allocates them (in blocks of at
   * most PREFAULT_BLOCK bytes), writes zeros over them and frees them, so the
   * allocations that follow reuse pages already touched. A page's first
   * touch costs about 12 µs on this project's 2-core VM (3 ms per MB), which
   * the pool's workers then pay while the calling thread works. Does
   * nothing when the bytes cannot fit beside what the memory holds (the
   * load then says so), and stops quietly when the engine refuses to grow it.
   */
  prefault(bytes: number): void {
    if (!(bytes <= MEMORY_LIMIT_BYTES - this.#wasm.memory.buffer.byteLength)) return;
    const blocks: number[] = [];
    try {
      for (let left = bytes; left > 0; left -= PREFAULT_BLOCK) {
        const size = Math.min(left, PREFAULT_BLOCK);
        const ptr = this.#wasm.alloc(size);
        blocks.push(ptr);
        new Uint8Array(this.#wasm.memory.buffer, ptr, size).fill(0);
      }
    } catch {
      // Full: what was touched still helps, and the load says what does not fit.
    } finally {
      for (let b = blocks.length - 1; b >= 0; b--) this.#wasm.free(blocks[b]);
    }
  }

  /** Makes `slot` ([pointer, capacity in bytes]) hold at least `bytes` (reallocating; contents are not kept). */
  reserve(slot: [number, number], bytes: number, what: string): void {
    if (slot[1] >= bytes) return;
    if (slot[0] !== 0) this.#wasm.free(slot[0]);
    slot[0] = 0;
    slot[1] = 0;
    slot[0] = this.alloc(bytes, what);
    slot[1] = bytes;
  }

  /** Views over the module's memory, renewed after the memory grows. */
  f64(): Float64Array {
    this.#renew();
    return this.#f64;
  }

  f32(): Float32Array {
    this.#renew();
    return this.#f32;
  }

  i32(): Int32Array {
    this.#renew();
    return this.#i32;
  }

  #renew(): void {
    const buffer = this.#wasm.memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#f64 = new Float64Array(buffer);
      this.#f32 = new Float32Array(buffer);
      this.#i32 = new Int32Array(buffer);
    }
  }
}

/** What sizing the work areas needs from either module. */
interface WorkAreaSizes {
  paramsLength(full: number, k: number, d: number): number;
  statsLength(full: number, k: number, d: number): number;
  scratchBytes(full: number, k: number, d: number): number;
}

/**
 * Sizes a kernel's reusable buffers (parameters, work area, totals, partial
 * statistics) for K, D and the shape; returns the parameters' length in f64 values.
 */
function reserveWorkAreas(
  heap: Heap,
  sizes: WorkAreaSizes,
  [params, scratch, totals, partial]: [number, number][],
  full: number,
  k: number,
  d: number,
): number {
  const paramsLength = sizes.paramsLength(full, k, d);
  const statsBytes = 8 * sizes.statsLength(full, k, d);
  heap.reserve(params, 8 * paramsLength, 'parameters');
  heap.reserve(scratch, sizes.scratchBytes(full, k, d), 'work area');
  heap.reserve(totals, statsBytes, 'statistics');
  heap.reserve(partial, statsBytes, 'statistics');
  return paramsLength;
}

/**
 * Runs `body` on data a kernel loaded itself (`own`), or loads other data for
 * the call and releases it after.
 */
function withLoaded<L extends LoadedData & { x: number }, T>(
  kernel: { load(matrix: Matrix, weights: Float64Array | null): LoadedData; release(data: LoadedData): void },
  data: LoadedData,
  own: L | null,
  body: (h: L) => T,
): T {
  if (own !== null) {
    if (own.x === 0) throw new Error('the WebAssembly kernel was given data it has already released; load it again');
    return body(own);
  }
  const h = kernel.load(data.matrix, data.weights) as L;
  try {
    return body(h);
  } finally {
    kernel.release(h);
  }
}

/** What `make` gives, or, when it throws (the module's memory is full), what `fallback` gives. */
function orElse<T>(make: () => T, fallback: () => T): T {
  try {
    return make();
  } catch {
    return fallback();
  }
}

/** Data loaded into one kernel's memory. */
class WasmLoadedData implements LoadedData {
  /** Byte offset of the copied data, or 0 once released. */
  x: number;
  /** Byte offset of the copied weights, or 0 for none. */
  w: number;
  constructor(
    readonly matrix: Matrix,
    readonly weights: Float64Array | null,
    readonly owner: WasmKernelImplementation,
    x: number,
    w: number,
    /** Whether the kernel allocated x and w (false: rows read in place, `loadInPlace`). */
    readonly owned: boolean = true,
  ) {
    this.x = x;
    this.w = w;
  }
}

/** The kernel over one module instance. Not reentrant (nothing in JavaScript calls it reentrantly). */
class WasmKernelImplementation implements WasmKernel, LloydChunksSource, SeedChunksSource {
  readonly variant: WasmVariant;
  readonly precision = 'float64' as const;
  readonly #wasm: EStepExports;
  readonly #heap: Heap;
  // Buffers reused across calls: [pointer, capacity in bytes].
  #params: [number, number] = [0, 0];
  #scratch: [number, number] = [0, 0];
  #totals: [number, number] = [0, 0];
  #partial: [number, number] = [0, 0];
  #outputs: [number, number] = [0, 0];

  /** Whether the memory is shared: rows are then read in place (`loadInPlace`), not copied. */
  readonly #shared: boolean;

  constructor(wasm: EStepExports, variant: WasmVariant, shared: boolean) {
    this.#wasm = wasm;
    this.#heap = new Heap(wasm);
    this.variant = variant;
    this.#shared = shared;
    if (shared) this.loadInPlace = this.#loadInPlace;
  }

  loadInPlace?: (matrix: Matrix, weights: Float64Array | null, x: number, w: number) => LoadedData;

  #loadInPlace(matrix: Matrix, weights: Float64Array | null, x: number, w: number): LoadedData {
    return new WasmLoadedData(matrix, weights, this, x, w, false);
  }

  /**
   * Room for the rows (and their Lloyd state, which outweighs seeding's), per
   * chunk as the pool loads them; in a shared memory the rows are read in
   * place, so only for the Lloyd state. That state only when Lloyd keeps it
   * for every k (k ≥ 2): plain Lloyd keeps none (src/lloyd.ts `plainLloyd`).
   */
  reserve(rows: number, cols: number, weighted: boolean): void {
    const chunks = Math.ceil(rows / CHUNK_ROWS);
    const rowBytes = this.#shared ? 0 : 8 * cols + (weighted ? 8 : 0);
    const stateBytes = plainLloyd(2, cols) ? 0 : LLOYD_ROW_BYTES;
    this.#heap.prefault(rows * (rowBytes + stateBytes) + chunks * 256);
  }

  load(matrix: Matrix, weights: Float64Array | null): LoadedData {
    const values = matrix.rows * matrix.cols;
    // Two zeros after the data: vector reads of an odd-d row's last pair read one value past it.
    const x = this.#heap.alloc(8 * (values + 2), `${matrix.rows}×${matrix.cols} data`);
    let w = 0;
    try {
      if (weights !== null) w = this.#heap.alloc(8 * Math.max(1, matrix.rows), `${matrix.rows} weights`);
    } catch (error) {
      this.#wasm.free(x);
      throw error;
    }
    const view = this.#heap.f64();
    view.set(matrix.data.subarray(0, values), x / 8);
    view[x / 8 + values] = 0;
    view[x / 8 + values + 1] = 0;
    if (weights !== null) view.set(weights.subarray(0, matrix.rows), w / 8);
    return new WasmLoadedData(matrix, weights, this, x, w);
  }

  eStep(data: LoadedData, p: PackedParameters, s: SufficientStatistics): number {
    return this.#withLoaded(data, (h) => {
      const { k, d } = p;
      const full = runsFull(p);
      const n = h.matrix.rows;
      this.#configure(p);
      const wasm = this.#wasm;
      const totals = this.#totals[0];
      const partial = this.#partial[0];
      wasm.clearStats(totals);
      for (let start = 0; start < n; start += CHUNK_ROWS) {
        wasm.estep(h.x, h.w, start, Math.min(n, start + CHUNK_ROWS), partial);
        wasm.merge(totals, partial);
      }

      const v = this.#heap.f64();
      const ld = (d + 1) & ~1;
      const t = totals / 8;
      const countsAt = t + HEADER;
      const firstAt = countsAt + ((k + 1) & ~1);
      const secondAt = firstAt + k * ld;
      for (let m = 0; m < k; m++) {
        s.counts[m] = v[countsAt + m];
        for (let a = 0; a < d; a++) s.first[m * d + a] = v[firstAt + m * ld + a];
      }
      if (full && p.shape === 'diag') {
        // Small-d diagonal covariances ran the full path (see runsFull): the diagonals of its blocks.
        for (let m = 0; m < k; m++) for (let a = 0; a < d; a++) s.second[m * d + a] = v[secondAt + m * d * ld + a * ld + a];
      } else if (full) {
        // The module keeps lower triangles (rows of ld); mirror them, as the reference does.
        for (let m = 0; m < k; m++) {
          const so = m * d * d;
          const src = secondAt + m * d * ld;
          for (let a = 0; a < d; a++) {
            for (let b = 0; b <= a; b++) s.second[so + a * d + b] = v[src + a * ld + b];
          }
          for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) s.second[so + a * d + b] = s.second[so + b * d + a];
        }
      } else {
        for (let m = 0; m < k; m++) for (let a = 0; a < d; a++) s.second[m * d + a] = v[secondAt + m * ld + a];
      }
      s.logLikelihood = v[t];
      s.worstLogDensity = v[t + 1];
      s.worstRow = v[t + 2];
      return s.logLikelihood;
    });
  }

  evaluate(data: LoadedData, p: PackedParameters, out: EvaluationOutputs): void {
    this.#withLoaded(data, (h) => {
      const { k } = p;
      const n = h.matrix.rows;
      const { logDensity, labels, responsibilities } = out;
      if (!logDensity && !labels && !responsibilities) return;
      this.#configure(p);
      // Per-chunk output areas: log densities, labels, responsibilities.
      const chunk = Math.min(CHUNK_ROWS, Math.max(n, 1));
      this.#heap.reserve(this.#outputs, chunk * (8 + 8 + 8 * k), 'evaluation outputs');
      const base = this.#outputs[0];
      const densityAt = base;
      const labelsAt = base + 8 * chunk;
      const respAt = base + 16 * chunk;
      for (let start = 0; start < n; start += CHUNK_ROWS) {
        const end = Math.min(n, start + CHUNK_ROWS);
        const rows = end - start;
        this.#wasm.evaluate(h.x, start, end, logDensity ? densityAt : 0, labels ? labelsAt : 0, responsibilities ? respAt : 0);
        const v = this.#heap.f64();
        if (logDensity) logDensity.set(v.subarray(densityAt / 8, densityAt / 8 + rows), start);
        if (labels) labels.set(this.#heap.i32().subarray(labelsAt / 4, labelsAt / 4 + rows), start);
        if (responsibilities) responsibilities.set(v.subarray(respAt / 8, respAt / 8 + rows * k), start * k);
      }
    });
  }

  release(data: LoadedData): void {
    if (!(data instanceof WasmLoadedData) || data.owner !== this || data.x === 0) return;
    if (data.owned) {
      this.#wasm.free(data.x);
      if (data.w !== 0) this.#wasm.free(data.w);
    }
    data.x = 0;
    data.w = 0;
  }

  /**
   * Lloyd's per-chunk work (src/lloyd.ts) on data this kernel loaded, in
   * place: only the per-row labels and bounds are added to its memory.
   */
  lloydChunks(parts: readonly LloydRows[], k: number, d: number): LloydChunks {
    return wasmLloydChunks(this.#wasm, this.#moduleRows(parts), k, d);
  }

  /** Where data this kernel loaded lies in its memory. */
  #moduleRows(parts: readonly LloydRows[]): ModuleRows[] {
    return parts.map((part) => {
      if (!(part instanceof WasmLoadedData) || part.owner !== this || part.x === 0) {
        throw new Error('the WebAssembly kernel can cluster only data it has loaded and not released');
      }
      return { x: part.x, w: part.w, rows: part.matrix.rows };
    });
  }

  /** k-means++ seeding's per-chunk work (src/seeding.ts) on data this kernel loaded, in place. */
  seedChunks(parts: readonly LloydRows[], d: number, trials: number): SeedChunks {
    return wasmSeedChunks(this.#wasm, this.#moduleRows(parts), d, trials);
  }

  /** src/kmeans.ts `kmeansPlusPlus` (the same draws and bits) on the rows this kernel holds. */
  kmeansPlusPlus(data: LoadedData, k: number, rng: Random): Float64Array {
    return this.#withLoaded(data, (h) => {
      // The per-row state (16 bytes a row) may not fit where the data barely did: then the rows on this thread serve, with the same bits.
      const chunks = orElse(() => this.seedChunks([h], h.matrix.cols, seedTrials(k)), () => tsSeedChunks([h], h.matrix.cols));
      try {
        return runSeeding(chunks, h, k, rng);
      } finally {
        chunks.release();
      }
    });
  }

  /** src/kmeans.ts `lloyd` (the same bits) on the rows this kernel holds: no second copy of the data. */
  lloyd(data: LoadedData, centers: Float64Array, k: number, maxIterations: number, tolerance: number, outputs: LloydOutputs = 'clusters'): LloydResult {
    return this.#withLoaded(data, (h) => {
      // The per-row state (20 bytes a row) may not fit where the data barely did: then the rows on this thread serve, with the same bits.
      const chunks = orElse(() => this.lloydChunks([h], k, h.matrix.cols), () => tsLloydChunks([h], k, h.matrix.cols));
      try {
        return runLloyd(chunks, h, centers, k, maxIterations, tolerance, outputs);
      } finally {
        chunks.release();
      }
    });
  }

  exp(values: Float64Array): Float64Array {
    const ptr = this.#heap.alloc(8 * Math.max(1, values.length), 'exp values');
    try {
      this.#heap.f64().set(values, ptr / 8);
      this.#wasm.expInPlace(ptr, values.length);
      return this.#heap.f64().slice(ptr / 8, ptr / 8 + values.length);
    } finally {
      this.#wasm.free(ptr);
    }
  }

  /** Runs `body` on data loaded here; other data is loaded for the call and released after it. */
  #withLoaded<T>(data: LoadedData, body: (h: WasmLoadedData) => T): T {
    return withLoaded(this, data, data instanceof WasmLoadedData && data.owner === this ? data : null, body);
  }

  /** Copies the parameters into the module (padded layout) and sizes the work areas for them. */
  #configure(p: PackedParameters): void {
    const { k, d } = p;
    const full = runsFull(p) ? 1 : 0;
    const wasm = this.#wasm;
    const paramsLength = reserveWorkAreas(this.#heap, wasm, [this.#params, this.#scratch, this.#totals, this.#partial], full, k, d);

    const v = this.#heap.f64();
    const ld = (d + 1) & ~1;
    const at = this.#params[0] / 8;
    v.fill(0, at, at + paramsLength);
    for (let m = 0; m < k; m++) v[at + m] = p.logWeights[m] + p.logNormalizers[m];
    const meansAt = at + ((k + 1) & ~1);
    for (let m = 0; m < k; m++) for (let j = 0; j < d; j++) v[meansAt + m * ld + j] = p.means[m * d + j];
    const factorsAt = meansAt + k * ld;
    if (full && p.shape === 'diag') {
      // F_m = diag(1/σ_m): its diagonal; the zeros elsewhere come from the fill above.
      for (let m = 0; m < k; m++) for (let j = 0; j < d; j++) v[factorsAt + m * d * d + j * d + j] = p.factors[m * d + j];
    } else if (full) {
      for (let m = 0; m < k; m++) {
        const src = m * d * d;
        const dst = factorsAt + m * d * d;
        for (let j = 0; j < d; j++) for (let c = 0; c <= j; c++) v[dst + j * d + c] = p.factors[src + j * d + c];
      }
    } else {
      for (let m = 0; m < k; m++) for (let j = 0; j < d; j++) v[factorsAt + m * ld + j] = p.factors[m * d + j];
    }
    wasm.configure(full, k, d, this.#params[0], this.#scratch[0]);
  }
}

/**
 * Whether the float64 module runs the full-covariance path for `p`: for full
 * covariances, and for diagonal ones with d ≤ 4, whose factors are then
 * diagonal matrices. There the full path's unrolled code is as fast, and it
 * is a fraction of the diagonal path's size, which tiles features for large
 * d: the engine optimizes it in about 1 ms where the diagonal path took
 * 14 ms of a core (--trace-wasm-compilation-times), which a 1000-row fit
 * spends mostly waiting for. Its statistics are the same sums: a zero factor
 * adds an exact zero to y, and the diagonal of the second moments is what
 * the diagonal path adds.
 */
function runsFull(p: PackedParameters): boolean {
  return p.shape === 'full' || p.d <= 4;
}

/** f64 values of a chunk's frame: d centres, d scales, the weights' scale, and one of padding. */
function frameLength(d: number): number {
  return 2 * d + 2;
}

/** 2^⌊log₂ value⌋ for a finite value > 0 (a power of two at or just below it), kept between 2^−1000 and 2^1000. */
function powerOfTwoBelow(value: number): number {
  return 2 ** Math.min(1000, Math.max(-1000, Math.floor(Math.log2(value))));
}

/**
 * The frame of rows [start, end) of a row-major matrix with d columns, into
 * `frame` (frameLength(d) values): c, a median of each column (the finite
 * values of up to 257 rows at an even stride; 0 where there are none); s, a
 * power of two near each column's largest finite |x − c| (1 where that is
 * 0); and a power of two near the largest weight (1 without weights, or
 * when they are all 0). The median keeps c in the bulk of the data when a
 * few rows are far out. `sample` is scratch of at least 257 values.
 */
function chunkFrame(data: Float64Array, d: number, weights: Float64Array | null, start: number, end: number, frame: Float64Array, sample: Float64Array): void {
  frame.fill(0);
  const stride = Math.max(1, Math.floor((end - start) / 256));
  for (let j = 0; j < d; j++) {
    let count = 0;
    for (let i = start; i < end && count < sample.length; i += stride) {
      const v = data[i * d + j];
      if (Number.isFinite(v)) sample[count++] = v;
    }
    const sorted = sample.subarray(0, count).sort();
    frame[j] = count > 0 ? sorted[(count - 1) >> 1] : 0;
  }
  // The largest deviations, in frame[d + j] for now.
  for (let i = start; i < end; i++) {
    for (let j = 0; j < d; j++) {
      const deviation = Math.abs(data[i * d + j] - frame[j]);
      if (deviation < Infinity && deviation > frame[d + j]) frame[d + j] = deviation;
    }
  }
  for (let j = 0; j < d; j++) frame[d + j] = frame[d + j] > 0 ? powerOfTwoBelow(frame[d + j]) : 1;
  let largest = 0;
  if (weights !== null) for (let i = start; i < end; i++) if (weights[i] > largest && weights[i] < Infinity) largest = weights[i];
  frame[2 * d] = largest > 0 ? powerOfTwoBelow(largest) : 1;
}

/** Data loaded into a float32 kernel's memory. */
class Float32LoadedData implements LoadedData {
  /** Byte offset of the f32 data (quads of four rows, each chunk in its frame), or 0 once released. */
  x: number;
  /** Byte offset of the weights (f64), or 0 for none. */
  w: number;
  /** Byte offset of the chunks' frames (f64, frameLength(d) per chunk of CHUNK_ROWS rows; see chunkFrame), or 0 once released. */
  frames: number;
  constructor(
    readonly matrix: Matrix,
    readonly weights: Float64Array | null,
    readonly owner: Float32WasmKernel,
    x: number,
    w: number,
    frames: number,
  ) {
    this.x = x;
    this.w = w;
    this.frames = frames;
  }
}

/**
 * The float32 kernel over one module instance (assembly/estep32.ts). Not reentrant.
 *
 * `load` stores each chunk of CHUNK_ROWS rows as f32 in its own frame
 * (see chunkFrame), (x − c)/s with c a median of each column and s a power
 * of two near the column's largest |x − c|, in quads of four rows (the four
 * rows' values of a feature are adjacent), and keeps the frames; the module
 * rounds the parameters in the same frame and returns the statistics to
 * the data's units and means in f64. A frame depends only on its chunk's
 * rows, so a chunk loaded alone gives the same bits as inside all the data.
 */
class Float32WasmKernel implements WasmKernel {
  readonly variant: WasmVariant;
  readonly precision = 'float32' as const;
  readonly #wasm: EStep32Exports;
  readonly #heap: Heap;
  // Buffers reused across calls: [pointer, capacity in bytes].
  #params: [number, number] = [0, 0];
  #scratch: [number, number] = [0, 0];
  #totals: [number, number] = [0, 0];
  #partial: [number, number] = [0, 0];
  #outputs: [number, number] = [0, 0];

  constructor(wasm: EStep32Exports, variant: WasmVariant) {
    this.#wasm = wasm;
    this.#heap = new Heap(wasm);
    this.variant = variant;
  }

  /** Room for the f32 rows, their weights and frames, per chunk as the pool loads them (k-means does not run here). */
  reserve(rows: number, cols: number, weighted: boolean): void {
    const chunks = Math.ceil(rows / CHUNK_ROWS);
    this.#heap.prefault(rows * (4 * cols + (weighted ? 8 : 0)) + chunks * (8 * frameLength(cols) + 256));
  }

  load(matrix: Matrix, weights: Float64Array | null): LoadedData {
    const { rows: n, cols: d, data } = matrix;
    const quads = Math.ceil(n / 4);
    const chunks = Math.ceil(n / CHUNK_ROWS);
    const heap = this.#heap;
    const allocated: number[] = [];
    try {
      const x = heap.alloc(Math.max(16, 16 * quads * d), `${n}×${d} data`);
      allocated.push(x);
      const frames = heap.alloc(8 * Math.max(1, chunks * frameLength(d)), 'frames');
      allocated.push(frames);
      let w = 0;
      if (weights !== null) {
        w = heap.alloc(8 * Math.max(1, n), `${n} weights`);
        allocated.push(w);
        heap.f64().set(weights.subarray(0, n), w / 8);
      }
      const f32 = heap.f32();
      const f64 = heap.f64();
      const frame = new Float64Array(frameLength(d));
      const sample = new Float64Array(257);
      const inverse = new Float64Array(d);
      for (let chunk = 0; chunk < chunks; chunk++) {
        const start = chunk * CHUNK_ROWS;
        const end = Math.min(n, start + CHUNK_ROWS);
        chunkFrame(data, d, weights, start, end, frame, sample);
        f64.set(frame, frames / 8 + frameLength(d) * chunk);
        for (let j = 0; j < d; j++) inverse[j] = 1 / frame[d + j]; // exact: powers of two
        for (let i = start; i < end; i++) {
          const base = x / 4 + 4 * d * (i >> 2) + (i & 3);
          for (let j = 0; j < d; j++) f32[base + 4 * j] = (data[i * d + j] - frame[j]) * inverse[j];
        }
      }
      // The missing rows of the last quad are zeros.
      for (let i = n; i < 4 * quads; i++) {
        const base = x / 4 + 4 * d * (i >> 2) + (i & 3);
        for (let j = 0; j < d; j++) f32[base + 4 * j] = 0;
      }
      return new Float32LoadedData(matrix, weights, this, x, w, frames);
    } catch (error) {
      for (const ptr of allocated) heap.free(ptr);
      throw error;
    }
  }

  eStep(data: LoadedData, p: PackedParameters, s: SufficientStatistics): number {
    return this.#withLoaded(data, (h) => {
      const { k, d } = p;
      const n = h.matrix.rows;
      this.#configure(p);
      const wasm = this.#wasm;
      const totals = this.#totals[0];
      const partial = this.#partial[0];
      wasm.clearStats(totals);
      for (let c = 0, start = 0; start < n; c++, start += CHUNK_ROWS) {
        wasm.estep(h.x, h.w, h.frames + 8 * frameLength(d) * c, start, Math.min(n, start + CHUNK_ROWS), partial);
        wasm.merge(totals, partial);
      }

      const v = this.#heap.f64();
      const t = totals / 8;
      const countsAt = t + HEADER;
      const firstAt = countsAt + k;
      const secondAt = firstAt + k * d;
      s.counts.set(v.subarray(countsAt, countsAt + k));
      s.first.set(v.subarray(firstAt, firstAt + k * d));
      if (p.shape === 'full') {
        // The module fills lower triangles; mirror them, as the reference does.
        for (let m = 0; m < k; m++) {
          const so = m * d * d;
          for (let a = 0; a < d; a++) {
            for (let b = 0; b <= a; b++) s.second[so + a * d + b] = v[secondAt + so + a * d + b];
          }
          for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) s.second[so + a * d + b] = s.second[so + b * d + a];
        }
      } else {
        s.second.set(v.subarray(secondAt, secondAt + k * d));
      }
      s.logLikelihood = v[t];
      s.worstLogDensity = v[t + 1];
      s.worstRow = v[t + 2];
      return s.logLikelihood;
    });
  }

  evaluate(data: LoadedData, p: PackedParameters, out: EvaluationOutputs): void {
    this.#withLoaded(data, (h) => {
      const { k, d } = p;
      const n = h.matrix.rows;
      const { logDensity, labels, responsibilities } = out;
      if (!logDensity && !labels && !responsibilities) return;
      this.#configure(p);
      // Per-chunk output areas: log densities, labels, responsibilities.
      const chunk = Math.min(CHUNK_ROWS, Math.max(n, 1));
      this.#heap.reserve(this.#outputs, chunk * (8 + 8 + 8 * k), 'evaluation outputs');
      const base = this.#outputs[0];
      const densityAt = base;
      const labelsAt = base + 8 * chunk;
      const respAt = base + 16 * chunk;
      for (let c = 0, start = 0; start < n; c++, start += CHUNK_ROWS) {
        const end = Math.min(n, start + CHUNK_ROWS);
        const rows = end - start;
        this.#wasm.evaluate(
          h.x,
          h.frames + 8 * frameLength(d) * c,
          start,
          end,
          logDensity ? densityAt : 0,
          labels ? labelsAt : 0,
          responsibilities ? respAt : 0,
        );
        const v = this.#heap.f64();
        if (logDensity) logDensity.set(v.subarray(densityAt / 8, densityAt / 8 + rows), start);
        if (labels) labels.set(this.#heap.i32().subarray(labelsAt / 4, labelsAt / 4 + rows), start);
        if (responsibilities) responsibilities.set(v.subarray(respAt / 8, respAt / 8 + rows * k), start * k);
      }
    });
  }

  release(data: LoadedData): void {
    if (!(data instanceof Float32LoadedData) || data.owner !== this || data.x === 0) return;
    this.#wasm.free(data.x);
    this.#wasm.free(data.frames);
    if (data.w !== 0) this.#wasm.free(data.w);
    data.x = 0;
    data.w = 0;
    data.frames = 0;
  }

  exp(values: Float64Array): Float64Array {
    const count = values.length;
    const padded = 4 * Math.ceil(count / 4);
    const ptr = this.#heap.alloc(4 * Math.max(4, padded), 'exp values');
    try {
      const f32 = this.#heap.f32();
      f32.set(values, ptr / 4);
      f32.fill(0, ptr / 4 + count, ptr / 4 + padded);
      this.#wasm.expInPlace(ptr, count);
      return Float64Array.from(this.#heap.f32().subarray(ptr / 4, ptr / 4 + count));
    } finally {
      this.#wasm.free(ptr);
    }
  }

  /** Runs `body` on data loaded here; other data is loaded for the call and released after it. */
  #withLoaded<T>(data: LoadedData, body: (h: Float32LoadedData) => T): T {
    return withLoaded(this, data, data instanceof Float32LoadedData && data.owner === this ? data : null, body);
  }

  /** Copies the parameters into the module (f64, unpadded; it rounds them) and sizes the work areas for them. */
  #configure(p: PackedParameters): void {
    const { k, d } = p;
    const full = p.shape === 'full' ? 1 : 0;
    const wasm = this.#wasm;
    const paramsLength = reserveWorkAreas(this.#heap, wasm, [this.#params, this.#scratch, this.#totals, this.#partial], full, k, d);

    const v = this.#heap.f64();
    const at = this.#params[0] / 8;
    for (let m = 0; m < k; m++) v[at + m] = p.logWeights[m] + p.logNormalizers[m];
    v.set(p.means.subarray(0, k * d), at + k);
    v.set(p.factors.subarray(0, full ? k * d * d : k * d), at + k + k * d);
    wasm.configure(full, k, d, this.#params[0], this.#scratch[0]);
  }
}

/**
 * The imports and a late-bound view of the exports, for instantiation. In a
 * shared memory the module imports it, and its blocks come from this
 * thread's regions of it (src/kernels/shared-blocks.ts).
 */
function instantiation(memory: SharedMemory | undefined): { imports: object; bind(instance: WasmInstanceObject): unknown } {
  let exports: HeapExports | null = null;
  const own = imports(() => exports?.memory ?? null) as { env: object };
  if (memory !== undefined) {
    const blocks = sharedBlocks(memory);
    own.env = {
      ...own.env,
      memory,
      hostAlloc: (bytes: number) => blocks.alloc(bytes),
      hostFree: (ptr: number) => blocks.free(ptr),
    };
  }
  return {
    imports: own,
    bind(instance: WasmInstanceObject) {
      exports = instance.exports as HeapExports;
      return exports;
    },
  };
}

function makeKernel(exports: unknown, precision: WasmPrecision, variant: WasmVariant, shared: boolean): WasmKernel {
  return precision === 'float32'
    ? new Float32WasmKernel(exports as EStep32Exports, variant)
    : new WasmKernelImplementation(exports as EStepExports, variant, shared);
}

function moduleKey(precision: WasmPrecision, variant: WasmVariant, shared = false): ModuleKey {
  return `${precision}-${variant === 'relaxed' ? 'relaxed' : 'simd'}${shared ? '-shared' : ''}`;
}

function instantiateSync(api: WasmApi, precision: WasmPrecision, variant: WasmVariant, memory: SharedMemory | undefined): WasmKernel {
  const key = moduleKey(precision, variant, memory !== undefined);
  const module = (moduleCache[key] ??= new api.Module(moduleBytes(key)));
  const { imports, bind } = instantiation(memory);
  return makeKernel(bind(new api.Instance(module, imports)), precision, variant, memory !== undefined);
}

/**
 * The WebAssembly kernel, compiled and instantiated synchronously: for Node,
 * workers, and small modules on browser main threads (ours is about 16 kB;
 * some browsers refuse synchronous compilation of larger ones there — use
 * {@link createWasmKernel}). Each call gives a kernel with its own memory.
 * `{ precision: 'float32' }` gives the opt-in single-precision kernel
 * (about twice as fast; accuracy in docs/float32.md).
 *
 * @throws MixemError `invalid-option` when the runtime lacks WebAssembly SIMD
 *   (callers fall back to the reference kernel), or for an unknown precision.
 * @example
 * ```ts
 * const model = fit(data, { components: 3, kernel: createWasmKernelSync() });
 * const fast = fit(data, { components: 3, kernel: createWasmKernelSync({ precision: 'float32' }) });
 * ```
 */
export function createWasmKernelSync(options: WasmKernelOptions = {}): WasmKernel {
  const api = webAssembly();
  const precision = choosePrecision(options);
  return instantiateSync(api, precision, chooseVariant(api, options.variant ?? 'auto', precision), options.memory);
}

/**
 * The WebAssembly kernel, compiled asynchronously (`WebAssembly.compile`):
 * the way for browser main threads. Takes the same options as
 * {@link createWasmKernelSync}.
 *
 * @throws MixemError `invalid-option` (as a rejection) when the runtime lacks WebAssembly SIMD.
 * @example
 * ```ts
 * const kernel = await createWasmKernel().catch(() => referenceKernel);
 * ```
 */
export async function createWasmKernel(options: WasmKernelOptions = {}): Promise<WasmKernel> {
  const api = webAssembly();
  const precision = choosePrecision(options);
  const variant = chooseVariant(api, options.variant ?? 'auto', precision);
  const shared = options.memory !== undefined;
  const key = moduleKey(precision, variant, shared);
  const module = (moduleCache[key] ??= await api.compile(moduleBytes(key)));
  const { imports, bind } = instantiation(options.memory);
  return makeKernel(bind(await api.instantiate(module, imports)), precision, variant, shared);
}
