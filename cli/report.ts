/**
 * The HTML report and the stand-alone figure of a fitted mixture.
 *
 * Figures are drawn with Observable Plot on a server-side DOM (linkedom), so the
 * page is static: inline SVG and CSS, no scripts, no external URLs. The stand-alone
 * figure is the same SVG with a title and a legend, rasterised by resvg for PNG.
 *
 * Symbols: n rows, d features, k components, m a component.
 */
import * as Plot from '@observablehq/plot';
import { Resvg } from '@resvg/resvg-js';
import { parseHTML } from 'linkedom';
import type { EvaluateOptions, GaussianMixture, Matrix } from '../src/index.js';

/** The mean log-likelihood after each iteration of one restart. */
export interface RestartTrace {
  restart: number;
  history: number[];
}

/** One row of a model-selection table (all criteria: lower is better). */
export interface SelectionRow {
  components: number;
  covariance: string;
  bic: number;
  aic: number;
  icl: number;
  logLikelihood: number;
  parameters: number;
  best?: boolean;
}

/** Everything a report shows. */
export interface ReportInput {
  /** Page title, e.g. "mixem fit: faithful.csv". */
  title: string;
  /** The fitted data, n×d. */
  data: Matrix;
  /** d feature names. */
  columns: string[];
  model: GaussianMixture;
  /** Every restart's log-likelihood trace. */
  traces: RestartTrace[];
  /** For `mixem select`: the criteria across K and covariance types. */
  selection?: SelectionRow[];
  /** How rows are evaluated (labels, BIC): the kernel; the reference when absent. */
  evaluate?: EvaluateOptions;
}

/** Most points drawn in a scatter; larger data are subsampled every ⌈n / MAX_POINTS⌉-th row. */
export const MAX_POINTS = 20_000;
/** Most points drawn in each panel of the pairs plot. */
const MAX_PAIR_POINTS = 1_500;
/** Widest data for which the pairs plot is drawn. */
const MAX_PAIR_DIMENSIONS = 6;

/** Plot's "observable10" scheme, spelled out so that tables and legends use the same colours. */
const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif';
const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 720;

// ---------------------------------------------------------------------------
// Formatting

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number with about `digits` significant digits, in plain or exponential notation. */
function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  let text: string;
  if (a >= 1e6 || a < 1e-3) text = x.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  else {
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
    text = x.toFixed(decimals);
  }
  return text.replace(/^-/, '−');
}

/** A number with a fixed number of decimals (criteria, log-likelihoods). */
function fixed(x: number | null | undefined, decimals: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return fmt(x);
  return x.toFixed(decimals).replace(/^-/, '−');
}

const integer = (x: number) => x.toLocaleString('en-US');
/** 2 → "2nd", 11 → "11th", 23 → "23rd". */
function ordinal(x: number): string {
  const tens = x % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][x % 10] ?? 'th');
  return `${integer(x)}${suffix}`;
}
const colour = (m: number) => PALETTE[m % PALETTE.length];
/** Components are numbered from 0, as in the labels file and the CLI's summary. */
const componentLabel = (m: number) => String(m);

// ---------------------------------------------------------------------------
// Linear algebra (small, dense, symmetric)

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations.
 * @returns eigenvalues in decreasing order and the matching unit eigenvectors,
 *   each signed so that its largest-magnitude entry is positive.
 */
export function symmetricEigen(matrix: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let scale = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scale += a[i][j] * a[i][j];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p][q];
        if (apq === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i] || i - j);
  const values = order.map((i) => a[i][i]);
  const vectors = order.map((i) => {
    const vector = v.map((row) => row[i]);
    let largest = 0;
    for (let k = 1; k < n; k++) if (Math.abs(vector[k]) > Math.abs(vector[largest])) largest = k;
    return vector[largest] < 0 ? vector.map((x) => -x) : vector;
  });
  return { values, vectors };
}

/** Component m's full d×d covariance, whatever the covariance type. */
function componentCovariance(model: GaussianMixture, m: number): number[][] {
  const d = model.dimensions;
  const c = model.covariances;
  const diagonal = (values: readonly number[]) =>
    Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? values[i] : 0)));
  switch (model.covariance) {
    case 'full':
      return (c as number[][][])[m].map((row) => [...row]);
    case 'tied':
      return (c as number[][]).map((row) => [...row]);
    case 'diag':
      return diagonal((c as number[][])[m]);
    case 'spherical':
      return diagonal(new Array<number>(d).fill((c as number[])[m]));
  }
}

/** A linear view of the data on two axes: x ↦ ((x − centre)·u, (x − centre)·w). */
interface Projection {
  centre: number[];
  /** Two d-vectors. */
  axes: [number[], number[]];
  labels: [string, string];
}

function project(p: Projection, x: ArrayLike<number>, offset = 0): [number, number] {
  let a = 0;
  let b = 0;
  for (let j = 0; j < p.centre.length; j++) {
    const centred = x[offset + j] - p.centre[j];
    a += centred * p.axes[0][j];
    b += centred * p.axes[1][j];
  }
  return [a, b];
}

