/**
 * The playground (playground/): built with Vite, served by Vite's preview
 * server, driven in headless Chromium. The page runs the library in a Web
 * Worker; its results are checked against the library run here in Node.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../playground/src/csv.js';
import { fit, type FitOptions } from '../src/index.js';
import { dataset } from './helpers/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const configFile = join(root, 'playground', 'vite.config.ts');

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('the playground CSV reader', () => {
  it('reads a header, numbers, quotes and text columns', () => {
    const table = parseCsv('a,"b",name\n1,2.5,x\n"3",-4e1,"y, z"\n', 't.csv');
    expect(table.columns).toEqual(['a', 'b']);
    expect(table.skipped).toEqual(['name']);
    expect(Array.from(table.values)).toEqual([1, 2.5, 3, -40]);
  });

  it('reads semicolons and tabs, and files without a header', () => {
    expect(parseCsv('1;2\n3;4\n', 's.csv').columns).toEqual(['x1', 'x2']);
    expect(Array.from(parseCsv('u\tv\r\n1\t2\r\n', 't.tsv').values)).toEqual([1, 2]);
  });

  it('names the line and column of a bad cell', () => {
    expect(() => parseCsv('a,b\n1,2\n3,oops\n', 'bad.csv')).toThrow('bad.csv, line 3, column "b" (column 2): "oops" is not a number');
    expect(() => parseCsv('a,b\n1,2\n\n3,\n', 'gap.csv')).toThrow('gap.csv, line 4, column "b" (column 2): the cell is empty');
    expect(() => parseCsv('a,b\n1,2\n3,NA\n', 'na.csv')).toThrow(/line 3, column "b".*missing value/);
    expect(() => parseCsv('a,b\n1,2\n3\n', 'short.csv')).toThrow('short.csv, line 3: 1 field but the header has 2');
    expect(() => parseCsv('a,b\n1,"2\n', 'open.csv')).toThrow('open.csv, line 2: a quoted field is never closed');
    expect(() => parseCsv('a,name\n1,x\n', 'one.csv')).toThrow('needs at least two numeric columns');
  });
});

describe.skipIf(!existsSync(CHROMIUM))('the playground in a browser', () => {
  let outDir: string;
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'mixem-playground-'));
    await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
    url = server.resolvedUrls!.local[0];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 }, acceptDownloads: true });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(url);
    await page.waitForSelector('#loglik[data-cause="reset"]');
    expect(problems).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  /** Sets a control and fires its change event, as a person would. */
  async function set(selector: string, value: string): Promise<void> {
    const tag = await page.$eval(selector, (e) => e.tagName);
    if (tag === 'SELECT') await page.selectOption(selector, value);
    else {
      await page.fill(selector, value);
      await page.$eval(selector, (e) => e.dispatchEvent(new Event('change', { bubbles: true })));
    }
  }

  const revision = () => page.$eval('#loglik', (e) => Number((e as HTMLElement).dataset.revision));
  const loglik = () => page.$eval('#loglik', (e) => Number((e as HTMLElement).dataset.value));

  /** Clicks a button and waits until the page shows the next model or responsibilities. */
  async function step(selector: string): Promise<number> {
    const before = await revision();
    await page.click(selector);
    await page.waitForFunction((r) => Number(document.getElementById('loglik')!.dataset.revision) > r, before);
    return loglik();
  }

  /** Changes a control that makes new start parameters, and waits for them. */
  async function setAndReset(selector: string, value: string): Promise<void> {
    const before = await revision();
    await set(selector, value);
    await page.waitForFunction(
      (r) => Number(document.getElementById('loglik')!.dataset.revision) > r && document.getElementById('loglik')!.dataset.cause === 'reset',
      before,
    );
  }

  async function idle(): Promise<void> {
    await page.waitForSelector('#app[data-busy="false"]');
  }

  async function pick(datasetId: string): Promise<void> {
    const before = await revision();
    await page.selectOption('#dataset', datasetId);
    await page.waitForFunction(
      (r) => Number(document.getElementById('loglik')!.dataset.revision) > r && document.getElementById('loglik')!.dataset.cause === 'reset',
      before,
    );
  }

  /** The fit options the page's controls hold. */
  async function settings(): Promise<FitOptions> {
    const value = (id: string) => page.$eval(`#${id}`, (e) => (e as HTMLInputElement).value);
    return {
      components: Number(await value('components')),
      covariance: (await value('covariance')) as FitOptions['covariance'],
      init: (await value('init')) as FitOptions['init'],
      seed: Number(await value('seed')),
      restarts: Number(await value('restarts')),
      tolerance: Number(await value('tolerance')),
      maxIterations: Number(await value('max-iterations')),
    };
  }

  it('fits Old Faithful (K = 2) to the log-likelihood the library gives in Node, with two ellipses per level', async () => {
    await pick('faithful');
    await setAndReset('#components', '2');
    await setAndReset('#seed', '7');
    await page.click('#fit');
    await page.waitForSelector('#loglik[data-cause="fit"]');
    await idle();

    const options = await settings();
    expect(options).toMatchObject({ components: 2, seed: 7, covariance: 'full', init: 'kmeans' });
    const expected = fit(dataset('faithful'), options);
    expect(relative(await loglik(), expected.logLikelihood!)).toBeLessThan(1e-9);

    expect(await page.locator('#scatter g.ellipse-1sigma path').count()).toBe(2);
    expect(await page.locator('#scatter g.ellipse-2sigma path').count()).toBe(2);
    expect(await page.locator('#scatter g.points circle').count()).toBe(272);
    expect(await page.locator('#notes li').count()).toBe(options.restarts);
    expect(await page.locator('#trace g.trace-kept path').count()).toBe(1);
    await page.screenshot({ path: join(root, 'docs', 'playground-faithful.png'), fullPage: true });

    // The downloaded model is the library's model file, with the CLI's training block.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-model')]);
    expect(download.suggestedFilename()).toBe('faithful-model.json');
    const file = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    const json = expected.toJSON();
    expect(file.format).toBe('mixem/gaussian-mixture');
    expect(file.options).toEqual(json.options);
    expect(file.iterations).toBe(json.iterations);
    expect(relative(file.logLikelihood, json.logLikelihood!)).toBeLessThan(1e-9);
    for (let m = 0; m < 2; m++) {
      expect(relative(file.weights[m], json.weights[m])).toBeLessThan(1e-9);
      for (let j = 0; j < 2; j++) expect(relative(file.means[m][j], json.means[m][j])).toBeLessThan(1e-9);
    }
    expect(file.training).toMatchObject({ source: 'faithful.csv', rows: 272, columns: ['eruptions', 'waiting'] });
    expect(file.training.logDensityQuantiles).toHaveLength(1001);

    const [labels] = await Promise.all([page.waitForEvent('download'), page.click('#download-labels')]);
    const lines = readFileSync((await labels.path())!, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('eruptions,waiting,label,p0,p1');
    expect(lines).toHaveLength(273);
    const predicted = expected.predict(dataset('faithful'));
    const first = lines[1].split(',').map(Number);
    expect(first.slice(0, 2)).toEqual(dataset('faithful')[0]);
    expect(first[2]).toBe(predicted[0]);
    expect(first[3] + first[4]).toBeCloseTo(1, 12);
  });

  it('steps E and M by hand without the log-likelihood ever falling, and Run finishes as the library would', async () => {
    await pick('faithful');
    await setAndReset('#seed', '3');
    let previous = await loglik();
    expect(await page.locator('#scatter g.ellipse-1sigma path').count()).toBe(2);
    for (let s = 0; s < 4; s++) {
      const afterE = await step('#e-step');
      expect(afterE).toBe(previous); // an E-step recolours; the parameters stay
      const afterM = await step('#m-step');
      expect(afterM).toBeGreaterThanOrEqual(previous);
      previous = afterM;
    }
    // After an E-step the points take the component colours (blended where unsure), not the grey of a fresh start.
    const fills = await page.$$eval('#scatter g.points circle', (cs) => [...new Set(cs.map((c) => c.getAttribute('fill')))]);
    expect(fills.length).toBeGreaterThan(2);
    expect(fills).not.toContain('#9aa0a6');

    await page.click('#run');
    await idle();
    const final = await loglik();
    expect(final).toBeGreaterThanOrEqual(previous);
    // EM stepped from the reset start is the library's fit with one restart.
    const expected = fit(dataset('faithful'), { ...(await settings()), restarts: 1 });
    expect(relative(final, expected.logLikelihood!)).toBeLessThan(1e-9);
  });

  it('shows a message naming the line and column of a bad CSV cell, and keeps the data', async () => {
    const bad = 'eruptions,waiting\n3.6,79\n1.8,54\n3.333,seventy-four\n';
    await page.setInputFiles('#file', { name: 'bad-beans.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    const error = page.locator('#error');
    await error.waitFor({ state: 'visible' });
    const text = await error.textContent();
    expect(text).toContain('bad-beans.csv, line 4, column "waiting"');
    expect(text).toContain('"seventy-four" is not a number');
    expect(await page.getAttribute('#error', 'role')).toBe('alert');
    expect(await page.textContent('#data-summary')).toContain('faithful.csv');

    // A good file loads.
    await page.setInputFiles('#file', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n1.5,2.5\n8,9\n8.5,9.5\n') });
    await page.waitForFunction(() => document.getElementById('data-summary')!.textContent!.startsWith('good.csv: 4 rows'));
    expect(await error.isHidden()).toBe(true);
  });

  it('adds points by clicking and painting, and re-scores the current parameters on them', async () => {
    await pick('faithful');
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = (await page.locator('#scatter svg').boundingBox())!;
    const before = await revision();
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForFunction((r) => Number(document.getElementById('loglik')!.dataset.revision) > r, before);
    expect(await page.textContent('#data-summary')).toContain('273 rows');

    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    for (let s = 1; s <= 6; s++) await page.mouse.move(box.x + box.width * (0.3 + s * 0.02), box.y + box.height * 0.3, { steps: 2 });
    await page.mouse.up();
    await page.waitForFunction(() => /added by hand/.test(document.getElementById('data-summary')!.textContent!));
    const rows = Number(/(\d+) rows/.exec((await page.textContent('#data-summary'))!)![1]);
    expect(rows).toBeGreaterThan(275);
    await expect.poll(() => page.locator('#scatter g.points circle').count()).toBe(rows);
  });

  it('jelly beans: k-means beside EM, and the BIC curve across K', async () => {
    await pick('beans');
    await setAndReset('#components', '3');
    await set('#restarts', '2');
    await page.click('#fit');
    await page.waitForSelector('#loglik[data-cause="fit"]');
    await idle();
    expect(await page.locator('#scatter g.ellipse-1sigma path').count()).toBe(3);

    await page.check('#show-kmeans');
    await page.waitForSelector('#kmeans-plot g.kmeans-center path');
    expect(await page.locator('#kmeans-plot g.kmeans-center path').count()).toBe(3);
    await page.waitForFunction(() => /disagree on \d+/.test(document.getElementById('kmeans-summary')!.textContent!));

    await page.click('#bic-run');
    await idle();
    expect(await page.locator('#bic-table tbody tr').count()).toBe(8);
    expect(await page.textContent('#bic-table tr.best td')).toBe('3 (best)');
    expect(await page.textContent('#use-best')).toBe('Use K = 3');
    await page.screenshot({ path: join(root, 'docs', 'playground-jellybeans.png'), fullPage: true });
    await page.uncheck('#show-kmeans');
  });

  it('stays responsive while fitting 100 000 points, drawing at most 5000', async () => {
    await pick('beans-100k');
    expect(await page.locator('#scatter g.points circle').count()).toBe(5000);
    await set('#restarts', '2');
    await page.click('#fit');
    await page.waitForSelector('#app[data-busy="true"]');
    // While the worker fits, the page answers at once.
    const delays: number[] = [];
    while ((await page.getAttribute('#app', 'data-busy')) === 'true' && delays.length < 20) {
      delays.push(await page.evaluate(() => new Promise<number>((resolve) => {
        const start = performance.now();
        setTimeout(() => resolve(performance.now() - start), 0);
      })));
    }
    await page.waitForSelector('#loglik[data-cause="fit"]');
    await idle();
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBeLessThan(250);
    expect(await page.locator('#scatter g.ellipse-1sigma path').count()).toBe(3);
    expect(await page.locator('#scatter g.points circle').count()).toBe(5000);
  });
});
