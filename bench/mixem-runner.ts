/**
 * Runs one mixem fit on a benchmark case in its own process (so its peak
 * memory is its own) and prints one JSON line (a RunRecord).
 *
 *   npx tsx bench/mixem-runner.ts DATA HEADER START full|diag fixed|defaults|squarem ITERATIONS [--kernel auto|wasm|parallel|reference]
 *
 * fixed: ITERATIONS EM iterations from the shared start, tolerance 0.
 * defaults: mixem's defaults (k-means start, tolerance 1e-3, at most 100 iterations, seed 0).
 * squarem: the defaults with `acceleration: 'squarem'` (each iteration a SQUAREM cycle).
 * The record counts the kernel's E-steps (`passes`): an EM iteration is one, a SQUAREM cycle three or four.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CHUNK_ROWS, fit, referenceKernel, type Kernel } from '../src/index.js';
import { collectGarbage, memoryMiB, readData, type BenchCovariance, type DataHeader, type RunMode, type RunRecord, type StartFile } from './common.js';

interface ChosenKernel {
  kernel: Kernel;
  name: string;
  threads: number;
  note?: string;
  close?: () => Promise<void>;
  /** The worker pool's matrices in its shared memory (node/parallel-kernel.ts `allocateMatrix`). */
  allocateMatrix?: (rows: number, cols: number) => { data: Float64Array };
}

/**
 * `auto`: what the command picks: the worker pool from 4 chunks of rows on
 * (node/parallel-kernel.ts), else the WebAssembly kernel when it loads, else
 * the reference kernel; `wasm` or `parallel` (node/parallel-kernel.ts,
 * one worker per core) fail when unavailable; `reference` is the plain
 * TypeScript kernel.
 */
async function chooseKernel(wanted: string, rows: number): Promise<ChosenKernel> {
  if (wanted === 'reference') return { kernel: referenceKernel, name: 'reference', threads: 1 };
  if (wanted === 'parallel' || (wanted === 'auto' && rows >= 4 * CHUNK_ROWS && availableParallelism() > 1)) {
    const path = '../node/parallel-kernel.js';
    const module = (await import(path)) as {
      createParallelKernel: (o: { threads?: number }) => Promise<
        Kernel & { threads: number; inner: string; close(): Promise<void>; allocateMatrix(rows: number, cols: number): { data: Float64Array } }
      >;
    };
    const kernel = await module.createParallelKernel({ threads: availableParallelism() });
    return {
      kernel,
      name: `parallel (${kernel.inner})`,
      threads: kernel.threads,
      close: () => kernel.close(),
      allocateMatrix: (rows, cols) => kernel.allocateMatrix(rows, cols),
    };
  }
  const path = '../src/kernels/wasm.js';
  try {
    const module = (await import(path)) as { createWasmKernelSync?: () => Kernel };
    if (typeof module.createWasmKernelSync !== 'function') throw new Error('src/kernels/wasm.ts has no createWasmKernelSync export');
    return { kernel: module.createWasmKernelSync(), name: 'wasm', threads: 1 };
  } catch (error) {
    if (wanted === 'wasm') throw error;
    const code = (error as { code?: string }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    return {
      kernel: referenceKernel,
      name: 'reference',
      threads: 1,
      note: missing ? 'no WebAssembly kernel (src/kernels/wasm.ts absent)' : `WebAssembly kernel unavailable: ${String(error).slice(0, 200)}`,
    };
  }
}

/** The kernel with a count of its E-steps (passes over the data); every other member is the kernel's own. */
function countingPasses(inner: Kernel): Kernel & { readonly passes: number } {
  let passes = 0;
  return new Proxy(inner as Kernel & { readonly passes: number }, {
    get(target, property) {
      if (property === 'passes') return passes;
      if (property === 'eStep') {
        return (...args: Parameters<Kernel['eStep']>) => {
          passes++;
          return target.eStep(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function main(argv: string[]): Promise<void> {
  const [dataPath, headerPath, startPath, covarianceArg, modeArg, iterationsArg] = argv;
  const kernelFlag = argv.indexOf('--kernel');
  const wanted = kernelFlag >= 0 ? argv[kernelFlag + 1] : 'auto';
  if (!iterationsArg || !['full', 'diag'].includes(covarianceArg) || !['fixed', 'defaults', 'squarem'].includes(modeArg)) {
    throw new Error('usage: mixem-runner.ts DATA HEADER START full|diag fixed|defaults|squarem ITERATIONS [--kernel auto|wasm|parallel|reference]');
  }
  const covariance = covarianceArg as BenchCovariance;
  const mode = modeArg as RunMode;
  const iterations = Number(iterationsArg);
  const header = JSON.parse(readFileSync(headerPath, 'utf8')) as DataHeader;
  const chosen = await chooseKernel(wanted, header.n);
  const { name, note, threads, close } = chosen;
  const kernel = countingPasses(chosen.kernel);
  const baseline = memoryMiB().rss;

  const start = JSON.parse(readFileSync(startPath, 'utf8')) as StartFile;
  // The worker pool reads rows in place from a matrix in its shared memory (as scikit-learn fits the array it is given without a copy).
  const data = readData(header, dataPath, chosen.allocateMatrix?.(header.n, header.d).data);
  const k = header.k;

  const options =
    mode === 'fixed'
      ? {
          components: k,
          covariance,
          start: {
            weights: start.weights,
            means: start.means,
            covariances: covariance === 'full' ? start.means.map(() => start.covariance) : start.means.map(() => start.variances),
          },
          tolerance: 0,
          maxIterations: iterations,
          regularization: 1e-6,
          kernel,
        }
      : { components: k, covariance, seed: 0, kernel, ...(mode === 'squarem' ? { acceleration: 'squarem' as const } : {}) };

  // Time stamps at the end of every iteration give the steady-state cost of
  // one iteration (iterations 2..T), free of setup and of the start's E-step.
  const stamps: bigint[] = [];
  const onIteration = () => {
    stamps.push(process.hrtime.bigint());
  };
  collectGarbage();
  const t0 = process.hrtime.bigint();
  const model = fit(data, { ...options, onIteration });
  const t1 = process.hrtime.bigint();
  const seconds = Number(t1 - t0) / 1e9;
  const iterationSeconds =
    stamps.length >= 2 ? Number(stamps[stamps.length - 1] - stamps[0]) / 1e9 / (stamps.length - 1) : seconds / Math.max(1, stamps.length);

  const record: RunRecord = {
    tool: 'mixem',
    case: header.id,
    covariance,
    mode,
    seconds,
    iterationSeconds,
    iterations: model.iterations,
    exactIterations: true,
    converged: model.converged,
    passes: kernel.passes,
    logLikelihood: model.logLikelihood!,
    baselineRssMiB: baseline,
    peakRssMiB: memoryMiB().peak,
    info: { kernel: name, ...(note ? { kernelNote: note } : {}), node: process.version, threads, warnings: model.warnings },
  };
  process.stdout.write(JSON.stringify(record) + '\n');
  await close?.();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