/** The 2×2 covariance of the projection: Wᵀ Σ W. */
function projectCovariance(p: Projection, sigma: number[][]): number[][] {
  const d = p.centre.length;
  const out = [
    [0, 0],
    [0, 0],
  ];
  for (let r = 0; r < 2; r++) {
    for (let s = 0; s < 2; s++) {
      let sum = 0;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) sum += p.axes[r][i] * sigma[i][j] * p.axes[s][j];
      out[r][s] = sum;
    }
  }
  return out;
}

/** Axes i and j of the data as they are. */
function featureProjection(d: number, i: number, j: number, columns: string[]): Projection {
  const unit = (k: number) => Array.from({ length: d }, (_, t) => (t === k ? 1 : 0));
  return { centre: new Array<number>(d).fill(0), axes: [unit(i), unit(j)], labels: [columns[i], columns[j]] };
}

/** The first two principal components of the data (all rows). */
function principalProjection(data: Matrix): { projection: Projection; explained: number[] } {
  const { rows: n, cols: d } = data;
  const centre = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centre[j] += data.data[i * d + j];
  for (let j = 0; j < d; j++) centre[j] /= Math.max(n, 1);
  const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data.data[i * d + j] - centre[j];
    for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[a][b] += row[a] * row[b];
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a][b] /= Math.max(n - 1, 1);
      cov[b][a] = cov[a][b];
    }
  }
  const { values, vectors } = symmetricEigen(cov);
  const total = values.reduce((s, x) => s + Math.max(x, 0), 0);
  const explained = values.map((x) => (total > 0 ? (100 * Math.max(x, 0)) / total : 0));
  const label = (k: number) => `PC${k + 1} (${explained[k].toFixed(1)}% var)`;
  return { projection: { centre, axes: [vectors[0], vectors[1]], labels: [label(0), label(1)] }, explained };
}

/** Closed polygon of the r-σ ellipse of a 2-D Gaussian (mean μ, covariance S). */
function ellipse(mu: [number, number], s: number[][], r: number, segments = 72): [number, number][] {
  const { values, vectors } = symmetricEigen(s);
  const a = r * Math.sqrt(Math.max(values[0], 0));
  const b = r * Math.sqrt(Math.max(values[1], 0));
  const [u, v] = vectors;
  const points: [number, number][] = [];
  for (let t = 0; t <= segments; t++) {
    const angle = (2 * Math.PI * (t % segments)) / segments;
    const ca = a * Math.cos(angle);
    const sb = b * Math.sin(angle);
    points.push([mu[0] + ca * u[0] + sb * v[0], mu[1] + ca * u[1] + sb * v[1]]);
  }
  return points;
}

/** Row indices drawn: every ⌈n / limit⌉-th row. */
function subsample(n: number, limit: number): { indices: number[]; step: number } {
  const step = Math.max(1, Math.ceil(n / limit));
  const indices: number[] = [];
  for (let i = 0; i < n; i += step) indices.push(i);
  return { indices, step };
}

// ---------------------------------------------------------------------------
// Plot on a server-side DOM

function newDocument(): Document {
  return parseHTML('<!doctype html><html><head></head><body></body></html>').document as unknown as Document;
}

/**
 * A left margin wide enough for Plot's y tick labels over these values (Plot does not size
 * margins itself): digits, sign, thousands separators and decimals of ~8 nice ticks.
 */
function leftMargin(values: number[], fontSize: number): number {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  if (min > max) return 40;
  const magnitude = Math.max(Math.abs(min), Math.abs(max), 1);
  const step = (max - min || magnitude) / 8;
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const digits = Math.floor(Math.log10(magnitude)) + 1;
  const chars = digits + Math.floor((digits - 1) / 3) + (decimals > 0 ? decimals + 1 : 0) + (min < 0 ? 1 : 0);
  return Math.max(36, Math.ceil(chars * fontSize * 0.62 + 16));
}

/** A y domain around the values, padded when they are (nearly) all equal. */
function paddedDomain(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let min = Math.min(...finite);
  let max = Math.max(...finite);
  const spread = max - min;
  const floor = 1e-6 * Math.max(1, Math.abs(max));
  if (spread < floor) {
    min -= floor;
    max += floor;
  } else {
    min -= 0.05 * spread;
    max += 0.05 * spread;
  }
  return [min, max];
}

/** Renders a Plot spec to SVG markup with an xmlns (so that it stands alone). */
function plotSvg(options: Plot.PlotOptions, fontSize = 12): string {
  const element = Plot.plot({ document: newDocument(), style: { fontSize: `${fontSize}px`, fontFamily: FONT, background: 'white', overflow: 'visible' }, ...options });
  element.setAttribute('xmlns', SVG_NS);
  return element.outerHTML;
}

/** Colour scale of the components (categorical, shared by every figure and table). */
function componentScale(k: number): Plot.ScaleOptions {
  const domain = Array.from({ length: k }, (_, m) => componentLabel(m));
  return { type: 'ordinal', domain, range: domain.map((_, m) => colour(m)) };
}

