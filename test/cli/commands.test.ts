import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fit, loadModel, Random } from '../../src/index.js';
import { dataset, relativeError } from '../helpers/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'dist', 'cli', 'bin.js');
const faithfulCsv = join(root, 'data', 'faithful.csv');
let dir = '';

/** Runs the built CLI as a subprocess. */
function mixem(args: string[], input?: string | Buffer) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: dir, input, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Asserts the CLI failed the way a user should see it: one line on stderr, no stack trace. */
function expectCleanFailure(result: ReturnType<typeof mixem>, status: number, message: RegExp) {
  expect(result.status).toBe(status);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mixem: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

beforeAll(() => {
  if (!existsSync(bin)) throw new Error('dist/cli/bin.js is missing: run `npm run build` (npm test does it)');
  dir = mkdtempSync(join(tmpdir(), 'mixem-cli-'));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('mixem fit', () => {
  it('fits a CSV, writes the model file and prints a summary', () => {
    const result = mixem(['fit', faithfulCsv, '-k', '2', '--seed', '1', '-o', 'model.json']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/K = 2, full covariance; converged/);
    expect(result.stdout).toMatch(/BIC 2322\.\d+/);
    expect(result.stdout).toMatch(/eruptions/);
    const saved = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(saved.format).toBe('mixem/gaussian-mixture');
    expect(saved.training.columns).toEqual(['eruptions', 'waiting']);
    expect(loadModel(saved).components).toBe(2);
  });

  it('runs exactly T iterations from a start file with --tol 0 (the contract other tools rely on)', () => {
    const rows = dataset('faithful');
    const start = {
      format: 'mixem/gaussian-mixture',
      version: 1,
      covariance: 'diag',
      weights: [0.5, 0.5],
      means: [rows[0], rows[1]],
      covariances: [
        [1, 100],
        [1, 100],
      ],
    };
    file('start.json', JSON.stringify(start));
    const result = mixem(['fit', faithfulCsv, '-k', '2', '--covariance', 'diag', '--start', 'start.json', '--tol', '0', '--max-iter', '13', '-o', 'contract.json']);
    expect(result.status).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'contract.json'), 'utf8'));
    expect(saved.iterations).toBe(13);
    expect(saved.history).toHaveLength(14);
    const library = fit(rows, { components: 2, covariance: 'diag', start, tolerance: 0, maxIterations: 13 });
    // The command runs the WebAssembly kernel, the library's default is the TypeScript one: equal within rounding.
    expect(relativeError(saved.weights, library.weights)).toBeLessThan(1e-10);
    expect(relativeError(saved.means, library.means)).toBeLessThan(1e-10);
    expect(relativeError(saved.covariances, library.covariances)).toBeLessThan(1e-10);
  });

  it('writes the model to stdout without -o, and the summary to stderr', () => {
    const result = mixem(['fit', faithfulCsv, '-k', '2']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).components).toBe(2);
    expect(result.stderr).toMatch(/log-likelihood/);
  });

  it('prints the summary as JSON with --json', () => {
    const result = mixem(['fit', faithfulCsv, '-k', '2', '--json', '-o', 'json-model.json']);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ components: 2, covariance: 'full', rows: 272, columns: ['eruptions', 'waiting'] });
    expect(summary.component).toHaveLength(2);
  });

  it('reads data from stdin with -', () => {
    const result = mixem(['fit', '-', '-k', '2', '--quiet', '-o', 'stdin-model.json'], readFileSync(faithfulCsv));
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'stdin-model.json'), 'utf8')).training.rows).toBe(272);
  });

  it('writes labels with each component probability', () => {
    const result = mixem(['fit', faithfulCsv, '-k', '2', '--quiet', '-o', 'm-labels.json', '--labels', 'labels.csv']);
    expect(result.status).toBe(0);
    const lines = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('label,p0,p1');
    expect(lines).toHaveLength(273);
    const [label, p0, p1] = lines[1].split(',').map(Number);
    expect(p0 + p1).toBeCloseTo(1, 12);
    expect(label).toBe(p0 > p1 ? 0 : 1);
  });

  it('never replaces an existing output without --force, and leaves it untouched', () => {
    file('existing.json', 'keep me');
    const result = mixem(['fit', faithfulCsv, '-k', '2', '-o', 'existing.json']);
    expectCleanFailure(result, 2, /existing\.json already exists; use --force/);
    expect(readFileSync(join(dir, 'existing.json'), 'utf8')).toBe('keep me');
    expect(mixem(['fit', faithfulCsv, '-k', '2', '-o', 'existing.json', '--force', '--quiet']).status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'existing.json'), 'utf8')).components).toBe(2);
  });

  it('reads a large file into the worker pool and fits it there (fit and select), with the one-thread model byte for byte', () => {
    // Over 32 MiB: the command starts the pool before reading, and the rows go straight into its shared memory.
    const rng = new Random(3);
    const lines: string[] = ['u,v'];
    for (let i = 0; i < 1_750_000; i++) lines.push(`${((i % 3) * 4 + rng.normal()).toFixed(6)},${((i % 3) - rng.normal()).toFixed(6)}`);
    const large = file('large.csv', `${lines.join('\n')}\n`);
    const args = ['fit', large, '-k', '3', '--seed', '2', '--max-iter', '4', '--tol', '0', '--quiet'];
    const pooled = mixem([...args, '--threads', '2', '-o', 'large-pool.json']);
    expect(pooled.stderr).toBe('');
    expect(pooled.status).toBe(0);
    expect(mixem([...args, '--threads', '1', '-o', 'large-one.json']).status).toBe(0);
    expect(readFileSync(join(dir, 'large-pool.json'), 'utf8')).toBe(readFileSync(join(dir, 'large-one.json'), 'utf8'));
    // mixem select reads it the same way.
    const select = ['select', large, '--k', '2,3', '--covariance', 'diag', '--seed', '2', '--max-iter', '3', '--tol', '0', '--quiet'];
    expect(mixem([...select, '--threads', '2', '-o', 'large-select-pool.json']).status).toBe(0);
    expect(mixem([...select, '--threads', '1', '-o', 'large-select-one.json']).status).toBe(0);
    expect(readFileSync(join(dir, 'large-select-pool.json'), 'utf8')).toBe(readFileSync(join(dir, 'large-select-one.json'), 'utf8'));
    rmSync(large);
  }, 120_000);

  it('exits 1 with no output file when the fit cannot succeed', () => {
    const collinear = file('collinear.csv', `a,b\n${Array.from({ length: 40 }, (_, i) => `${i},${2 * i}`).join('\n')}\n`);
    const result = mixem(['fit', collinear, '-k', '2', '--reg-covar', '0', '-o', 'degenerate.json']);
    expectCleanFailure(result, 1, /singular|not positive definite/);
    expect(existsSync(join(dir, 'degenerate.json'))).toBe(false);
  });

  it('saves the best model so far and exits 130 on Ctrl-C', async () => {
    const rng = new Random(1);
    const rows = Array.from({ length: 60_000 }, (_, i) => Array.from({ length: 6 }, () => (i % 7) + rng.normal()).join(','));
    const big = file('big.csv', `${rows.join('\n')}\n`);
    const child = spawn(process.execPath, [bin, 'fit', big, '-k', '8', '--tol', '0', '--max-iter', '100000', '--progress', '-o', 'interrupted.json'], { cwd: dir });
    let stderr = '';
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/iteration 2 /.test(stderr)) resolve();
      });
    });
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    const saved = JSON.parse(readFileSync(join(dir, 'interrupted.json'), 'utf8'));
    expect(saved.converged).toBe(false);
    expect(saved.iterations).toBeGreaterThanOrEqual(2);
    expect(saved.iterations).toBeLessThan(100000);
  });
});

