/**
 * The side-by-side benchmark: mixem against scikit-learn, Armadillo and
 * mclust on the same data, from the same start.
 *
 *   npx tsx bench/run.ts [--smoke] [--cases id,id] [--repeats 3] [--iterations 10]
 *                        [--peers sklearn,armadillo,mclust] [--no-defaults] [--no-squarem]
 *                        [--defaults-timeout 45] [--case-budget 60] [--kernel auto] [--no-write]
 *
 * For every case and covariance type (full, diag):
 * - fixed: every tool runs T EM iterations with tolerance 0 from the shared
 *   start, alternating mixem with each peer (mixem, peer, mixem, peer, …),
 *   `--repeats` times; the medians of the steady-state seconds per iteration
 *   are compared. Each peer is timed in two environments (see PEERS) and its
 *   faster one counts.
 * - defaults: every tool with its own defaults, to convergence: time to fit
 *   (the median of up to DEFAULTS_REPEATS runs, tools alternating; a tool
 *   runs again only while its runs take under DEFAULTS_REPEAT_BELOW_S) and
 *   final mean log-likelihood.
 * - squarem (mixem only, unless `--no-squarem`): mixem's defaults with
 *   `acceleration: 'squarem'`, against its plain defaults run: time, passes
 *   over the data (E-steps) and final log-likelihood.
 * Every run is a child process, so its peak RSS is its own.
 *
 * Budget: a case whose per-iteration work n·k·d² (full) or n·k·d (diag) is
 * above HEAVY_WORK runs min(T, 3) iterations; after the first round
 * (mixem and every peer once), a case/covariance repeats only while the next
 * round fits in `--case-budget` seconds; defaults runs are killed after `--defaults-timeout`
 * seconds; mclust's defaults run is skipped above MCLUST_DEFAULTS_MAX_ROWS rows.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BENCH_DIR,
  CASES,
  COVARIANCES,
  RESULTS_DIR,
  casePaths,
  median,
  type BenchCase,
  type BenchCovariance,
  type RunMode,
  type RunRecord,
} from './common.js';
import { ensureData } from './generate.js';

const ROOT = join(BENCH_DIR, '..');

/** Per-iteration work above which a case runs at most 3 iterations (fixed mode). */
const HEAVY_WORK = 2.5e8;
/**
 * Per-iteration work below which a case runs at least LIGHT_ITERATIONS
 * iterations (fixed mode, every tool): a few hundred microseconds each, so
 * that the steady state is not just the first iterations of a fresh process
 * (JIT and WebAssembly tier-up for mixem, interpreter warm-up for the others).
 */
const LIGHT_WORK = 1e6;
const LIGHT_ITERATIONS = 100;
/** Runs of each tool's defaults (and mixem's SQUAREM) per case: a single run of a quick fit varies by a third. */
const DEFAULTS_REPEATS = 3;
/** A tool's defaults run again only while its runs of the case took less than this (seconds). */
const DEFAULTS_REPEAT_BELOW_S = 5;
/** mclust's defaults run (hierarchical start + EM to tol 1e-5) is skipped above this many rows. */
const MCLUST_DEFAULTS_MAX_ROWS = 2e5;
/** Hard limit for one fixed-mode run, against hangs. */
const FIXED_TIMEOUT_S = 900;

export type PeerName = 'sklearn' | 'armadillo' | 'mclust';
export type ToolName = 'mixem' | PeerName;
export const PEER_NAMES: readonly PeerName[] = ['sklearn', 'armadillo', 'mclust'];

/** An environment a tool is timed in. */
interface Variant {
  readonly name: string;
  /** Variables to set (a value) or unset (null), on top of the inherited environment. */
  readonly env: Record<string, string | null>;
}

interface Peer {
  readonly name: PeerName;
  readonly variants: readonly Variant[];
  /** The command line, before the common arguments. */
  command(): string[];
  /** Whether the peer can run; a reason when it cannot. */
  check(): { ok: true } | { ok: false; reason: string };
}

const PYTHON = '/usr/bin/python3';
const ARMADILLO_SOURCE = join(BENCH_DIR, 'peers', 'armadillo.cpp');
const ARMADILLO_BINARY = join(BENCH_DIR, 'peers', 'armadillo');
const ARMADILLO_COMPILE = ['g++', '-O3', '-march=native', '-fopenmp', '-std=c++17', '-o', ARMADILLO_BINARY, ARMADILLO_SOURCE, '-larmadillo'];

function quietly(command: string, args: string[], timeoutMs = 60_000): { ok: boolean; output: string } {
  try {
    const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
    return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || String(r.error ?? '') };
  } catch (error) {
    return { ok: false, output: String(error) };
  }
}

