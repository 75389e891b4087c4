/**
 * The mixem command: a thin layer over the library. It parses flags, reads
 * data, calls one library function, and writes results. No maths here.
 *
 * Exit statuses: 0 success, 1 a fit that cannot succeed, 2 a usage error or
 * bad input, 130 interrupted (Ctrl-C; a fit in progress is saved first).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  COVARIANCE_TYPES,
  fitAsync,
  INIT_METHODS,
  loadModel,
  MixemError,
  select,
  type CovarianceType,
  type EvaluateOptions,
  type GaussianMixture,
  type InitMethod,
  type IterationInfo,
  type Kernel,
  type Matrix,
  referenceKernel,
} from '../src/index.js';
import { availableParallelism } from 'node:os';
import { CHUNK_ROWS, createParallelKernel, type ParallelKernel } from '../node/parallel-kernel.js';
import { createWasmKernelSync } from '../src/kernels/wasm.js';
import { CliError } from './errors.js';
import { checkOutputs, emit, toCsv, writeAtomic } from './output.js';
import { readTable, type Table, type TableOptions } from './read.js';
import type { ReportInput, RestartTrace, SelectionRow } from './report.js';
import { jsonSummary, textSummary } from './summary.js';

/** The package's version, from package.json (one level up from cli/, two from dist/cli/). */
function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    const url = new URL(relative, import.meta.url);
    if (existsSync(url)) {
      const parsed = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'mixem' && parsed.version) return parsed.version;
    }
  }
  return 'unknown';
}

/** Extra facts the CLI stores in a model file beside the library's fields. */
interface TrainingInfo {
  source: string;
  rows: number;
  columns: string[];
  /** Quantiles 0, 0.001, …, 1 of the training rows' log densities, for `score --anomalies`. */
  logDensityQuantiles: number[];
  /** With --labels-column: the class names, in component order (component m is classes[m]). */
  classes?: string[];
}

/**
 * Known components from a labels column: the distinct names, sorted (numerically
 * when every name is a number), become components 0, 1, …; empty cells are unknown.
 */
function knownComponents(labels: (string | null)[], components: number, column: string): { classes: string[]; indices: (number | null)[] } {
  const names = [...new Set(labels.filter((v): v is string => v !== null))];
  if (names.length === 0) throw new CliError(`--labels-column ${column} has no known labels (every cell is empty)`);
  const numeric = names.every((v) => Number.isFinite(Number(v)));
  names.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length > components) {
    throw new CliError(`--labels-column ${column} has ${names.length} distinct labels (${names.slice(0, 10).join(', ')}) but -k is ${components}; use -k ${names.length} or more`);
  }
  const index = new Map(names.map((name, m) => [name, m]));
  return { classes: names, indices: labels.map((v) => (v === null ? null : (index.get(v) as number))) };
}

/**
 * A note about missing values, which the fit marginalizes; a data row or a
 * feature column with nothing observed is an error that names it.
 */
function missingNote(table: Table, columnsMayBeEmpty = false): string | null {
  const { matrix, source, columns } = table;
  let cells = 0;
  let rows = 0;
  const perColumn = new Array<number>(matrix.cols).fill(0);
  for (let i = 0; i < matrix.rows; i++) {
    let inRow = 0;
    for (let j = 0; j < matrix.cols; j++) {
      if (Number.isNaN(matrix.data[i * matrix.cols + j])) {
        inRow++;
        perColumn[j]++;
      }
    }
    if (inRow === matrix.cols) throw new CliError(`${source}: data row ${i + 1} has every feature missing; remove it or give a value`);
    cells += inRow;
    if (inRow > 0) rows++;
  }
  const empty = perColumn.findIndex((c) => c === matrix.rows);
  if (empty >= 0 && !columnsMayBeEmpty) throw new CliError(`${source}: column ${JSON.stringify(columns[empty])} has every value missing; leave it out with --columns`);
  return cells === 0 ? null : `${cells} missing value${cells === 1 ? '' : 's'} in ${rows} row${rows === 1 ? '' : 's'}: marginalized by the fit (not imputed)`;
}

// ---------------------------------------------------------------- flag parsers

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*[+-]?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    }
    return n;
  };
}

