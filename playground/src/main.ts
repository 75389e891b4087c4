/**
 * The page: state, controls and drawing. Every library call runs in the
 * worker (worker.ts); this thread parses files, keeps the data, and draws at
 * most MAX_DRAWN points so that it stays responsive on large data.
 */
import { COVARIANCE_TYPES, INIT_METHODS } from 'mixem';
import { CsvError, parseCsv } from './csv';
import { addRow, bundled, BUNDLED, drawnRows, extent, fromTable, nearestRow, selectColumns, Stream, type BundledId, type Dataset } from './data';
import { FitWorker } from './client';
import { addNote, clearError, clearNotes, showError, showStatus, ui } from './elements';
import { bicCurve, blendedColors, labelColors, PALETTE, scatter, trace, UNASSIGNED, type PlotElement, type TraceSeries } from './plot';
import type { Reply, SelectionPoint, Settings, Snapshot } from './protocol';

const worker = new FitWorker();

const format = (v: number, digits = 6) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const formatCompact = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4));

// ------------------------------------------------------------------ state

interface KmeansView {
  labels: Int32Array;
  centers: number[][];
  inertia: number;
  disagreements: number | null;
  matched: boolean;
}

const state = {
  dataset: bundled('faithful') as Dataset,
  /** Fitted columns (indices into dataset.columns), in order. */
  fitted: [0, 1] as number[],
  xColumn: 0,
  yColumn: 1,
  drawn: new Int32Array(0) as Int32Array,
  xDomain: [0, 1] as [number, number],
  yDomain: [0, 1] as [number, number],
  model: null as Snapshot | null,
  /** Colour of each drawn row. */
  colors: [] as string[],
  /** Whether the colours are older than the parameters (an M-step since the last E-step). */
  stale: false,
  iterations: 0,
  converged: false,
  cause: '' as string,
  kmeans: null as KmeansView | null,
  traces: [] as TraceSeries[],
  selection: [] as SelectionPoint[],
  bestK: null as number | null,
  /** The long task running (run, fit, select), if any. */
  busy: null as string | null,
  /** Replies to requests older than the last data change are ignored. */
  dataRequestId: 0,
  revision: 0,
};

// ------------------------------------------------------------------ messages

// ------------------------------------------------------------------ settings

/** Reads and checks the model controls; shows what is wrong and returns null if anything is. */
function readSettings(): Settings | null {
  const problems: string[] = [];
  const integer = (input: HTMLInputElement, name: string, min: number, max: number) => {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isInteger(v) || v < min || v > max) problems.push(`${name} must be a whole number from ${min} to ${max}`);
    return v;
  };
  const components = integer(ui.components, 'Components K', 1, Math.min(10, state.dataset.rows));
  const seed = integer(ui.seed, 'Seed', -2147483648, 2147483647);
  const restarts = integer(ui.restarts, 'Restarts', 1, 50);
  const maxIterations = integer(ui.maxIterations, 'Max iterations', 1, 10000);
  const tolerance = Number(ui.tolerance.value);
  if (ui.tolerance.value.trim() === '' || !(tolerance >= 0) || !Number.isFinite(tolerance)) problems.push('Tolerance must be a number ≥ 0');
  if (problems.length > 0) {
    showError(`${problems.join('; ')}.`);
    return null;
  }
  return {
    components,
    covariance: ui.covariance.value as Settings['covariance'],
    init: ui.init.value as Settings['init'],
    seed,
    restarts,
    tolerance,
    maxIterations,
  };
}

// ------------------------------------------------------------------ busy

function setBusy(task: string | null): void {
  state.busy = task;
  ui.app.dataset.busy = String(task !== null);
  for (const button of [ui.reset, ui.eStep, ui.mStep, ui.run, ui.fit, ui.bicRun, ui.downloadModel, ui.downloadLabels, ui.addPoint, ui.removeAdded]) {
    button.disabled = task !== null;
  }
  ui.useBest.disabled = task !== null || state.bestK === null;
  ui.stop.disabled = task === null;
  ui.run.textContent = task === 'run' ? 'Running…' : 'Run';
  ui.fit.textContent = task === 'fit' ? 'Fitting…' : 'Fit';
}

