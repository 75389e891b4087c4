/**
 * Missing values: rows grouped by which features they observe, and each
 * component's Gaussian restricted to those features (its marginal) together
 * with the conditional law of the missing features given the observed ones.
 *
 * For a component with mean μ and covariance Σ, and a row observing the set O
 * and missing the set M:
 *   x_O ~ N(μ_O, Σ_OO)                                    (the marginal)
 *   x_M | x_O ~ N(μ_M + B (x_O − μ_O), C),  B = Σ_MO Σ_OO⁻¹,  C = Σ_MM − B Σ_OM.
 * Each pattern's factorizations are computed once per component and reused
 * for all of its rows. Reference: Ghahramani & Jordan (1994), "Supervised
 * learning from incomplete data via an EM approach", NIPS 6.
 *
 * Symbols: n rows, d features, k components, o observed and u missing
 * features of a pattern, i a row, m a component.
 */
import { covarianceModels, type MixtureParameters } from './covariance/index.js';
import { MixemError } from './errors.js';
import { cholesky, invertLower, LOG_2PI } from './linalg.js';
import type { Matrix } from './types.js';

/** Rows sharing one pattern of observed features. */
export interface RowGroup {
  /** Observed feature indices, ascending. */
  readonly observed: Int32Array;
  /** Missing feature indices, ascending. */
  readonly missing: Int32Array;
  /** Row indices, ascending. */
  readonly rows: Int32Array;
}

/** Whether any value is NaN (a missing value). */
export function hasMissing(matrix: Matrix): boolean {
  const x = matrix.data;
  for (let q = 0; q < x.length; q++) if (x[q] !== x[q]) return true;
  return false;
}

/** Whether row i has a missing value. */
export function rowHasMissing(matrix: Matrix, i: number): boolean {
  const { cols: d, data: x } = matrix;
  for (let j = 0; j < d; j++) if (x[i * d + j] !== x[i * d + j]) return true;
  return false;
}

/**
 * Groups the given rows by their pattern of observed features, in order of
 * each pattern's first row (so the grouping is deterministic).
 * @throws MixemError `invalid-data` for a row with every value missing.
 */
export function groupByPattern(matrix: Matrix, rows: ArrayLike<number>, name = 'data'): RowGroup[] {
  const { cols: d, data: x } = matrix;
  const groups = new Map<string, { observed: number[]; missing: number[]; rows: number[] }>();
  for (let q = 0; q < rows.length; q++) {
    const i = rows[q];
    let key = '';
    for (let j = 0; j < d; j++) key += x[i * d + j] !== x[i * d + j] ? '0' : '1';
    let group = groups.get(key);
    if (group === undefined) {
      const observed: number[] = [];
      const missing: number[] = [];
      for (let j = 0; j < d; j++) (key[j] === '1' ? observed : missing).push(j);
      if (observed.length === 0) {
        throw new MixemError('invalid-data', `${name}[${i}] has every value missing; remove the row or give at least one value`);
      }
      group = { observed, missing, rows: [] };
      groups.set(key, group);
    }
    group.rows.push(i);
  }
  return [...groups.values()].map((g) => ({
    observed: Int32Array.from(g.observed),
    missing: Int32Array.from(g.missing),
    rows: Int32Array.from(g.rows),
  }));
}

/**
 * Checks that no column is entirely missing (a fit cannot estimate it).
 * @throws MixemError `invalid-data` naming the column.
 */
export function checkColumnsObserved(matrix: Matrix, name = 'data'): void {
  const { rows: n, cols: d, data: x } = matrix;
  for (let j = 0; j < d; j++) {
    let seen = false;
    for (let i = 0; i < n && !seen; i++) seen = x[i * d + j] === x[i * d + j];
    if (!seen) {
      throw new MixemError('invalid-data', `column ${j} of ${name} has every value missing; drop the column or give some values`);
    }
  }
}

/** One component's Gaussian for one pattern: marginal factor, regression and conditional covariance. */
export interface PatternGaussian {
  /** o×o inverse Cholesky factor of Σ_OO (lower triangular, row-major). */
  readonly factor: Float64Array;
  /** −o/2·log 2π − ½ log|Σ_OO|. */
  readonly logNormalizer: number;
  /** u×o regression B = Σ_MO Σ_OO⁻¹ (row-major). */
  readonly regression: Float64Array;
  /** u×u conditional covariance C = Σ_MM − B Σ_OM (row-major). */
  readonly conditional: Float64Array;
}

/**
 * The marginal and conditional Gaussians of every component for one pattern.
 * @throws MixemError `degenerate-component` if a marginal covariance is not positive definite.
 */
