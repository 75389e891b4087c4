/**
 * Model selection: fit every combination of component count and covariance
 * type, and rank them by an information criterion (lower is better).
 */
import { MixemError, show } from './errors.js';
import { fit } from './fit.js';
import { toMatrix } from './matrix.js';
import type { GaussianMixture } from './model.js';
import type { FitOptions } from './options.js';
import { COVARIANCE_TYPES, type CovarianceType, type DataInput } from './types.js';

/** Which criterion picks the best model. All are "lower is better". */
export type Criterion = 'bic' | 'aic' | 'icl';

/** Options of {@link select}: fit options, with lists where {@link fit} takes one value. */
export interface SelectOptions extends Omit<FitOptions, 'components' | 'covariance' | 'start'> {
  /** Candidate component counts, e.g. [1, 2, …, 9]. */
  components: readonly number[];
  /** Candidate covariance types (default: all four). */
  covariance?: readonly CovarianceType[];
  /** Criterion that picks the best (default `"bic"`). */
  criterion?: Criterion;
}

/** One fitted combination. Criteria are null when the fit failed. */
export interface SelectionEntry {
  readonly components: number;
  readonly covariance: CovarianceType;
  /** The fitted model, or null if the fit failed. */
  readonly model: GaussianMixture | null;
  /** Why the fit failed, or null. */
  readonly error: string | null;
  /** Mean log-likelihood per row. */
  readonly logLikelihood: number | null;
  /** Free parameters. */
  readonly parameters: number | null;
  readonly bic: number | null;
  readonly aic: number | null;
  readonly icl: number | null;
}

/** Result of {@link select}. */
export interface SelectionResult {
  /** Every combination, ordered by covariance type then components. */
  readonly entries: readonly SelectionEntry[];
  /** The entry with the lowest criterion. */
  readonly best: SelectionEntry;
  readonly criterion: Criterion;
}

/**
 * Fits every (components, covariance) combination and picks the best by BIC
 * (or AIC, ICL). A combination that cannot be fitted (a degenerate component,
 * more components than rows) is reported with its error, not thrown.
 *
 * BIC = −2·log L + p·ln n, as scikit-learn; mclust reports −BIC (higher is better).
 *
 * @throws MixemError `invalid-option` for bad candidate lists; `invalid-data` for bad data;
 *   `degenerate-component` if no combination could be fitted.
 * @example
 * ```ts
 * const { best, entries } = select(data, { components: [1, 2, 3, 4], covariance: ['full', 'diag'], seed: 1 });
 * best.components; best.covariance; best.model!.predict(data);
 * ```
 */
export function select(data: DataInput, options: SelectOptions): SelectionResult {
  const { components, covariance = COVARIANCE_TYPES, criterion = 'bic', ...fitOptions } = options ?? ({} as SelectOptions);
  if (!Array.isArray(components) || components.length === 0 || !components.every((k) => Number.isInteger(k) && k >= 1)) {
    throw new MixemError('invalid-option', `option components must be a non-empty array of positive integers; got ${show(components)}`);
  }
  if (!Array.isArray(covariance) || covariance.length === 0 || !covariance.every((c) => COVARIANCE_TYPES.includes(c))) {
    throw new MixemError('invalid-option', `option covariance must be a non-empty array of ${COVARIANCE_TYPES.join(', ')}; got ${show(covariance)}`);
  }
  if (!['bic', 'aic', 'icl'].includes(criterion)) {
    throw new MixemError('invalid-option', `option criterion must be one of bic, aic, icl; got ${show(criterion)}`);
  }
  const matrix = toMatrix(data, 'data', { missing: true });
  const scoring = { sampleWeights: fitOptions.sampleWeights };
  const entries: SelectionEntry[] = [];
  for (const type of covariance) {
    for (const k of components) {
      try {
        const model = fit(matrix, { ...fitOptions, components: k, covariance: type });
        entries.push({
          components: k,
          covariance: type,
          model,
          error: null,
          logLikelihood: model.logLikelihood,
          parameters: model.parameterCount,
          bic: model.bic(matrix, scoring),
          aic: model.aic(matrix, scoring),
          icl: model.icl(matrix, scoring),
        });
      } catch (error) {
        if (!(error instanceof MixemError) || error.code === 'invalid-option' || error.code === 'invalid-start') throw error;
        entries.push({ components: k, covariance: type, model: null, error: error.message, logLikelihood: null, parameters: null, bic: null, aic: null, icl: null });
      }
    }
  }
  let best: SelectionEntry | null = null;
  for (const entry of entries) {
    const value = entry[criterion];
    if (value !== null && (best === null || value < best[criterion]!)) best = entry;
  }
  if (best === null) {
    throw new MixemError('degenerate-component', `no combination could be fitted; the first error was: ${entries[0].error}`);
  }
  return { entries, best, criterion };
}
