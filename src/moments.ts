/**
 * Weighted column means and centred sums of squares of a matrix, in two
 * row-major passes with one running sum per column (each sum takes the same
 * terms in the same order as a per-column loop would). Shared by the start's
 * overflow check (./init.ts) and k-means' tolerance scale (./lloyd.ts), which
 * must agree with the WebAssembly paths bit for bit.
 */
import type { Matrix } from './types.js';

/** What {@link columnMoments} gives. */
export interface ColumnMoments {
  /** Σ w (the row count when unweighted). */
  readonly total: number;
  /** d weighted means. */
  readonly means: Float64Array;
  /** d sums Σ w (x − mean)², not yet divided by the total. */
  readonly squares: Float64Array;
}

/**
 * The weighted means of the columns; with `squares`, also their centred sums
 * of squares. With `box`, the pass for the means also widens box.low and
 * box.high (d each) to hold every row.
 */
export function columnMoments(
  matrix: Matrix,
  weights: Float64Array | null,
  squares = true,
  box: { readonly low: Float64Array; readonly high: Float64Array } | null = null,
): ColumnMoments {
  const { rows: n, cols: d, data: x } = matrix;
  let total = 0;
  const means = new Float64Array(d);
  if (box === null) {
    for (let i = 0; i < n; i++) {
      const w = weights === null ? 1 : weights[i];
      total += w;
      for (let j = 0; j < d; j++) means[j] += w * x[i * d + j];
    }
  } else {
    const { low, high } = box;
    for (let i = 0; i < n; i++) {
      const w = weights === null ? 1 : weights[i];
      total += w;
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        means[j] += w * v;
        if (v < low[j]) low[j] = v;
        if (v > high[j]) high[j] = v;
      }
    }
  }
  for (let j = 0; j < d; j++) means[j] /= total;
  const sums = new Float64Array(squares ? d : 0);
  if (squares) {
    for (let i = 0; i < n; i++) {
      const w = weights === null ? 1 : weights[i];
      for (let j = 0; j < d; j++) {
        const delta = x[i * d + j] - means[j];
        sums[j] += w * delta * delta;
      }
    }
  }
  return { total, means, squares: sums };
}
