import { describe, expect, it } from 'vitest';
import { kmeans, MixemError } from '../src/index.js';
import { dataset } from './helpers/fixtures.js';
import { blobs } from './helpers/generate.js';

describe('kmeans', () => {
  const data = blobs(600, [[0, 0], [10, 0], [0, 10]], 1, 3);

  it('separates well-separated blobs', () => {
    for (const init of ['kmeans++', 'random'] as const) {
      const result = kmeans(data, { clusters: 3, seed: 1, init });
      expect(result.converged).toBe(true);
      // blobs() cycles through the centres, so rows i and i+3 share a cluster.
      for (let i = 0; i + 3 < data.length; i++) expect(result.labels[i + 3]).toBe(result.labels[i]);
      expect(new Set(result.labels).size).toBe(3);
    }
  });

  it('gives the inertia as the sum of squared distances to the assigned centres', () => {
    const result = kmeans(data, { clusters: 3, seed: 2 });
    let inertia = 0;
    data.forEach((row, i) => {
      const c = result.centers[result.labels[i]];
      inertia += (row[0] - c[0]) ** 2 + (row[1] - c[1]) ** 2;
    });
    expect(result.inertia).toBeCloseTo(inertia, 8);
  });

  it('is deterministic for a seed', () => {
    const faithful = dataset('faithful');
    const a = kmeans(faithful, { clusters: 4, seed: 9 });
    const b = kmeans(faithful, { clusters: 4, seed: 9 });
    expect(b.centers).toEqual(a.centers);
    expect(b.labels).toEqual(a.labels);
  });

  it('treats a weighted row like repeated rows', () => {
    const small = [[0], [1], [10], [11], [12]];
    const weighted = kmeans(small, { clusters: 2, seed: 0, sampleWeights: [1, 3, 1, 1, 1] });
    const centers = weighted.centers.map((c) => c[0]).sort((a, b) => a - b);
    expect(centers[0]).toBeCloseTo(0.75, 12);
    expect(centers[1]).toBeCloseTo(11, 12);
  });

  it('rejects a bad number of clusters with a typed error', () => {
    expect(() => kmeans(data, { clusters: 0 })).toThrow(MixemError);
    expect(() => kmeans([[1], [2]], { clusters: 3 })).toThrow(/clusters \(3\) is larger than the number of rows \(2\)/);
  });
});

describe('the library core', () => {
  it('imports nothing Node-only, so it runs in browsers', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files = readdirSync('src', { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(join(file.parentPath, file.name), 'utf8');
      expect(text, file.name).not.toMatch(/from ['"](node:|fs|path|os|worker_threads|child_process)['"/]/);
      expect(text, file.name).not.toMatch(/\b(process|require|Buffer)\.[a-zA-Z]/);
    }
  });
});
