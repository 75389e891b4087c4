/**
 * How well EM with marginalized missing values recovers a mixture, against
 * the usual workaround (fill each gap with its column's mean, then fit), and
 * how good its imputations are against column-mean and k-NN imputation.
 *
 *   npx tsx scripts/missing-values-study.ts          # prints and writes docs/missing-values.md
 *
 * Data: a known 3-component mixture in 4-D with correlated features, n = 3000
 * training rows and 3000 complete test rows; values removed completely at
 * random (MCAR) at 10 %, 30 % and 50 %; 5 seeds per rate, medians reported.
 */
import { writeFileSync } from 'node:fs';
import { fit, Random, type GaussianMixture } from '../src/index.js';

const D = 4;
const K = 3;
const TRUE_MEANS = [
  [0, 0, 0, 0],
  [4, 3, -1, 2],
  [-1, 5, 3, -2],
];
/** Lower-triangular factors of the true covariances (Σ = L Lᵀ). */
const FACTORS = [
  [[1, 0, 0, 0], [0.9, 0.5, 0, 0], [0.6, 0.3, 0.4, 0], [0.5, -0.4, 0.2, 0.5]],
  [[0.8, 0, 0, 0], [-0.6, 0.6, 0, 0], [0.2, 0.7, 0.5, 0], [0.3, 0.3, -0.3, 0.6]],
  [[1.2, 0, 0, 0], [0.5, 0.4, 0, 0], [-0.8, 0.2, 0.3, 0], [0.6, 0.1, 0.2, 0.4]],
];
const TRUE_COVARIANCES = FACTORS.map((l) =>
  l.map((_, a) => l.map((__, b) => l[a].reduce((s, v, c) => s + v * l[b][c], 0))),
);

function draw(n: number, seed: number): number[][] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const c = i % K;
    const z = Array.from({ length: D }, () => rng.normal());
    return TRUE_MEANS[c].map((mu, a) => mu + FACTORS[c][a].reduce((s, l, b) => s + l * z[b], 0));
  });
}

function removeAtRandom(rows: number[][], fraction: number, seed: number): number[][] {
  const rng = new Random(seed);
  return rows.map((row) => {
    const out = row.map((v) => (rng.uniform() < fraction ? NaN : v));
    if (out.every(Number.isNaN)) {
      const j = rng.integer(D);
      out[j] = row[j];
    }
    return out;
  });
}

const PERMUTATIONS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

/** Mean error of the means and relative Frobenius error of the covariances, under the best matching of components. */
function parameterError(model: GaussianMixture): { means: number; covariances: number } {
  const covs = model.covariances as number[][][];
  let best = { means: Infinity, covariances: Infinity };
  for (const p of PERMUTATIONS) {
    let means = 0;
    let covariances = 0;
    for (let c = 0; c < K; c++) {
      const m = p[c];
      means += Math.sqrt(TRUE_MEANS[c].reduce((s, v, j) => s + (model.means[m][j] - v) ** 2, 0));
      let diff = 0;
      let norm = 0;
      for (let a = 0; a < D; a++) {
        for (let b = 0; b < D; b++) {
          diff += (covs[m][a][b] - TRUE_COVARIANCES[c][a][b]) ** 2;
          norm += TRUE_COVARIANCES[c][a][b] ** 2;
        }
      }
      covariances += Math.sqrt(diff / norm);
    }
    if (means < best.means) best = { means: means / K, covariances: covariances / K };
  }
  return best;
}

function columnMeans(data: number[][]): number[] {
  return Array.from({ length: D }, (_, j) => {
    const seen = data.map((r) => r[j]).filter((v) => !Number.isNaN(v));
    return seen.reduce((s, v) => s + v, 0) / seen.length;
  });
}

/** k-NN imputation: the mean of the k nearest rows (by distance over commonly observed, standardized features) that observe the gap. */
function knnImpute(data: number[][], k: number): number[][] {
  const means = columnMeans(data);
  const sds = Array.from({ length: D }, (_, j) => {
    const seen = data.map((r) => r[j]).filter((v) => !Number.isNaN(v));
    return Math.sqrt(seen.reduce((s, v) => s + (v - means[j]) ** 2, 0) / seen.length);
  });
  return data.map((row) => {
    if (!row.some(Number.isNaN)) return row;
    const candidates: { distance: number; row: number[] }[] = [];
    for (const other of data) {
      if (other === row) continue;
      let sum = 0;
      let shared = 0;
      for (let j = 0; j < D; j++) {
        if (Number.isNaN(row[j]) || Number.isNaN(other[j])) continue;
        sum += ((row[j] - other[j]) / sds[j]) ** 2;
        shared++;
      }
      if (shared > 0) candidates.push({ distance: (sum / shared) * D, row: other });
    }
    candidates.sort((a, b) => a.distance - b.distance);
    return row.map((v, j) => {
      if (!Number.isNaN(v)) return v;
      const donors = candidates.filter((c) => !Number.isNaN(c.row[j])).slice(0, k);
      return donors.length === 0 ? means[j] : donors.reduce((s, c) => s + c.row[j], 0) / donors.length;
    });
  });
}