const PEERS: Record<PeerName, Peer> = {
  sklearn: {
    name: 'sklearn',
    variants: [
      { name: 'env as found', env: {} },
      { name: 'OPENBLAS_CORETYPE=SkylakeX', env: { OPENBLAS_CORETYPE: 'SkylakeX', OPENBLAS_L2_SIZE: null } },
    ],
    command: () => [PYTHON, join(BENCH_DIR, 'peers', 'sklearn_peer.py')],
    check() {
      if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} not found` };
      const r = quietly(PYTHON, ['-c', 'import sklearn.mixture']);
      return r.ok ? { ok: true } : { ok: false, reason: `scikit-learn not importable by ${PYTHON}: ${r.output.split('\n').pop()}` };
    },
  },
  armadillo: {
    name: 'armadillo',
    variants: [
      { name: 'OpenMP default', env: {} },
      { name: 'OMP_WAIT_POLICY=passive', env: { OMP_WAIT_POLICY: 'passive' } },
    ],
    command: () => [ARMADILLO_BINARY],
    check() {
      const fresh = existsSync(ARMADILLO_BINARY) && statSync(ARMADILLO_BINARY).mtimeMs >= statSync(ARMADILLO_SOURCE).mtimeMs;
      if (fresh) return { ok: true };
      if (!existsSync('/usr/include/armadillo')) return { ok: false, reason: 'Armadillo headers not installed (libarmadillo-dev)' };
      const r = quietly(ARMADILLO_COMPILE[0], ARMADILLO_COMPILE.slice(1), 300_000);
      return r.ok ? { ok: true } : { ok: false, reason: `compiling ${relative(ROOT, ARMADILLO_SOURCE)} failed: ${r.output.slice(0, 300)}` };
    },
  },
  mclust: {
    name: 'mclust',
    variants: [{ name: 'default', env: {} }],
    command: () => ['Rscript', join(BENCH_DIR, 'peers', 'mclust.R')],
    check() {
      const r = quietly('Rscript', ['-e', 'suppressPackageStartupMessages({library(mclust); library(jsonlite)})']);
      return r.ok ? { ok: true } : { ok: false, reason: `Rscript with mclust and jsonlite not available: ${r.output.split('\n').pop()}` };
    },
  },
};

/** Options of {@link runBench}. */
export interface BenchOptions {
  smoke: boolean;
  cases: readonly BenchCase[];
  repeats: number;
  iterations: number;
  peers: readonly PeerName[];
  defaults: boolean;
  /** Also run mixem's defaults with SQUAREM acceleration (needs `defaults`). */
  squarem: boolean;
  defaultsTimeoutS: number;
  /** After the first round, further repeats of a case/covariance start only while they fit in this many seconds. */
  caseBudgetS: number;
  write: boolean;
  /** mixem's kernel: the WebAssembly one when available (`auto`), `wasm`, `parallel` (worker threads), or `reference`. */
  kernel: 'auto' | 'wasm' | 'parallel' | 'reference';
  log: (line: string) => void;
}

/** One child run as recorded: the runner's line, or why there is none. */
export interface RunOutcome {
  readonly tool: ToolName;
  readonly variant: string;
  readonly mode: RunMode;
  readonly record: RunRecord | null;
  readonly status: 'ok' | 'failed' | 'timeout' | 'skipped';
  readonly message?: string;
  readonly wallSeconds: number;
}

/** Summary of one tool in one case and covariance type. */
export interface ToolSummary {
  readonly tool: ToolName;
  /** Median steady-state seconds per iteration per variant (fixed mode). */
  readonly variants: { name: string; iterationSeconds: number | null; seconds: number | null; runs: number }[];
  readonly bestVariant: string | null;
  readonly iterationSeconds: number | null;
  readonly seconds: number | null;
  /** mixem's median over this peer's median, per iteration (null for mixem itself). */
  readonly ratio: number | null;
  readonly iterations: number | null;
  readonly exactIterations: boolean | null;
  readonly logLikelihood: number | null;
  readonly peakRssMiB: number | null;
  readonly baselineRssMiB: number | null;
  readonly defaults: ConvergedRun | null;
  /** mixem only: its defaults with SQUAREM acceleration (iterations are SQUAREM cycles). */
  readonly squarem?: ConvergedRun | null;
  readonly info?: Record<string, unknown>;
}

/** A run to convergence (defaults or squarem mode) as summarized: the first run, with the median time of the successful ones. */
export interface ConvergedRun {
  status: RunOutcome['status'];
  message?: string;
  /** Median over `runs` successful runs. */
  seconds: number | null;
  runs: number;
  iterations: number | null;
  /** Passes over the data (E-steps), where counted (mixem). */
  passes?: number | null;
  converged: boolean | null;
  logLikelihood: number | null;
  peakRssMiB: number | null;
}

/** One row of results: a case and covariance type. */
export interface ResultRow {
  readonly case: string;
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly covariance: BenchCovariance;
  readonly iterations: number;
  readonly repeats: number;
  readonly trueLogLikelihood: number;
  readonly tools: ToolSummary[];
  readonly runs: RunOutcome[];
}

export interface BenchResult {
  readonly started: string;
  readonly wallSeconds: number;
  readonly machine: Record<string, unknown>;
  readonly settings: Record<string, unknown>;
  readonly skippedPeers: { peer: PeerName; reason: string }[];
  readonly notes: string[];
  readonly rows: ResultRow[];
  readonly markdown: string;
}

function childEnv(variant: Variant): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(variant.env)) {
    if (value === null) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs a command, parses the last JSON line of its stdout. */
function runChild(
  argv: string[],
  env: NodeJS.ProcessEnv,
  timeoutS: number,
): Promise<{ status: 'ok' | 'failed' | 'timeout'; record: RunRecord | null; message?: string; wallSeconds: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    const finish = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      const wallSeconds = (performance.now() - t0) / 1000;
      if (timedOut) return resolve({ status: 'timeout', record: null, message: `killed after ${timeoutS} s`, wallSeconds });
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || line === undefined) {
        const why = error ? String(error) : `exit code ${code}`;
        return resolve({ status: 'failed', record: null, message: `${why}: ${stderr.trim().slice(-400)}`, wallSeconds });
      }
      try {
        resolve({ status: 'ok', record: JSON.parse(line) as RunRecord, wallSeconds });
      } catch (e) {
        resolve({ status: 'failed', record: null, message: `unparsable output: ${line.slice(0, 200)} (${String(e)})`, wallSeconds });
      }
    };
    child.on('error', (error) => finish(null, error));
    child.on('close', (code) => finish(code));
  });
}

function toolCommand(tool: ToolName): string[] {
  if (tool === 'mixem') return [process.execPath, '--import', 'tsx', join(BENCH_DIR, 'mixem-runner.ts')];
  return PEERS[tool].command();
}

async function runTool(
  tool: ToolName,
  variant: Variant,
  c: BenchCase,
  covariance: BenchCovariance,
  mode: RunMode,
  iterations: number,
  timeoutS: number,
  kernel: BenchOptions['kernel'],
): Promise<RunOutcome> {
  const p = casePaths(c);
  const argv = [...toolCommand(tool), p.data, p.header, p.start, covariance, mode, String(iterations)];
  if (tool === 'mixem') argv.push('--kernel', kernel);
  const r = await runChild(argv, childEnv(variant), timeoutS);
  return { tool, variant: variant.name, mode, record: r.record, status: r.status, message: r.message, wallSeconds: r.wallSeconds };
}

const AS_FOUND: Variant = { name: 'env as found', env: {} };

/** Iterations of the fixed runs of a case: fewer for heavy ones (see HEAVY_WORK). */
export function iterationsFor(c: BenchCase, covariance: BenchCovariance, requested: number): number {
  const work = c.n * c.k * (covariance === 'full' ? c.d * c.d : c.d);
  if (work < LIGHT_WORK) return Math.max(requested, LIGHT_ITERATIONS);
  return work > HEAVY_WORK ? Math.min(requested, 3) : requested;
}

function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function summarize(tool: ToolName, runs: RunOutcome[], mixemPerIteration: number | null): ToolSummary {
  const fixed = runs.filter((r) => r.tool === tool && r.mode === 'fixed' && r.record !== null);
  const names = [...new Set(runs.filter((r) => r.tool === tool && r.mode === 'fixed').map((r) => r.variant))];
  const variants = names.map((name) => {
    const of = fixed.filter((r) => r.variant === name).map((r) => r.record!);
    return {
      name,
      iterationSeconds: of.length > 0 ? median(of.map((r) => r.iterationSeconds)) : null,
      seconds: of.length > 0 ? median(of.map((r) => r.seconds)) : null,
      runs: of.length,
    };
  });
  let best: (typeof variants)[number] | null = null;
  for (const v of variants) if (v.iterationSeconds !== null && (best === null || v.iterationSeconds < best.iterationSeconds!)) best = v;
  const first = fixed[0]?.record ?? null;
  const peaks = fixed.map((r) => r.record!.peakRssMiB).filter((x): x is number => typeof x === 'number');
  const converged = (mode: RunMode): ConvergedRun | null => {
    const run = runs.find((r) => r.tool === tool && r.mode === mode);
    const times = runs.filter((r) => r.tool === tool && r.mode === mode && r.record !== null).map((r) => r.record!.seconds);
    return run === undefined
      ? null
      : {
          status: run.status,
          message: run.message,
          seconds: times.length > 0 ? median(times) : null,
          runs: times.length,
          iterations: run.record?.iterations ?? null,
          ...(run.record?.passes !== undefined ? { passes: run.record.passes } : {}),
          converged: run.record?.converged ?? null,
          logLikelihood: finiteOrNull(run.record?.logLikelihood),
          peakRssMiB: run.record?.peakRssMiB ?? null,
        };
  };
  return {
    tool,
    variants,
    bestVariant: best?.name ?? null,
    iterationSeconds: best?.iterationSeconds ?? null,
    seconds: best?.seconds ?? null,
    ratio: tool !== 'mixem' && best?.iterationSeconds && mixemPerIteration !== null ? mixemPerIteration / best.iterationSeconds : null,
    iterations: first?.iterations ?? null,
    exactIterations: first?.exactIterations ?? null,
    logLikelihood: finiteOrNull(first?.logLikelihood),
    peakRssMiB: peaks.length > 0 ? Math.max(...peaks) : null,
    baselineRssMiB: first?.baselineRssMiB ?? null,
    defaults: converged('defaults'),
    ...(tool === 'mixem' ? { squarem: converged('squarem') } : {}),
    info: first?.info,
  };
}

function readMachine(): Record<string, unknown> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpu;
    const all = /^flags\s*:\s*(.*)$/m.exec(info)?.[1]?.split(' ') ?? [];
    flags = ['avx2', 'fma', 'avx512f', 'avx512vl'].filter((f) => all.includes(f));
  } catch {
    // not Linux
  }
  const env: Record<string, string | null> = {};
  for (const key of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS']) {
    env[key] = process.env[key] ?? null;
  }
  const gpp = quietly('g++', ['-dumpfullversion']);
  return {
    host: os.hostname(),
    cpu,
    cpuFlags: flags,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    gpp: gpp.ok ? gpp.output : null,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    env,
  };
}

// ---------------------------------------------------------------- formatting

function ms(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const v = seconds * 1000;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function secs(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return seconds >= 100 ? seconds.toFixed(0) : seconds >= 10 ? seconds.toFixed(1) : seconds >= 1 ? seconds.toFixed(2) : seconds.toFixed(3);
}

function mib(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : x.toFixed(0);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function shortVariant(name: string | null): string {
  if (name === null) return '';
  if (name.startsWith('OPENBLAS_CORETYPE')) return ' (SkylakeX)';
  if (name.startsWith('OMP_WAIT_POLICY')) return ' (passive)';
  return '';
}

function renderMarkdown(result: Omit<BenchResult, 'markdown'>, peers: readonly PeerName[]): string {
  const m = result.machine as Record<string, unknown> & { env: Record<string, string | null>; versions: Record<string, unknown> };
  const out: string[] = [];
  out.push(`# mixem benchmark — ${result.started.slice(0, 10)} on ${String(m.host)}`);
  out.push('');
  out.push(
    `Machine: ${String(m.cpu)} (${(m.cpuFlags as string[]).join(', ')}), ${String(m.cores)} cores, ${String(m.memoryGiB)} GiB; ${String(m.os)}.`,
  );
  const v = m.versions;
  out.push(
    `Versions: node ${String(m.node)}, mixem kernel ${String(v.mixemKernel ?? '?')}; ` +
      `python ${String(v.python ?? '—')}, scikit-learn ${String(v.sklearn ?? '—')}, numpy ${String(v.numpy ?? '—')}, OpenBLAS ${String(v.openblas ?? '—')}; ` +
      `Armadillo ${String(v.armadillo ?? '—')} (g++ ${String(m.gpp ?? '—')}, ${String(v.armadilloThreads ?? '?')} OpenMP threads); ` +
      `R ${String(v.R ?? '—')}, mclust ${String(v.mclust ?? '—')}.`,
  );
  out.push(
    `Load average (1, 5, 15 min) at start ${(m.loadAverageAtStart as number[]).join(', ')}, at end ${(m.loadAverageAtEnd as number[]).join(', ')} (other processes on the machine compete for its cores).`,
  );
  out.push(`Environment as found: ${Object.entries(m.env).map(([k, x]) => `${k}=${x ?? '(unset)'}`).join(', ')}.`);
  out.push(
    `Settings: ${String(result.settings.iterations)} iterations (3 for heavy cases, ${LIGHT_ITERATIONS} for light ones), ${String(result.settings.repeats)} repeats ` +
      `(fewer when a case/covariance would pass ${String(result.settings.caseBudgetS)} s), defaults runs capped at ${String(result.settings.defaultsTimeoutS)} s; ` +
      `total wall time ${(result.wallSeconds / 60).toFixed(1)} min.`,
  );
  for (const s of result.skippedPeers) out.push(`Skipped peer ${s.peer}: ${s.reason}.`);
  out.push('');

  out.push('## Time per EM iteration (fixed iterations from the shared start, tolerance 0)');
  out.push('');
  out.push(
    'Steady-state milliseconds per iteration (iterations 2..T, median over repeats; each peer at its faster environment, marked when not the default). ' +
      'Ratio = mixem / peer: below 1 means mixem is faster.',
  );
  out.push('');
  const header = ['case', 'cov', 'T×reps', 'mixem ms'];
  for (const p of peers) header.push(`${p} ms`, `mixem/${p}`);
  out.push(
    table(
      header,
      result.rows.map((r) => {
        const byTool = new Map(r.tools.map((t) => [t.tool, t]));
        const cells = [r.case, r.covariance, `${r.iterations}×${r.repeats}`, ms(byTool.get('mixem')?.iterationSeconds)];
        for (const p of peers) {
          const t = byTool.get(p);
          if (t === undefined || t.iterationSeconds === null) {
            const why = r.runs.find((x) => x.tool === p && x.mode === 'fixed' && x.status !== 'ok');
            cells.push(why ? why.status : '—', '—');
          } else {
            cells.push(`${ms(t.iterationSeconds)}${shortVariant(t.bestVariant)}`, t.ratio === null ? '—' : t.ratio.toFixed(2));
          }
        }
        return cells;
      }),
    ),
  );
  out.push('');

  out.push('## Whole fixed fit and agreement');
  out.push('');
  out.push('Seconds for the whole T-iteration fit (median; setup included, data loading excluded), and the final mean log-likelihood per row.');
  out.push('');
  const header2 = ['case', 'cov', 'T', 'mixem s', 'mixem loglik'];
  for (const p of peers) header2.push(`${p} s`, `${p} Δloglik`);
  out.push(
    table(
      header2,
      result.rows.map((r) => {
        const byTool = new Map(r.tools.map((t) => [t.tool, t]));
        const mx = byTool.get('mixem');
        const cells = [r.case, r.covariance, String(r.iterations), secs(mx?.seconds), mx?.logLikelihood?.toFixed(6) ?? '—'];
        for (const p of peers) {
          const t = byTool.get(p);
          const delta = t?.logLikelihood !== null && t?.logLikelihood !== undefined && mx?.logLikelihood ? t.logLikelihood - mx.logLikelihood : null;
          cells.push(secs(t?.seconds), delta === null ? '—' : delta.toExponential(1));
        }
        return cells;
      }),
    ),
  );
  out.push('');

  if (result.settings.defaults) {
    out.push('## Defaults to convergence');
    out.push('');
    out.push(
      `Each tool with its own defaults (own start, own stopping rule): seconds to fit (the median of up to ${DEFAULTS_REPEATS} runs, tools alternating; a tool runs again while its runs take under ${DEFAULTS_REPEAT_BELOW_S} s with process start-up), iterations, final mean log-likelihood per row (true: under the generating mixture).`,
    );
    out.push('');
    const header3 = ['case', 'cov', 'true loglik', 'mixem s', 'it', 'loglik'];
    for (const p of peers) header3.push(`${p} s`, 'it', 'loglik');
    out.push(
      table(
        header3,
        result.rows.map((r) => {
          const byTool = new Map(r.tools.map((t) => [t.tool, t]));
          const cells = [r.case, r.covariance, r.trueLogLikelihood.toFixed(4)];
          for (const tool of ['mixem', ...peers] as ToolName[]) {
            const d = byTool.get(tool)?.defaults ?? null;
            if (d === null) cells.push('—', '—', '—');
            else if (d.status !== 'ok') cells.push(d.status === 'timeout' ? `>${String(result.settings.defaultsTimeoutS)}` : d.status, '—', '—');
            else cells.push(secs(d.seconds), d.iterations === null ? '?' : String(d.iterations), d.logLikelihood?.toFixed(4) ?? '—');
          }
          return cells;
        }),
      ),
    );
    out.push('');
  }

  if (result.settings.defaults && result.settings.squarem) {
    out.push('## SQUAREM (mixem)');
    out.push('');
    out.push(
      "mixem's defaults, plain EM against `acceleration: 'squarem'` (same k-means start, same tolerance on the change of the mean log-likelihood per iteration; " +
        'a SQUAREM iteration is one cycle of three or four passes). Passes = E-steps over the data.',
    );
    out.push('');
    out.push(
      table(
        ['case', 'cov', 'plain s', 'passes', 'loglik', 'squarem s', 'passes', 'loglik', 'time ratio', 'Δ loglik'],
        result.rows.map((r) => {
          const mixem = r.tools.find((t) => t.tool === 'mixem');
          const plain = mixem?.defaults ?? null;
          const fast = mixem?.squarem ?? null;
          const cells = [r.case, r.covariance];
          for (const run of [plain, fast]) {
            if (run === null) cells.push('—', '—', '—');
            else if (run.status !== 'ok') cells.push(run.status === 'timeout' ? `>${String(result.settings.defaultsTimeoutS)}` : run.status, '—', '—');
            else cells.push(secs(run.seconds), run.passes == null ? '?' : String(run.passes), run.logLikelihood?.toFixed(4) ?? '—');
          }
          const both = plain?.status === 'ok' && fast?.status === 'ok' && plain.seconds && fast.seconds;
          cells.push(both ? (fast!.seconds! / plain!.seconds!).toFixed(2) : '—');
          const delta = both && plain!.logLikelihood !== null && fast!.logLikelihood !== null ? fast!.logLikelihood - plain!.logLikelihood : null;
          cells.push(delta === null ? '—' : delta.toExponential(1));
          return cells;
        }),
      ),
    );
    out.push('');
  }

  out.push('## Peak memory (MiB)');
  out.push('');
  out.push('Peak RSS (VmHWM) of each tool\'s process: fixed runs (max over runs) / defaults run. Data size = n·d·8 bytes.');
  out.push('The last columns: the peak above the process\'s own start-up RSS (before it read the data), as a multiple of the data size, fixed / defaults (from 1 MiB of data).');
  out.push('');
  const header4 = ['case', 'cov', 'data MiB', 'mixem'];
  for (const p of peers) header4.push(p);
  const growthTools = (['mixem', ...peers] as ToolName[]).filter((tool) => tool === 'mixem' || tool === 'sklearn');
  for (const tool of growthTools) header4.push(`${tool} above start-up ÷ data`);
  out.push(
    table(
      header4,
      result.rows.map((r) => {
        const byTool = new Map(r.tools.map((t) => [t.tool, t]));
        const cells = [r.case, r.covariance, mib((r.n * r.d * 8) / 2 ** 20)];
        for (const tool of ['mixem', ...peers] as ToolName[]) {
          const t = byTool.get(tool);
          cells.push(t ? `${mib(t.peakRssMiB)} / ${mib(t.defaults?.peakRssMiB)}` : '—');
        }
        const dataMiB = (r.n * r.d * 8) / 2 ** 20;
        const growth = (peak: number | null | undefined, base: number | null): string =>
          peak === null || peak === undefined || base === null || dataMiB < 1 ? '—' : ((peak - base) / dataMiB).toFixed(2);
        for (const tool of growthTools) {
          const t = byTool.get(tool);
          cells.push(t ? `${growth(t.peakRssMiB, t.baselineRssMiB)} / ${growth(t.defaults?.peakRssMiB, t.baselineRssMiB)}` : '—');
        }
        return cells;
      }),
    ),
  );
  const baselines = ['mixem', ...peers]
    .map((tool) => {
      const vals = result.rows.flatMap((r) => r.tools.filter((t) => t.tool === tool).map((t) => t.baselineRssMiB)).filter((x): x is number => x !== null);
      return vals.length > 0 ? `${tool} ${mib(median(vals))}` : null;
    })
    .filter((x) => x !== null);
  out.push('');
  out.push(`Start-up RSS before reading data (median): ${baselines.join(', ')} MiB.`);
  out.push('');
  out.push('## Notes');
  out.push('');
  for (const note of result.notes) out.push(`- ${note}`);
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------- the run

/** Runs the benchmark; writes results unless `write` is false. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { log } = options;
  const started = new Date();
  const t0 = performance.now();
  const machine = readMachine();

  const skippedPeers: { peer: PeerName; reason: string }[] = [];
  const peers: Peer[] = [];
  for (const name of options.peers) {
    const check = PEERS[name].check();
    if (check.ok) peers.push(PEERS[name]);
    else {
      skippedPeers.push({ peer: name, reason: check.reason });
      log(`skipping ${name}: ${check.reason}`);
    }
  }
  for (const name of PEER_NAMES) {
    if (!options.peers.includes(name)) skippedPeers.push({ peer: name, reason: 'not requested (--peers)' });
  }
  const peerNames = peers.map((p) => p.name);
  log(`peers: ${peerNames.length > 0 ? peerNames.join(', ') : 'none'}`);

  ensureData(options.cases, false, log);

  const notes: string[] = [];
  const rows: ResultRow[] = [];
  const versions: Record<string, unknown> = {};
  const capNotes = new Set<string>();

  for (const c of options.cases) {
    const header = JSON.parse(readFileSync(casePaths(c).header, 'utf8')) as { trueLogLikelihood: number };
    for (const covariance of COVARIANCES) {
      const iterations = options.smoke ? options.iterations : iterationsFor(c, covariance, options.iterations);
      const runs: RunOutcome[] = [];
      const record = (r: RunOutcome) => {
        runs.push(r);
        const what = r.record
          ? `${ms(r.record.iterationSeconds)} ms/iter, ${secs(r.record.seconds)} s, loglik ${r.record.logLikelihood.toFixed(6)}`
          : `${r.status}: ${r.message ?? ''}`;
        log(`  ${c.id} ${covariance} ${r.mode} ${r.tool}${r.variant === AS_FOUND.name || r.variant === 'default' ? '' : ` [${r.variant}]`}: ${what}`);
      };
      const mixemRun = async () => record(await runTool('mixem', AS_FOUND, c, covariance, 'fixed', iterations, FIXED_TIMEOUT_S, options.kernel));

      // Fixed iterations, in rounds: mixem, peer 1's variants, mixem, peer 2's variants, …
      const caseStart = performance.now();
      let repeats = 0;
      let roundSeconds = 0;
      for (let r = 0; r < options.repeats; r++) {
        const elapsed = (performance.now() - caseStart) / 1000;
        if (r > 0 && elapsed + roundSeconds > options.caseBudgetS) {
          capNotes.add(`Repeats stop when the next round would take a case/covariance past ${options.caseBudgetS} s (the T×reps column).`);
          break;
        }
        const roundStart = performance.now();
        if (peers.length === 0) await mixemRun();
        for (const peer of peers) {
          if (!options.smoke || peer === peers[0]) await mixemRun();
          const variants = options.smoke ? peer.variants.slice(0, 1) : r % 2 === 0 ? peer.variants : [...peer.variants].reverse();
          for (const variant of variants) {
            record(await runTool(peer.name, variant, c, covariance, 'fixed', iterations, FIXED_TIMEOUT_S, options.kernel));
          }
        }
        roundSeconds = (performance.now() - roundStart) / 1000;
        repeats++;
      }

      const mixemSummary = summarize('mixem', runs, null);
      const tools: ToolSummary[] = [mixemSummary];
      for (const peer of peers) tools.push(summarize(peer.name, runs, mixemSummary.iterationSeconds));

      // Defaults to convergence, each peer in its faster environment.
      if (options.defaults) {
        // Rounds of every tool in turn; a tool repeats only while its runs are quick and succeed.
        const repeats = options.smoke ? 1 : DEFAULTS_REPEATS;
        const again = (tool: ToolName, mode: RunMode): boolean => {
          const mine = runs.filter((r) => r.tool === tool && r.mode === mode);
          return mine.length === 0 || mine.every((r) => r.status === 'ok' && r.wallSeconds < DEFAULTS_REPEAT_BELOW_S);
        };
        for (let round = 0; round < repeats; round++) {
          for (const tool of ['mixem', ...peerNames] as ToolName[]) {
            const summary = tools.find((t) => t.tool === tool)!;
            const variant =
              tool === 'mixem' ? AS_FOUND : (PEERS[tool].variants.find((v) => v.name === summary.bestVariant) ?? PEERS[tool].variants[0]);
            if (tool === 'mclust' && c.n > MCLUST_DEFAULTS_MAX_ROWS) {
              if (round > 0) continue;
              const message = `over ${MCLUST_DEFAULTS_MAX_ROWS} rows`;
              record({ tool, variant: variant.name, mode: 'defaults', record: null, status: 'skipped', message, wallSeconds: 0 });
              capNotes.add(`mclust's defaults run (Mclust()) is skipped on cases over ${MCLUST_DEFAULTS_MAX_ROWS} rows: its time to converge there exceeds the budget.`);
              continue;
            }
            if (again(tool, 'defaults')) {
              record(await runTool(tool, variant, c, covariance, 'defaults', iterations, options.defaultsTimeoutS, options.kernel));
            }
            if (tool === 'mixem' && options.squarem && again(tool, 'squarem')) {
              record(await runTool(tool, variant, c, covariance, 'squarem', iterations, options.defaultsTimeoutS, options.kernel));
            }
          }
        }
        const withDefaults = tools.map((t) => summarize(t.tool, runs, mixemSummary.iterationSeconds));
        tools.splice(0, tools.length, ...withDefaults);
      }

      for (const t of tools) {
        const info = t.info ?? {};
        if (t.tool === 'mixem' && typeof info.kernel === 'string') {
          const seen = new Set(String(versions.mixemKernel ?? '').split(' / ').filter((x) => x !== ''));
          seen.add(info.kernel);
          versions.mixemKernel = [...seen].join(' / ');
        }
        if (t.tool === 'sklearn') {
          Object.assign(versions, { python: info.python, sklearn: info.sklearn, numpy: info.numpy });
          const blas = (info.blas as { internal_api?: string; version?: string }[] | undefined)?.find((b) => b.internal_api === 'openblas');
          if (blas) versions.openblas = blas.version;
        }
        if (t.tool === 'armadillo') Object.assign(versions, { armadillo: info.armadillo, armadilloThreads: info.threads });
        if (t.tool === 'mclust') Object.assign(versions, { R: info.R, mclust: info.mclust });
      }
      rows.push({
        case: c.id,
        n: c.n,
        d: c.d,
        k: c.k,
        covariance,
        iterations,
        repeats,
        trueLogLikelihood: header.trueLogLikelihood,
        tools,
        runs,
      });
      log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s elapsed)`);
    }
  }

  const kernelNote = rows[0]?.tools[0]?.info?.kernelNote;
  notes.push(
    `mixem ran with the ${String(versions.mixemKernel ?? '?')} kernel${kernelNote ? ` (${String(kernelNote)})` : ''} (parallel: worker threads over all cores; wasm: one thread; with --kernel auto, as the command picks: parallel from 16 384 rows on); scikit-learn uses OpenBLAS threads, Armadillo OpenMP threads (all cores); mclust is single-threaded Fortran.`,
    'Per-iteration time is the steady state: the time of iterations 2..T over T − 1 (mixem and scikit-learn: per-iteration time stamps; Armadillo: learn() for 1 then T − 1 iterations; mclust: estep(), then me() for 1 then T − 1 iterations).',
    'Iterations: mixem and mclust evaluate the start, then do T M-step + E-step iterations; scikit-learn does T E+M iterations and a final E-step; Armadillo does T fused E+M passes and stops early only if the mean log-likelihood changes by at most machine epsilon (so T is not strictly guaranteed).',
    'Regularization: mixem and scikit-learn add 1e-6 to covariance diagonals; Armadillo floors variances at 1e-6 (fixed) or 1e-10 (defaults); mclust adds none. This explains log-likelihood differences of order 1e-7 in the fixed runs.',
    'scikit-learn fixed runs use init_params="random_from_data" only to keep its discarded automatic start cheap; weights_init, means_init and precisions_init override it.',
    'Defaults: mixem k-means start, tol 1e-3 on the mean log-likelihood, ≤ 100 iterations, seed 0; scikit-learn k-means start, tol 1e-3, ≤ 100 iterations, random_state 0; Armadillo maha_dist random_subset, 10 k-means + 100 EM iterations, var_floor 1e-10 (no tolerance; seed 0); mclust Mclust(G = K) with its hierarchical start on a 2000-row subset and tol 1e-5 (relative). Iteration counts: Armadillo and Mclust do not report them (?).',
    'Peak RSS includes each runtime\'s own footprint (node, python + numpy + scikit-learn, R); see the start-up RSS line.',
    ...capNotes,
  );
  for (const row of rows) {
    for (const run of row.runs) {
      if (run.status === 'failed' || run.status === 'timeout') {
        notes.push(`${run.status === 'failed' ? 'Failed' : 'Timed out'}: ${row.case} ${row.covariance} ${run.mode} ${run.tool} (${run.variant}): ${(run.message ?? '').replace(/\s+/g, ' ').trim()}`);
      }
    }
  }
  const resultBase = {
    started: started.toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100), versions },
    settings: {
      smoke: options.smoke,
      cases: options.cases.map((c) => c.id),
      iterations: options.iterations,
      repeats: options.repeats,
      defaults: options.defaults,
      squarem: options.squarem,
      defaultsTimeoutS: options.defaultsTimeoutS,
      caseBudgetS: options.caseBudgetS,
      heavyWork: HEAVY_WORK,
      kernel: options.kernel,
      peers: peerNames,
      variants: Object.fromEntries(peers.map((p) => [p.name, p.variants])),
    },
    skippedPeers,
    notes,
    rows,
  };
  const markdown = renderMarkdown(resultBase, peerNames);
  const result: BenchResult = { ...resultBase, markdown };

  if (options.write) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const stamp = started.toISOString().slice(0, 16).replace(/:/g, '').replace('T', '-');
    const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_');
    const jsonPath = join(RESULTS_DIR, `${stamp}-${host}.json`);
    writeFileSync(jsonPath, JSON.stringify(result, null, 1) + '\n');
    writeFileSync(join(RESULTS_DIR, 'latest.md'), markdown);
    log(`wrote ${relative(ROOT, jsonPath)} and ${relative(ROOT, join(RESULTS_DIR, 'latest.md'))}`);
  }
  return result;
}

// ---------------------------------------------------------------- command line

const USAGE =
  'usage: npx tsx bench/run.ts [--smoke] [--cases id,id] [--repeats N] [--iterations T] [--peers sklearn,armadillo,mclust|none] ' +
  '[--no-defaults] [--no-squarem] [--defaults-timeout S] [--case-budget S] [--kernel auto|wasm|parallel|reference] [--no-write]';

/** Parses the command line into options. */
export function parseArgs(argv: readonly string[], log: (line: string) => void = (line) => console.error(line)): BenchOptions {
  const options: BenchOptions = {
    smoke: false,
    cases: CASES,
    repeats: 3,
    iterations: 10,
    peers: PEER_NAMES,
    defaults: true,
    squarem: true,
    defaultsTimeoutS: 45,
    caseBudgetS: 60,
    write: true,
    kernel: 'auto',
    log,
  };
  let casesGiven = false;
  let repeatsGiven = false;
  let iterationsGiven = false;
  const positive = (flag: string, value: string | undefined, min: number): number => {
    const x = Number(value);
    if (value === undefined || !Number.isFinite(x) || x < min) throw new Error(`${flag} needs a number ≥ ${min}; got ${String(value)}\n${USAGE}`);
    return x;
  };
  for (let a = 0; a < argv.length; a++) {
    const flag = argv[a];
    switch (flag) {
      case '--smoke':
        options.smoke = true;
        break;
      case '--cases': {
        const ids: string[] = [];
        while (a + 1 < argv.length && !argv[a + 1].startsWith('--')) ids.push(...argv[++a].split(',').filter((s) => s !== ''));
        const unknown = ids.filter((id) => !CASES.some((c) => c.id === id));
        if (ids.length === 0 || unknown.length > 0) {
          throw new Error(`unknown case(s) ${unknown.join(', ') || '(none given)'}; the cases are ${CASES.map((c) => c.id).join(', ')}`);
        }
        options.cases = CASES.filter((c) => ids.includes(c.id));
        casesGiven = true;
        break;
      }
      case '--repeats':
        options.repeats = Math.floor(positive(flag, argv[++a], 1));
        repeatsGiven = true;
        break;
      case '--iterations':
        options.iterations = Math.floor(positive(flag, argv[++a], 2));
        iterationsGiven = true;
        break;
      case '--peers': {
        const value = argv[++a] ?? '';
        const names = value === 'none' ? [] : value.split(',');
        const unknown = names.filter((n) => !(PEER_NAMES as readonly string[]).includes(n));
        if (unknown.length > 0) throw new Error(`unknown peer(s) ${unknown.join(', ')}; the peers are ${PEER_NAMES.join(', ')}`);
        options.peers = names as PeerName[];
        break;
      }
      case '--no-squarem':
        options.squarem = false;
        break;
      case '--no-defaults':
        options.defaults = false;
        break;
      case '--defaults-timeout':
        options.defaultsTimeoutS = positive(flag, argv[++a], 1);
        break;
      case '--case-budget':
        options.caseBudgetS = positive(flag, argv[++a], 0);
        break;
      case '--kernel': {
        const k = argv[++a];
        if (k !== 'auto' && k !== 'wasm' && k !== 'parallel' && k !== 'reference') throw new Error(`--kernel must be auto, wasm, parallel or reference\n${USAGE}`);
        options.kernel = k;
        break;
      }
      case '--no-write':
        options.write = false;
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  if (options.smoke) {
    if (!casesGiven) options.cases = CASES.slice(0, 1);
    if (!repeatsGiven) options.repeats = 1;
    if (!iterationsGiven) options.iterations = 2;
  }
  return options;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const result = await runBench(options);
  console.log('');
  console.log(result.markdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  });
}