export function patternGaussians(params: MixtureParameters, group: RowGroup): PatternGaussian[] {
  const { k, d, covariance } = params;
  const { observed, missing } = group;
  const o = observed.length;
  const u = missing.length;
  const model = covarianceModels[covariance];
  const sigma = new Float64Array(d * d);
  const sub = new Float64Array(o * o);
  const lower = new Float64Array(o * o);
  const out: PatternGaussian[] = [];
  for (let m = 0; m < k; m++) {
    model.expand(params.covariances, m, k, d, sigma);
    for (let a = 0; a < o; a++) for (let b = 0; b < o; b++) sub[a * o + b] = sigma[observed[a] * d + observed[b]];
    if (!cholesky(sub, 0, o, lower, 0)) {
      throw new MixemError(
        'degenerate-component',
        `the covariance of component ${m} restricted to features [${Array.from(observed).join(', ')}] is not positive definite; raise regularization or standardize the data`,
      );
    }
    const factor = new Float64Array(o * o);
    invertLower(lower, 0, o, factor, 0);
    let logDet = 0;
    for (let a = 0; a < o; a++) logDet += Math.log(lower[a * o + a]);
    // B = Σ_MO Σ_OO⁻¹ = (Σ_MO Fᵀ) F with F = L⁻¹.
    const regression = new Float64Array(u * o);
    const conditional = new Float64Array(u * u);
    if (u > 0) {
      const half = new Float64Array(u * o); // Σ_MO Fᵀ
      for (let a = 0; a < u; a++) {
        for (let c = 0; c < o; c++) {
          let sum = 0;
          for (let b = 0; b <= c; b++) sum += sigma[missing[a] * d + observed[b]] * factor[c * o + b];
          half[a * o + c] = sum;
        }
      }
      for (let a = 0; a < u; a++) {
        for (let b = 0; b < o; b++) {
          let sum = 0;
          for (let c = b; c < o; c++) sum += half[a * o + c] * factor[c * o + b];
          regression[a * o + b] = sum;
        }
      }
      // C = Σ_MM − (Σ_MO Fᵀ)(Σ_MO Fᵀ)ᵀ: symmetric by construction.
      for (let a = 0; a < u; a++) {
        for (let b = 0; b <= a; b++) {
          let sum = sigma[missing[a] * d + missing[b]];
          for (let c = 0; c < o; c++) sum -= half[a * o + c] * half[b * o + c];
          conditional[a * u + b] = sum;
          conditional[b * u + a] = sum;
        }
      }
    }
    out.push({ factor, logNormalizer: -0.5 * o * LOG_2PI - logDet, regression, conditional });
  }
  return out;
}

/**
 * For row i of a pattern: writes log π_m + log N(x_O | μ_mO, Σ_mOO) to `logp[m]`
 * and x_O − μ_mO to `diff[m·o ..]` for every component.
 */
export function patternJointLogProbabilities(
  x: Float64Array,
  i: number,
  d: number,
  params: MixtureParameters,
  group: RowGroup,
  gaussians: readonly PatternGaussian[],
  diff: Float64Array,
  logp: Float64Array,
): void {
  const { k, means, weights } = params;
  const { observed } = group;
  const o = observed.length;
  for (let m = 0; m < k; m++) {
    const { factor, logNormalizer } = gaussians[m];
    for (let a = 0; a < o; a++) diff[m * o + a] = x[i * d + observed[a]] - means[m * d + observed[a]];
    let sq = 0;
    for (let a = 0; a < o; a++) {
      let y = 0;
      for (let b = 0; b <= a; b++) y += factor[a * o + b] * diff[m * o + b];
      sq += y * y;
    }
    logp[m] = Math.log(weights[m]) + logNormalizer - 0.5 * sq;
  }
}

/**
 * Writes the conditional mean of the missing features of a row under
 * component m, minus μ_mM (that is, B·(x_O − μ_mO)), to `out[0 .. u)`.
 */
export function conditionalShift(gaussian: PatternGaussian, diff: Float64Array, diffOffset: number, o: number, u: number, out: Float64Array): void {
  const { regression } = gaussian;
  for (let a = 0; a < u; a++) {
    let sum = 0;
    for (let b = 0; b < o; b++) sum += regression[a * o + b] * diff[diffOffset + b];
    out[a] = sum;
  }
}

/**
 * A copy of the data with each missing value replaced by its column's
 * (weighted) observed mean: the data k-means starts from and re-seeds use.
 */
export function meanImputed(matrix: Matrix, weights: Float64Array | null): Matrix {
  const { rows: n, cols: d, data: x } = matrix;
  const sums = new Float64Array(d);
  const totals = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const w = weights === null ? 1 : weights[i];
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (v === v) {
        sums[j] += w * v;
        totals[j] += w;
      }
    }
  }
  const out = x.slice();
  for (let q = 0; q < out.length; q++) if (out[q] !== out[q]) out[q] = totals[q % d] > 0 ? sums[q % d] / totals[q % d] : 0;
  return { rows: n, cols: d, data: out };
}

/** Per-row outputs, as the kernels' `evaluate` fills them. */
export interface IncompleteOutputs {
  logDensity?: Float64Array;
  labels?: Int32Array;
  responsibilities?: Float64Array;
}