function nonNegative(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a finite number ≥ 0`);
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError('the quantile must be a number strictly between 0 and 1');
  return n;
}

function list(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError('expected a comma-separated list of names');
  return items;
}

/** "1..9", "2,3,5" or "4" → component counts. */
function componentRange(value: string): number[] {
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(value);
  let counts: number[];
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (from > to) throw new InvalidArgumentError(`the range ${value} is empty`);
    counts = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  } else {
    counts = value.split(',').map((s) => Number(s.trim()));
  }
  if (counts.length === 0 || counts.some((k) => !Number.isSafeInteger(k) || k < 1)) {
    throw new InvalidArgumentError('expected positive integers as "1..9" or "2,3,5"');
  }
  return counts;
}

function covarianceList(value: string): CovarianceType[] {
  if (value === 'all') return [...COVARIANCE_TYPES];
  const items = list(value);
  for (const item of items) {
    if (!COVARIANCE_TYPES.includes(item as CovarianceType)) {
      throw new InvalidArgumentError(`"${item}" is not one of ${COVARIANCE_TYPES.join(', ')}, all`);
    }
  }
  return items as CovarianceType[];
}

// ---------------------------------------------------------------- shared steps

/** Reads and loads a model file, turning problems into one-line errors. */
function readModel(path: string): { model: GaussianMixture; training: TrainingInfo | null } {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new CliError(`${path} is a directory, not a model file`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as { training?: TrainingInfo };
    const model = loadModel(parsed);
    const training = parsed.training && Array.isArray(parsed.training.columns) ? parsed.training : null;
    return { model, training };
  } catch (error) {
    if (error instanceof SyntaxError) throw new CliError(`${path}: model file: not valid JSON (${error.message})`);
    if (error instanceof MixemError) throw new CliError(`${path}: ${error.message}`);
    throw error;
  }
}

/** Reads data for a model: by the training column names when the file has them, else all numeric columns. */
async function readForModel(path: string, model: GaussianMixture, training: TrainingInfo | null, columns?: string[]): Promise<Table> {
  let table = await readTable(path, { columns });
  if (columns === undefined && training && training.columns.every((name) => table.columns.includes(name))) {
    table = await readTable(path, { columns: training.columns });
  }
  if (table.matrix.cols !== model.dimensions) {
    throw new CliError(
      `${table.source} has ${table.matrix.cols} numeric columns (${table.columns.join(', ')}) but the model has ${model.dimensions} dimensions${training ? ` (${training.columns.join(', ')})` : ''}; choose them with --columns`,
    );
  }
  missingNote(table, true); // names a row with nothing observed
  return table;
}

/** Quantiles 0, 0.001, …, 1 of the values (linear interpolation). */
function quantileGrid(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const grid: number[] = [];
  for (let q = 0; q <= 1000; q++) grid.push(quantile(sorted, q / 1000));
  return grid;
}

function quantile(sorted: ArrayLike<number>, p: number): number {
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
}

/** A progress reporter on stderr: a rewritten line on a terminal, or plain lines when forced. */
function progressReporter(enabled: boolean, forced: boolean) {
  if (!enabled) return { update: (_: IterationInfo) => undefined, done: () => undefined };
  const tty = process.stderr.isTTY && !forced;
  let last = 0;
  return {
    update(info: IterationInfo) {
      const now = Date.now();
      if (tty && now - last < 100) return;
      last = now;
      const line = `restart ${info.restart + 1}/${info.restarts}  iteration ${info.iteration}  log-likelihood ${info.logLikelihood.toFixed(6)}  change ${info.change.toExponential(2)}`;
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

function labelsCsv(model: GaussianMixture, data: Matrix, withProbabilities: boolean, evaluate = evaluation()): string {
  const labels = model.predict(data, evaluate);
  const k = model.components;
  const header = ['label', ...(withProbabilities ? Array.from({ length: k }, (_, m) => `p${m}`) : [])];
  const proba = withProbabilities ? model.predictProba(data, evaluate).data : null;
  const rows: number[][] = [];
  for (let i = 0; i < data.rows; i++) {
    const row = [labels[i]];
    if (proba) for (let m = 0; m < k; m++) row.push(proba[i * k + m]);
    rows.push(row);
  }
  return toCsv(header, rows);
}

/** Renders --report and --plot as [path, content] pairs; the plotting libraries load only when asked for. */
async function renderFigures(flags: { report?: string; plot?: string }, input: ReportInput): Promise<[string, string | Uint8Array][]> {
  const outputs: [string, string | Uint8Array][] = [];
  if (!flags.report && !flags.plot) return outputs;
  const { renderPlot, renderReport } = await import('./report.js');
  if (flags.report) outputs.push([flags.report, renderReport(input)]);
  if (flags.plot) outputs.push([flags.plot, renderPlot(input, plotFormat(flags.plot))]);
  return outputs;
}

function plotFormat(path: string): 'svg' | 'png' {
  if (/\.svg$/i.test(path)) return 'svg';
  if (/\.png$/i.test(path)) return 'png';
  throw new CliError(`--plot ${path}: the file name must end in .svg or .png`);
}

// ---------------------------------------------------------------- commands

interface CommonOptions {
  output?: string;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
}

interface FitFlags extends CommonOptions {
  components?: number;
  covariance?: CovarianceType;
  init: InitMethod;
  start?: string;
  restarts: number;
  maxIter: number;
  tol: number;
  regCovar: number;
  seed: number;
  weightsColumn?: string;
  labelsColumn?: string;
  columns?: string[];
  labels?: string;
  report?: string;
  plot?: string;
  progress?: boolean;
  threads?: number;
  kernel: 'auto' | 'wasm' | 'typescript';
  acceleration: 'none' | 'squarem';
  float32?: boolean;
}

/** Pools started by this command, closed when it ends. */
const pools: { close(): Promise<void> }[] = [];

type KernelFlags = { threads?: number; kernel: 'auto' | 'wasm' | 'typescript'; float32?: boolean };

/** The kernel on this thread for the flags: WebAssembly where it loads (and the flags allow), else the reference. */
function localKernel(flags: KernelFlags): Kernel {
  if (flags.float32 && flags.kernel === 'typescript') throw new CliError('--float32 needs the WebAssembly kernel; drop --kernel typescript');
  if (flags.kernel === 'typescript') return referenceKernel;
  try {
    return createWasmKernelSync({ precision: flags.float32 ? 'float32' : 'float64' });
  } catch (error) {
    if (flags.float32) throw new CliError(`--float32: ${(error as Error).message}`, 1);
    if (flags.kernel === 'wasm') throw new CliError(`--kernel wasm: ${(error as Error).message}`, 1);
    return referenceKernel;
  }
}

/** Starts the worker pool for the flags, with `threads` threads. */
async function startPool(flags: KernelFlags, threads: number): Promise<ParallelKernel> {
  const local = localKernel(flags);
  const pool = await createParallelKernel({ threads, inner: local === referenceKernel ? 'reference' : 'wasm', precision: flags.float32 ? 'float32' : 'float64' });
  pools.push(pool);
  return pool;
}

/** Files from this size on are read in chunks (cli/read.ts), into the pool's memory when a pool will fit them. */
const LARGE_FILE_BYTES = 32 * 1024 * 1024;

/**
 * The worker pool, started before a large file is read, so that the rows go
 * straight into its shared memory, where its workers read them in place (no
 * second copy of the data), or null (small files, stdin, one thread).
 */
async function poolBeforeReading(path: string, flags: KernelFlags): Promise<ParallelKernel | null> {
  if (path === '-' || (flags.kernel === 'typescript' && flags.threads === undefined)) return null;
  const threads = flags.threads ?? availableParallelism();
  if (threads <= 1) return null;
  try {
    if (!(statSync(path).size >= LARGE_FILE_BYTES)) return null;
  } catch {
    return null; // reading the file reports it
  }
  return startPool(flags, threads);
}

/** Reads a fit's data: a large file straight into the worker pool's memory (the pool, started for it, comes back too). */
async function readFitData(path: string, flags: KernelFlags, options: TableOptions): Promise<{ table: Table; early: ParallelKernel | null }> {
  const early = await poolBeforeReading(path, flags);
  const allocate = early === null ? undefined : (rows: number, cols: number) => early.allocateMatrix(rows, cols).data;
  return { table: await readTable(path, { ...options, allocate }), early };
}

/**
 * The E-step kernel for a fit: WebAssembly SIMD on worker threads for large data,
 * WebAssembly on this thread for small data, or the TypeScript reference kernel.
 * Every choice gives the same model within rounding (1e-10 relative). `early`
 * is the pool started before reading, if any.
 */
async function chooseKernel(flags: KernelFlags, rows: number, early: ParallelKernel | null = null): Promise<Kernel> {
  const local = localKernel(flags);
  if (flags.kernel === 'typescript' && flags.threads === undefined) return referenceKernel;
  // Worker threads pay off from a few chunks of rows on; below that one thread is faster.
  const threads = flags.threads ?? (rows >= 4 * CHUNK_ROWS ? availableParallelism() : 1);
  if (threads <= 1) return local;
  return early ?? startPool(flags, threads);
}

let evaluationKernel: Kernel | null = null;

/**
 * How rows are evaluated after a fit and from a model file (labels, densities,
 * BIC): with the WebAssembly kernel where it runs (several times faster than
 * the reference on large data, and equal to it within about 1e-15 relative),
 * else, or with `--kernel typescript`, with the TypeScript reference kernel.
 */
function evaluation(flags: { kernel?: 'auto' | 'wasm' | 'typescript' } = {}): EvaluateOptions {
  if (flags.kernel === 'typescript') return { kernel: referenceKernel };
  if (evaluationKernel === null) {
    try {
      evaluationKernel = createWasmKernelSync();
    } catch {
      evaluationKernel = referenceKernel;
    }
  }
  return { kernel: evaluationKernel };
}

async function fitCommand(dataPath: string, flags: FitFlags, interrupt: AbortController): Promise<number> {
  checkOutputs([flags.output, flags.labels, flags.report, flags.plot], flags.force ?? false);
  if (flags.plot) plotFormat(flags.plot);
  const start = flags.start ? readModel(flags.start).model : undefined;
  const { table, early } = await readFitData(dataPath, flags, { columns: flags.columns, weightsColumn: flags.weightsColumn, labelsColumn: flags.labelsColumn });
  const missing = missingNote(table);
  if (start && start.dimensions !== table.matrix.cols) {
    throw new CliError(`--start ${flags.start} has ${start.dimensions} dimensions but ${table.source} has ${table.matrix.cols} columns (${table.columns.join(', ')})`);
  }
  const components = flags.components ?? start?.components;
  if (components === undefined) throw new CliError('missing -k <K>: the number of components');
  if (start && components !== start.components) throw new CliError(`-k ${components} disagrees with --start ${flags.start}, which has ${start.components} components`);
  const covariance = flags.covariance ?? start?.covariance ?? 'full';
  const known = table.labels === null ? null : knownComponents(table.labels, components, flags.labelsColumn as string);
  // Notes only once the input is known to be usable, so that an error stays the only line.
  for (const note of [...table.notes, ...(missing ? [missing] : [])]) if (!flags.quiet) process.stderr.write(`note: ${note}\n`);

  const kernel = await chooseKernel(flags, table.matrix.rows, early);
  const traces: RestartTrace[] = [];
  const progress = progressReporter(!flags.quiet && (process.stderr.isTTY || flags.progress === true), flags.progress === true);
  const began = Date.now();
  const model = await fitAsync(table.matrix, {
    components,
    covariance,
    init: flags.init,
    start,
    restarts: flags.restarts,
    maxIterations: flags.maxIter,
    tolerance: flags.tol,
    regularization: flags.regCovar,
    seed: flags.seed,
    sampleWeights: table.weights ?? undefined,
    labels: known?.indices,
    acceleration: flags.acceleration,
    kernel,
    signal: interrupt.signal,
    onIteration: (info) => {
      if (traces.length <= info.restart) traces.push({ restart: info.restart, history: [] });
      traces[info.restart].history.push(info.logLikelihood);
      progress.update(info);
    },
  });
  progress.done();
  const seconds = (Date.now() - began) / 1000;
  const evaluate = evaluation(flags);
  const scoring = { sampleWeights: table.weights ?? undefined, ...evaluate };
  const training: TrainingInfo = {
    source: table.source,
    rows: table.matrix.rows,
    columns: table.columns,
    logDensityQuantiles: quantileGrid(model.scoreSamples(table.matrix, evaluate)),
    ...(known ? { classes: known.classes } : {}),
  };
  const file = `${JSON.stringify({ ...model.toJSON(), training }, null, 2)}\n`;
  if (interrupt.signal.aborted) {
    emit(flags.output, file);
    process.stderr.write(`interrupted: the best model so far (not converged) was written to ${flags.output ?? 'stdout'}\n`);
    return 130;
  }
  // Everything is rendered before anything is written, so a failure leaves no output behind.
  const outputs = await renderFigures(flags, { title: `mixem fit: ${table.source}`, data: table.matrix, columns: table.columns, model, traces, evaluate });
  if (flags.labels) outputs.push([flags.labels, labelsCsv(model, table.matrix, true, evaluate)]);
  emit(flags.output, file);
  for (const [path, content] of outputs) writeAtomic(path, content);
  const context = {
    source: table.source,
    rows: table.matrix.rows,
    columns: table.columns,
    bic: model.bic(table.matrix, scoring),
    aic: model.aic(table.matrix, scoring),
    seconds,
    restarts: flags.restarts,
    output: flags.output,
  };
  // The model goes to stdout when there is no -o; the summary then goes to stderr.
  const summaryStream = flags.output === undefined || flags.output === '-' ? process.stderr : process.stdout;
  if (flags.json) summaryStream.write(jsonSummary(model, context));
  else if (!flags.quiet) summaryStream.write(textSummary(model, context));
  return 0;
}

async function predictCommand(modelPath: string, dataPath: string, flags: CommonOptions & { proba?: boolean; columns?: string[] }): Promise<number> {
  checkOutputs([flags.output], flags.force ?? false);
  const { model, training } = readModel(modelPath);
  const table = await readForModel(dataPath, model, training, flags.columns);
  emit(flags.output, labelsCsv(model, table.matrix, flags.proba ?? false));
  return 0;
}

/**
 * Fills missing cells from the model: conditional means, or with --draws N,
 * N multiple imputations stacked with a `draw` column (1…N).
 */
async function imputeCommand(
  modelPath: string,
  dataPath: string,
  flags: CommonOptions & { draws?: number; seed: number; columns?: string[] },
): Promise<number> {
  checkOutputs([flags.output], flags.force ?? false);
  const { model, training } = readModel(modelPath);
  const table = await readForModel(dataPath, model, training, flags.columns);
  const d = table.matrix.cols;
  const rowsOf = (m: Matrix) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * d, (i + 1) * d)));
  if (flags.draws === undefined) {
    emit(flags.output, toCsv(table.columns, rowsOf(model.impute(table.matrix))));
  } else {
    const stacked = model.impute(table.matrix, { draws: flags.draws, seed: flags.seed }).flatMap((m, t) => rowsOf(m).map((row) => [t + 1, ...row]));
    emit(flags.output, toCsv(['draw', ...table.columns], stacked));
  }
  return 0;
}

async function scoreCommand(
  modelPath: string,
  dataPath: string,
  flags: CommonOptions & { anomalies?: number; columns?: string[] },
): Promise<number> {
  checkOutputs([flags.output], flags.force ?? false);
  const { model, training } = readModel(modelPath);
  const table = await readForModel(dataPath, model, training, flags.columns);
  const logDensity = model.scoreSamples(table.matrix, evaluation());
  const header = ['log_density'];
  let threshold: number | null = null;
  if (flags.anomalies !== undefined) {
    header.push('anomaly');
    if (training && training.logDensityQuantiles?.length === 1001) {
      const grid = training.logDensityQuantiles;
      threshold = quantile(grid, flags.anomalies);
    } else {
      threshold = quantile(Float64Array.from(logDensity).sort(), flags.anomalies);
      if (!flags.quiet) process.stderr.write('note: the model file has no training densities; the threshold is the quantile of these rows\n');
    }
  }
  const rows: number[][] = [];
  let flagged = 0;
  for (let i = 0; i < logDensity.length; i++) {
    const row = [logDensity[i]];
    if (threshold !== null) {
      const anomaly = logDensity[i] < threshold ? 1 : 0;
      flagged += anomaly;
      row.push(anomaly);
    }
    rows.push(row);
  }
  emit(flags.output, toCsv(header, rows));
  const mean = model.score(table.matrix, evaluation());
  const stream = flags.output === undefined || flags.output === '-' ? process.stderr : process.stdout;
  if (flags.json) {
    stream.write(`${JSON.stringify({ rows: logDensity.length, meanLogDensity: mean, threshold, anomalies: threshold === null ? null : flagged })}\n`);
  } else if (!flags.quiet) {
    stream.write(`mean log density ${mean.toFixed(6)} over ${logDensity.length} rows\n`);
    if (threshold !== null) stream.write(`${flagged} rows below the ${flags.anomalies}-quantile of the training density (${threshold.toFixed(6)}) flagged as anomalies\n`);
  }
  return 0;
}

async function sampleCommand(modelPath: string, flags: CommonOptions & { count: number; seed: number }): Promise<number> {
  checkOutputs([flags.output], flags.force ?? false);
  const { model, training } = readModel(modelPath);
  const { points, labels } = model.sample(flags.count, flags.seed);
  const names = training?.columns.length === model.dimensions ? training.columns : Array.from({ length: model.dimensions }, (_, j) => `x${j + 1}`);
  const rows: number[][] = [];
  for (let i = 0; i < points.rows; i++) rows.push([...points.data.subarray(i * points.cols, (i + 1) * points.cols), labels[i]]);
  emit(flags.output, toCsv([...names, 'component'], rows));
  return 0;
}

interface SelectFlags extends Omit<FitFlags, 'components' | 'covariance' | 'start' | 'labels'> {
  k: number[];
  covariance: CovarianceType[];
  criterion: 'bic' | 'aic' | 'icl';
}

async function selectCommand(dataPath: string, flags: SelectFlags): Promise<number> {
  checkOutputs([flags.output, flags.report, flags.plot], flags.force ?? false);
  if (flags.plot) plotFormat(flags.plot);
  const { table, early } = await readFitData(dataPath, flags, { columns: flags.columns, weightsColumn: flags.weightsColumn });
  const missing = missingNote(table);
  for (const note of [...table.notes, ...(missing ? [missing] : [])]) if (!flags.quiet) process.stderr.write(`note: ${note}\n`);
  const evaluate = evaluation(flags);
  const result = select(table.matrix, {
    components: flags.k,
    covariance: flags.covariance,
    criterion: flags.criterion,
    init: flags.init,
    restarts: flags.restarts,
    maxIterations: flags.maxIter,
    tolerance: flags.tol,
    regularization: flags.regCovar,
    seed: flags.seed,
    sampleWeights: table.weights ?? undefined,
    acceleration: flags.acceleration,
    kernel: await chooseKernel(flags, table.matrix.rows, early),
  });
  const rows: SelectionRow[] = result.entries
    .filter((e) => e.bic !== null)
    .map((e) => ({
      components: e.components,
      covariance: e.covariance,
      bic: e.bic!,
      aic: e.aic!,
      icl: e.icl!,
      logLikelihood: e.logLikelihood!,
      parameters: e.parameters!,
      best: e === result.best,
    }));
  const best = result.best.model!;
  const training: TrainingInfo = {
    source: table.source,
    rows: table.matrix.rows,
    columns: table.columns,
    logDensityQuantiles: quantileGrid(best.scoreSamples(table.matrix, evaluate)),
  };
  const outputs = await renderFigures(flags, {
    title: `mixem select: ${table.source}`,
    data: table.matrix,
    columns: table.columns,
    model: best,
    traces: [],
    selection: rows,
    evaluate,
  });
  if (flags.output) outputs.push([flags.output, `${JSON.stringify({ ...best.toJSON(), training }, null, 2)}\n`]);
  for (const [path, content] of outputs) writeAtomic(path, content);

  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          criterion: result.criterion,
          lowerIsBetter: true,
          best: { components: result.best.components, covariance: result.best.covariance },
          entries: result.entries.map(({ model: _model, ...entry }) => entry),
          output: flags.output ?? null,
        },
        null,
        2,
      )}\n`,
    );
  } else if (!flags.quiet) {
    const lines = [`model selection on ${table.source}: ${table.matrix.rows} rows × ${table.matrix.cols} columns; lower BIC, AIC and ICL are better`];
    lines.push(`${'K'.padStart(3)}  ${'covariance'.padEnd(10)}${'log-lik'.padStart(12)}${'params'.padStart(8)}${'BIC'.padStart(14)}${'AIC'.padStart(14)}${'ICL'.padStart(14)}`);
    for (const e of result.entries) {
      const mark = e === result.best ? `   ← best by ${result.criterion.toUpperCase()}` : '';
      if (e.bic === null) {
        lines.push(`${String(e.components).padStart(3)}  ${e.covariance.padEnd(10)}  failed: ${e.error}`);
      } else {
        lines.push(
          `${String(e.components).padStart(3)}  ${e.covariance.padEnd(10)}${e.logLikelihood!.toFixed(4).padStart(12)}${String(e.parameters).padStart(8)}${e.bic.toFixed(2).padStart(14)}${e.aic!.toFixed(2).padStart(14)}${e.icl!.toFixed(2).padStart(14)}${mark}`,
        );
      }
    }
    lines.push(`best: K = ${result.best.components}, ${result.best.covariance} covariance${flags.output ? `; model written to ${flags.output}` : ''}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

function infoCommand(modelPath: string, flags: { json?: boolean }): number {
  const { model, training } = readModel(modelPath);
  const context = { columns: training?.columns ?? [], source: training?.source, rows: training?.rows };
  process.stdout.write(flags.json ? jsonSummary(model, context) : textSummary(model, context));
  return 0;
}

// ---------------------------------------------------------------- program

function fitOptions(command: Command): Command {
  return command
    .addOption(new Option('--init <method>', 'start method').choices(INIT_METHODS).default('kmeans'))
    .option('--restarts <n>', 'EM runs from different starts; the best is kept', integer('--restarts', 1), 1)
    .option('--max-iter <n>', 'maximum EM iterations per run', integer('--max-iter', 0), 100)
    .option('--tol <t>', 'stop when the mean log-likelihood changes by less', nonNegative('--tol'), 1e-3)
    .option('--reg-covar <r>', 'added to covariance diagonals', nonNegative('--reg-covar'), 1e-6)
    .option('--seed <s>', 'random seed', integer('--seed', 0), 0)
    .option('--columns <a,b,c>', 'feature columns (default: every numeric column)', list)
    .option('--weights-column <name>', 'a column of per-row sample weights')
    .option('-o, --output <file>', 'write the model file here (default: stdout)')
    .option('--report <file.html>', 'write an HTML report with plots')
    .option('--plot <file.svg|file.png>', 'write the main figure')
    .option('--force', 'replace existing output files')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'print no summary or progress')
    .option('--threads <n>', 'worker threads for the E-step (default: all cores for large data); any count gives the same model', integer('--threads', 1))
    .addOption(new Option('--kernel <name>', 'E-step implementation').choices(['auto', 'wasm', 'typescript']).default('auto'))
    .option('--float32', 'E-step in single precision: about 2× faster kernel, log-likelihood within ~1e-7 relative (docs/float32.md)')
    .addOption(new Option('--acceleration <name>', 'squarem: fewer, costlier iterations; none: plain EM').choices(['none', 'squarem']).default('none'))
    .addOption(new Option('--progress', 'print progress lines even when stderr is not a terminal').hideHelp());
}

/** Runs the command line; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const interrupt = new AbortController();
  let debug = argv.includes('--debug');
  let status = 0;
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);

  const program = new Command('mixem')
    .description('Gaussian mixture models fitted by Expectation–Maximization')
    .version(packageVersion())
    .option('--debug', 'show stack traces for errors')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined })
    .showSuggestionAfterError(true);

  fitOptions(
    program
      .command('fit')
      .description('fit a Gaussian mixture to a data file (CSV, TSV, JSON, Parquet, Arrow; - for stdin)')
      .argument('<data>', 'data file')
      .option('-k, --components <K>', 'number of components', integer('-k', 1))
      .addOption(new Option('--covariance <type>', 'covariance type (default full)').choices(COVARIANCE_TYPES))
      .option('--start <model.json>', 'start from a model file (any model file, or format, version, covariance, weights, means, covariances)')
      .option('--labels <file.csv>', 'write each row’s label and component probabilities')
      .option('--labels-column <name>', 'a column of known components for some rows (semi-supervised); empty or NA means unknown'),
  ).action(async (data: string, flags: FitFlags) => {
    status = await fitCommand(data, flags, interrupt);
  });

  program
    .command('predict')
    .description('write the most probable component of each row')
    .argument('<model>', 'model file')
    .argument('<data>', 'data file')
    .option('--proba', 'also write each component’s probability')
    .option('--columns <a,b,c>', 'feature columns (default: the training columns)', list)
    .option('-o, --output <file>', 'output CSV (default: stdout)')
    .option('--force', 'replace an existing output file')
    .action(async (model: string, data: string, flags) => {
      status = await predictCommand(model, data, flags);
    });

  program
    .command('impute')
    .description('fill missing cells (empty, NA, NaN) from the model: conditional means, or --draws multiple imputations')
    .argument('<model>', 'model file')
    .argument('<data>', 'data file')
    .option('--draws <n>', 'write n draws from the conditional distribution, stacked, with a draw column', integer('--draws', 1))
    .option('--seed <s>', 'random seed of the draws', integer('--seed', 0), 0)
    .option('--columns <a,b,c>', 'feature columns (default: the training columns)', list)
    .option('-o, --output <file>', 'output CSV (default: stdout)')
    .option('--force', 'replace an existing output file')
    .action(async (model: string, data: string, flags) => {
      status = await imputeCommand(model, data, flags);
    });

  program
    .command('score')
    .description('write the log density of each row and print the mean')
    .argument('<model>', 'model file')
    .argument('<data>', 'data file')
    .option('--anomalies <q>', 'flag rows below the q-quantile of the training density', fraction)
    .option('--columns <a,b,c>', 'feature columns (default: the training columns)', list)
    .option('-o, --output <file>', 'output CSV (default: stdout)')
    .option('--force', 'replace an existing output file')
    .option('--json', 'print the mean as JSON')
    .option('--quiet', 'print nothing but the output')
    .action(async (model: string, data: string, flags) => {
      status = await scoreCommand(model, data, flags);
    });

  program
    .command('sample')
    .description('draw points from a model, with their component')
    .argument('<model>', 'model file')
    .requiredOption('-n, --count <n>', 'number of points', integer('-n', 0))
    .option('--seed <s>', 'random seed', integer('--seed', 0), 0)
    .option('-o, --output <file>', 'output CSV (default: stdout)')
    .option('--force', 'replace an existing output file')
    .action(async (model: string, flags) => {
      status = await sampleCommand(model, flags);
    });

  fitOptions(
    program
      .command('select')
      .description('fit every K and covariance type; print BIC, AIC and ICL (lower is better) and keep the best')
      .argument('<data>', 'data file')
      .option('--k <range>', 'component counts: "1..9" or "2,3,5"', componentRange, Array.from({ length: 9 }, (_, i) => i + 1))
      .option('--covariance <types>', 'all, or a list such as full,diag', covarianceList, [...COVARIANCE_TYPES])
      .addOption(new Option('--criterion <name>', 'criterion that picks the best').choices(['bic', 'aic', 'icl']).default('bic')),
  ).action(async (data: string, flags: SelectFlags) => {
    status = await selectCommand(data, flags);
  });

  program
    .command('info')
    .description('summarize a model file')
    .argument('<model>', 'model file')
    .option('--json', 'print the summary as JSON')
    .action((model: string, flags) => {
      status = infoCommand(model, flags);
    });

  for (const command of program.commands) {
    command.option('--debug', 'show stack traces for errors');
    command.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined }).showSuggestionAfterError(true);
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    debug = debug || Boolean(program.opts().debug);
    return status;
  } catch (error) {
    return reportError(error, debug);
  } finally {
    process.off('SIGINT', onSigint);
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  }
}

/** Prints one line on stderr (a stack trace only with --debug) and returns the exit status. */
function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    const message = error.message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`mixem: ${message} (see mixem --help)\n`);
    return 2;
  }
  let status = 1;
  let message: string;
  if (error instanceof CliError) {
    status = error.exitCode;
    message = error.message;
  } else if (error instanceof MixemError) {
    status = error.code === 'degenerate-component' || error.code === 'numeric-overflow' ? 1 : 2;
    message = error.message;
  } else {
    message = `internal error: ${(error as Error)?.message ?? String(error)} (run with --debug for details)`;
  }
  process.stderr.write(`mixem: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return status;
}
