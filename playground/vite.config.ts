/**
 * Vite configuration of the playground: a static page in playground/, built
 * to dist-playground/ at the repository root. The page imports the library
 * through its public entry point as `mixem` (src/index.ts), never its internals.
 *
 *   npm run playground          # dev server
 *   npm run build:playground    # static site in dist-playground/
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

export default defineConfig({
  root: here,
  // Relative asset URLs: the built site works from any path (a sub-folder, GitHub Pages).
  base: './',
  resolve: {
    alias: { mixem: resolve(repo, 'src/index.ts') },
  },
  worker: { format: 'es' },
  server: {
    // The library (src/) and the bundled data sets (data/) live outside the page's root.
    fs: { allow: [repo] },
  },
  build: {
    outDir: resolve(repo, 'dist-playground'),
    emptyOutDir: true,
    target: 'es2022',
  },
});