interface LegendItem {
  /** Swatch colour. */
  colour: string;
  label: string;
  /** Swatch shape: a filled square, a solid line, a dashed line, or a mean marker. */
  kind: 'swatch' | 'line' | 'dashed' | 'mean' | 'thick';
}

interface Figure {
  /** SVG markup. */
  svg: string;
  width: number;
  height: number;
  legend: LegendItem[];
  caption: string;
}

/** Mean marker: a white-outlined diamond in the component's colour. */
function meanMarks(means: { x: number; y: number; component: string; title: string }[], compact: boolean): Plot.Markish[] {
  return [
    Plot.dot(means, { x: 'x', y: 'y', r: compact ? 4.5 : 7, symbol: 'diamond2', fill: 'component', stroke: '#222', strokeWidth: compact ? 1 : 1.5, title: 'title', className: 'component-mean' }),
  ];
}

/** Scatter of two projected coordinates, coloured by component, with 1σ/2σ ellipses and means. */
function scatterFigure(input: ReportInput, projection: Projection, labels: Int32Array, options: { width: number; height: number; limit: number; classPrefix: string; compact?: boolean }): Figure & { drawn: number; step: number } {
  const { data, model } = input;
  const d = data.cols;
  const { indices, step } = subsample(data.rows, options.limit);
  const points = indices.map((i) => {
    const [x, y] = project(projection, data.data, i * d);
    return { x, y, component: componentLabel(labels[i]) };
  });
  const ring1: { x: number; y: number; component: string }[] = [];
  const ring2: { x: number; y: number; component: string }[] = [];
  const means: { x: number; y: number; component: string; title: string }[] = [];
  for (let m = 0; m < model.components; m++) {
    const mu = project(projection, model.means[m]);
    const s = projectCovariance(projection, componentCovariance(model, m));
    const component = componentLabel(m);
    for (const [x, y] of ellipse(mu, s, 1)) ring1.push({ x, y, component });
    for (const [x, y] of ellipse(mu, s, 2)) ring2.push({ x, y, component });
    means.push({ x: mu[0], y: mu[1], component, title: `component ${component}: weight ${fmt(model.weights[m], 3)}` });
  }
  const many = points.length > 2000;
  const compact = options.compact === true;
  const ring = (rows: typeof ring1, cls: string, dashed: boolean): Plot.Markish[] => [
    Plot.line(rows, { x: 'x', y: 'y', z: 'component', stroke: 'white', strokeWidth: compact ? 3 : 4.5, strokeOpacity: 0.85, className: `${cls}-halo` }),
    Plot.line(rows, { x: 'x', y: 'y', z: 'component', stroke: 'component', strokeWidth: compact ? 1.5 : 2.2, strokeDasharray: dashed ? '6,4' : undefined, className: cls }),
  ];
  const svg = plotSvg({
    width: options.width,
    height: options.height,
    marginLeft: leftMargin([...points, ...ring2].map((p) => p.y), compact ? 10 : 12),
    marginBottom: compact ? 34 : 42,
    marginTop: compact ? 20 : 26,
    marginRight: 14,
    grid: true,
    inset: 6,
    color: componentScale(model.components),
    x: { label: projection.labels[0], labelAnchor: 'center', labelArrow: 'none', ticks: compact ? 4 : undefined },
    y: { label: projection.labels[1], labelArrow: 'none', ticks: compact ? 4 : undefined },
    marks: [
      Plot.dot(points, { x: 'x', y: 'y', fill: 'component', r: compact ? 1.6 : many ? 1.6 : 2.8, fillOpacity: many ? 0.45 : 0.7, stroke: 'none' }),
      ...ring(ring2, `${options.classPrefix}ellipse-2sigma`, true),
      ...ring(ring1, `${options.classPrefix}ellipse-1sigma`, false),
      ...meanMarks(means, compact),
    ],
  }, compact ? 10 : 12);
  return { svg, width: options.width, height: options.height, legend: [], caption: '', drawn: points.length, step };
}

function componentLegend(model: GaussianMixture): LegendItem[] {
  return model.weights.map((w, m) => ({ colour: colour(m), label: `Component ${m} (weight ${fmt(w, 3)})`, kind: 'swatch' as const }));
}

function subsampleNote(n: number, drawn: number, step: number): string {
  return step > 1 ? ` Showing ${integer(drawn)} of ${integer(n)} rows (every ${ordinal(step)} row, a deterministic subsample).` : '';
}

/** Gaussian density. */
function normalPdf(x: number, mean: number, variance: number): number {
  return Math.exp((-0.5 * (x - mean) * (x - mean)) / variance) / Math.sqrt(2 * Math.PI * variance);
}

