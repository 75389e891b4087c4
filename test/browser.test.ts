import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { fit } from '../src/index.js';
import { dataset, relativeError } from './helpers/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';

describe('the library in a browser', () => {
  // Math.exp and Math.log are not required to be correctly rounded, and Chromium's V8 is newer
  // than Node's: the last bit can differ, so parameters agree to rounding (observed ~1e-16), not bit for bit.
  it.skipIf(!existsSync(CHROMIUM))('fits Old Faithful in headless Chromium to the same result as in Node', async () => {
    // Bundle the public entry point for the browser: this fails if src/ reaches for anything Node-only.
    const bundle = await build({
      entryPoints: [join(root, 'src', 'index.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'mixem',
      platform: 'browser',
      write: false,
    });
    const code = bundle.outputFiles[0].text;
    const rows = dataset('faithful');
    const options = { components: 3, restarts: 2, seed: 7, covariance: 'full' as const };
    const expected = JSON.stringify(fit(rows, options));


    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ content: code });
      const actual = await page.evaluate(
        ({ rows, options }) => JSON.stringify((globalThis as unknown as { mixem: typeof import('../src/index.js') }).mixem.fit(rows, options)),
        { rows, options },
      );
      const a = JSON.parse(actual);
      const e = JSON.parse(expected);
      expect(a.iterations).toBe(e.iterations);
      expect(a.converged).toBe(e.converged);
      for (const key of ['weights', 'means', 'covariances', 'history']) expect(relativeError(a[key], e[key])).toBeLessThan(1e-12);
    } finally {
      await browser.close();
    }
  });
});