/**
 * Runs a long task with the Stop button enabled. Keyboard focus on a button
 * that the task disables moves to Stop, and comes back when the task ends.
 */
async function longTask(name: string, work: () => Promise<boolean>): Promise<void> {
  const from = document.activeElement instanceof HTMLButtonElement ? document.activeElement : null;
  setBusy(name);
  if (from?.disabled) ui.stop.focus();
  try {
    const stopped = await work();
    if (stopped) showStatus(`${name[0].toUpperCase()}${name.slice(1)} stopped.`);
  } catch (error) {
    showError((error as Error).message);
  } finally {
    setBusy(null);
    if (from !== null && (document.activeElement === ui.stop || document.activeElement === document.body)) from.focus();
  }
}

// ------------------------------------------------------------------ data

function optionFor(value: string, text: string): HTMLOptionElement {
  const option = document.createElement('option');
  option.value = value;
  option.textContent = text;
  return option;
}

/** Fills the column checkboxes and axis menus for the current data set. */
function renderColumnControls(): void {
  const { columns } = state.dataset;
  ui.columns.replaceChildren(
    ...columns.map((name, j) => {
      const wrap = document.createElement('div');
      wrap.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = `column-${j}`;
      box.value = String(j);
      box.checked = state.fitted.includes(j);
      box.addEventListener('change', () => onColumnToggle(j, box));
      const label = document.createElement('label');
      label.htmlFor = box.id;
      label.textContent = name;
      wrap.append(box, label);
      return wrap;
    }),
  );
  for (const [select, chosen] of [
    [ui.xColumn, state.xColumn],
    [ui.yColumn, state.yColumn],
  ] as const) {
    select.replaceChildren(...state.fitted.map((j) => optionFor(String(j), columns[j])));
    select.value = String(chosen);
  }
  ui.addXLabel.textContent = columns[state.xColumn];
  ui.addYLabel.textContent = columns[state.yColumn];
}

function summarizeData(): void {
  const { dataset } = state;
  const added = dataset.rows - dataset.originalRows;
  const parts = [`${dataset.source}: ${dataset.rows.toLocaleString('en')} rows, ${state.fitted.length} of ${dataset.columns.length} columns fitted`];
  if (added > 0) parts.push(`${added} added by hand`);
  if (state.drawn.length < dataset.rows) parts.push(`${state.drawn.length.toLocaleString('en')} drawn`);
  if (dataset.skipped.length > 0) parts.push(`text columns left out: ${dataset.skipped.join(', ')}`);
  ui.dataSummary.textContent = `${parts.join('; ')}.`;
}

function updateDomains(): void {
  state.xDomain = extent(state.dataset, state.xColumn);
  state.yDomain = extent(state.dataset, state.yColumn);
}

/** Index of a data set column among the fitted ones (the dimension in the model). */
const dimensionOf = (column: number) => state.fitted.indexOf(column);

/** Sends the fitted columns to the worker. */
function sendData(keepModel: boolean): Promise<boolean> {
  const values = selectColumns(state.dataset, state.fitted);
  const id = worker.nextId;
  state.dataRequestId = id;
  state.drawn = drawnRows(state.dataset);
  const drawn = state.drawn.slice();
  if (!keepModel) {
    state.model = null;
    state.kmeans = null;
  }
  state.colors = Array.from(state.drawn, (_, q) => state.colors[q] ?? UNASSIGNED);
  if (!keepModel) state.colors.fill(UNASSIGNED);
  summarizeData();
  schedule('scatter', 'kmeans', 'readout', 'table', 'trace');
  return worker.send(
    {
      type: 'data',
      values,
      rows: state.dataset.rows,
      cols: state.fitted.length,
      drawn,
      source: state.dataset.source,
      columns: state.fitted.map((j) => state.dataset.columns[j]),
      keepModel,
    },
    (reply) => {
      if (reply.type === 'model') applyModel(reply);
    },
    [values.buffer, drawn.buffer],
  );
}