/** Histogram of one feature, stacked by predicted component, with the mixture's density and its weighted components. */
function histogramFigure(input: ReportInput, labels: Int32Array, feature: number, options: { width: number; height: number; compact?: boolean; marginal?: boolean }): Figure {
  const { data, model } = input;
  const d = data.cols;
  const n = data.rows;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = data.data[i * d + feature];
  const sorted = Float64Array.from(values).sort();
  const min = sorted[0];
  const max = sorted[n - 1];
  const range = max - min;
  const iqr = sorted[Math.floor(0.75 * (n - 1))] - sorted[Math.floor(0.25 * (n - 1))];
  // Freedman–Diaconis, but at least √n bins (up to 30) so that small samples are not over-smoothed.
  let bins = Math.max(iqr > 0 && range > 0 ? Math.ceil(range / (2 * iqr * Math.cbrt(1 / n))) : 0, Math.min(30, Math.ceil(Math.sqrt(n))));
  bins = Math.min(options.compact ? 30 : 60, Math.max(8, bins));
  const width = range > 0 ? range / bins : 1;
  const lo = range > 0 ? min : min - 0.5;
  const k = model.components;
  const counts = new Float64Array(bins * k);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((values[i] - lo) / width)));
    counts[b * k + labels[i]]++;
  }
  const rects: { x1: number; x2: number; y1: number; y2: number; component: string }[] = [];
  for (let b = 0; b < bins; b++) {
    let y = 0;
    for (let m = 0; m < k; m++) {
      const h = counts[b * k + m] / (n * width);
      if (h > 0) rects.push({ x1: lo + b * width, x2: lo + (b + 1) * width, y1: y, y2: y + h, component: componentLabel(m) });
      y += h;
    }
  }
  // Marginal of each component along this feature.
  const variances = Array.from({ length: k }, (_, m) => componentCovariance(model, m)[feature][feature]);
  const meanOf = (m: number) => model.means[m][feature];
  const pad = Math.max(0.05 * (range || 1), 0);
  const from = lo - pad;
  const to = lo + bins * width + pad;
  const steps = 300;
  const curve: { x: number; y: number }[] = [];
  const parts: { x: number; y: number; component: string }[] = [];
  for (let t = 0; t <= steps; t++) {
    const x = from + ((to - from) * t) / steps;
    let total = 0;
    for (let m = 0; m < k; m++) {
      const y = model.weights[m] * normalPdf(x, meanOf(m), variances[m]);
      total += y;
      parts.push({ x, y, component: componentLabel(m) });
    }
    curve.push({ x, y: total });
  }
  const compact = options.compact === true;
  const svg = plotSvg({
    width: options.width,
    height: options.height,
    marginLeft: leftMargin([...rects.map((r) => r.y2), ...curve.map((c) => c.y)], compact ? 10 : 12),
    marginBottom: compact ? 34 : 42,
    marginTop: compact ? 12 : 26,
    marginRight: 14,
    color: componentScale(k),
    x: { label: input.columns[feature], labelAnchor: 'center', labelArrow: 'none', ticks: compact ? 4 : undefined },
    y: { label: compact ? null : 'Density', labelArrow: 'none', grid: true, ticks: compact ? 3 : undefined },
    marks: [
      Plot.rect(rects, { x1: 'x1', x2: 'x2', y1: 'y1', y2: 'y2', fill: 'component', fillOpacity: 0.45, inset: 0.5 }),
      Plot.ruleY([0]),
      Plot.line(curve, { x: 'x', y: 'y', stroke: '#222', strokeWidth: compact ? 1.5 : 2.5, className: 'mixture-density' }),
      Plot.line(parts, { x: 'x', y: 'y', z: 'component', stroke: 'component', strokeWidth: compact ? 1.5 : 2, strokeDasharray: '6,3', className: 'component-density' }),
    ],
  }, compact ? 10 : 12);
  return { svg, width: options.width, height: options.height, legend: [], caption: '' };
}

/** The main figure: histogram (d = 1), scatter of the two features (d = 2), or of the first two principal components (d > 2). */
function mainFigure(input: ReportInput, labels: Int32Array): Figure {
  const { data, model } = input;
  const n = data.rows;
  const d = data.cols;
  if (d === 1) {
    const figure = histogramFigure(input, labels, 0, { width: WIDTH, height: 440 });
    figure.legend = [
      ...componentLegend(model),
      { colour: '#222', label: 'Mixture density', kind: 'thick' },
      { colour: '#666', label: 'Weighted component density', kind: 'dashed' },
    ];
    figure.caption = `Histogram of ${escapeHtml(input.columns[0])} (density scale), each bar stacked by the predicted component of its rows, with the fitted mixture density (solid) and each component's weighted density (dashed).`;
    return figure;
  }
  let projection: Projection;
  let what: string;
  if (d === 2) {
    projection = featureProjection(d, 0, 1, input.columns);
    what = `${escapeHtml(input.columns[0])} against ${escapeHtml(input.columns[1])}`;
  } else {
    const pca = principalProjection(data);
    projection = pca.projection;
    const kept = pca.explained[0] + pca.explained[1];
    what = `the data projected on its first two principal components (${kept.toFixed(1)}% of the variance); means and covariances are projected exactly (Wᵀ Σ W)`;
  }
  const figure = scatterFigure(input, projection, labels, { width: WIDTH, height: 500, limit: MAX_POINTS, classPrefix: '' });
  figure.legend = [
    ...componentLegend(model),
    { colour: '#555', label: '1σ ellipse', kind: 'line' },
    { colour: '#555', label: '2σ ellipse', kind: 'dashed' },
    { colour: '#888', label: 'Mean', kind: 'mean' },
  ];
  figure.caption = `Scatter of ${what}, coloured by predicted component, with each component's 1σ (solid) and 2σ (dashed) covariance ellipse and its mean (◆).${subsampleNote(n, figure.drawn, figure.step)}`;
  return figure;
}

