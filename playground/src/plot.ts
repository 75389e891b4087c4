/**
 * Drawing with Observable Plot: the scatter of points coloured by
 * responsibility with 1σ/2σ ellipses, the k-means panel, the log-likelihood
 * trace and the BIC curve. Every function returns a new SVG element.
 */
import * as Plot from '@observablehq/plot';
import type { CovarianceType, Covariances } from 'mixem';
import type { SelectionPoint, Snapshot } from './protocol';

/** Component colours (Observable's 10-colour palette). */
export const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];
/** Points not yet assigned (before the first E-step). */
export const UNASSIGNED = '#9aa0a6';

export type PlotElement = (SVGSVGElement | HTMLElement) & Plot.Plot;

const RGB = PALETTE.map((hex) => [1, 3, 5].map((p) => parseInt(hex.slice(p, p + 2), 16)));

/** Colour of each point: the component colours mixed in proportion to its responsibilities. */
export function blendedColors(responsibilities: Float64Array, k: number): string[] {
  const n = responsibilities.length / k;
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let m = 0; m < k; m++) {
      const p = responsibilities[i * k + m];
      const c = RGB[m % RGB.length];
      r += p * c[0];
      g += p * c[1];
      b += p * c[2];
    }
    out[i] = `rgb(${Math.round(r)},${Math.round(g)},${Math.round(b)})`;
  }
  return out;
}

/** Colour of each point from a hard label. */
export function labelColors(labels: Int32Array): string[] {
  return Array.from(labels, (label) => PALETTE[label % PALETTE.length]);
}

/** The 2×2 covariance [a, b, c] = [[a, b], [b, c]] of component m on dimensions i and j. */
export function marginalCovariance(covariance: CovarianceType, covariances: Covariances, m: number, i: number, j: number): [number, number, number] {
  switch (covariance) {
    case 'full': {
      const s = (covariances as number[][][])[m];
      return [s[i][i], s[i][j], s[j][j]];
    }
    case 'tied': {
      const s = covariances as number[][];
      return [s[i][i], s[i][j], s[j][j]];
    }
    case 'diag': {
      const s = (covariances as number[][])[m];
      return [s[i], 0, s[j]];
    }
    case 'spherical': {
      const v = (covariances as number[])[m];
      return [v, 0, v];
    }
  }
}

/** Points on the ellipse {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = r²}, closed. */
export function ellipsePoints(mean: [number, number], [a, b, c]: [number, number, number], radius: number, segments = 72): [number, number][] {
  const half = (a - c) / 2;
  const root = Math.hypot(half, b);
  const major = Math.sqrt(Math.max((a + c) / 2 + root, 0));
  const minor = Math.sqrt(Math.max((a + c) / 2 - root, 0));
  const angle = 0.5 * Math.atan2(2 * b, a - c);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out: [number, number][] = [];
  for (let s = 0; s <= segments; s++) {
    const t = (2 * Math.PI * s) / segments;
    const u = radius * major * Math.cos(t);
    const v = radius * minor * Math.sin(t);
    out.push([mean[0] + u * cos - v * sin, mean[1] + u * sin + v * cos]);
  }
  return out;
}

interface EllipseRow {
  component: number;
  x: number;
  y: number;
}

function ellipseRows(model: Snapshot, xDim: number, yDim: number, radius: number): EllipseRow[] {
  const rows: EllipseRow[] = [];
  for (let m = 0; m < model.components; m++) {
    const mean: [number, number] = [model.means[m][xDim], model.means[m][yDim]];
    const cov = marginalCovariance(model.covariance, model.covariances, m, xDim, yDim);
    for (const [x, y] of ellipsePoints(mean, cov, radius)) rows.push({ component: m, x, y });
  }
  return rows;
}

/** What the scatter shows. */
export interface ScatterInput {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  fill: readonly string[];
  xDomain: [number, number];
  yDomain: [number, number];
  xLabel: string;
  yLabel: string;
  width: number;
  height: number;
  /** The mixture whose ellipses and means are drawn (on dimensions xDim, yDim), or null. */
  model: Snapshot | null;
  xDim: number;
  yDim: number;
  /** k-means centres (full rows), drawn as crosses. */
  centers?: number[][];
  ariaLabel: string;
}