/** Switches to a new data set: all its columns fitted, its default columns plotted, a fresh start. */
async function loadDataset(dataset: Dataset): Promise<void> {
  if (state.busy) worker.stopAll();
  clearError();
  state.dataset = dataset;
  state.fitted = dataset.columns.map((_, j) => j);
  [state.xColumn, state.yColumn] = dataset.plot;
  state.traces = [];
  state.selection = [];
  state.bestK = null;
  ui.useBest.disabled = true;
  ui.bicFigure.hidden = true;
  clearNotes();
  renderColumnControls();
  updateDomains();
  const k = Number(ui.components.value);
  if (Number.isInteger(k) && k > dataset.rows) ui.components.value = String(Math.max(1, Math.min(dataset.rows, 10)));
  await sendData(false).catch((error: Error) => showError(error.message));
  await reset();
  showStatus(`Loaded ${dataset.source}. Press E-step, M-step or Run to watch EM, or Fit for the full fit with restarts.`);
}

function onColumnToggle(column: number, box: HTMLInputElement): void {
  if (!box.checked && state.fitted.length <= 2) {
    box.checked = true;
    showError('At least two columns must be fitted: they are the two plotted.');
    return;
  }
  clearError();
  state.fitted = state.dataset.columns.map((_, j) => j).filter((j) => (j === column ? box.checked : state.fitted.includes(j)));
  if (!state.fitted.includes(state.xColumn)) state.xColumn = state.fitted.find((j) => j !== state.yColumn) ?? state.fitted[0];
  if (!state.fitted.includes(state.yColumn)) state.yColumn = state.fitted.find((j) => j !== state.xColumn) ?? state.fitted[1];
  renderColumnControls();
  updateDomains();
  if (state.busy) worker.stopAll();
  state.traces = [];
  void sendData(false)
    .then(() => reset())
    .catch((error: Error) => showError(error.message));
}

function onAxisChange(): void {
  state.xColumn = Number(ui.xColumn.value);
  state.yColumn = Number(ui.yColumn.value);
  ui.addXLabel.textContent = state.dataset.columns[state.xColumn];
  ui.addYLabel.textContent = state.dataset.columns[state.yColumn];
  updateDomains();
  schedule('scatter', 'kmeans');
}

async function loadFile(file: File): Promise<void> {
  clearError();
  let text: string;
  try {
    text = await file.text();
  } catch (error) {
    showError(`Could not read ${file.name}: ${(error as Error).message}`);
    return;
  }
  try {
    const table = parseCsv(text, file.name);
    const dataset = fromTable(table);
    let option = ui.dataset.querySelector<HTMLOptionElement>('option[value="file"]');
    if (option === null) {
      option = optionFor('file', '');
      ui.dataset.append(option);
    }
    option.textContent = `File: ${file.name}`;
    ui.dataset.value = 'file';
    await loadDataset(dataset);
  } catch (error) {
    if (error instanceof CsvError) {
      showError(`${error.message}. The data was not changed.`);
      showStatus(`Could not load ${file.name}.`);
    } else {
      showError((error as Error).message);
    }
  }
}

// ------------------------------------------------------------------ adding points

const spray = new Stream(2024);
let pendingAdd = false;

/** Adds a row at (x, y) in the plotted columns; its other columns copy the nearest drawn row. */
function addPointAt(x: number, y: number): void {
  const { dataset } = state;
  const d = dataset.columns.length;
  const row = new Float64Array(d);
  if (d > 2 && dataset.rows > 0) {
    const spans: [number, number] = [state.xDomain[1] - state.xDomain[0], state.yDomain[1] - state.yDomain[0]];
    const near = nearestRow(dataset, state.drawn, state.xColumn, state.yColumn, x, y, spans);
    row.set(dataset.values.subarray(near * d, (near + 1) * d));
  }
  row[state.xColumn] = x;
  row[state.yColumn] = y;
  addRow(dataset, row);
  state.drawn = drawnRows(dataset);
  state.colors.push(UNASSIGNED);
  pendingAdd = true;
  schedule('scatter');
}