/** Pairs plot for 3 ≤ d ≤ 6: scatters below the diagonal, marginal histograms on it. */
function pairsFigure(input: ReportInput, labels: Int32Array): string | null {
  const d = input.data.cols;
  if (d < 3 || d > MAX_PAIR_DIMENSIONS) return null;
  const size = Math.floor((WIDTH + 180) / d) - 6;
  const cells: string[] = [];
  let note = '';
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) {
      if (c > r) {
        cells.push('<div class="pair-cell empty"></div>');
      } else if (c === r) {
        cells.push(`<div class="pair-cell">${histogramFigure(input, labels, r, { width: size, height: size, compact: true }).svg}</div>`);
      } else {
        const f = scatterFigure(input, featureProjection(d, c, r, input.columns), labels, { width: size, height: size, limit: MAX_PAIR_POINTS, classPrefix: 'pair-', compact: true });
        note = subsampleNote(input.data.rows, f.drawn, f.step);
        cells.push(`<div class="pair-cell">${f.svg}</div>`);
      }
    }
  }
  return `<figure class="plot" id="pairs-figure"><div class="pairs" style="grid-template-columns: repeat(${d}, ${size}px)">${cells.join('')}</div>
<figcaption>Every pair of features (x: column, y: row), coloured by predicted component, with each component's marginal 1σ and 2σ ellipses; on the diagonal, each feature's histogram with the marginal mixture density.${note}</figcaption></figure>`;
}

/** About ten integer tick positions covering [from, to]. */
function integerTicks(from: number, to: number): number[] {
  const span = Math.max(1, to - from);
  const raw = span / 10;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? 10 * magnitude);
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return ticks;
}

/** Which trace is the kept run: the one ending closest to the model's log-likelihood (first on ties). */
function keptTrace(traces: RestartTrace[], model: GaussianMixture): number {
  let best = -1;
  let bestScore = Infinity;
  traces.forEach((trace, index) => {
    if (trace.history.length === 0) return;
    const last = trace.history[trace.history.length - 1];
    const score = model.logLikelihood === null ? -last : Math.abs(last - model.logLikelihood);
    if (score < bestScore) {
      best = index;
      bestScore = score;
    }
  });
  return best;
}

/** Log-likelihood trace of every restart; the kept run highlighted. */
function traceFigure(input: ReportInput): Figure | null {
  const { model } = input;
  let traces = input.traces.filter((t) => t.history.length > 0);
  let firstIteration = 1;
  let fromModel = false;
  if (traces.length === 0) {
    if (model.history.length === 0) return null;
    // No per-restart traces (e.g. from `select`): the kept run's history, which starts at iteration 0.
    traces = [{ restart: 0, history: [...model.history] }];
    firstIteration = 0;
    fromModel = true;
  }
  const kept = fromModel ? 0 : keptTrace(traces, model);
  const others: { iteration: number; value: number; restart: string }[] = [];
  const best: { iteration: number; value: number; restart: string }[] = [];
  traces.forEach((trace, index) => {
    const target = index === kept ? best : others;
    trace.history.forEach((value, i) => {
      if (Number.isFinite(value)) target.push({ iteration: i + firstIteration, value, restart: String(trace.restart) });
    });
  });
  const last = best.at(-1);
  const values = [...others, ...best].map((p) => p.value);
  const lastIteration = Math.max(firstIteration, ...traces.map((t) => t.history.length - 1 + firstIteration));
  const svg = plotSvg({
    width: WIDTH,
    height: 300,
    marginLeft: leftMargin(paddedDomain(values), 12),
    marginBottom: 42,
    marginTop: 26,
    marginRight: 20,
    grid: true,
    x: { label: 'Iteration', labelAnchor: 'center', labelArrow: 'none', ticks: integerTicks(firstIteration, lastIteration), tickFormat: 'd' },
    y: { label: 'Mean log-likelihood', labelArrow: 'none', domain: paddedDomain(values) },
    marks: [
      Plot.line(best, { x: 'iteration', y: 'value', stroke: PALETTE[0], strokeWidth: 3, className: 'trace-kept', marker: best.length <= 40 ? 'circle-stroke' : undefined }),
      ...(last ? [Plot.dot([last], { x: 'iteration', y: 'value', r: 4, fill: PALETTE[0], stroke: 'white', strokeWidth: 1.5 })] : []),
      // Drawn over the kept run, thin, so that restarts that retrace it stay visible.
      Plot.line(others, { x: 'iteration', y: 'value', z: 'restart', stroke: '#6e7781', strokeWidth: 1.1, strokeOpacity: 0.8, className: 'trace-restart' }),
    ],
  });
  const legend: LegendItem[] = fromModel
    ? [{ colour: PALETTE[0], label: 'Kept run', kind: 'thick' }]
    : [
        { colour: PALETTE[0], label: `Kept run (restart ${traces[kept]?.restart ?? '?'})`, kind: 'thick' },
        ...(traces.length > 1 ? [{ colour: '#9498a0', label: `Other restarts (${traces.length - 1})`, kind: 'line' as const }] : []),
      ];
  const caption = fromModel
    ? 'Mean log-likelihood per row of the kept run, from its start (iteration 0) to its last iteration.'
    : `Mean log-likelihood per row after each EM iteration of each of the ${traces.length} restart${traces.length === 1 ? '' : 's'}; the run with the highest final value is kept.`;
  return { svg, width: WIDTH, height: 300, legend, caption };
}