/** Points, and the mixture's 1σ and 2σ ellipses and means (classes ellipse-1sigma, ellipse-2sigma, component-mean). */
export function scatter(input: ScatterInput): PlotElement {
  const { x, y, fill, model, xDim, yDim } = input;
  const index = Array.from({ length: x.length }, (_, i) => i);
  const color = (row: EllipseRow) => PALETTE[row.component % PALETTE.length];
  const marks: Plot.Markish[] = [
    Plot.frame({ stroke: '#d0d4da' }),
    Plot.dot(index, {
      x: (i: number) => x[i],
      y: (i: number) => y[i],
      fill: (i: number) => fill[i],
      r: x.length > 2000 ? 1.6 : 2.6,
      fillOpacity: x.length > 2000 ? 0.6 : 0.85,
      className: 'points',
    }),
  ];
  if (model !== null) {
    const means = model.means.map((mean, m) => ({ component: m, x: mean[xDim], y: mean[yDim] }));
    marks.push(
      Plot.line(ellipseRows(model, xDim, yDim, 2), { x: 'x', y: 'y', z: 'component', stroke: color, strokeWidth: 1.5, strokeDasharray: '5,4', clip: true, className: 'ellipse-2sigma' }),
      Plot.line(ellipseRows(model, xDim, yDim, 1), { x: 'x', y: 'y', z: 'component', stroke: color, strokeWidth: 2.5, clip: true, className: 'ellipse-1sigma' }),
      Plot.dot(means, { x: 'x', y: 'y', symbol: 'plus', r: 8, stroke: '#1b1e23', strokeWidth: 3, clip: true, className: 'component-mean' }),
      Plot.dot(means, { x: 'x', y: 'y', symbol: 'plus', r: 8, stroke: color, strokeWidth: 1.5, clip: true }),
    );
  }
  if (input.centers) {
    const centers = input.centers.map((c, m) => ({ component: m, x: c[xDim], y: c[yDim] }));
    marks.push(
      Plot.dot(centers, { x: 'x', y: 'y', symbol: 'times', r: 8, stroke: '#1b1e23', strokeWidth: 3, clip: true, className: 'kmeans-center' }),
      Plot.dot(centers, { x: 'x', y: 'y', symbol: 'times', r: 8, stroke: color, strokeWidth: 1.5, clip: true }),
    );
  }
  return Plot.plot({
    width: input.width,
    height: input.height,
    marginLeft: 56,
    marginBottom: 40,
    ariaLabel: input.ariaLabel,
    color: { type: 'identity' },
    x: { domain: input.xDomain, label: input.xLabel, labelAnchor: 'center', labelArrow: 'none', grid: true },
    y: { domain: input.yDomain, label: input.yLabel, labelAnchor: 'center', labelArrow: 'none', grid: true },
    style: { fontSize: '12px', background: 'white' },
    marks,
  }) as PlotElement;
}

/** One line of the log-likelihood trace. */
export interface TraceSeries {
  name: string;
  /** The highlighted line: the current run, or the best restart so far. */
  kept: boolean;
  points: { iteration: number; logLikelihood: number }[];
}

/** Mean log-likelihood against iteration, one line per series (classes trace-kept, trace-restart). */
export function trace(series: TraceSeries[], width: number): PlotElement {
  const rows = series.flatMap((s) => s.points.map((p) => ({ ...p, name: s.name, kept: s.kept })));
  const last = rows.reduce((max, r) => Math.max(max, r.iteration), 1);
  const kept = rows.filter((r) => r.kept);
  const others = rows.filter((r) => !r.kept);
  return Plot.plot({
    width,
    height: 220,
    marginLeft: 64,
    ariaLabel: 'Mean log-likelihood by iteration',
    // Whole iterations only: at most ten ticks, which d3 then places on integers.
    x: { label: 'iteration', labelAnchor: 'center', labelArrow: 'none', grid: true, ticks: Math.min(last, 10), tickFormat: 'd' },
    y: { label: 'mean log-likelihood', labelArrow: 'none', grid: true, tickFormat: (v: number) => v.toPrecision(4) },
    style: { fontSize: '12px', background: 'white' },
    marks: [
      Plot.frame({ stroke: '#d0d4da' }),
      Plot.line(others, { x: 'iteration', y: 'logLikelihood', z: 'name', stroke: '#b5bac1', strokeWidth: 1.5, className: 'trace-restart' }),
      Plot.line(kept, { x: 'iteration', y: 'logLikelihood', z: 'name', stroke: PALETTE[0], strokeWidth: 2.5, className: 'trace-kept' }),
      Plot.dot(kept.length <= 200 ? kept : [], { x: 'iteration', y: 'logLikelihood', fill: PALETTE[0], r: 3 }),
      Plot.tip(rows, Plot.pointer({ x: 'iteration', y: 'logLikelihood', title: (r: (typeof rows)[number]) => `${r.name}, iteration ${r.iteration}\n${r.logLikelihood.toFixed(6)}` })),
    ],
  }) as PlotElement;
}

/** BIC against K (lower is better), the best K ringed (class bic-best). */
export function bicCurve(points: SelectionPoint[], best: number | null, width: number): PlotElement {
  const fitted = points.filter((p) => p.bic !== null);
  const ks = points.map((p) => p.components);
  return Plot.plot({
    width,
    height: 220,
    marginLeft: 64,
    ariaLabel: 'BIC by number of components',
    x: { label: 'components K', labelAnchor: 'center', labelArrow: 'none', ticks: ks, tickFormat: 'd', domain: [0.5, Math.max(8, ...ks) + 0.5] },
    y: { label: 'BIC (lower is better)', labelArrow: 'none', grid: true },
    style: { fontSize: '12px', background: 'white' },
    marks: [
      Plot.frame({ stroke: '#d0d4da' }),
      Plot.line(fitted, { x: 'components', y: 'bic', stroke: PALETTE[0], strokeWidth: 2 }),
      Plot.dot(fitted, { x: 'components', y: 'bic', fill: PALETTE[0], r: 3.5, className: 'bic-point' }),
      Plot.dot(fitted.filter((p) => p.components === best), { x: 'components', y: 'bic', stroke: PALETTE[2], strokeWidth: 2.5, r: 8, className: 'bic-best' }),
    ],
  }) as PlotElement;
}