/** Sends the added points to the worker, which re-scores the current parameters on them. */
async function commitAdded(): Promise<void> {
  if (!pendingAdd) return;
  pendingAdd = false;
  const [x0, x1] = state.xDomain;
  const [y0, y1] = state.yDomain;
  const d = state.dataset.columns.length;
  for (let i = state.dataset.originalRows; i < state.dataset.rows; i++) {
    const x = state.dataset.values[i * d + state.xColumn];
    const y = state.dataset.values[i * d + state.yColumn];
    if (x < x0 || x > x1 || y < y0 || y > y1) {
      updateDomains();
      break;
    }
  }
  await sendData(true).catch((error: Error) => showError(error.message));
  const added = state.dataset.rows - state.dataset.originalRows;
  showStatus(`${added} point${added === 1 ? '' : 's'} added. The colours and log-likelihood are for the current parameters on the new data.`);
  summarizeData();
}

/** Data coordinates of a pointer event over the scatter, or null outside the plotting frame. */
function pointerData(event: PointerEvent): [number, number] | null {
  const svg = ui.scatter.querySelector('svg');
  const plot = currentScatter;
  if (svg === null || plot === null) return null;
  const matrix = svg.getScreenCTM();
  if (matrix === null) return null;
  const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
  const xs = plot.scale('x');
  const ys = plot.scale('y');
  if (!xs?.invert || !ys?.invert || !xs.range || !ys.range) return null;
  const [r0, r1] = xs.range as [number, number];
  const [s0, s1] = ys.range as [number, number];
  if (p.x < Math.min(r0, r1) || p.x > Math.max(r0, r1) || p.y < Math.min(s0, s1) || p.y > Math.max(s0, s1)) return null;
  return [xs.invert(p.x) as number, ys.invert(p.y) as number];
}