/** The selected row: flagged `best`, else the lowest BIC. */
function bestRow(rows: SelectionRow[]): SelectionRow | undefined {
  return rows.find((r) => r.best) ?? rows.reduce<SelectionRow | undefined>((b, r) => (b === undefined || r.bic < b.bic ? r : b), undefined);
}

/** BIC across K, one line per covariance type, the selected model circled. */
function selectionFigure(rows: SelectionRow[]): Figure {
  const types = [...new Set(rows.map((r) => r.covariance))];
  const ks = [...new Set(rows.map((r) => r.components))].sort((a, b) => a - b);
  const best = bestRow(rows);
  const sorted = [...rows].sort((a, b) => a.components - b.components);
  const svg = plotSvg({
    width: WIDTH,
    height: 340,
    marginLeft: leftMargin(rows.map((r) => r.bic), 12),
    marginBottom: 42,
    marginTop: 30,
    marginRight: 20,
    grid: true,
    inset: 10,
    color: { type: 'ordinal', domain: types, range: types.map((_, i) => colour(i)) },
    x: { label: 'Components K', labelAnchor: 'center', labelArrow: 'none', ticks: ks.length <= 20 ? ks : undefined, tickFormat: 'd' },
    y: { label: 'BIC (lower is better)', labelArrow: 'none', nice: true },
    marks: [
      Plot.line(sorted, { x: 'components', y: 'bic', z: 'covariance', stroke: 'covariance', strokeWidth: 2 }),
      Plot.dot(sorted, { x: 'components', y: 'bic', fill: 'covariance', r: 3.5, stroke: 'white', strokeWidth: 1, title: (r: SelectionRow) => `${r.covariance}, K = ${r.components}: BIC ${fixed(r.bic, 2)}` }),
      ...(best
        ? [
            Plot.dot([best], { x: 'components', y: 'bic', r: 9, stroke: '#222', strokeWidth: 2, fill: 'none', className: 'selection-best' }),
            Plot.text([best], { x: 'components', y: 'bic', text: () => 'selected', dy: -17, fontWeight: 'bold', fill: '#222', stroke: 'white', strokeWidth: 3, paintOrder: 'stroke' } as Plot.TextOptions),
          ]
        : []),
    ],
  });
  const legend: LegendItem[] = [...types.map((t, i) => ({ colour: colour(i), label: t, kind: 'line' as const })), { colour: '#222', label: 'Selected model', kind: 'mean' as const }];
  return { svg, width: WIDTH, height: 340, legend, caption: 'BIC = −2·log L + p·ln n for each number of components and covariance type; lower is better. The selected model is circled.' };
}

// ---------------------------------------------------------------------------
// Legends

function legendSwatchSvg(item: LegendItem): string {
  switch (item.kind) {
    case 'swatch':
      return `<rect x="1" y="1" width="12" height="12" rx="2" fill="${item.colour}"/>`;
    case 'line':
      return `<line x1="0" y1="7" x2="22" y2="7" stroke="${item.colour}" stroke-width="2"/>`;
    case 'thick':
      return `<line x1="0" y1="7" x2="22" y2="7" stroke="${item.colour}" stroke-width="3"/>`;
    case 'dashed':
      return `<line x1="0" y1="7" x2="22" y2="7" stroke="${item.colour}" stroke-width="2" stroke-dasharray="5,3"/>`;
    case 'mean':
      return `<path d="M11,1L17,7L11,13L5,7Z" fill="${item.colour}" stroke="#222" stroke-width="1.3"/>`;
  }
}

const swatchWidth = (item: LegendItem) => (item.kind === 'swatch' ? 14 : 22);

