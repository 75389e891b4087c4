/**
 * Shared pieces of the benchmark: the case grid, file locations, binary I/O
 * and memory readings. Nothing here depends on the peers.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The bench/ folder. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/** Where generated data sets live (gitignored). */
export const DATA_DIR = join(BENCH_DIR, 'data');
/** Where results are written. */
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** One benchmark case: n rows, d features, k components. */
export interface BenchCase {
  readonly id: string;
  readonly n: number;
  readonly d: number;
  readonly k: number;
  /** Seed of the generator for this case (the start uses seed + 1). */
  readonly seed: number;
}

function makeCase(n: number, d: number, k: number, seed: number): BenchCase {
  const exp = Math.round(Math.log10(n));
  const nName = 10 ** exp === n ? `1e${exp}` : `${n / 10 ** exp}e${exp}`;
  return { id: `n${nName}-d${d}-k${k}`, n, d, k, seed };
}

/** The grid, smallest first. */
export const CASES: readonly BenchCase[] = [
  makeCase(1e3, 2, 3, 101),
  makeCase(1e5, 2, 3, 102),
  makeCase(1e5, 10, 5, 103),
  makeCase(1e5, 10, 16, 104),
  makeCase(1e6, 2, 3, 105),
  makeCase(1e6, 10, 10, 106),
  makeCase(2e5, 50, 8, 107),
];

/** The covariance types compared (the peers share only these two). */
export const COVARIANCES = ['full', 'diag'] as const;
export type BenchCovariance = (typeof COVARIANCES)[number];

/** Paths of a case's files. */
export function casePaths(c: BenchCase): { data: string; header: string; start: string } {
  return {
    data: join(DATA_DIR, `${c.id}.f64`),
    header: join(DATA_DIR, `${c.id}.json`),
    start: join(DATA_DIR, `${c.id}.start.json`),
  };
}

/** The JSON header written next to each binary data file. */
export interface DataHeader {
  readonly format: 'mixem-bench-f64le';
  readonly id: string;
  /** Rows. */
  readonly n: number;
  /** Columns. */
  readonly d: number;
  /** Components of the generating mixture. */
  readonly k: number;
  readonly seed: number;
  /** Binary layout of the data file. */
  readonly layout: 'row-major float64 little-endian, no header';
  /** The generating mixture. */
  readonly truth: { weights: number[]; means: number[][]; eigenvalueRange: [number, number] };
  /** Mean log-likelihood per row of the data under the generating mixture. */
  readonly trueLogLikelihood: number;
}

/**
 * The explicit start shared by every tool: uniform weights, K distinct data
 * rows as means, and the data covariance (full) or its diagonal (diag) for
 * every component.
 */
export interface StartFile {
  readonly id: string;
  readonly seed: number;
  readonly k: number;
  readonly d: number;
  readonly weights: number[];
  /** Row indices the means were taken from. */
  readonly rows: number[];
  /** K×D. */
  readonly means: number[][];
  /** D×D data covariance (divisor n). */
  readonly covariance: number[][];
  /** Its diagonal. */
  readonly variances: number[];
}

/** Whether a case's three files exist. */
export function caseExists(c: BenchCase): boolean {
  const p = casePaths(c);
  return existsSync(p.data) && existsSync(p.header) && existsSync(p.start);
}

/** Reads a case's binary data as a row-major matrix (little-endian hosts only). */
export function readData(c: { n: number; d: number }, path: string, into?: Float64Array): { rows: number; cols: number; data: Float64Array } {
  const bytes = c.n * c.d * 8;
  const size = statSync(path).size;
  if (size !== bytes) throw new Error(`${path} has ${size} bytes; expected ${c.n}×${c.d}×8 = ${bytes}`);
  // Straight into the matrix (no intermediate Buffer), so the data is in memory once.
  const data = into ?? new Float64Array(c.n * c.d);
  if (data.length !== c.n * c.d) throw new Error(`readData: the target holds ${data.length} values; expected ${c.n * c.d}`);
  // Written once before the read: on this VM, pages that read(2) itself first
  // faults in stay slow to read from JavaScript afterwards (a first pass over
  // 80 MB took 139 ms instead of 13 ms), which would charge the timed fit for
  // how the bench loaded its file; numpy's fromfile leaves no such cost.
  data.fill(0);
  const view = new Uint8Array(data.buffer, data.byteOffset, bytes);
  const fd = openSync(path, 'r');
  try {
    for (let done = 0; done < bytes; ) {
      const got = readSync(fd, view, done, Math.min(bytes - done, 1 << 26), done);
      if (got <= 0) throw new Error(`${path}: unexpected end of file after ${done} bytes`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  return { rows: c.n, cols: c.d, data };
}

/**
 * A full garbage collection, so that a timed region starts with an empty
 * young generation: the runner's own start-up (the TypeScript loader, reading
 * the data) otherwise leaves garbage whose collection (2–9 ms here) can fall
 * inside a 1000-row fit. The Python peer calls gc.collect() at the same place.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Fields of /proc/self/status, in MiB (null where unavailable). */
export function memoryMiB(): { rss: number | null; peak: number | null } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) / 1024 : null;
    };
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return { rss: null, peak: null };
  }
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One line of JSON printed by every runner (mixem and the peers), so the
 * orchestrator can treat them alike.
 */
/** What a runner is asked to do (see {@link RunRecord.mode}). */
export type RunMode = 'fixed' | 'defaults' | 'squarem';

export interface RunRecord {
  readonly tool: string;
  readonly case: string;
  readonly covariance: BenchCovariance;
  /**
   * `fixed`: T iterations from the shared start with tolerance 0; `defaults`:
   * the tool's own defaults to convergence; `squarem` (mixem only): its
   * defaults with `acceleration: 'squarem'`.
   */
  readonly mode: RunMode;
  /** Wall-clock seconds of the fit only (data loading and the final scoring excluded). */
  readonly seconds: number;
  /**
   * Steady-state seconds of one EM iteration (one E-step and one M-step over
   * all rows): the time of iterations 2..T divided by T − 1, so setup and the
   * evaluation of the start are excluded. Equal to seconds / T when T < 2.
   */
  readonly iterationSeconds: number;
  /** EM iterations done (null if the tool does not say). */
  readonly iterations: number | null;
  /** Whether exactly the requested number of iterations is guaranteed (fixed mode). */
  readonly exactIterations?: boolean;
  readonly converged?: boolean | null;
  /** Passes over the data (E-steps), where the tool says: mixem counts its kernel's. */
  readonly passes?: number;
  /** Mean log p(x) per row at the final parameters. */
  readonly logLikelihood: number;
  /** Resident memory after start-up, before the data was read (MiB). */
  readonly baselineRssMiB: number | null;
  /** Peak resident memory of the process (VmHWM, MiB). */
  readonly peakRssMiB: number | null;
  /** Free-form details (kernel, threads, library versions, notes). */
  readonly info?: Record<string, unknown>;
}
