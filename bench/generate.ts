/**
 * Deterministic benchmark data: for every case of the grid, n rows drawn from
 * a known K-component mixture in D dimensions, written as raw little-endian
 * float64 (row-major) with a JSON header, plus the explicit start that every
 * tool fits from.
 *
 * Each component's covariance is Q·diag(λ)·Qᵀ with Q a random orthogonal
 * matrix and eigenvalues λ spanning 1:10; means sit about 2–3 average
 * standard deviations apart, so neighbouring components overlap in their tails.
 *
 *   npx tsx bench/generate.ts [--cases id,id] [--force]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fit, Random } from '../src/index.js';
import {
  BENCH_DIR,
  CASES,
  DATA_DIR,
  caseExists,
  casePaths,
  type BenchCase,
  type DataHeader,
  type StartFile,
} from './common.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Smallest and largest eigenvalue of every component covariance. */
const EIGEN_RANGE: [number, number] = [1, 10];
/** Minimum distance between two means, in units of the average standard deviation. */
const MIN_SEPARATION = 2;
/** Typical distance between two means, in the same units. */
const TYPICAL_SEPARATION = 2.75;

/** A random d×d orthogonal matrix (Gram–Schmidt on a Gaussian matrix), row-major. */
function randomOrthogonal(d: number, rng: Random): Float64Array {
  const q = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (;;) {
      for (let c = 0; c < d; c++) q[r * d + c] = rng.normal();
      // Twice for numerical orthogonality.
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < r; p++) {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[r * d + c] * q[p * d + c];
          for (let c = 0; c < d; c++) q[r * d + c] -= dot * q[p * d + c];
        }
      }
      let norm = 0;
      for (let c = 0; c < d; c++) norm += q[r * d + c] ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-6) {
        for (let c = 0; c < d; c++) q[r * d + c] /= norm;
        break;
      }
    }
  }
  return q;
}

/** Eigenvalues spanning EIGEN_RANGE: the ends once each (d ≥ 2), the rest log-uniform between. */
function eigenvalues(d: number, rng: Random): Float64Array {
  const [lo, hi] = EIGEN_RANGE;
  const lambda: number[] = [];
  for (let j = 0; j < d; j++) {
    if (j === 0) lambda.push(lo);
    else if (j === 1) lambda.push(hi);
    else lambda.push(lo * (hi / lo) ** rng.uniform());
  }
  rng.shuffle(lambda);
  return Float64Array.from(lambda);
}

interface Mixture {
  weights: Float64Array;
  /** k×d. */
  means: Float64Array;
  /** k d×d covariances, row-major. */
  covariances: Float64Array;
  /** k d×d square roots A with A·Aᵀ = Σ (A = Q·diag(√λ)). */
  roots: Float64Array;
}

function randomMixture(c: BenchCase, rng: Random): Mixture {
  const { d, k } = c;
  const weights = new Float64Array(k);
  let total = 0;
  for (let m = 0; m < k; m++) total += weights[m] = 0.5 + rng.uniform(); // ratios up to 1:3
  for (let m = 0; m < k; m++) weights[m] /= total;

  const covariances = new Float64Array(k * d * d);
  const roots = new Float64Array(k * d * d);
  let meanVariance = 0;
  for (let m = 0; m < k; m++) {
    const q = randomOrthogonal(d, rng);
    const lambda = eigenvalues(d, rng);
    const o = m * d * d;
    for (let r = 0; r < d; r++) {
      for (let s = 0; s < d; s++) {
        // Columns of the root are the eigenvectors (rows of q) scaled by √λ.
        roots[o + r * d + s] = q[s * d + r] * Math.sqrt(lambda[s]);
        let v = 0;
        for (let t = 0; t < d; t++) v += q[t * d + r] * lambda[t] * q[t * d + s];
        covariances[o + r * d + s] = v;
      }
    }
    for (let j = 0; j < d; j++) meanVariance += lambda[j] / (k * d);
  }

  // Means: Gaussian draws scaled so that typical pairwise distances are about
  // TYPICAL_SEPARATION σ, rejecting any closer than MIN_SEPARATION σ.
  const sigma = Math.sqrt(meanVariance);
  let scale = (TYPICAL_SEPARATION * sigma) / Math.sqrt(2 * d);
  const means = new Float64Array(k * d);
  let placed = 0;
  let failures = 0;
  while (placed < k) {
    const candidate = new Float64Array(d);
    for (let j = 0; j < d; j++) candidate[j] = scale * rng.normal();
    let nearest = Infinity;
    for (let p = 0; p < placed; p++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (candidate[j] - means[p * d + j]) ** 2;
      nearest = Math.min(nearest, Math.sqrt(dist));
    }
    if (nearest >= MIN_SEPARATION * sigma) {
      means.set(candidate, placed * d);
      placed++;
    } else if (++failures % 200 === 0) {
      scale *= 1.05;
    }
  }
  return { weights, means, covariances, roots };
}

