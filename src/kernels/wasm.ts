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
 *
 * Symbols: n rows, d features, k components; ld = d rounded up to even,
 * kp = k rounded up to even (the module's padded layouts, described in
 * assembly/estep.ts).
 */
import { MixemError } from '../errors.js';
import type { Matrix } from '../types.js';
import {
  BLOCK_ROWS,
  type EvaluationOutputs,
  type Kernel,
  type LoadedData,
  type PackedParameters,
  type SufficientStatistics,
} from './kernel.js';
import { WASM_RELAXED_BASE64, WASM_SIMD_BASE64 } from './wasm-binary.generated.js';

/** Rows per chunk of `eStep` and `evaluate`: the unit a thread pool would hand out (16 blocks). */
export const CHUNK_ROWS = 16 * BLOCK_ROWS;

/** Which build of the module runs: plain SIMD, or relaxed SIMD with fused multiply-add. */
export type WasmVariant = 'simd' | 'relaxed';

/** Options of {@link createWasmKernelSync} and {@link createWasmKernel}. */
export interface WasmKernelOptions {
  /** `auto` (default): relaxed where the engine supports it, else simd. */
  readonly variant?: 'auto' | WasmVariant;
}

/** The WebAssembly kernel, with what it runs on. */
export interface WasmKernel extends Kernel {
  /** The build in use. */
  readonly variant: WasmVariant;
  /** The module's vectorised exp applied to every value (for tests of its accuracy). */
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

/** The module's exports (see assembly/estep.ts). Pointers and sizes are byte offsets. */
interface EStepExports {
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

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes standard base64 (no whitespace); independent of atob and Buffer. */
function decodeBase64(text: string): Uint8Array {
  const lookup = new Uint8Array(128);
  for (let i = 0; i < BASE64.length; i++) lookup[BASE64.charCodeAt(i)] = i;
  let end = text.length;
  while (end > 0 && text[end - 1] === '=') end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    bits = (bits << 6) | lookup[text.charCodeAt(i)];
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >> count) & 0xff;
    }
  }
  return out;
}

const bytesCache: Partial<Record<WasmVariant, Uint8Array>> = {};
const moduleCache: Partial<Record<WasmVariant, WasmModuleObject>> = {};

function moduleBytes(variant: WasmVariant): Uint8Array {
  return (bytesCache[variant] ??= decodeBase64(variant === 'relaxed' ? WASM_RELAXED_BASE64 : WASM_SIMD_BASE64));
}

/** The build to run: the requested one if the engine validates it, else (for `auto`) the best that validates. */
function chooseVariant(api: WasmApi, requested: 'auto' | WasmVariant): WasmVariant {
  const candidates: WasmVariant[] = requested === 'auto' ? ['relaxed', 'simd'] : [requested];
  for (const variant of candidates) if (api.validate(moduleBytes(variant))) return variant;
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
  ) {
    this.x = x;
    this.w = w;
  }
}

/** The kernel over one module instance. Not reentrant (nothing in JavaScript calls it reentrantly). */
class WasmKernelImplementation implements WasmKernel {
  readonly variant: WasmVariant;
  readonly #wasm: EStepExports;
  #buffer: ArrayBuffer | null = null;
  #f64 = new Float64Array(0);
  #i32 = new Int32Array(0);
  // Buffers reused across calls: [pointer, capacity in bytes].
  #params: [number, number] = [0, 0];
  #scratch: [number, number] = [0, 0];
  #totals: [number, number] = [0, 0];
  #partial: [number, number] = [0, 0];
  #outputs: [number, number] = [0, 0];

  constructor(wasm: EStepExports, variant: WasmVariant) {
    this.#wasm = wasm;
    this.variant = variant;
  }

  load(matrix: Matrix, weights: Float64Array | null): LoadedData {
    const values = matrix.rows * matrix.cols;
    // Two zeros after the data: vector reads of an odd-d row's last pair read one value past it.
    const x = this.#alloc(8 * (values + 2), `${matrix.rows}×${matrix.cols} data`);
    let w = 0;
    try {
      if (weights !== null) w = this.#alloc(8 * Math.max(1, matrix.rows), `${matrix.rows} weights`);
    } catch (error) {
      this.#wasm.free(x);
      throw error;
    }
    const view = this.#view();
    view.set(matrix.data.subarray(0, values), x / 8);
    view[x / 8 + values] = 0;
    view[x / 8 + values + 1] = 0;
    if (weights !== null) view.set(weights.subarray(0, matrix.rows), w / 8);
    return new WasmLoadedData(matrix, weights, this, x, w);
  }

  eStep(data: LoadedData, p: PackedParameters, s: SufficientStatistics): number {
    return this.#withLoaded(data, (h) => {
      const { k, d } = p;
      const full = p.shape === 'full';
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

      const v = this.#view();
      const ld = (d + 1) & ~1;
      const t = totals / 8;
      const countsAt = t + HEADER;
      const firstAt = countsAt + ((k + 1) & ~1);
      const secondAt = firstAt + k * ld;
      for (let m = 0; m < k; m++) {
        s.counts[m] = v[countsAt + m];
        for (let a = 0; a < d; a++) s.first[m * d + a] = v[firstAt + m * ld + a];
      }
      if (full) {
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
      this.#reserve(this.#outputs, chunk * (8 + 8 + 8 * k), 'evaluation outputs');
      const base = this.#outputs[0];
      const densityAt = base;
      const labelsAt = base + 8 * chunk;
      const respAt = base + 16 * chunk;
      for (let start = 0; start < n; start += CHUNK_ROWS) {
        const end = Math.min(n, start + CHUNK_ROWS);
        const rows = end - start;
        this.#wasm.evaluate(h.x, start, end, logDensity ? densityAt : 0, labels ? labelsAt : 0, responsibilities ? respAt : 0);
        const v = this.#view();
        if (logDensity) logDensity.set(v.subarray(densityAt / 8, densityAt / 8 + rows), start);
        if (labels) labels.set(this.#i32.subarray(labelsAt / 4, labelsAt / 4 + rows), start);
        if (responsibilities) responsibilities.set(v.subarray(respAt / 8, respAt / 8 + rows * k), start * k);
      }
    });
  }

