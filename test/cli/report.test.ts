import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseHTML } from 'linkedom';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPlot, renderReport, symmetricEigen, type ReportInput, type RestartTrace, type SelectionRow } from '../../cli/report.js';
import { fit, select, toMatrix, type FitOptions } from '../../src/index.js';
import { dataset } from '../helpers/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const FAITHFUL = ['eruptions', 'waiting'];
const IRIS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** Fits and collects every restart's trace, as the CLI does. */
function fitted(rows: number[][], columns: string[], title: string, options: FitOptions): ReportInput {
  const traces: RestartTrace[] = [];
  const model = fit(rows, {
    ...options,
    onIteration: (info) => {
      if (traces.length <= info.restart) traces.push({ restart: info.restart, history: [] });
      traces[info.restart].history.push(info.logLikelihood);
    },
  });
  return { title, data: toMatrix(rows), columns, model, traces };
}

const dom = (html: string) => parseHTML(html).document;
const count = (html: string, selector: string) => dom(html).querySelectorAll(selector).length;

const faithful = fitted(dataset('faithful'), FAITHFUL, 'mixem fit: faithful.csv', { components: 2, seed: 1, restarts: 3, tolerance: 1e-6 });

describe('renderReport', () => {
  it('Old Faithful: a self-contained page with K ellipses per level, the traces and the component table', () => {
    const html = renderReport(faithful);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)|<link /);
    const doc = dom(html);
    expect(doc.querySelector('title')!.textContent).toBe('mixem fit: faithful.csv');
    expect(doc.querySelectorAll('#main-figure g.ellipse-1sigma path')).toHaveLength(2);
    expect(doc.querySelectorAll('#main-figure g.ellipse-2sigma path')).toHaveLength(2);
    expect(doc.querySelectorAll('#main-figure g.component-mean path')).toHaveLength(2);
    // 272 points, one circle each.
    expect(doc.querySelectorAll('#main-figure circle')).toHaveLength(272);
    // One trace line per restart: the kept one highlighted, the others grey.
    expect(doc.querySelectorAll('#trace-figure g.trace-kept path')).toHaveLength(1);
    expect(doc.querySelectorAll('#trace-figure g.trace-restart path')).toHaveLength(2);
    expect(doc.querySelector('#trace-figure')!.textContent).toMatch(/Kept run \(restart \d\)/);
    // The component table: one row per component, weight and mean/sd per feature.
    const rows = doc.querySelectorAll('table.components tbody tr');
    expect(rows).toHaveLength(2);
    expect(doc.querySelector('table.components thead')!.textContent).toMatch(/eruptions.*waiting/s);
    const weights = [...rows].map((r) => Number(r.querySelectorAll('td')[1].textContent));
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    // The summary header.
    const summary = doc.querySelector('dl.summary')!.textContent!;
    expect(summary).toMatch(/Components\s*2/);
    expect(summary).toMatch(/Covariance\s*full/);
    expect(summary).toMatch(/BIC\s*2322\.\d\d/);
    expect(summary).toMatch(/Converged\s*yes/);
    expect(doc.querySelector('#pairs')).toBeNull();
    expect(doc.querySelector('#selection')).toBeNull();
  });

  it('iris (D = 4): projects on the first two principal components, with a pairs plot', () => {
    const iris = fitted(dataset('iris'), IRIS, 'mixem fit: iris.csv', { components: 3, seed: 1 });
    const html = renderReport(iris);
    const doc = dom(html);
    expect(doc.querySelectorAll('#main-figure g.ellipse-1sigma path')).toHaveLength(3);
    expect(doc.querySelectorAll('#main-figure g.ellipse-2sigma path')).toHaveLength(3);
    const text = doc.querySelector('#main-figure')!.textContent!;
    const pc = [...text.matchAll(/PC(\d) \((\d+\.\d)% var\)/g)].map((m) => [Number(m[1]), Number(m[2])]).sort((a, b) => a[0] - b[0]);
    expect(pc.map(([k]) => k)).toEqual([1, 2]);
    expect(pc[0][1]).toBeGreaterThan(90); // iris: PC1 explains ~92% of the variance
    expect(pc[0][1] + pc[1][1]).toBeLessThanOrEqual(100);
    // Pairs: a 4×4 grid; 6 scatters below the diagonal with K ellipses each, 4 histograms on it.
    expect(doc.querySelectorAll('#pairs-figure .pair-cell')).toHaveLength(16);
    expect(doc.querySelectorAll('#pairs-figure g.pair-ellipse-1sigma path')).toHaveLength(18);
    expect(doc.querySelectorAll('#pairs-figure g.mixture-density path')).toHaveLength(4);
    expect(doc.querySelectorAll('table.components tbody tr')).toHaveLength(3);
    expect(doc.querySelectorAll('table.components thead th.feature')).toHaveLength(4);
  });

  it('D = 1: a histogram with the mixture density and each weighted component', () => {
    const waiting = dataset('faithful').map((r) => [r[1]]);
    const html = renderReport(fitted(waiting, ['waiting'], 'mixem fit: waiting', { components: 2, seed: 1 }));
    const doc = dom(html);
    expect(doc.querySelectorAll('g.ellipse-1sigma path')).toHaveLength(0);
    expect(doc.querySelectorAll('#main-figure g.mixture-density path')).toHaveLength(1);
    expect(doc.querySelectorAll('#main-figure g.component-density path')).toHaveLength(2);
    expect(doc.querySelectorAll('#main-figure rect').length).toBeGreaterThan(8);
    expect(doc.querySelector('#clusters h2')!.textContent).toBe('Distribution');
  });

  it('with a selection: the BIC curve per covariance type, the best marked, and the table', () => {
    const rows = dataset('faithful');
    const result = select(rows, { components: [1, 2, 3], covariance: ['full', 'diag'], seed: 1 });
    const selection: SelectionRow[] = result.entries.map((e) => ({
      components: e.components,
      covariance: e.covariance,
      bic: e.bic!,
      aic: e.aic!,
      icl: e.icl!,
      logLikelihood: e.logLikelihood!,
      parameters: e.parameters!,
      best: e === result.best,
    }));
    const html = renderReport({ title: 'mixem select: faithful.csv', data: toMatrix(rows), columns: FAITHFUL, model: result.best.model!, traces: [], selection });
    const doc = dom(html);
    const section = doc.querySelector('#selection')!;
    expect(section.textContent).toMatch(/lower is better/i);
    expect(section.querySelectorAll('table.selection tbody tr')).toHaveLength(6);
    const best = section.querySelector('tr.best')!;
    expect(best.textContent).toMatch(/^1\s*2\s*full/); // rank 1, K = 2, full
    expect(section.querySelectorAll('#selection-figure g.selection-best circle')).toHaveLength(1);
    expect(section.querySelector('#selection-figure')!.textContent).toMatch(/full.*diag/s);
    // No per-restart traces: the kept run's own history is drawn from iteration 0.
    expect(doc.querySelectorAll('#trace-figure g.trace-kept path')).toHaveLength(1);
    expect(doc.querySelectorAll('#main-figure g.ellipse-1sigma path')).toHaveLength(2);
  });

  it('subsamples large data every ⌈n/20000⌉-th row and says so', () => {
    const n = 45_000;
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push([(i % 2) * 10 + Math.sin(i), Math.cos(i * 1.3) + (i % 2)]);
    const input = fitted(rows, ['a', 'b'], 'large', { components: 2, seed: 1, maxIterations: 3 });
    const doc = dom(renderReport(input));
    expect(doc.querySelectorAll('#main-figure circle')).toHaveLength(15_000);
    expect(doc.querySelector('#main-figure figcaption')!.textContent).toMatch(/Showing 15,000 of 45,000 rows \(every 3rd row/);
  });

  it('symmetricEigen reconstructs the matrix', () => {
    const a = [
      [4, 1, 0.5],
      [1, 3, -0.2],
      [0.5, -0.2, 1],
    ];
    const { values, vectors } = symmetricEigen(a);
    expect(values[0]).toBeGreaterThanOrEqual(values[1]);
    expect(values[1]).toBeGreaterThanOrEqual(values[2]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let sum = 0;
        for (let k = 0; k < 3; k++) sum += values[k] * vectors[k][i] * vectors[k][j];
        expect(sum).toBeCloseTo(a[i][j], 12);
      }
    }
  });
});