function nested(values: Float64Array, rows: number, cols: number, offset = 0): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from(values.subarray(offset + r * cols, offset + (r + 1) * cols)));
  return out;
}

/** Generates one case's data, header and start, and writes them. */
export function generateCase(c: BenchCase): void {
  const { n, d, k } = c;
  const rng = new Random(c.seed);
  const mix = randomMixture(c, rng);

  const x = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const m = rng.categorical(mix.weights, 1);
    for (let j = 0; j < d; j++) z[j] = rng.normal();
    const o = m * d * d;
    for (let r = 0; r < d; r++) {
      let v = mix.means[m * d + r];
      for (let s = 0; s < d; s++) v += mix.roots[o + r * d + s] * z[s];
      x[i * d + r] = v;
    }
  }

  // Data covariance (two-pass, divisor n).
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) diff[j] = x[i * d + j] - mean[j];
    for (let r = 0; r < d; r++) {
      const dr = diff[r];
      for (let s = 0; s <= r; s++) cov[r * d + s] += dr * diff[s];
    }
  }
  for (let r = 0; r < d; r++) {
    for (let s = 0; s <= r; s++) {
      cov[r * d + s] /= n;
      cov[s * d + r] = cov[r * d + s];
    }
  }

  // The shared start: K distinct rows, chosen by a second seeded stream.
  const startRng = new Random(c.seed + 1);
  const rows: number[] = [];
  while (rows.length < k) {
    const i = startRng.integer(n);
    if (!rows.includes(i)) rows.push(i);
  }
  const start: StartFile = {
    id: c.id,
    seed: c.seed + 1,
    k,
    d,
    weights: Array.from({ length: k }, () => 1 / k),
    rows,
    means: rows.map((i) => Array.from(x.subarray(i * d, (i + 1) * d))),
    covariance: nested(cov, d, d),
    variances: Array.from({ length: d }, (_, j) => cov[j * d + j]),
  };

  // Mean log-likelihood under the generating mixture (a fit of zero iterations evaluates its start).
  const truthModel = fit(
    { rows: n, cols: d, data: x },
    {
      components: k,
      covariance: 'full',
      maxIterations: 0,
      regularization: 0,
      start: {
        weights: mix.weights,
        means: nested(mix.means, k, d),
        covariances: Array.from({ length: k }, (_, m) => nested(mix.covariances, d, d, m * d * d)),
      },
    },
  );

  const header: DataHeader = {
    format: 'mixem-bench-f64le',
    id: c.id,
    n,
    d,
    k,
    seed: c.seed,
    layout: 'row-major float64 little-endian, no header',
    truth: { weights: Array.from(mix.weights), means: nested(mix.means, k, d), eigenvalueRange: EIGEN_RANGE },
    trueLogLikelihood: truthModel.logLikelihood!,
  };

  mkdirSync(DATA_DIR, { recursive: true });
  const paths = casePaths(c);
  writeFileSync(paths.data, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  writeFileSync(paths.header, JSON.stringify(header, null, 1) + '\n');
  writeFileSync(paths.start, JSON.stringify(start) + '\n');
}

/** Generates the cases whose files are missing (or all of them with `force`). Returns the ids generated. */
export function ensureData(cases: readonly BenchCase[], force = false, log: (line: string) => void = () => {}): string[] {
  const made: string[] = [];
  for (const c of cases) {
    if (!force && caseExists(c)) continue;
    const t0 = performance.now();
    generateCase(c);
    made.push(c.id);
    log(`generated ${c.id} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return made;
}

function main(argv: string[]): void {
  let cases: readonly BenchCase[] = CASES;
  let force = false;
  for (let a = 0; a < argv.length; a++) {
    if (argv[a] === '--force') force = true;
    else if (argv[a] === '--cases') {
      const ids = argv[++a].split(',');
      cases = CASES.filter((c) => ids.includes(c.id));
      const unknown = ids.filter((id) => !CASES.some((c) => c.id === id));
      if (unknown.length > 0) throw new Error(`unknown case(s) ${unknown.join(', ')}; the cases are ${CASES.map((c) => c.id).join(', ')}`);
    } else throw new Error(`unknown argument ${argv[a]}; usage: npx tsx bench/generate.ts [--cases id,id] [--force]`);
  }
  const made = ensureData(cases, force, (line) => console.log(line));
  console.log(made.length === 0 ? `all data present in ${join(BENCH_DIR, 'data')}` : `wrote ${made.length} case(s) to ${DATA_DIR}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
