/**
 * The compact terminal summary of a model, and its machine-readable twin.
 */
import type { GaussianMixture } from '../src/index.js';

/** What the summary says besides the model itself. */
export interface SummaryContext {
  source?: string;
  rows?: number;
  columns: string[];
  bic?: number;
  aic?: number;
  seconds?: number;
  restarts?: number;
  output?: string;
}

const fixed = (x: number, width = 10, digits = 4) => {
  const text = Math.abs(x) >= 1e6 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(digits);
  return text.padStart(width);
};

/** Standard deviations and correlations of component m, from any covariance shape. */
export function componentShape(model: GaussianMixture, m: number): { sd: number[]; correlation: number[][] | null } {
  const d = model.dimensions;
  const c = model.covariances;
  const variance = (a: number, b: number): number => {
    switch (model.covariance) {
      case 'full':
        return (c as number[][][])[m][a][b];
      case 'tied':
        return (c as number[][])[a][b];
      case 'diag':
        return a === b ? (c as number[][])[m][a] : 0;
      case 'spherical':
        return a === b ? (c as number[])[m] : 0;
    }
  };
  const sd = Array.from({ length: d }, (_, a) => Math.sqrt(variance(a, a)));
  const correlated = model.covariance === 'full' || model.covariance === 'tied';
  const correlation = correlated
    ? Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => variance(a, b) / (sd[a] * sd[b])))
    : null;
  return { sd, correlation };
}

/** The human summary: data, fit status, criteria, then one block per component. */
export function textSummary(model: GaussianMixture, context: SummaryContext): string {
  const lines: string[] = [];
  const names = context.columns.length === model.dimensions ? context.columns : Array.from({ length: model.dimensions }, (_, j) => `x${j + 1}`);
  if (context.source !== undefined) lines.push(`data        ${context.source}: ${context.rows} rows × ${names.length} columns (${names.join(', ')})`);
  const status = model.converged ? `converged in ${model.iterations} iterations` : `NOT converged after ${model.iterations} iterations`;
  lines.push(`model       K = ${model.components}, ${model.covariance} covariance; ${status}${context.restarts ? `, best of ${context.restarts} restart${context.restarts > 1 ? 's' : ''}` : ''}`);
  const fitLine = [`log-likelihood ${model.logLikelihood === null ? 'unknown' : `${model.logLikelihood.toFixed(6)} per row`}`];
  if (context.bic !== undefined) fitLine.push(`BIC ${context.bic.toFixed(3)}`);
  if (context.aic !== undefined) fitLine.push(`AIC ${context.aic.toFixed(3)}`);
  if (context.seconds !== undefined) fitLine.push(`time ${context.seconds.toFixed(2)} s`);
  lines.push(`fit         ${fitLine.join('   ')}`);
  const width = Math.max(10, ...names.map((n) => n.length + 1));
  lines.push('');
  lines.push(`${'component'.padEnd(12)}${'weight'.padStart(8)}   ${''.padEnd(5)}${names.map((n) => n.padStart(width)).join('')}`);
  for (let m = 0; m < model.components; m++) {
    const { sd, correlation } = componentShape(model, m);
    lines.push(`${String(m).padEnd(12)}${model.weights[m].toFixed(4).padStart(8)}   ${'mean'.padEnd(5)}${model.means[m].map((v) => fixed(v, width)).join('')}`);
    lines.push(`${''.padEnd(23)}${'sd'.padEnd(5)}${sd.map((v) => fixed(v, width)).join('')}`);
    if (correlation && model.dimensions > 1 && model.dimensions <= 6) {
      // The strict upper triangle: row a lists corr(a, b) under column b > a.
      correlation.slice(0, -1).forEach((row, a) => {
        const label = a === 0 ? 'corr' : '';
        lines.push(`${''.padEnd(23)}${label.padEnd(5)}${row.map((v, b) => (b <= a ? ''.padStart(width) : fixed(v, width, 3))).join('')}`);
      });
    }
  }
  for (const warning of model.warnings) lines.push(`warning: ${warning}`);
  for (const r of model.recoveries) {
    lines.push(`note: component ${r.component} was ${r.reason === 'empty' ? 'empty' : 'singular'} at iteration ${r.iteration} of restart ${r.restart + 1} and was re-seeded at row ${r.row}`);
  }
  if (context.output !== undefined) lines.push(`model written to ${context.output}`);
  return `${lines.join('\n')}\n`;
}

/** The same summary as JSON, for machines. */
export function jsonSummary(model: GaussianMixture, context: SummaryContext): string {
  const components = Array.from({ length: model.components }, (_, m) => {
    const { sd, correlation } = componentShape(model, m);
    return { weight: model.weights[m], mean: model.means[m], sd, correlation };
  });
  return `${JSON.stringify(
    {
      source: context.source ?? null,
      rows: context.rows ?? null,
      columns: context.columns,
      components: model.components,
      covariance: model.covariance,
      converged: model.converged,
      iterations: model.iterations,
      restarts: context.restarts ?? null,
      logLikelihood: model.logLikelihood,
      bic: context.bic ?? null,
      aic: context.aic ?? null,
      seconds: context.seconds ?? null,
      output: context.output ?? null,
      warnings: model.warnings,
      recoveries: model.recoveries,
      component: components,
    },
    null,
    2,
  )}\n`;
}
