/**
 * E-step speed of the kernels: nanoseconds per (row, component) of one
 * `eStep`, single thread, on random data and parameters: the fastest of
 * repeated runs (the least disturbed by other work on the machine). Not a
 * test: timings depend on the machine. Run: `npx tsx bench/kernel-speed.ts [n] [k]`
 * (defaults n = 100000, k = 8; `--no-reference` leaves out the slow
 * TypeScript kernel). The relaxed-SIMD builds run only where the engine
 * validates them (Node 20 needs --experimental-wasm-relaxed-simd:
 * `node --experimental-wasm-relaxed-simd --import tsx bench/kernel-speed.ts`).
 * The float32 kernels (`precision: 'float32'`, docs/float32.md) have their own
 * columns; `f32 speed-up` is the fastest float64 WebAssembly kernel's time
 * over the fastest float32 one's.
 * `--cases=full:50,diag:50` runs only those cases; `--f64` leaves out the
 * float32 kernels; `--budget=MS` sets each kernel's timing budget (default 1000).
 */
import { covarianceModels, pack, type MixtureParameters } from '../src/covariance/index.js';
import { createStatistics, type Kernel, type PackedParameters } from '../src/kernels/kernel.js';
import { referenceKernel } from '../src/kernels/reference.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { Random } from '../src/random.js';
import type { CovarianceType } from '../src/types.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const withReference = !process.argv.includes('--no-reference');
const n = Number(args[0] ?? 100_000);
const k = Number(args[1] ?? 8);
const CASES: { covariance: CovarianceType; d: number }[] = [
  { covariance: 'full', d: 2 },
  { covariance: 'full', d: 8 },
  { covariance: 'full', d: 10 },
  { covariance: 'full', d: 50 },
  { covariance: 'diag', d: 2 },
  { covariance: 'diag', d: 10 },
  { covariance: 'diag', d: 50 },
];
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option('cases')?.split(',');
const cases = only ? CASES.filter(({ covariance, d }) => only.includes(`${covariance}:${d}`)) : CASES;
const onlyFloat64 = process.argv.includes('--f64');
const budget = Number(option('budget') ?? 1000);

function randomParameters(covariance: CovarianceType, d: number, rng: Random): MixtureParameters {
  const model = covarianceModels[covariance];
  const weights = new Float64Array(k).fill(1 / k);
  const means = Float64Array.from({ length: k * d }, () => 2 * rng.normal());
  const covariances = new Float64Array(model.size(k, d));
  for (let m = 0; m < k; m++) {
    const b = Array.from({ length: d * d }, () => rng.normal() / Math.sqrt(d));
    const full = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = i === j ? 0.5 : 0;
        for (let p = 0; p < d; p++) s += b[i * d + p] * b[j * d + p];
        full[i * d + j] = s;
      }
    }
    model.assign(covariances, m, k, d, full);
  }
  return { covariance, k, d, weights, means, covariances };
}

/** Fastest nanoseconds per (row, component) over repeated E-steps (at least 3 runs, about `budgetMs`). */
function time(kernel: Kernel, covariance: CovarianceType, d: number, x: Float64Array, packed: PackedParameters, budgetMs: number): number {
  const data = kernel.load({ rows: n, cols: d, data: x }, null);
  const stats = createStatistics(covarianceModels[covariance].kernelShape, k, d);
  kernel.eStep(data, packed, stats); // warm-up (and tier-up)
  kernel.eStep(data, packed, stats);
  const samples: number[] = [];
  const begin = performance.now();
  while (samples.length < 3 || (performance.now() - begin < budgetMs && samples.length < 50)) {
    const t0 = performance.now();
    kernel.eStep(data, packed, stats);
    samples.push(performance.now() - t0);
  }
  kernel.release?.(data);
  return (Math.min(...samples) * 1e6) / (n * k);
}

const kernels: [string, Kernel][] = withReference ? [['reference (TS)', referenceKernel]] : [];
const float64: Kernel[] = [];
const float32: Kernel[] = [];
for (const precision of onlyFloat64 ? (['float64'] as const) : (['float64', 'float32'] as const)) {
  for (const variant of ['simd', 'relaxed'] as const) {
    try {
      const kernel = createWasmKernelSync({ variant, precision });
      kernels.push([`wasm ${precision === 'float32' ? 'f32 ' : ''}${variant}`, kernel]);
      (precision === 'float32' ? float32 : float64).push(kernel);
    } catch {
      // relaxed SIMD unsupported here: its column is left out
    }
  }
}

console.log(`E-step, ns per (row, component): n = ${n}, k = ${k}, one thread, fastest of repeated runs`);
const header = ['covariance', 'd', ...kernels.map(([name]) => name), ...(withReference ? ['speed-up'] : []), ...(onlyFloat64 ? [] : ['f32 speed-up'])];
const rows: string[][] = [];
for (const { covariance, d } of cases) {
  const rng = new Random(d);
  const packed = pack(randomParameters(covariance, d, rng)).packed!;
  const x = Float64Array.from({ length: n * d }, () => 2 * rng.normal());
  const ns = kernels.map(([, kernel]) => time(kernel, covariance, d, x, packed, kernel === referenceKernel ? 2 * budget : budget));
  const fastest = (of: Kernel[]) => Math.min(...kernels.map(([, kernel], c) => (of.includes(kernel) ? ns[c] : Infinity)));
  const speedUp = withReference ? [`${(ns[0] / fastest(float64)).toFixed(1)}×`] : [];
  const f32 = onlyFloat64 ? [] : [`${(fastest(float64) / fastest(float32)).toFixed(2)}×`];
  rows.push([covariance, String(d), ...ns.map((v) => v.toFixed(1)), ...speedUp, ...f32]);
}
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
const line = (cells: string[]) => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
