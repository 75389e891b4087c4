import { Random } from '../../src/index.js';

/** n points from well-separated 2-D or 3-D blobs, deterministic in `seed`. */
export function blobs(n: number, centers: number[][], spread: number, seed: number): number[][] {
  const rng = new Random(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const c = centers[i % centers.length];
    rows.push(c.map((v) => v + spread * rng.normal()));
  }
  return rows;
}

/** A permutation of 0..n-1 from the seed. */
export function permutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  new Random(seed).shuffle(order);
  return order;
}