describe('mixem predict, score, sample, select, info', () => {
  beforeAll(() => {
    mixem(['fit', faithfulCsv, '-k', '2', '--seed', '1', '--quiet', '-o', 'faithful.json']);
  });

  it('predict writes labels, and probabilities with --proba', () => {
    const labels = mixem(['predict', 'faithful.json', faithfulCsv]);
    expect(labels.status).toBe(0);
    expect(labels.stdout.split('\n')[0]).toBe('label');
    const proba = mixem(['predict', 'faithful.json', faithfulCsv, '--proba', '-o', 'proba.csv']);
    expect(proba.status).toBe(0);
    expect(readFileSync(join(dir, 'proba.csv'), 'utf8').split('\n')[0]).toBe('label,p0,p1');
  });

  it('score writes log densities and flags anomalies below the training quantile', () => {
    const result = mixem(['score', 'faithful.json', faithfulCsv, '--anomalies', '0.05', '-o', 'scores.csv']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/mean log density -4\.\d+ over 272 rows/);
    const lines = readFileSync(join(dir, 'scores.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('log_density,anomaly');
    const flagged = lines.slice(1).filter((l) => l.endsWith(',1')).length;
    expect(flagged).toBeGreaterThanOrEqual(13); // 5 % of 272 = 13.6
    expect(flagged).toBeLessThanOrEqual(14);
  });

  it('sample draws the same points for the same seed, with the training column names', () => {
    const a = mixem(['sample', 'faithful.json', '-n', '50', '--seed', '3']);
    const b = mixem(['sample', 'faithful.json', '-n', '50', '--seed', '3']);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.split('\n')[0]).toBe('eruptions,waiting,component');
    expect(a.stdout.trim().split('\n')).toHaveLength(51);
  });

  it('select prints BIC, AIC and ICL with the best marked and says lower is better', () => {
    const result = mixem(['select', faithfulCsv, '--k', '1..3', '--covariance', 'full,diag', '-o', 'best.json']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/lower BIC, AIC and ICL are better/);
    expect(result.stdout).toMatch(/← best by BIC/);
    expect(result.stdout.match(/^\s+\d\s+(full|diag)/gm)).toHaveLength(6);
    expect(JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')).format).toBe('mixem/gaussian-mixture');
  });

  it('info summarizes a model file', () => {
    const result = mixem(['info', 'faithful.json']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/K = 2, full covariance/);
    expect(result.stdout).toMatch(/eruptions/);
  });
});

describe('the command under bad input', () => {
  it.each([
    ['an empty file', () => file('empty.csv', ''), /empty/],
    ['a header only', () => file('header.csv', 'a,b\n'), /no data rows/],
    ['a binary file', () => file('binary.bin', Buffer.from([0, 1, 2, 3, 255, 0, 7])), /binary/],
    ['a directory', () => {
      mkdirSync(join(dir, 'folder'), { recursive: true });
      return join(dir, 'folder');
    }, /directory/],
    ['a missing file', () => join(dir, 'missing.csv'), /no such file/],
    ['a non-numeric cell', () => file('cell.csv', 'a,b\n1,2\n3,x\n5,6\n'), /line 3.*"b"|"b".*line 3/],
    ['a row with every value missing', () => file('nan.csv', 'a,b\n1,2\nNaN,NA\n5,6\n'), /nan\.csv: data row 2 has every feature missing/],
    ['a column with every value missing', () => file('nancol.csv', 'a,b\n1,\n3,NA\n5,\n'), /column "b" has every value missing/],
    ['an infinite cell', () => file('inf.csv', 'a,b\n1,2\n3,4\n-Infinity,6\n'), /line 4.*"a"/],
    ['a ragged row', () => file('ragged.csv', 'a,b\n1,2\n3\n5,6\n'), /line 3/],
  ])('fit rejects %s with one line and exit 2', (_name, makePath, message) => {
    const result = mixem(['fit', makePath(), '-k', '1', '-o', 'never.json']);
    expectCleanFailure(result, 2, message);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
  });

  it.each([
    [['fit', 'x.csv', '-k', '2', '--bogus'], /unknown option '--bogus'/],
    [['fit', 'x.csv', '-k', '0'], /-k must be an integer ≥ 1/],
    [['fit', 'x.csv', '-k', 'two'], /-k must be an integer ≥ 1/],
    [['fit', 'x.csv', '-k', '2', '--covariance', 'fulll'], /fulll.*(full|choices)/],
    [['fit', 'x.csv', '-k', '2', '--tol', '-1'], /--tol must be a finite number ≥ 0/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['fit', 'x.csv', '-k', '1.5'], /-k must be an integer ≥ 1/],
    [['fit', 'x.csv', '-k', '2', '--init', 'best'], /best.*(kmeans|choices)/],
    [['score', 'm.json', 'x.csv', '--anomalies', '2'], /strictly between 0 and 1/],
  ])('usage error %j gets one line and exit 2', (args, message) => {
    expectCleanFailure(mixem(args as string[]), 2, message);
  });

  it('names the problem in a malformed or wrong-dimension start file', () => {
    file('bad-start.json', '{"format": "mixem/gaussian-mixture", "version": 1, "covariance": "full", "weights": [1]');
    expectCleanFailure(mixem(['fit', faithfulCsv, '-k', '1', '--start', 'bad-start.json']), 2, /bad-start\.json.*not valid JSON/);
    file('wide-start.json', JSON.stringify({ format: 'mixem/gaussian-mixture', version: 1, covariance: 'diag', weights: [1], means: [[1, 2, 3]], covariances: [[1, 1, 1]] }));
    expectCleanFailure(mixem(['fit', faithfulCsv, '-k', '1', '--start', 'wide-start.json']), 2, /3 dimensions but .* 2 columns/);
  });

  it('rejects a corrupt model for predict', () => {
    file('corrupt.json', JSON.stringify({ format: 'mixem/gaussian-mixture', version: 1, covariance: 'full', weights: [0.5, 0.6], means: [[0, 0], [1, 1]], covariances: [] }));
    expectCleanFailure(mixem(['predict', 'corrupt.json', faithfulCsv]), 2, /corrupt\.json: model file: .*weights/);
  });

  it('rejects more components than rows, naming both', () => {
    const small = file('small.csv', 'a\n1\n2\n3\n');
    expectCleanFailure(mixem(['fit', small, '-k', '5']), 2, /components \(5\) is larger than the number of rows \(3\)/);
  });

  it('shows a stack trace only with --debug', () => {
    const result = mixem(['fit', join(dir, 'missing.csv'), '-k', '1', '--debug']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});

describe('the command on awkward but valid data', () => {
  it('rejects negative sample weights, naming the line', () => {
    const weighted = file('weights.csv', 'a,b,w\n1,2,1\n3,4,-1\n5,6,1\n');
    expectCleanFailure(mixem(['fit', weighted, '-k', '1', '--weights-column', 'w']), 2, /line 3.*"w"|"w".*line 3/);
  });

  it('fits a constant column and duplicate rows without a NaN', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 3},7,${i % 3}`);
    const path = file('awkward.csv', `a,b,c\n${rows.join('\n')}\n`);
    const result = mixem(['fit', path, '-k', '3', '--quiet', '-o', 'awkward.json']);
    expect(result.status).toBe(0);
    const text = readFileSync(join(dir, 'awkward.json'), 'utf8');
    expect(text).not.toMatch(/NaN|Infinity/);
    const saved = JSON.parse(text);
    expect([saved.weights, saved.means, saved.covariances].flat(3).every(Number.isFinite)).toBe(true);
  });

  it('leaves no output at all when a later output cannot be written', () => {
    const result = mixem(['fit', faithfulCsv, '-k', '2', '-o', 'first.json', '--plot', 'figure.gif']);
    expectCleanFailure(result, 2, /must end in \.svg or \.png/);
    expect(existsSync(join(dir, 'first.json'))).toBe(false);
  });
});

describe('missing values and known labels in the command', () => {
  const csv = [
    'a,b,kind',
    '1.0,2.0,x',
    '1.2,,',
    'NA,2.2,x',
    '0.9,1.8,',
    '5.0,6.1,y',
    '5.2,NaN,',
    ',6.3,y',
    '4.9,5.8,',
    '5.1,6.0,',
    '1.1,2.1,',
  ].join('\n');

  it('reads empty, NA and NaN cells as missing, notes them, and fits by marginalizing', () => {
    const path = file('holes.csv', csv);
    const result = mixem(['fit', path, '-k', '2', '--columns', 'a,b', '--seed', '1', '-o', 'holes.json', '--labels', 'holes-labels.csv', '--force']);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/note: 4 missing values in 4 rows: marginalized by the fit/);
    const saved = JSON.parse(readFileSync(join(dir, 'holes.json'), 'utf8'));
    expect(saved.options.missingValues).toBe(4);
    const labels = readFileSync(join(dir, 'holes-labels.csv'), 'utf8').trim().split('\n');
    expect(labels).toHaveLength(11);
    const scored = mixem(['score', 'holes.json', path, '--columns', 'a,b']);
    expect(scored.status).toBe(0);
    expect(scored.stdout.trim().split('\n')).toHaveLength(11);
  });

  it('--labels-column fixes the known rows and records the class names', () => {
    const path = file('semi.csv', csv);
    const result = mixem(['fit', path, '-k', '2', '--labels-column', 'kind', '-o', 'semi.json', '--force', '--quiet']);
    expect(result.status).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'semi.json'), 'utf8'));
    expect(saved.training.classes).toEqual(['x', 'y']);
    expect(saved.training.columns).toEqual(['a', 'b']);
    expect(saved.options.labelledRows).toBe(4);
    // Component 0 is class "x", near (1, 2).
    expect(saved.means[0][0]).toBeLessThan(2);
    expect(saved.means[1][0]).toBeGreaterThan(4);
  });

  it('more label values than components is a usage error naming the column', () => {
    const path = file('semi3.csv', csv.replace('1.0,2.0,x', '1.0,2.0,z'));
    expectCleanFailure(mixem(['fit', path, '-k', '2', '--labels-column', 'kind']), 2, /--labels-column kind has 3 distinct labels \(x, y, z\) but -k is 2/);
  });

  it('predict on a row with every value missing names the row', () => {
    mixem(['fit', faithfulCsv, '-k', '2', '-o', 'faithful2.json', '--force', '--quiet']);
    const path = file('predict-missing.csv', 'eruptions,waiting\n3.6,79\nNA,\n');
    expectCleanFailure(mixem(['predict', 'faithful2.json', path]), 2, /predict-missing\.csv: data row 2 has every feature missing/);
  });
});

describe('mixem impute', () => {
  it('fills missing cells with conditional means, or stacks --draws imputations', () => {
    mixem(['fit', faithfulCsv, '-k', '2', '--seed', '1', '-o', 'impute-model.json', '--force', '--quiet']);
    const path = file('impute.csv', 'eruptions,waiting\n3.6,79\n,54\n4.5,NA\n');
    const result = mixem(['impute', 'impute-model.json', path]);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('eruptions,waiting');
    expect(lines[1]).toBe('3.6,79');
    const [eruptions] = lines[2].split(',').map(Number);
    expect(eruptions).toBeGreaterThan(1.5); // short waits go with short eruptions
    expect(eruptions).toBeLessThan(2.6);
    const waiting = Number(lines[3].split(',')[1]);
    expect(waiting).toBeGreaterThan(75);
    const draws = mixem(['impute', 'impute-model.json', path, '--draws', '3', '--seed', '2']);
    const rows = draws.stdout.trim().split('\n');
    expect(rows[0]).toBe('draw,eruptions,waiting');
    expect(rows).toHaveLength(1 + 3 * 3);
    expect(mixem(['impute', 'impute-model.json', path, '--draws', '3', '--seed', '2']).stdout).toBe(draws.stdout);
  });
});

describe('mixem fit --float32', () => {
  it('fits in single precision to the double-precision log-likelihood within 1e-6 relative', () => {
    const args = ['fit', faithfulCsv, '-k', '2', '--seed', '1', '--tol', '1e-6', '--quiet', '--force'];
    expect(mixem([...args, '-o', 'f64.json']).status).toBe(0);
    expect(mixem([...args, '--float32', '-o', 'f32.json']).status).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, 'f64.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'f32.json'), 'utf8'));
    expect(Math.abs(b.logLikelihood - a.logLikelihood) / Math.abs(a.logLikelihood)).toBeLessThan(1e-6);
  });

  it('gives the same model on worker threads as on one thread', () => {
    const args = ['fit', faithfulCsv, '-k', '2', '--seed', '1', '--tol', '0', '--max-iter', '15', '--quiet', '--force', '--float32'];
    expect(mixem([...args, '--threads', '1', '-o', 'f32-1.json']).status).toBe(0);
    expect(mixem([...args, '--threads', '2', '-o', 'f32-2.json']).status).toBe(0);
    const one = JSON.parse(readFileSync(join(dir, 'f32-1.json'), 'utf8'));
    const two = JSON.parse(readFileSync(join(dir, 'f32-2.json'), 'utf8'));
    expect(two.logLikelihood).toBe(one.logLikelihood);
    expect(two.means).toEqual(one.means);
  });

  it('refuses --float32 with the TypeScript kernel', () => {
    expectCleanFailure(mixem(['fit', faithfulCsv, '-k', '2', '--float32', '--kernel', 'typescript']), 2, /--float32 needs the WebAssembly kernel/);
  });
});