function legendHtml(items: LegendItem[]): string {
  if (items.length === 0) return '';
  const spans = items.map(
    (item) =>
      `<span class="legend-item"><svg width="${swatchWidth(item)}" height="14" viewBox="0 0 ${swatchWidth(item)} 14" aria-hidden="true">${legendSwatchSvg(item)}</svg>${escapeHtml(item.label)}</span>`,
  );
  return `<div class="legend">${spans.join('')}</div>`;
}

/** Legend rows laid out in SVG for the stand-alone figure; returns markup and height. */
function legendSvg(items: LegendItem[], width: number, top: number): { markup: string; height: number } {
  const charWidth = 6.6;
  let x = 16;
  let y = top;
  const parts: string[] = [];
  for (const item of items) {
    const w = swatchWidth(item) + 6 + item.label.length * charWidth + 18;
    if (x + w > width - 8 && x > 16) {
      x = 16;
      y += 22;
    }
    parts.push(`<g transform="translate(${x},${y})">${legendSwatchSvg(item)}<text x="${swatchWidth(item) + 6}" y="11" font-size="12">${escapeHtml(item.label)}</text></g>`);
    x += w;
  }
  return { markup: parts.join(''), height: items.length === 0 ? 0 : y - top + 22 };
}

// ---------------------------------------------------------------------------
// Tables

