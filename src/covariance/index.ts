/**
 * The covariance types by name, and the operations built on their contract:
 * the M-step from sufficient statistics and packing for the kernel.
 */
import type { PackedParameters, SufficientStatistics } from '../kernels/kernel.js';
import type { CovarianceType } from '../types.js';
import { diagCovariance } from './diag.js';
import { fullCovariance } from './full.js';
import type { CovarianceModel, MixtureParameters } from './model.js';
import { sphericalCovariance } from './spherical.js';
import { tiedCovariance } from './tied.js';

export type { CovarianceModel, MixtureParameters } from './model.js';

/** Strategy objects, one per covariance type. */
export const covarianceModels: Record<CovarianceType, CovarianceModel> = {
  full: fullCovariance,
  tied: tiedCovariance,
  diag: diagCovariance,
  spherical: sphericalCovariance,
};

/** Floor added to every soft count, so an empty component never divides 0 by 0 (scikit-learn's 10·ε). */
export const COUNT_FLOOR = 10 * Number.EPSILON;

/**
 * The M-step: weights, means and regularized covariances from statistics
 * accumulated around `current.means`. With δ_k = S1_k / nk the move of mean k,
 * the new mean is μ_k + δ_k and the covariance is the exact centred scatter
 * around it (no E[xxᵀ] − μμᵀ cancellation).
 *
 * Reference: Bishop, Pattern Recognition and Machine Learning (2006), §9.2.2, eqs. 9.24–9.27.
 */
export function maximize(
  stats: SufficientStatistics,
  current: MixtureParameters,
  regularization: number,
): MixtureParameters {
  const { k, d, covariance } = current;
  const model = covarianceModels[covariance];
  const nk = new Float64Array(k);
  let total = 0;
  for (let m = 0; m < k; m++) {
    nk[m] = stats.counts[m] + COUNT_FLOOR;
    total += nk[m];
  }
  const weights = new Float64Array(k);
  const means = new Float64Array(k * d);
  const shift = new Float64Array(k * d);
  for (let m = 0; m < k; m++) {
    weights[m] = nk[m] / total;
    for (let j = 0; j < d; j++) {
      const q = m * d + j;
      shift[q] = stats.first[q] / nk[m];
      means[q] = current.means[q] + shift[q];
    }
  }
  const covariances = new Float64Array(model.size(k, d));
  model.estimate(stats.second, stats.counts, nk, shift, k, d, regularization, covariances);
  return { covariance, k, d, weights, means, covariances };
}

/** Parameters packed for a kernel, or the components whose covariance could not be factored. */
export type PackResult = { packed: PackedParameters; failed: [] } | { packed: null; failed: number[] };

/** Factors the covariances and packs the parameters for the kernel. */
export function pack(params: MixtureParameters): PackResult {
  const { k, d, covariance } = params;
  const model = covarianceModels[covariance];
  const factors = new Float64Array(model.kernelShape === 'full' ? k * d * d : k * d);
  const logNormalizers = new Float64Array(k);
  const failed = model.factor(params.covariances, k, d, factors, logNormalizers);
  if (failed.length > 0) return { packed: null, failed };
  const logWeights = new Float64Array(k);
  for (let m = 0; m < k; m++) logWeights[m] = Math.log(params.weights[m]);
  return {
    packed: { shape: model.kernelShape, k, d, logWeights, means: params.means, factors, logNormalizers },
    failed: [],
  };
}

/** Free parameters of a mixture: covariances + k·d means + (k − 1) weights. */
export function parameterCount(covariance: CovarianceType, k: number, d: number): number {
  return covarianceModels[covariance].parameterCount(k, d) + k * d + (k - 1);
}