function rmse(filled: number[][], truth: number[][], holes: number[][]): number {
  let sum = 0;
  let count = 0;
  holes.forEach((row, i) =>
    row.forEach((v, j) => {
      if (!Number.isNaN(v)) return;
      sum += (filled[i][j] - truth[i][j]) ** 2;
      count++;
    }),
  );
  return Math.sqrt(sum / count);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const options = { components: K, restarts: 3, tolerance: 1e-6, maxIterations: 500 };
const test = draw(3000, 999);
const rows: string[] = [];
const imputationRows: string[] = [];
for (const fraction of [0.1, 0.3, 0.5]) {
  const results: Record<string, number[]> = {};
  const add = (key: string, value: number) => (results[key] ??= []).push(value);
  for (let seed = 1; seed <= 5; seed++) {
    const train = draw(3000, seed);
    const holes = removeAtRandom(train, fraction, 100 + seed);
    const full = fit(train, { ...options, seed });
    const marginalized = fit(holes, { ...options, seed });
    const means = columnMeans(holes);
    const meanFilled = holes.map((r) => r.map((v, j) => (Number.isNaN(v) ? means[j] : v)));
    const imputed = fit(meanFilled, { ...options, seed });
    for (const [name, model] of [['full', full], ['marginalized', marginalized], ['mean-impute', imputed]] as const) {
      const error = parameterError(model);
      add(`${name} means`, error.means);
      add(`${name} covariances`, error.covariances);
      add(`${name} test`, model.score(test));
    }
    const conditional = marginalized.impute(holes);
    const asRows = Array.from({ length: conditional.rows }, (_, i) => Array.from(conditional.data.subarray(i * D, (i + 1) * D)));
    add('rmse conditional', rmse(asRows, train, holes));
    add('rmse mean', rmse(meanFilled, train, holes));
    add('rmse knn', rmse(knnImpute(holes, 5), train, holes));
  }
  const m = (key: string) => median(results[key]);
  const pct = `${Math.round(fraction * 100)} %`;
  rows.push(
    `| ${pct} | ${['full', 'marginalized', 'mean-impute'].map((n) => `${m(`${n} means`).toFixed(3)} / ${m(`${n} covariances`).toFixed(3)} / ${m(`${n} test`).toFixed(4)}`).join(' | ')} |`,
  );
  imputationRows.push(`| ${pct} | ${m('rmse conditional').toFixed(3)} | ${m('rmse knn').toFixed(3)} | ${m('rmse mean').toFixed(3)} |`);
}

const report = `# Missing values: marginalized EM against mean imputation

Made by \`npx tsx scripts/missing-values-study.ts\` (deterministic). A known 3-component mixture
in 4-D with correlated features; 3000 training rows with values removed completely at random,
3000 complete test rows. Every fit: K = 3, full covariance, 3 restarts, tolerance 1e-6. Medians
over 5 seeds.

## Recovering the mixture

Each cell: mean error of the means (Euclidean, averaged over components) / mean relative
Frobenius error of the covariances / mean log-likelihood per row on the complete test set
(higher is better). "full" fits the data before any value was removed: the best one can hope for.

| removed | full data | marginalized (mixem) | mean-impute, then fit |
| --- | --- | --- | --- |
${rows.join('\n')}

## Imputation

Root-mean-square error of the filled values against the removed ones.
"conditional" is \`model.impute(data)\`: E[x_M | x_O] under the fitted mixture; "k-NN" averages
the 5 nearest rows (standardized features, over the features both rows observe).

| removed | conditional mean (mixem) | 5-NN | column mean |
| --- | --- | --- | --- |
${imputationRows.join('\n')}
`;
writeFileSync(new URL('../docs/missing-values.md', import.meta.url), report);
process.stdout.write(report);