describe('renderPlot', () => {
  it('returns SVG text', () => {
    const svg = renderPlot(faithful, 'svg') as string;
    expect(typeof svg).toBe('string');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(count(svg, 'g.ellipse-1sigma path')).toBe(2);
    expect(svg).toContain('mixem fit: faithful.csv');
  });

  it('returns PNG bytes', () => {
    const png = renderPlot(faithful, 'png') as Uint8Array;
    expect(png).toBeInstanceOf(Uint8Array);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR width and height (big-endian): the figure at 2× zoom.
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    expect(view.getUint32(16)).toBeGreaterThan(1000);
    expect(view.getUint32(20)).toBeGreaterThan(800);
  });

  it('D = 1 and D > 2 render too', () => {
    const waiting = dataset('faithful').map((r) => [r[1]]);
    const oneD = renderPlot(fitted(waiting, ['waiting'], 'w', { components: 2, seed: 1 }), 'svg') as string;
    expect(count(oneD, 'g.mixture-density path')).toBe(1);
    const iris = renderPlot(fitted(dataset('iris'), IRIS, 'iris', { components: 3, seed: 1 }), 'svg') as string;
    expect(count(iris, 'g.ellipse-2sigma path')).toBe(3);
    expect(iris).toMatch(/PC1 \(\d+\.\d% var\)/);
  });
});

