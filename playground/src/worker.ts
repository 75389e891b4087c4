/**
 * The fitting worker: holds the data and the current parameters, and runs
 * every library call off the page's thread. Requests are handled one at a
 * time, in order (see protocol.ts); long ones yield to the event loop so
 * that a `stop` can reach them.
 */
import { fit, fitting, kmeans, loadModel, MixemError, select, type GaussianMixture, type KMeansResult, type Matrix } from 'mixem';
import { labelledCsv, modelFile } from './export';
import { matchLabels } from './matching';
import type { Reply, Request, Settings, Snapshot, TracePoint } from './protocol';

interface WorkerScope {
  postMessage(message: Reply, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<Request>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Least time between two steps of an animated run, so that the ellipses can be followed. */
const RUN_PACE_MS = 60;

let data: Matrix | null = null;
let drawnIndex: Int32Array = new Int32Array(0);
let drawn: Matrix | null = null;
let source = 'data.csv';
let columns: string[] = [];
let dataVersion = 0;

/** The current parameters, and how they came about. */
let model: GaussianMixture | null = null;
/** 'fit': the library's fit (its own history); 'steps': EM steps since a reset (history below). */
let origin: 'fit' | 'steps' = 'steps';
let stepSettings: Settings | null = null;
let history: number[] = [];
let lastChange = Infinity;
/** Whether the data changed since the last reset (the steps then did not start from the start method). */
let dataChangedSinceReset = false;

let kmeansCache: { key: string; result: KMeansResult } | null = null;
let stoppedUpTo = 0;
let queue = Promise.resolve();

const post = (message: Reply, transfer: Transferable[] = []) => scope.postMessage(message, transfer);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const stopped = (id: number) => id <= stoppedUpTo;

scope.onmessage = (event) => {
  const request = event.data;
  if (request.type === 'stop') {
    stoppedUpTo = Math.max(stoppedUpTo, request.id);
    return;
  }
  queue = queue.then(async () => {
    try {
      const wasStopped = await handle(request);
      post({ type: 'done', id: request.id, stopped: wasStopped });
    } catch (error) {
      const message = error instanceof MixemError || error instanceof Error ? error.message : String(error);
      post({ type: 'error', id: request.id, message });
    }
  });
};

function needData(): Matrix {
  if (data === null) throw new Error('no data loaded yet');
  return data;
}

function needModel(): GaussianMixture {
  if (model === null) throw new Error('no parameters yet: press Reset or Fit first');
  return model;
}

function snapshot(m: GaussianMixture, logLikelihood: number): Snapshot {
  return {
    covariance: m.covariance,
    components: m.components,
    dimensions: m.dimensions,
    weights: [...m.weights],
    means: m.means.map((row) => [...row]),
    covariances: JSON.parse(JSON.stringify(m.covariances)),
    logLikelihood,
  };
}

/** Responsibilities of the drawn rows at the current parameters. */
function responsibilities(m: GaussianMixture): Float64Array {
  return drawn === null || drawn.rows === 0 ? new Float64Array(0) : m.predictProba(drawn).data;
}

/** What the user should know about a step: re-seeded components and warnings other than "not converged". */
function notesOf(m: GaussianMixture): string[] {
  const notes = m.recoveries.map(
    (r) => `component ${r.component + 1} was ${r.reason === 'empty' ? 'empty' : 'singular'} and was re-seeded at row ${r.row + 1}`,
  );
  for (const warning of m.warnings) if (!warning.startsWith('did not converge')) notes.push(warning);
  return notes;
}

function sendModel(id: number, cause: 'reset' | 'm-step' | 'run' | 'fit' | 'data', withResponsibilities: boolean): void {
  const m = needModel();
  const r = withResponsibilities ? responsibilities(m) : null;
  const iterations = origin === 'fit' ? m.iterations : history.length - 1;
  const converged = origin === 'fit' ? m.converged : Math.abs(lastChange) < (stepSettings?.tolerance ?? 0);
  post(
    { type: 'model', id, cause, model: snapshot(m, m.logLikelihood ?? NaN), responsibilities: r, iterations, converged, notes: notesOf(m) },
    r === null ? [] : [r.buffer],
  );
}

/** One EM iteration from the current parameters: the library's fit started there, for one M-step. */
function emStep(settings: Settings): number {
  const current = needModel();
  const next = fit(needData(), {
    components: current.components,
    covariance: current.covariance,
    start: current,
    maxIterations: 1,
    tolerance: 0,
    seed: settings.seed,
  });
  model = next;
  origin = 'steps';
  const logLikelihood = next.logLikelihood ?? NaN;
  lastChange = logLikelihood - next.history[0];
  history.push(logLikelihood);
  return lastChange;
}

async function handle(request: Exclude<Request, { type: 'stop' }>): Promise<boolean> {
  switch (request.type) {
    case 'data': {
      data = { rows: request.rows, cols: request.cols, data: request.values };
      drawnIndex = request.drawn;
      const picked = new Float64Array(drawnIndex.length * request.cols);
      for (let q = 0; q < drawnIndex.length; q++) {
        picked.set(request.values.subarray(drawnIndex[q] * request.cols, (drawnIndex[q] + 1) * request.cols), q * request.cols);
      }
      drawn = { rows: drawnIndex.length, cols: request.cols, data: picked };
      source = request.source;
      columns = request.columns;
      dataVersion++;
      kmeansCache = null;
      if (request.keepModel && model !== null && model.dimensions === request.cols && model.components <= request.rows) {
        // Same parameters, new data: its log-likelihood and responsibilities change.
        model = fit(data, { components: model.components, covariance: model.covariance, start: model, maxIterations: 0 });
        origin = 'steps';
        history = [model.logLikelihood ?? NaN];
        lastChange = Infinity;
        dataChangedSinceReset = true;
        sendModel(request.id, 'data', true);
      } else {
        model = null;
      }
      return false;
    }
    case 'reset': {
      const s = request.settings;
      model = fit(needData(), { components: s.components, covariance: s.covariance, init: s.init, seed: s.seed, maxIterations: 0 });
      origin = 'steps';
      stepSettings = s;
      dataChangedSinceReset = false;
      history = [model.logLikelihood ?? NaN];
      lastChange = Infinity;
      sendModel(request.id, 'reset', false);
      return false;
    }
    case 'e-step': {
      const r = responsibilities(needModel());
      post({ type: 'responsibilities', id: request.id, responsibilities: r, components: needModel().components }, [r.buffer]);
      return false;
    }
    case 'm-step': {
      stepSettings = { ...request.settings, components: needModel().components, covariance: needModel().covariance };
      emStep(request.settings);
      sendModel(request.id, 'm-step', false);
      return false;
    }
    case 'run':
      return run(request.id, request.settings);
    case 'fit':
      return fitWithRestarts(request.id, request.settings);
    case 'kmeans':
      return compareKmeans(request.id, request.settings);
    case 'select':
      return selection(request.id, request.settings, request.maxComponents);
    case 'export': {
      const m = exportedModel();
      post({ type: 'export', id: request.id, model: modelFile(m, needData(), source, columns), labels: labelledCsv(m, needData(), columns) });
      return false;
    }
  }
}

/**
 * EM steps until the change of the mean log-likelihood is below the
 * tolerance, then one more as the library does (src/em.ts), one message per step.
 */
async function run(id: number, settings: Settings): Promise<boolean> {
  needModel();
  stepSettings = { ...settings, components: needModel().components, covariance: needModel().covariance };
  let last = false;
  for (let iteration = 0; iteration < settings.maxIterations; iteration++) {
    if (stopped(id)) return true;
    const began = performance.now();
    const recoveredBefore = needModel().recoveries.length;
    const change = emStep(settings);
    sendModel(id, 'run', true);
    if (last) return false;
    if (needModel().recoveries.length === recoveredBefore && Math.abs(change) < settings.tolerance) {
      last = true;
    }
    await sleep(Math.max(0, RUN_PACE_MS - (performance.now() - began)));
  }
  return false;
}

/** The library's fit with restarts, streaming each restart's trace; notes when a restart beats the best so far. */
async function fitWithRestarts(id: number, s: Settings): Promise<boolean> {
  const steps = fitting(needData(), {
    components: s.components,
    covariance: s.covariance,
    init: s.init,
    restarts: s.restarts,
    seed: s.seed,
    tolerance: s.tolerance,
    maxIterations: s.maxIterations,
  });
  let buffer: TracePoint[] = [];
  let lastPost = performance.now();
  let lastYield = lastPost;
  let restart = 0;
  let last: number | null = null;
  let best: number | null = null;
  let wasStopped = false;
  const flush = () => {
    if (buffer.length > 0) post({ type: 'progress', id, points: buffer, restarts: s.restarts });
    buffer = [];
    lastPost = performance.now();
  };
  const endRestart = () => {
    if (last === null) return;
    flush();
    post({ type: 'restart', id, restart, restarts: s.restarts, logLikelihood: last, bestBefore: best });
    if (best === null || last > best) best = last;
    last = null;
  };
  let step = steps.next();
  while (!step.done) {
    const info = step.value;
    if (info.restart !== restart) {
      endRestart();
      restart = info.restart;
    }
    buffer.push({ restart: info.restart, iteration: info.iteration, logLikelihood: info.logLikelihood });
    last = info.logLikelihood;
    const now = performance.now();
    if (now - lastPost >= 50) flush();
    if (now - lastYield >= 25) {
      await sleep(0);
      lastYield = performance.now();
    }
    if (stopped(id)) wasStopped = true;
    step = steps.next(wasStopped);
  }
  endRestart();
  model = step.value;
  origin = 'fit';
  history = [...model.history];
  sendModel(id, 'fit', true);
  return wasStopped;
}

/** k-means on every row (cached), renumbered to agree most with the EM labels when K matches. */
async function compareKmeans(id: number, s: Settings): Promise<boolean> {
  const rows = needData();
  const key = `${dataVersion}:${s.components}:${s.seed}`;
  if (kmeansCache?.key !== key) kmeansCache = { key, result: kmeans(rows, { clusters: s.components, seed: s.seed }) };
  const { result } = kmeansCache;
  const k = s.components;
  let map: Int32Array = Int32Array.from({ length: k }, (_, c) => c);
  let disagreements: number | null = null;
  let matched = false;
  if (model !== null && model.components === k) {
    const em = model.predict(rows);
    map = matchLabels(result.labels, em, k);
    disagreements = 0;
    for (let i = 0; i < em.length; i++) if (map[result.labels[i]] !== em[i]) disagreements++;
    matched = true;
  }
  const labels = new Int32Array(drawnIndex.length);
  for (let q = 0; q < drawnIndex.length; q++) labels[q] = map[result.labels[drawnIndex[q]]];
  const centers: number[][] = new Array(k);
  for (let c = 0; c < k; c++) centers[map[c]] = result.centers[c];
  post({ type: 'kmeans', id, labels, centers, inertia: result.inertia, disagreements, matched }, [labels.buffer]);
  return false;
}

/** BIC for K = 1 … maxComponents with the current covariance type, one message per K. */
async function selection(id: number, s: Settings, maxComponents: number): Promise<boolean> {
  const rows = needData();
  for (let k = 1; k <= Math.min(maxComponents, rows.rows); k++) {
    if (stopped(id)) return true;
    let point;
    try {
      const { entries } = select(rows, {
        components: [k],
        covariance: [s.covariance],
        init: s.init,
        restarts: s.restarts,
        seed: s.seed,
        tolerance: s.tolerance,
        maxIterations: s.maxIterations,
      });
      const e = entries[0];
      point = { components: k, bic: e.bic, logLikelihood: e.logLikelihood, error: e.error };
    } catch (error) {
      if (!(error instanceof MixemError) || error.code !== 'degenerate-component') throw error;
      point = { components: k, bic: null, logLikelihood: null, error: error.message };
    }
    post({ type: 'selection', id, point });
    await sleep(0);
  }
  return false;
}

/**
 * The model to download. After the library's fit, the model itself. After EM
 * steps from a reset, the current parameters with the history, iteration count
 * and options of those steps (one run from the start method and seed).
 */
function exportedModel(): GaussianMixture {
  const m = needModel();
  if (origin === 'fit' || stepSettings === null) return m;
  const file = m.toJSON();
  const s = stepSettings;
  return loadModel({
    ...file,
    iterations: history.length - 1,
    history,
    converged: Math.abs(lastChange) < s.tolerance,
    warnings: file.warnings.filter((w) => !w.startsWith('did not converge')),
    options: {
      ...(file.options ?? {}),
      components: m.components,
      covariance: m.covariance,
      init: s.init,
      start: dataChangedSinceReset ? 'explicit' : null,
      restarts: 1,
      maxIterations: s.maxIterations,
      tolerance: s.tolerance,
      seed: s.seed,
      weighted: false,
      regularization: file.options?.regularization ?? 1e-6,
      acceleration: 'none',
    },
  });
}
