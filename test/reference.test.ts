import { describe, expect, it } from 'vitest';
import { fit, matrixRows } from '../src/index.js';
import { relativeError, sklearnFixtures } from './helpers/fixtures.js';

// Both sides run the same float64 EM from the same start; they differ only in
// summation order and in how the factors are formed (~1e-14 per step, slightly
// amplified over 25 iterations), so 1e-8 relative leaves a wide margin while
// catching any formula difference (those show up at 1e-3 or worse).
const TOLERANCE = 1e-8;

describe('agreement with scikit-learn GaussianMixture from the same start', () => {
  for (const fixture of sklearnFixtures()) {
    describe(fixture.name, () => {
      const model = fit(fixture.data, {
        components: fixture.components,
        covariance: fixture.covariance,
        start: fixture.start,
        tolerance: 0,
        maxIterations: fixture.iterations,
        regularization: fixture.regularization,
      });
      const expected = fixture.result;

      it('runs exactly the requested number of iterations', () => {
        expect(model.iterations).toBe(expected.nIter);
        expect(model.converged).toBe(false);
      });
      it('gives the same weights, means and covariances', () => {
        expect(relativeError(model.weights, expected.weights)).toBeLessThan(TOLERANCE);
        expect(relativeError(model.means, expected.means)).toBeLessThan(TOLERANCE);
        expect(relativeError(model.covariances, expected.covariances)).toBeLessThan(TOLERANCE);
      });
      it('gives the same per-sample log densities and mean score', () => {
        expect(relativeError(Array.from(model.scoreSamples(fixture.data)), expected.scoreSamples)).toBeLessThan(TOLERANCE);
        expect(relativeError(model.score(fixture.data), expected.score)).toBeLessThan(TOLERANCE);
        expect(relativeError(model.logLikelihood, expected.score)).toBeLessThan(TOLERANCE);
      });
      it("keeps scikit-learn's lower bound as the second-to-last history entry", () => {
        // scikit-learn's lower_bound_ belongs to the parameters before the last M-step.
        expect(model.history).toHaveLength(fixture.iterations + 1);
        expect(relativeError(model.history[fixture.iterations - 1], expected.lowerBound)).toBeLessThan(TOLERANCE);
      });
      it('gives the same predictions and probabilities', () => {
        expect(Array.from(model.predict(fixture.data))).toEqual(expected.predict);
        expect(relativeError(matrixRows(model.predictProba(fixture.data)), expected.predictProba)).toBeLessThan(TOLERANCE);
      });
      it('gives the same BIC and AIC', () => {
        expect(relativeError(model.bic(fixture.data), expected.bic)).toBeLessThan(TOLERANCE);
        expect(relativeError(model.aic(fixture.data), expected.aic)).toBeLessThan(TOLERANCE);
      });
    });
  }
});

describe('stopping where scikit-learn stops, from the same start, at its default tolerance', () => {
  for (const fixture of sklearnFixtures()) {
    it(`${fixture.name}: the same iterations and the parameters scikit-learn returns`, () => {
      const expected = fixture.defaultTolerance;
      const model = fit(fixture.data, {
        components: fixture.components,
        covariance: fixture.covariance,
        start: fixture.start,
        tolerance: expected.tolerance,
        maxIterations: 100,
        regularization: fixture.regularization,
      });
      expect(model.converged).toBe(expected.converged);
      expect(model.iterations).toBe(expected.nIter);
      expect(relativeError(model.weights, expected.weights)).toBeLessThan(TOLERANCE);
      expect(relativeError(model.means, expected.means)).toBeLessThan(TOLERANCE);
      expect(relativeError(model.covariances, expected.covariances)).toBeLessThan(TOLERANCE);
      expect(relativeError(model.history[model.iterations - 1], expected.lowerBound)).toBeLessThan(TOLERANCE);
    });
  }
});