describe('the report in a browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixem-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  if (!existsSync(CHROMIUM)) console.warn(`skipping the browser test of the report: ${CHROMIUM} does not exist`);

  it.skipIf(!existsSync(CHROMIUM))('renders the Old Faithful report in headless Chromium', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(faithful));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(file).href);
      expect(requests).toEqual([]); // self-contained: nothing fetched
      expect(await page.locator('g.ellipse-1sigma path').count()).toBe(2);
      expect(await page.locator('g.ellipse-2sigma path').count()).toBe(2);
      // Every figure laid out with a real size, and the ellipses drawn inside the plot.
      const boxes = await page.$$eval('figure.plot > svg', (svgs) => svgs.map((s) => (s as SVGSVGElement).getBoundingClientRect()).map((r) => ({ width: r.width, height: r.height })));
      expect(boxes.length).toBe(2);
      for (const box of boxes) {
        expect(box.width).toBeGreaterThan(300);
        expect(box.height).toBeGreaterThan(200);
      }
      const areas = (selector: string) => page.$$eval(selector, (paths) => paths.map((p) => (p as SVGPathElement).getBBox()).map((b) => b.width * b.height));
      const one = await areas('g.ellipse-1sigma path');
      const two = await areas('g.ellipse-2sigma path');
      for (const area of one) expect(area).toBeGreaterThan(100);
      // The 2σ ellipse's box is 4 times the 1σ ellipse's.
      for (let m = 0; m < 2; m++) expect(two[m] / one[m]).toBeCloseTo(4, 1);
      expect(await page.locator('g.trace-kept path').count()).toBe(1);
      expect(await page.locator('table.components tbody tr').count()).toBe(2);
      mkdirSync(join(root, 'docs'), { recursive: true });
      await page.screenshot({ path: join(root, 'docs', 'report-faithful.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