/**
 * Fills the outputs for the rows with missing values (the others are left as
 * they are): log densities of the observed features, most probable components,
 * responsibilities.
 * @throws MixemError `invalid-data` for a row with every value missing.
 */
export function evaluateIncomplete(matrix: Matrix, params: MixtureParameters, out: IncompleteOutputs): void {
  const { k, d } = params;
  const incomplete: number[] = [];
  for (let i = 0; i < matrix.rows; i++) if (rowHasMissing(matrix, i)) incomplete.push(i);
  if (incomplete.length === 0) return;
  const logp = new Float64Array(k);
  for (const group of groupByPattern(matrix, incomplete)) {
    const gaussians = patternGaussians(params, group);
    const diff = new Float64Array(k * group.observed.length);
    for (const i of group.rows) {
      patternJointLogProbabilities(matrix.data, i, d, params, group, gaussians, diff, logp);
      let best = 0;
      for (let m = 1; m < k; m++) if (logp[m] > logp[best]) best = m;
      let sum = 0;
      for (let m = 0; m < k; m++) sum += Math.exp(logp[m] - logp[best]);
      const lse = logp[best] + Math.log(sum);
      if (out.logDensity) out.logDensity[i] = lse;
      if (out.labels) out.labels[i] = best;
      if (out.responsibilities) for (let m = 0; m < k; m++) out.responsibilities[i * k + m] = Math.exp(logp[m] - lse);
    }
  }
}

/** A source of standard normal and categorical draws (the library's `Random`). */
export interface Draws {
  normal(): number;
  categorical(weights: ArrayLike<number>): number;
}

/**
 * Fills the missing values of a copy of the data. Without `rng`: the
 * conditional mean under the mixture, Σ_m r_m (μ_mM + B_m (x_O − μ_mO)).
 * With `rng`: one draw from the conditional distribution (a component from
 * the responsibilities, then x_M from that component's conditional Gaussian).
 */
export function imputeMissing(matrix: Matrix, params: MixtureParameters, rng: Draws | null): Matrix {
  const { k, d, means } = params;
  const out = matrix.data.slice();
  const incomplete: number[] = [];
  for (let i = 0; i < matrix.rows; i++) if (rowHasMissing(matrix, i)) incomplete.push(i);
  const logp = new Float64Array(k);
  const resp = new Float64Array(k);
  for (const group of groupByPattern(matrix, incomplete)) {
    const { observed, missing } = group;
    const o = observed.length;
    const u = missing.length;
    const gaussians = patternGaussians(params, group);
    const diff = new Float64Array(k * o);
    const shift = new Float64Array(u);
    // Cholesky factors of the conditional covariances, for draws.
    const conditionalFactors = rng === null ? [] : gaussians.map((g) => conditionalFactor(g.conditional, u));
    const z = new Float64Array(u);
    for (const i of group.rows) {
      patternJointLogProbabilities(matrix.data, i, d, params, group, gaussians, diff, logp);
      let max = -Infinity;
      for (let m = 0; m < k; m++) max = Math.max(max, logp[m]);
      let sum = 0;
      for (let m = 0; m < k; m++) sum += resp[m] = Math.exp(logp[m] - max);
      for (let m = 0; m < k; m++) resp[m] /= sum;
      for (let a = 0; a < u; a++) out[i * d + missing[a]] = 0;
      if (rng === null) {
        for (let m = 0; m < k; m++) {
          conditionalShift(gaussians[m], diff, m * o, o, u, shift);
          for (let a = 0; a < u; a++) out[i * d + missing[a]] += resp[m] * (means[m * d + missing[a]] + shift[a]);
        }
      } else {
        const m = rng.categorical(resp);
        conditionalShift(gaussians[m], diff, m * o, o, u, shift);
        for (let a = 0; a < u; a++) z[a] = rng.normal();
        const factor = conditionalFactors[m];
        for (let a = 0; a < u; a++) {
          let noise = 0;
          for (let b = 0; b <= a; b++) noise += factor[a * u + b] * z[b];
          out[i * d + missing[a]] = means[m * d + missing[a]] + shift[a] + noise;
        }
      }
    }
  }
  return { rows: matrix.rows, cols: d, data: out };
}

/** Cholesky factor of a conditional covariance, with a tiny diagonal lift if rounding made it indefinite. */
function conditionalFactor(c: Float64Array, u: number): Float64Array {
  const out = new Float64Array(u * u);
  if (cholesky(c, 0, u, out, 0)) return out;
  const lifted = c.slice();
  let scale = 0;
  for (let a = 0; a < u; a++) scale = Math.max(scale, Math.abs(c[a * u + a]));
  for (let a = 0; a < u; a++) lifted[a * u + a] += 1e-12 * scale + Number.MIN_VALUE;
  if (!cholesky(lifted, 0, u, out, 0)) out.fill(0);
  return out;
}
