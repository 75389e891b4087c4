import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CovarianceType, Covariances } from '../../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One scikit-learn reference case (see scripts/make-fixtures.py). */
export interface SklearnFixture {
  name: string;
  dataset: string;
  covariance: CovarianceType;
  components: number;
  regularization: number;
  iterations: number;
  data: number[][];
  start: { weights: number[]; means: number[][]; covariances: Covariances };
  result: {
    weights: number[];
    means: number[][];
    covariances: Covariances;
    scoreSamples: number[];
    predict: number[];
    predictProba: number[][];
    score: number;
    bic: number;
    aic: number;
    nIter: number;
    lowerBound: number;
  };
  /** The same start with scikit-learn's default stopping rule (tol = 1e-3, at most 100 iterations). */
  defaultTolerance: {
    tolerance: number;
    weights: number[];
    means: number[][];
    covariances: Covariances;
    lowerBound: number;
    nIter: number;
    converged: boolean;
  };
}

export function sklearnFixtures(): SklearnFixture[] {
  const dir = join(root, 'test', 'fixtures', 'sklearn');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SklearnFixture);
}

/** Rows of a bundled CSV in data/ (header skipped). */
export function dataset(name: 'faithful' | 'iris'): number[][] {
  const text = readFileSync(join(root, 'data', `${name}.csv`), 'utf8').trim();
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
}

/** Flattens nested numbers. */
export function flat(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value as number];
}

/** Largest |a − b| divided by the largest |b| (a scale-aware relative error for arrays). */
export function relativeError(actual: unknown, expected: unknown): number {
  const a = flat(actual);
  const b = flat(expected);
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / (scale || 1);
}