  release(data: LoadedData): void {
    if (!(data instanceof WasmLoadedData) || data.owner !== this || data.x === 0) return;
    this.#wasm.free(data.x);
    if (data.w !== 0) this.#wasm.free(data.w);
    data.x = 0;
    data.w = 0;
  }

  exp(values: Float64Array): Float64Array {
    const ptr = this.#alloc(8 * Math.max(1, values.length), 'exp values');
    try {
      this.#view().set(values, ptr / 8);
      this.#wasm.expInPlace(ptr, values.length);
      return this.#view().slice(ptr / 8, ptr / 8 + values.length);
    } finally {
      this.#wasm.free(ptr);
    }
  }

  /** Runs `body` on data loaded here; other data is loaded for the call and released after it. */
  #withLoaded<T>(data: LoadedData, body: (h: WasmLoadedData) => T): T {
    if (data instanceof WasmLoadedData && data.owner === this) {
      if (data.x === 0) throw new Error('the WebAssembly kernel was given data it has already released; load it again');
      return body(data);
    }
    const h = this.load(data.matrix, data.weights) as WasmLoadedData;
    try {
      return body(h);
    } finally {
      this.release(h);
    }
  }

  /** Copies the parameters into the module (padded layout) and sizes the work areas for them. */
  #configure(p: PackedParameters): void {
    const { k, d } = p;
    const full = p.shape === 'full' ? 1 : 0;
    const wasm = this.#wasm;
    const paramsLength = wasm.paramsLength(full, k, d);
    const statsBytes = 8 * wasm.statsLength(full, k, d);
    this.#reserve(this.#params, 8 * paramsLength, 'parameters');
    this.#reserve(this.#scratch, wasm.scratchBytes(full, k, d), 'work area');
    this.#reserve(this.#totals, statsBytes, 'statistics');
    this.#reserve(this.#partial, statsBytes, 'statistics');

    const v = this.#view();
    const ld = (d + 1) & ~1;
    const at = this.#params[0] / 8;
    v.fill(0, at, at + paramsLength);
    for (let m = 0; m < k; m++) v[at + m] = p.logWeights[m] + p.logNormalizers[m];
    const meansAt = at + ((k + 1) & ~1);
    for (let m = 0; m < k; m++) for (let j = 0; j < d; j++) v[meansAt + m * ld + j] = p.means[m * d + j];
    const factorsAt = meansAt + k * ld;
    if (full) {
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

  /** Makes `slot` hold at least `bytes` (reallocating; contents are not kept). */
  #reserve(slot: [number, number], bytes: number, what: string): void {
    if (slot[1] >= bytes) return;
    if (slot[0] !== 0) this.#wasm.free(slot[0]);
    slot[0] = 0;
    slot[1] = 0;
    slot[0] = this.#alloc(bytes, what);
    slot[1] = bytes;
  }

  #alloc(bytes: number, what: string): number {
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

  /** A Float64Array over the module's memory, renewed after the memory grows. */
  #view(): Float64Array {
    const buffer = this.#wasm.memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#f64 = new Float64Array(buffer);
      this.#i32 = new Int32Array(buffer);
    }
    return this.#f64;
  }
}

function instantiateSync(api: WasmApi, variant: WasmVariant): WasmKernel {
  const module = (moduleCache[variant] ??= new api.Module(moduleBytes(variant)));
  let exports: EStepExports | null = null;
  const instance = new api.Instance(module, imports(() => exports?.memory ?? null));
  exports = instance.exports as EStepExports;
  return new WasmKernelImplementation(exports, variant);
}

/**
 * The WebAssembly kernel, compiled and instantiated synchronously: for Node,
 * workers, and small modules on browser main threads (ours is about 16 kB;
 * some browsers refuse synchronous compilation of larger ones there — use
 * {@link createWasmKernel}). Each call gives a kernel with its own memory.
 *
 * @throws MixemError `invalid-option` when the runtime lacks WebAssembly SIMD
 *   (callers fall back to the reference kernel).
 * @example
 * ```ts
 * const model = fit(data, { components: 3, kernel: createWasmKernelSync() });
 * ```
 */
export function createWasmKernelSync(options: WasmKernelOptions = {}): WasmKernel {
  const api = webAssembly();
  return instantiateSync(api, chooseVariant(api, options.variant ?? 'auto'));
}

/**
 * The WebAssembly kernel, compiled asynchronously (`WebAssembly.compile`):
 * the way for browser main threads.
 *
 * @throws MixemError `invalid-option` (as a rejection) when the runtime lacks WebAssembly SIMD.
 * @example
 * ```ts
 * const kernel = await createWasmKernel().catch(() => referenceKernel);
 * ```
 */
export async function createWasmKernel(options: WasmKernelOptions = {}): Promise<WasmKernel> {
  const api = webAssembly();
  const variant = chooseVariant(api, options.variant ?? 'auto');
  const module = (moduleCache[variant] ??= await api.compile(moduleBytes(variant)));
  let exports: EStepExports | null = null;
  const instance = await api.instantiate(module, imports(() => exports?.memory ?? null));
  exports = instance.exports as EStepExports;
  return new WasmKernelImplementation(exports, variant);
}
