/**
 * The evaluating methods (predict, predictProba, scoreSamples, score, bic,
 * aic, icl) with a chosen kernel: the WebAssembly kernel must give what the
 * reference gives, across the row slices it is called on, with missing values.
 */
import { describe, expect, it } from 'vitest';
import { COVARIANCE_TYPES, createWasmKernelSync, fit, MixemError } from '../src/index.js';
import { relativeError } from './helpers/fixtures.js';
import { blobs } from './helpers/generate.js';

// More rows than one slice of the evaluation (64 blocks of 256 rows), and not a multiple of it.
const data = blobs(40_000, [[0, 0, 0], [4, 1, 0], [0, 4, 2]], 1.2, 11);
const wasm = createWasmKernelSync();

describe('evaluating with a kernel', () => {
  for (const covariance of COVARIANCE_TYPES) {
    it(`gives the reference's densities, probabilities and labels with the WebAssembly kernel (${covariance})`, () => {
      const model = fit(data.slice(0, 3000), { components: 3, covariance, seed: 1, maxIterations: 20 });
      const options = { kernel: wasm };
      expect(relativeError(Array.from(model.scoreSamples(data, options)), Array.from(model.scoreSamples(data)))).toBeLessThan(1e-13);
      expect(relativeError(Array.from(model.predictProba(data, options).data), Array.from(model.predictProba(data).data))).toBeLessThan(1e-12);
      const labels = model.predict(data, options);
      const reference = model.predict(data);
      let differ = 0;
      for (let i = 0; i < labels.length; i++) if (labels[i] !== reference[i]) differ++;
      expect(differ).toBe(0);
      expect(relativeError(model.bic(data, options), model.bic(data))).toBeLessThan(1e-13);
      expect(relativeError(model.icl(data, options), model.icl(data))).toBeLessThan(1e-12);
    });
  }

  it('fills every row, the last slice included (a wrong slice offset leaves zeros or shifts rows)', () => {
    const model = fit(data.slice(0, 3000), { components: 3, seed: 2, maxIterations: 10 });
    const fast = model.scoreSamples(data, { kernel: wasm });
    const reference = model.scoreSamples(data);
    for (const i of [0, 16_383, 16_384, 32_767, 32_768, 39_999]) expect(fast[i]).toBeCloseTo(reference[i], 12);
  });

  it('evaluates rows with missing values on their observed features, whatever the kernel', () => {
    const model = fit(data.slice(0, 3000), { components: 3, seed: 3, maxIterations: 10 });
    const holes = data.slice(0, 20_000).map((row, i) => (i % 5 === 0 ? [row[0], NaN, row[2]] : row));
    expect(relativeError(Array.from(model.scoreSamples(holes, { kernel: wasm })), Array.from(model.scoreSamples(holes)))).toBeLessThan(1e-13);
  });

  it('names a bad kernel option', () => {
    const model = fit(data.slice(0, 500), { components: 2, seed: 1 });
    expect(() => model.predict(data, { kernel: {} as never })).toThrow(MixemError);
    expect(() => model.score(data, { kernel: 'fast' as never })).toThrow(/option kernel must be a kernel/);
  });
});