function setupPointer(): void {
  let down: { x: number; y: number; lastX: number; lastY: number; painting: boolean } | null = null;
  ui.scatter.addEventListener('pointerdown', (event) => {
    if (event.button !== 0 || pointerData(event) === null) return;
    if (state.busy) {
      showStatus('Stop the running task before adding points.');
      return;
    }
    down = { x: event.clientX, y: event.clientY, lastX: event.clientX, lastY: event.clientY, painting: false };
    ui.scatter.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  ui.scatter.addEventListener('pointermove', (event) => {
    if (down === null) return;
    if (!down.painting && Math.hypot(event.clientX - down.x, event.clientY - down.y) > 5) down.painting = true;
    if (!down.painting || Math.hypot(event.clientX - down.lastX, event.clientY - down.lastY) < 6) return;
    down.lastX = event.clientX;
    down.lastY = event.clientY;
    const at = pointerData(event);
    if (at === null) return;
    const sx = (state.xDomain[1] - state.xDomain[0]) * 0.015;
    const sy = (state.yDomain[1] - state.yDomain[0]) * 0.015;
    for (let s = 0; s < 3; s++) addPointAt(at[0] + sx * spray.normal(), at[1] + sy * spray.normal());
  });
  const finish = (event: PointerEvent) => {
    if (down === null) return;
    if (!down.painting && event.type === 'pointerup') {
      const at = pointerData(event);
      if (at !== null) addPointAt(at[0], at[1]);
    }
    down = null;
    void commitAdded();
  };
  ui.scatter.addEventListener('pointerup', finish);
  ui.scatter.addEventListener('pointercancel', finish);
}

// ------------------------------------------------------------------ EM

function applyModel(reply: Extract<Reply, { type: 'model' }>): void {
  if (reply.id < state.dataRequestId) return;
  state.model = reply.model;
  state.iterations = reply.iterations;
  state.converged = reply.converged;
  state.cause = reply.cause;
  if (reply.responsibilities !== null) {
    state.colors = blendedColors(reply.responsibilities, reply.model.components);
    state.stale = false;
  } else if (reply.cause === 'reset') {
    state.colors = Array.from(state.drawn, () => UNASSIGNED);
    state.stale = false;
  } else {
    state.stale = true;
  }
  for (const note of reply.notes) addNote(note);
  const ll = reply.model.logLikelihood;
  if (reply.cause === 'reset' || reply.cause === 'data') {
    state.traces = [{ name: reply.cause === 'reset' ? 'EM from the start' : 'EM on the new data', kept: true, points: [{ iteration: 0, logLikelihood: ll }] }];
  } else if (reply.cause === 'm-step' || reply.cause === 'run') {
    const series = state.traces.find((s) => s.kept) ?? { name: 'EM', kept: true, points: [] };
    if (!state.traces.includes(series)) state.traces.push(series);
    series.points.push({ iteration: reply.iterations, logLikelihood: ll });
  }
  state.revision++;
  schedule('scatter', 'readout', 'trace', 'table');
  if (ui.showKmeans.checked && state.busy === null && reply.cause !== 'run') void refreshKmeans();
}

async function reset(): Promise<void> {
  clearError();
  const settings = readSettings();
  if (settings === null) return;
  if (state.busy) worker.stopAll();
  await worker
    .send({ type: 'reset', settings }, (reply) => {
      if (reply.type === 'model') applyModel(reply);
    })
    .then(() => showStatus(`New start from ${settings.init} with seed ${settings.seed}. Colours appear after the first E-step.`))
    .catch((error: Error) => showError(error.message));
}

async function eStep(): Promise<void> {
  clearError();
  await worker
    .send({ type: 'e-step' }, (reply) => {
      if (reply.type !== 'responsibilities' || reply.id < state.dataRequestId) return;
      state.colors = blendedColors(reply.responsibilities, reply.components);
      state.stale = false;
      state.revision++;
      schedule('scatter', 'readout');
    })
    .then(() => showStatus('E-step: each point now mixes the component colours by its probability of belonging to each.'))
    .catch((error: Error) => showError(error.message));
  if (ui.showKmeans.checked) void refreshKmeans();
}

async function mStep(): Promise<void> {
  clearError();
  const settings = readSettings();
  if (settings === null) return;
  const stale = state.stale || state.colors.every((c) => c === UNASSIGNED);
  await worker
    .send({ type: 'm-step', settings }, (reply) => {
      if (reply.type === 'model') applyModel(reply);
    })
    .then(() =>
      showStatus(
        `M-step: weights, means and covariances re-estimated from the responsibilities${stale ? ' at the current parameters' : ''}. Press E-step to recolour the points.`,
      ),
    )
    .catch((error: Error) => showError(error.message));
}

async function run(): Promise<void> {
  clearError();
  const settings = readSettings();
  if (settings === null) return;
  await longTask('run', () =>
    worker.send({ type: 'run', settings }, (reply) => {
      if (reply.type === 'model') applyModel(reply);
    }),
  );
  if (state.model) {
    showStatus(
      state.converged
        ? `Run converged after ${state.iterations} EM iterations: the log-likelihood rose by less than ${settings.tolerance}.`
        : `Run ended after ${state.iterations} EM iterations without converging.`,
    );
  }
  if (ui.showKmeans.checked) void refreshKmeans();
}

async function fitWithRestarts(): Promise<void> {
  clearError();
  const settings = readSettings();
  if (settings === null) return;
  clearNotes();
  state.traces = [];
  const finals: number[] = [];
  await longTask('fit', () =>
    worker.send({ type: 'fit', settings }, (reply) => {
      if (reply.id < state.dataRequestId) return;
      if (reply.type === 'progress') {
        for (const p of reply.points) {
          let series = state.traces[p.restart];
          if (series === undefined) {
            series = state.traces[p.restart] = { name: `restart ${p.restart + 1}`, kept: false, points: [] };
            if (p.restart === 0) series.kept = true;
          }
          series.points.push({ iteration: p.iteration, logLikelihood: p.logLikelihood });
        }
        showStatus(`Fitting: restart ${reply.points[reply.points.length - 1].restart + 1} of ${reply.restarts}, iteration ${reply.points[reply.points.length - 1].iteration}…`);
        schedule('trace');
      } else if (reply.type === 'restart') {
        finals[reply.restart] = reply.logLikelihood;
        addNote(...restartNote(reply.restart, reply.restarts, reply.logLikelihood, reply.bestBefore));
        const best = finals.indexOf(Math.max(...finals.filter((v) => v !== undefined)));
        state.traces.forEach((s, r) => (s.kept = r === best));
        schedule('trace');
      } else if (reply.type === 'model') {
        applyModel(reply);
      }
    }),
  );
  if (state.model && state.cause === 'fit') {
    showStatus(
      `Fit ${state.converged ? 'converged' : 'stopped without converging'}: the best of ${settings.restarts} restart${settings.restarts === 1 ? '' : 's'} after ${state.iterations} iterations.`,
    );
  }
  if (ui.showKmeans.checked) void refreshKmeans();
}

/** What to say when a restart ends: whether it found a better local optimum than the restarts before it. */
function restartNote(restart: number, restarts: number, value: number, bestBefore: number | null): [string, string] {
  const which = `Restart ${restart + 1} of ${restarts}`;
  if (bestBefore === null) return [`${which} ended at ${format(value)}.`, ''];
  const gain = value - bestBefore;
  // Mean log-likelihoods this close are the same optimum reached again, up to the tolerance.
  const same = Math.abs(gain) <= 1e-6 * Math.max(1, Math.abs(value));
  if (same) return [`${which} reached the same optimum again (${format(value)}).`, ''];
  if (gain > 0) return [`${which} found a better local optimum: ${format(value)}, up from ${format(bestBefore)}. The fit keeps it.`, 'better'];
  return [`${which} got stuck in a worse local optimum: ${format(value)}, below the best ${format(bestBefore)}.`, ''];
}

async function refreshKmeans(): Promise<void> {
  const settings = readSettings();
  if (settings === null) return;
  await worker
    .send({ type: 'kmeans', settings }, (reply) => {
      if (reply.type !== 'kmeans' || reply.id < state.dataRequestId) return;
      state.kmeans = { labels: reply.labels, centers: reply.centers, inertia: reply.inertia, disagreements: reply.disagreements, matched: reply.matched };
      schedule('kmeans');
    })
    .catch((error: Error) => showError(`k-means: ${error.message}`));
}

async function runSelection(): Promise<void> {
  clearError();
  const settings = readSettings();
  if (settings === null) return;
  state.selection = [];
  state.bestK = null;
  ui.bicFigure.hidden = false;
  schedule('bic');
  await longTask('select', () =>
    worker.send({ type: 'select', settings, maxComponents: 8 }, (reply) => {
      if (reply.type !== 'selection' || reply.id < state.dataRequestId) return;
      state.selection.push(reply.point);
      showStatus(`BIC: K = ${reply.point.components} done…`);
      schedule('bic');
    }),
  );
  const fitted = state.selection.filter((p) => p.bic !== null);
  if (fitted.length > 0) {
    const best = fitted.reduce((a, b) => (b.bic! < a.bic! ? b : a));
    state.bestK = best.components;
    ui.useBest.textContent = `Use K = ${best.components}`;
    ui.useBest.disabled = false;
    showStatus(`BIC is lowest at K = ${best.components} (${settings.covariance} covariances).`);
  }
  schedule('bic');
}

async function download(kind: 'model' | 'labels'): Promise<void> {
  clearError();
  await worker
    .send({ type: 'export' }, (reply) => {
      if (reply.type !== 'export') return;
      const base = state.dataset.source.replace(/\.[^.]*$/, '') || 'data';
      const [text, name, type] =
        kind === 'model' ? [reply.model, `${base}-model.json`, 'application/json'] : [reply.labels, `${base}-labels.csv`, 'text/csv'];
      const url = URL.createObjectURL(new Blob([text], { type }));
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      showStatus(`Saved ${name}.`);
    })
    .catch((error: Error) => showError(error.message));
}

// ------------------------------------------------------------------ drawing

let currentScatter: PlotElement | null = null;
const dirty = new Set<string>();
let frame = 0;

/** Redraws the named parts at the next animation frame (at most once per frame). */
function schedule(...parts: string[]): void {
  for (const part of parts) dirty.add(part);
  if (frame === 0) frame = requestAnimationFrame(draw);
}

function plotSize(container: HTMLElement, maxWidth: number): { width: number; height: number } {
  const width = Math.max(280, Math.min(maxWidth, Math.floor(container.clientWidth || maxWidth)));
  return { width, height: Math.round(width * 0.72) };
}

function drawnColumn(column: number): Float64Array {
  const { dataset, drawn } = state;
  const d = dataset.columns.length;
  const out = new Float64Array(drawn.length);
  for (let q = 0; q < drawn.length; q++) out[q] = dataset.values[drawn[q] * d + column];
  return out;
}

function draw(): void {
  frame = 0;
  const parts = new Set(dirty);
  dirty.clear();
  const names = state.dataset.columns;
  if (parts.has('scatter') || parts.has('kmeans')) {
    const x = drawnColumn(state.xColumn);
    const y = drawnColumn(state.yColumn);
    const common = {
      x,
      y,
      xDomain: state.xDomain,
      yDomain: state.yDomain,
      xLabel: names[state.xColumn],
      yLabel: names[state.yColumn],
      xDim: dimensionOf(state.xColumn),
      yDim: dimensionOf(state.yColumn),
    };
    if (parts.has('scatter')) {
      const size = plotSize(ui.scatter, ui.showKmeans.checked ? 560 : 760);
      const fill = state.colors.length === x.length ? state.colors : Array.from(x, (_, q) => state.colors[q] ?? UNASSIGNED);
      currentScatter = scatter({ ...common, ...size, fill, model: state.model, ariaLabel: `EM fit: ${names[state.xColumn]} against ${names[state.yColumn]}` });
      ui.scatter.replaceChildren(currentScatter);
    }
    if (ui.showKmeans.checked && (parts.has('kmeans') || parts.has('scatter'))) {
      const km = state.kmeans;
      const size = plotSize(ui.kmeansPlot, 560);
      const valid = km !== null && km.labels.length === x.length;
      const fill = valid ? labelColors(km.labels) : Array.from(x, () => UNASSIGNED);
      ui.kmeansPlot.replaceChildren(
        scatter({ ...common, ...size, fill, model: null, centers: valid ? km.centers : undefined, ariaLabel: 'k-means clusters' }),
      );
      ui.kmeansSummary.textContent =
        km === null
          ? 'Computing k-means…'
          : `Inertia ${formatCompact(km.inertia)}. ${
              km.disagreements === null
                ? 'Colours are k-means’ own numbering (K differs from the EM model).'
                : `k-means and EM’s most probable component disagree on ${km.disagreements.toLocaleString('en')} of ${state.dataset.rows.toLocaleString('en')} rows.`
            }`;
    }
  }
  if (parts.has('readout')) drawReadout();
  if (parts.has('trace')) ui.trace.replaceChildren(trace(state.traces.filter(Boolean), plotSize(ui.trace, 560).width));
  if (parts.has('table')) drawComponentsTable();
  if (parts.has('bic')) drawSelection();
}

function drawReadout(): void {
  const model = state.model;
  if (model === null) {
    ui.loglik.textContent = '–';
    ui.loglik.dataset.value = '';
  } else {
    ui.loglik.textContent = format(model.logLikelihood);
    ui.loglik.dataset.value = String(model.logLikelihood);
  }
  ui.loglik.dataset.revision = String(state.revision);
  ui.loglik.dataset.cause = state.cause;
  const info: string[] = [];
  if (model !== null) {
    info.push(`K = ${model.components}, ${model.covariance}`);
    info.push(`${state.iterations} iteration${state.iterations === 1 ? '' : 's'}`);
    if (state.converged) info.push('converged');
    if (state.stale) info.push('colours from the previous E-step');
  }
  ui.fitInfo.textContent = info.join(' · ');
}

function drawComponentsTable(): void {
  const model = state.model;
  const head = ui.componentsTable.tHead!;
  const body = ui.componentsTable.tBodies[0];
  if (model === null) {
    head.replaceChildren();
    body.replaceChildren();
    return;
  }
  const names = state.fitted.map((j) => state.dataset.columns[j]);
  const headRow = document.createElement('tr');
  for (const text of ['Component', 'Weight', ...names.map((n) => `Mean ${n}`)]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    headRow.append(th);
  }
  head.replaceChildren(headRow);
  body.replaceChildren(
    ...model.weights.map((w, m) => {
      const tr = document.createElement('tr');
      const first = document.createElement('td');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = PALETTE[m % PALETTE.length];
      first.append(swatch, String(m));
      tr.append(first);
      for (const v of [w.toFixed(3), ...model.means[m].map(formatCompact)]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function drawSelection(): void {
  ui.bic.replaceChildren(bicCurve(state.selection, state.bestK, plotSize(ui.bic, 560).width));
  ui.bicTable.tBodies[0].replaceChildren(
    ...state.selection.map((p) => {
      const tr = document.createElement('tr');
      if (p.components === state.bestK) tr.className = 'best';
      const cells = [
        p.components === state.bestK ? `${p.components} (best)` : String(p.components),
        p.bic === null ? `failed: ${p.error}` : p.bic.toFixed(2),
        p.logLikelihood === null ? '' : format(p.logLikelihood, 4),
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }),
  );
}

// ------------------------------------------------------------------ wiring

function setupControls(): void {
  ui.dataset.replaceChildren(...BUNDLED.map((b) => optionFor(b.id, b.label)));
  ui.covariance.replaceChildren(...COVARIANCE_TYPES.map((c) => optionFor(c, c)));
  ui.init.replaceChildren(...INIT_METHODS.map((m) => optionFor(m, m)));

  ui.dataset.addEventListener('change', () => {
    if (ui.dataset.value === 'file') return;
    void loadDataset(bundled(ui.dataset.value as BundledId));
  });
  ui.file.addEventListener('change', () => {
    const file = ui.file.files?.[0];
    if (file) void loadFile(file);
    ui.file.value = '';
  });
  for (const target of [ui.dropZone, ui.scatter]) {
    target.addEventListener('dragover', (event) => {
      event.preventDefault();
      target.classList.add('dragging');
    });
    target.addEventListener('dragleave', () => target.classList.remove('dragging'));
    target.addEventListener('drop', (event) => {
      event.preventDefault();
      target.classList.remove('dragging');
      const file = event.dataTransfer?.files[0];
      if (file) void loadFile(file);
    });
  }
  ui.xColumn.addEventListener('change', onAxisChange);
  ui.yColumn.addEventListener('change', onAxisChange);
  ui.addPoint.addEventListener('click', () => {
    const x = Number(ui.addX.value);
    const y = Number(ui.addY.value);
    if (ui.addX.value.trim() === '' || ui.addY.value.trim() === '' || !Number.isFinite(x) || !Number.isFinite(y)) {
      showError('Give both values of the point as numbers.');
      return;
    }
    clearError();
    addPointAt(x, y);
    void commitAdded();
  });
  ui.removeAdded.addEventListener('click', () => {
    if (state.dataset.rows === state.dataset.originalRows) return;
    state.dataset.rows = state.dataset.originalRows;
    updateDomains();
    void sendData(true).then(() => showStatus('Added points removed.'));
  });

  // A new K, covariance type, start method or seed needs new start parameters.
  for (const input of [ui.components, ui.covariance, ui.init, ui.seed]) {
    input.addEventListener('change', () => {
      state.kmeans = null;
      void reset();
    });
  }
  ui.reset.addEventListener('click', () => void reset());
  ui.eStep.addEventListener('click', () => void eStep());
  ui.mStep.addEventListener('click', () => void mStep());
  ui.run.addEventListener('click', () => void run());
  ui.fit.addEventListener('click', () => void fitWithRestarts());
  ui.stop.addEventListener('click', () => worker.stopAll());
  ui.showKmeans.addEventListener('change', () => {
    ui.kmeansFigure.hidden = !ui.showKmeans.checked;
    schedule('scatter', 'kmeans');
    if (ui.showKmeans.checked) void refreshKmeans();
  });
  ui.bicRun.addEventListener('click', () => void runSelection());
  ui.useBest.addEventListener('click', () => {
    if (state.bestK === null) return;
    ui.components.value = String(state.bestK);
    void reset();
  });
  ui.downloadModel.addEventListener('click', () => void download('model'));
  ui.downloadLabels.addEventListener('click', () => void download('labels'));
  window.addEventListener('resize', () => schedule('scatter', 'kmeans', 'trace', 'bic'));
  setupPointer();
}

setupControls();
setBusy(null);
void loadDataset(state.dataset);
