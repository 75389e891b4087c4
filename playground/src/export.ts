/**
 * What leaves the page: the model file, as the CLI writes it, and the data
 * with each row's label and component probabilities.
 */
import type { GaussianMixture, Matrix } from 'mixem';

/** The value of a column at a rank position (linear interpolation), as the CLI computes it. */
function quantile(sorted: Float64Array, p: number): number {
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
}

/**
 * The model file: `model.toJSON()` plus the CLI's `training` block (source,
 * rows, columns and the quantiles of the training log densities that
 * `mixem score --anomalies` uses), pretty-printed as `mixem fit -o` writes it.
 */
export function modelFile(model: GaussianMixture, data: Matrix, source: string, columns: string[]): string {
  const sorted = Float64Array.from(model.scoreSamples(data)).sort();
  const logDensityQuantiles: number[] = [];
  for (let q = 0; q <= 1000; q++) logDensityQuantiles.push(quantile(sorted, q / 1000));
  const training = { source, rows: data.rows, columns, logDensityQuantiles };
  return `${JSON.stringify({ ...model.toJSON(), training }, null, 2)}\n`;
}

function quote(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The data as CSV: its columns, then `label` (most probable component), then p0 … p(K−1). */
export function labelledCsv(model: GaussianMixture, data: Matrix, columns: string[]): string {
  const k = model.components;
  const labels = model.predict(data);
  const proba = model.predictProba(data).data;
  const d = data.cols;
  const header = [...columns, 'label', ...Array.from({ length: k }, (_, m) => `p${m}`)].map(quote).join(',');
  const lines = [header];
  const cells: string[] = [];
  for (let i = 0; i < data.rows; i++) {
    cells.length = 0;
    for (let j = 0; j < d; j++) cells.push(String(data.data[i * d + j]));
    cells.push(String(labels[i]));
    for (let m = 0; m < k; m++) cells.push(String(proba[i * k + m]));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}