function componentTable(input: ReportInput, labels: Int32Array): string {
  const { model, columns } = input;
  const k = model.components;
  const counts = new Array<number>(k).fill(0);
  for (const label of labels) counts[label]++;
  const head1 = `<tr><th rowspan="2">Component</th><th rowspan="2" class="num">Weight</th><th rowspan="2" class="num">Rows</th>${columns
    .map((c) => `<th colspan="2" class="feature">${escapeHtml(c)}</th>`)
    .join('')}</tr>`;
  const head2 = `<tr>${columns.map(() => '<th class="num sub">mean</th><th class="num sub">sd</th>').join('')}</tr>`;
  const body = model.weights
    .map((w, m) => {
      const cov = componentCovariance(model, m);
      const cells = model.means[m].map((mu, j) => `<td class="num">${fmt(mu)}</td><td class="num sd">${fmt(Math.sqrt(Math.max(cov[j][j], 0)))}</td>`).join('');
      return `<tr><td><span class="chip" style="background:${colour(m)}"></span>${m}</td><td class="num">${fixed(w, 3)}</td><td class="num">${integer(counts[m])}</td>${cells}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="components"><thead>${head1}${head2}</thead><tbody>${body}</tbody></table></div>
<p class="note">Weight: mixing proportion. Rows: rows whose most probable component it is. sd: the square root of the covariance's diagonal (the component's spread along each feature)${model.covariance === 'tied' ? '; with tied covariance every component shares it' : ''}.</p>`;
}

function selectionTable(rows: SelectionRow[]): string {
  const best = bestRow(rows);
  const minBic = Math.min(...rows.map((r) => r.bic));
  const sorted = [...rows].sort((a, b) => a.bic - b.bic);
  const body = sorted
    .map((r, i) => {
      const selected = r === best;
      return `<tr${selected ? ' class="best"' : ''}><td class="num">${i + 1}</td><td class="num">${r.components}</td><td>${escapeHtml(r.covariance)}${selected ? ' <span class="badge">selected</span>' : ''}</td><td class="num">${r.parameters}</td><td class="num">${fixed(r.logLikelihood, 4)}</td><td class="num">${fixed(r.bic, 2)}</td><td class="num">${fixed(r.bic - minBic, 2)}</td><td class="num">${fixed(r.aic, 2)}</td><td class="num">${fixed(r.icl, 2)}</td></tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="selection"><thead><tr><th class="num">Rank</th><th class="num">K</th><th>Covariance</th><th class="num">Parameters</th><th class="num">Mean log-lik.</th><th class="num">BIC</th><th class="num">ΔBIC</th><th class="num">AIC</th><th class="num">ICL</th></tr></thead><tbody>${body}</tbody></table></div>
<p class="note">Ranked by BIC. For BIC, AIC and ICL, lower is better. ΔBIC is the difference from the lowest BIC; a difference above 10 is usually taken as strong evidence.</p>`;
}

// ---------------------------------------------------------------------------
// Page

const CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa; --accent: ${PALETTE[0]}; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink); font: 15px/1.5 ${FONT}; }
main { max-width: 960px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; line-height: 1.25; word-break: break-word; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
.subtitle { margin: 0 0 18px; color: var(--muted); }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 10px; margin: 0; }
.summary div { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.summary dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.summary dd { margin: 2px 0 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.yes { color: #1a7f37; } .no { color: #cf222e; }
.warnings { margin: 14px 0 0; padding: 10px 14px; background: #fff8c5; border: 1px solid #eac54f; border-radius: 8px; }
.warnings ul { margin: 4px 0 0; padding-left: 20px; }
figure { margin: 0; }
figure.plot { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 10px; background: #fff; overflow-x: auto; }
figure.plot > svg { display: block; margin: 0 auto; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; margin: 0 0 6px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
.pairs { display: grid; gap: 6px; justify-content: center; }
.pair-cell svg { display: block; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; min-width: 50%; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
thead th { background: var(--soft); font-weight: 600; }
th.feature { text-align: center; border-left: 1px solid var(--line); }
th.sub { font-weight: 500; color: var(--muted); font-size: 12px; }
.num { text-align: right; }
td.sd { color: var(--muted); }
tbody tr:nth-child(even) td { background: #fbfcfd; }
tr.best td { background: #e8f0fe !important; font-weight: 600; }
.chip { display: inline-block; width: 11px; height: 11px; border-radius: 3px; margin-right: 7px; vertical-align: -1px; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; color: #fff; background: var(--accent); border-radius: 10px; padding: 0 7px; margin-left: 4px; }
.note { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;

function figureHtml(id: string, figure: Figure): string {
  return `<figure class="plot" id="${id}">${legendHtml(figure.legend)}${figure.svg}<figcaption>${figure.caption}</figcaption></figure>`;
}

function summaryHtml(input: ReportInput): string {
  const { model, data } = input;
  const item = (label: string, value: string, cls = '') => `<div><dt>${label}</dt><dd${cls ? ` class="${cls}"` : ''}>${value}</dd></div>`;
  const restarts = input.traces.length > 0 ? input.traces.length : (model.settings?.restarts ?? null);
  return `<dl class="summary">
${item('Components', String(model.components))}
${item('Covariance', escapeHtml(model.covariance))}
${item('Mean log-lik.', fixed(model.logLikelihood, 4))}
${item('BIC', fixed(model.bic(data, input.evaluate), 2))}
${item('AIC', fixed(model.aic(data, input.evaluate), 2))}
${item('Parameters', String(model.parameterCount))}
${item('Iterations', String(model.iterations))}
${restarts === null ? '' : item('Restarts', String(restarts))}
${item('Converged', model.converged ? 'yes' : 'no', model.converged ? 'yes' : 'no')}
</dl>`;
}

/**
 * A complete, self-contained HTML page: summary, cluster figure, pairs plot (3 ≤ d ≤ 6),
 * component table, log-likelihood traces and, when given, the model-selection curve and table.
 */
export function renderReport(input: ReportInput): string {
  const { model, data, columns } = input;
  const labels = model.predict(data, input.evaluate);
  const main = mainFigure(input, labels);
  const pairs = pairsFigure(input, labels);
  const trace = traceFigure(input);
  const sections: string[] = [];
  sections.push(`<section id="clusters"><h2>${data.cols === 1 ? 'Distribution' : 'Clusters'}</h2>${figureHtml('main-figure', main)}</section>`);
  if (pairs) sections.push(`<section id="pairs"><h2>Pairs</h2>${pairs}</section>`);
  sections.push(`<section id="components"><h2>Components</h2>${componentTable(input, labels)}</section>`);
  if (input.selection && input.selection.length > 0) {
    sections.push(`<section id="selection"><h2>Model selection</h2><p class="note">Lower is better for every criterion.</p>${figureHtml('selection-figure', selectionFigure(input.selection))}${selectionTable(input.selection)}</section>`);
  }
  sections.push(
    `<section id="convergence"><h2>Convergence</h2>${trace ? figureHtml('trace-figure', trace) : '<p class="note">No iterations were run (the model is its start).</p>'}</section>`,
  );
  const warnings =
    model.warnings.length > 0 ? `<div class="warnings"><strong>Warnings</strong><ul>${model.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>` : '';
  const shownColumns = columns.length <= 8 ? columns.map(escapeHtml).join(', ') : `${columns.slice(0, 8).map(escapeHtml).join(', ')}, …`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mixem">
<title>${escapeHtml(input.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(input.title)}</h1>
<p class="subtitle">Gaussian mixture fitted by EM to ${integer(data.rows)} rows × ${data.cols} feature${data.cols === 1 ? '' : 's'} (${shownColumns}).</p>
${summaryHtml(input)}
${warnings}
</header>
${sections.join('\n')}
<footer>Generated by mixem. Log-likelihoods are means per row; BIC and AIC are totals (lower is better).</footer>
</main>
</body>
</html>
`;
}

/** The main figure alone, with a title and a legend: SVG text, or PNG bytes rendered by resvg. */
export function renderPlot(input: ReportInput, format: 'svg' | 'png'): string | Uint8Array {
  const labels = input.model.predict(input.data, input.evaluate);
  const figure = mainFigure(input, labels);
  const width = figure.width + 32;
  const titleHeight = 40;
  const legend = legendSvg(figure.legend, width, titleHeight);
  const top = titleHeight + legend.height + 6;
  const height = top + figure.height + 16;
  const inner = figure.svg.replace(/^<svg /, `<svg x="16" y="${top}" `);
  const svg = `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeHtml(FONT)}">
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="26" font-size="17" font-weight="600" fill="#1f2328">${escapeHtml(input.title)}</text>
<g fill="#1f2328">${legend.markup}</g>
${inner}
</svg>`;
  if (format === 'svg') return svg;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return new Uint8Array(resvg.render().asPng());
}
