/**
 * The parallel kernel on a browser's Web Workers (src/pool/web-kernel.ts), in
 * headless Chromium: a cross-origin isolated page starts a worker of its own,
 * which creates the pool and fits there. The pool must give the one-thread
 * WebAssembly kernel's model bit for bit on 2 and 3 threads (k-means start
 * included), and say clearly where it cannot run.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';

/** The page's own worker: fits one data set with the one-thread kernel and with pools of 2 and 3 workers. */
const FITTER = `
import { fit, createWasmKernelSync } from './src/index.ts';
import { createWebParallelKernel } from './src/pool/web-kernel.ts';
self.onmessage = async () => {
  try {
    // 3 chunks of 4096 rows and a partial one: every worker holds rows.
    const n = 3 * 4096 + 77, d = 3;
    const data = new Float64Array(n * d);
    let s = 12345;
    const uniform = () => ((s = (s * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    for (let i = 0; i < n; i++) {
      const c = i % 3;
      for (let j = 0; j < d; j++) data[i * d + j] = 1.2 * c * (j + 1) + Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    }
    const matrix = { rows: n, cols: d, data };
    const options = { components: 3, covariance: 'full', seed: 5, maxIterations: 30, tolerance: 1e-10 };
    const shown = (m) => JSON.stringify({ weights: m.weights, means: m.means, covariances: m.covariances, history: m.history, iterations: m.iterations });
    const one = shown(fit(matrix, { ...options, kernel: createWasmKernelSync() }));
    const pools = [];
    for (const threads of [2, 3]) {
      const kernel = await createWebParallelKernel({ threads, workerUrl: '/pool-worker.js', workerType: 'classic' });
      pools.push({ threads: kernel.threads, inner: kernel.inner, model: shown(fit(matrix, { ...options, kernel })) });
      await kernel.close();
    }
    let missingUrl = '';
    try { await createWebParallelKernel({}); } catch (error) { missingUrl = error.message; }
    self.postMessage({ one, pools, missingUrl });
  } catch (error) {
    self.postMessage({ error: String(error && error.stack || error) });
  }
};
`;

const PAGE = '<!doctype html><meta charset="utf-8"><title>mixem pool</title><script src="/page.js"></script>';

/** On the page's main thread the pool must refuse with a clear message. */
const PAGE_SCRIPT = `
import { createWebParallelKernel } from './src/pool/web-kernel.ts';
window.mainThreadError = createWebParallelKernel({ workerUrl: '/pool-worker.js' }).then(() => 'created', (error) => error.message);
`;

async function bundle(contents: string | null, entry: string | null): Promise<string> {
  const result = await build({
    ...(contents !== null ? { stdin: { contents, resolveDir: root, loader: 'ts' as const } } : { entryPoints: [entry!] }),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
  });
  return result.outputFiles[0].text;
}

describe('the parallel kernel in a browser', () => {
  let server: Server;
  let origin = '';
  let isolated = true;

  beforeAll(async () => {
    const files: Record<string, string> = {
      '/': PAGE,
      '/page.js': await bundle(PAGE_SCRIPT, null),
      '/fitter.js': await bundle(FITTER, null),
      '/pool-worker.js': await bundle(null, join(root, 'src', 'pool', 'web-worker.ts')),
    };
    server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const body = files[path];
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = { 'Content-Type': path === '/' ? 'text/html' : 'text/javascript' };
      if (isolated) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      }
      response.writeHead(200, headers).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it.skipIf(!existsSync(CHROMIUM))('gives the one-thread model bit for bit on 2 and 3 Web Workers, and refuses the main thread', async () => {
    isolated = true;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(origin + '/');
      expect(await page.evaluate(() => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated)).toBe(true);
      expect(await page.evaluate(() => (globalThis as unknown as { mainThreadError: Promise<string> }).mainThreadError)).toMatch(/only in workers.*Web Worker/);
      const result = await page.evaluate(
        () =>
          new Promise<{ one?: string; pools?: { threads: number; inner: string; model: string }[]; missingUrl?: string; error?: string }>((resolve) => {
            const worker = new Worker('/fitter.js');
            worker.onmessage = (event) => resolve(event.data);
            worker.onerror = (event) => resolve({ error: event.message });
            worker.postMessage({});
          }),
      );
      expect(result.error).toBeUndefined();
      const one = JSON.parse(result.one!);
      expect(one.iterations).toBeGreaterThan(1);
      expect(result.pools!.map((p) => [p.threads, p.inner])).toEqual([
        [2, 'wasm'],
        [3, 'wasm'],
      ]);
      for (const pool of result.pools!) expect(pool.model).toBe(result.one);
      expect(result.missingUrl).toMatch(/workerUrl is required/);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))('says what to serve when the page is not cross-origin isolated', async () => {
    isolated = false;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(origin + '/');
      expect(await page.evaluate(() => (globalThis as unknown as { mainThreadError: Promise<string> }).mainThreadError)).toMatch(
        /cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/,
      );
    } finally {
      await browser.close();
      isolated = true;
    }
  }, 120_000);
});
