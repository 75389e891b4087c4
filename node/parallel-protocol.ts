/** Messages and shared-buffer layout between the parallel kernel and its workers. */

/** Sent once per fit: the data, and which chunks this worker holds. */
export interface LoadMessage {
  type: 'load';
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  weights: SharedArrayBuffer | null;
  rows: number;
  cols: number;
  chunkRows: number;
  firstChunk: number;
  endChunk: number;
}

/** Sent every iteration: the packed parameters and where to put the statistics. */
export interface EStepMessage {
  type: 'estep';
  control: SharedArrayBuffer;
  params: unknown;
  results: SharedArrayBuffer;
  chunkRows: number;
}

/** What a worker says when it has finished a message. */
export type WorkerReply = { ok: true } | { ok: false; message: string };

/**
 * One chunk's slot in the result buffer: [Σ w log p, worst row, its log density,
 * counts (k), first moments (k·d), second moments (k·d·d or k·d)].
 */
export function resultLayout(shape: 'full' | 'diag', k: number, d: number) {
  const counts = 3;
  const first = counts + k;
  const second = first + k * d;
  const size = second + (shape === 'full' ? k * d * d : k * d);
  return { counts, first, second, size };
}
