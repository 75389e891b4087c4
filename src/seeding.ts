/**
 * Greedy k-means++ seeding over rows held in chunks of {@link CHUNK_ROWS},
 * wherever the rows live (this thread's arrays, a WebAssembly module's
 * memory, the workers of a pool): the sibling of src/lloyd.ts for the start.
 *
 * Each new centre is the best of 2 + ⌊ln k⌋ candidates drawn with probability
 * ∝ w·D² (scikit-learn's variant; Arthur & Vassilvitskii 2007). The work splits in two:
 * - {@link runSeeding} draws on the calling thread, with the caller's
 *   {@link Random} (the same draws, in the same order, everywhere), and keeps
 *   the candidate with the lowest potential.
 * - A {@link SeedChunks} keeps each row's squared distance to its nearest
 *   centre so far (`closest`) and its score w·closest with the rows, and per
 *   chunk sums the scores and the candidates' potentials and finds the row a
 *   draw picks.
 *
 * Canonical order: each chunk's sums are accumulated from zero in row order;
 * the chunk totals are added in chunk order. A draw with target τ picks the
 * first row whose cumulative score — the earlier chunks' total plus the
 * chunk's running sum — exceeds τ (as Random.categorical, with that
 * cumulative sum); if none does, the last row with a positive score, else the
 * last row. Data of one chunk gives Random.categorical's row exactly.
 *
 * Symbols: n rows, d features, k centres, t a candidate.
 */
import { CHUNK_ROWS } from './kernels/kernel.js';
import { distance2, distancesTo, type LloydRows } from './lloyd.js';
import type { Random } from './random.js';

/**
 * The per-row work of the seeding over rows held in `chunks` chunks of
 * {@link CHUNK_ROWS} rows (numbered in row order). Made for one d; holds each
 * row's `closest` and score between calls. Each call that sums writes chunk
 * c's sum to out[c] (or its trials' sums to out[c·trials + t]).
 */
export interface SeedChunks {
  readonly chunks: number;
  /** The first centre: closest = D²(row, centre), score = w·closest; the chunks' sums of scores. */
  start(centre: Float64Array, out: Float64Array): void;
  /** A new centre: closest = min(closest, D²(row, centre)), score = w·closest; the chunks' sums of scores. */
  update(centre: Float64Array, out: Float64Array): void;
  /** score = w·closest, closest zeroed first when `clear`; the chunks' sums of scores. */
  rescore(clear: boolean, out: Float64Array): void;
  /** The candidates (trials×d): each chunk's Σ w·min(closest, D²(row, candidate t)) per candidate. */
  trials(candidates: Float64Array, trials: number, out: Float64Array): void;
  /**
   * For each draw q: in chunk chunk[q], the first row whose cumulative score
   * prefix[q] + running sum exceeds target[q], as an index into all rows (−1 if none).
   */
  pick(chunk: Int32Array, target: Float64Array, prefix: Float64Array, out: Int32Array): void;
  /** Each chunk's last row with a positive score, as an index into all rows, or −1. */
  lastPositive(out: Int32Array): void;
  /** Frees what the chunks hold; the object is not used after. */
  release(): void;
}

/**
 * A kernel that runs the per-chunk seeding work on rows it loaded itself (the
 * WebAssembly kernel, in one thread or in each worker of the pool), for d
 * features and up to `trials` candidates; parts are cut into chunks as
 * {@link tsSeedChunks} does.
 */
export interface SeedChunksSource {
  seedChunks(parts: readonly LloydRows[], d: number, trials: number): SeedChunks;
}

/** Candidates per new centre for k centres: 2 + ⌊ln k⌋. */
export function seedTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/**
 * The k-means++ candidate to keep: the index of the lowest potential below
 * Infinity, the first among ties; −1 when none is (overflowing data).
 */
export function lowestTrial(potentials: ArrayLike<number>, trials: number): number {
  let bestPotential = Infinity;
  let best = -1;
  for (let t = 0; t < trials; t++) {
    if (potentials[t] < bestPotential) {
      bestPotential = potentials[t];
      best = t;
    }
  }
  return best;
}

/** A draw whose target lies above every cumulative score (rounding). */
const FALLBACK = -(2 ** 31);

/**
 * k centres (k×d) by greedy k-means++ over rows held by `chunks`; `rows`
 * (the same rows, on this thread) gives the chosen rows' coordinates and the
 * first draw's weights. The result does not depend on who holds the chunks.
 */
export function runSeeding(chunks: SeedChunks, rows: LloydRows, k: number, rng: Random): Float64Array {
  const { matrix, weights } = rows;
  const { rows: n, cols: d, data: x } = matrix;
  const count = chunks.chunks;
  const trials = seedTrials(k);
  const centers = new Float64Array(k * d);
  const sums = new Float64Array(count);
  // prefix[c]: the scores of chunks 0..c-1, added in chunk order; prefix[count] is the potential.
  const prefix = new Float64Array(count + 1);
  const total = (): number => {
    for (let c = 0; c < count; c++) prefix[c + 1] = prefix[c] + sums[c];
    return prefix[count];
  };
  const row = (i: number): Float64Array => x.subarray(i * d, (i + 1) * d);

  const first = weights === null ? rng.integer(n) : rng.categorical(weights);
  centers.set(row(first), 0);
  chunks.start(row(first), sums);
  let potential = total();
  const rowsDrawn = new Int32Array(trials);
  const candidates = new Float64Array(trials * d);
  const trialSums = new Float64Array(count * trials);
  const potentials = new Float64Array(trials);
  const pickChunk = new Int32Array(trials);
  const pickTarget = new Float64Array(trials);
  const pickPrefix = new Float64Array(trials);
  const picked = new Int32Array(trials);
  const last = new Int32Array(count);
  let chosenOnce = false;
  for (let c = 1; c < k; c++) {
    // The draws depend only on the scores, which the candidates leave alone,
    // so all are drawn first (Random.categorical(score, potential) each), then found together.
    // rowsDrawn[t]: the row, or −1 − q for the q-th draw sent to its chunk, or FALLBACK.
    let asked = 0;
    let fallback = false;
    for (let t = 0; t < trials; t++) {
      if (!(potential > 0)) {
        rowsDrawn[t] = rng.integer(n);
        continue;
      }
      const target = rng.uniform() * potential;
      // The chunk holding the pick: the first whose cumulative total exceeds the target.
      let chunk = 0;
      while (chunk < count && !(target < prefix[chunk + 1])) chunk++;
      if (chunk === count) {
        rowsDrawn[t] = FALLBACK;
        fallback = true;
        continue;
      }
      pickChunk[asked] = chunk;
      pickTarget[asked] = target;
      pickPrefix[asked] = prefix[chunk];
      rowsDrawn[t] = -1 - asked;
      asked++;
    }
    if (asked > 0) chunks.pick(pickChunk.subarray(0, asked), pickTarget.subarray(0, asked), pickPrefix.subarray(0, asked), picked);
    for (let q = 0; q < asked; q++) if (picked[q] < 0) fallback = true;
    let fallbackRow = n - 1;
    if (fallback) {
      // Rounding left a target at the very top: the last row with a positive score.
      chunks.lastPositive(last);
      for (let q = count - 1; q >= 0; q--) {
        if (last[q] >= 0) {
          fallbackRow = last[q];
          break;
        }
      }
    }
    for (let t = 0; t < trials; t++) {
      if (rowsDrawn[t] === FALLBACK) rowsDrawn[t] = fallbackRow;
      else if (rowsDrawn[t] < 0) rowsDrawn[t] = picked[-1 - rowsDrawn[t]] >= 0 ? picked[-1 - rowsDrawn[t]] : fallbackRow;
    }
    for (let t = 0; t < trials; t++) candidates.set(row(rowsDrawn[t]), t * d);
    chunks.trials(candidates, trials, trialSums);
    potentials.fill(0);
    for (let q = 0; q < count; q++) for (let t = 0; t < trials; t++) potentials[t] += trialSums[q * trials + t];
    const best = lowestTrial(potentials, trials);
    if (best >= 0) {
      chosenOnce = true;
      centers.set(row(rowsDrawn[best]), c * d);
      chunks.update(row(rowsDrawn[best]), sums);
    } else {
      // No potential below Infinity (overflowing data: all infinite or NaN).
      // Kept as the plain loop had it: the last candidate stays as the centre
      // and `closest` keeps the last winner's distances (zeros if none yet).
      centers.set(row(rowsDrawn[trials - 1]), c * d);
      chunks.rescore(!chosenOnce, sums);
    }
    potential = total();
  }
  return centers;
}

/** One part's rows and per-row state, for {@link tsSeedChunks}. */
interface TsPart {
  readonly x: Float64Array;
  readonly weights: Float64Array | null;
  readonly n: number;
  readonly closest: Float64Array;
  readonly score: Float64Array;
}

/**
 * The per-row work in TypeScript, over rows in this thread's arrays: the
 * reference for every other {@link SeedChunks}, and the fallback. Parts are
 * cut into chunks as src/lloyd.ts `tsLloydChunks` does.
 */
export function tsSeedChunks(parts: readonly LloydRows[], d: number): SeedChunks {
  const held: TsPart[] = parts.map(({ matrix, weights }) => ({
    x: matrix.data,
    weights,
    n: matrix.rows,
    closest: new Float64Array(matrix.rows),
    score: new Float64Array(matrix.rows),
  }));
  /** Each chunk: its part, first and end rows, and the index of its first row among all rows. */
  const list: { p: TsPart; start: number; end: number; row: number }[] = [];
  let row = 0;
  for (const p of held) {
    for (let start = 0; start < p.n; start += CHUNK_ROWS) list.push({ p, start, end: Math.min(p.n, start + CHUNK_ROWS), row: row + start });
    row += p.n;
  }
  let all = new Int32Array(0);
  let dist = new Float64Array(0);

  /** closest = min(closest, D²(row, centre)) (or D² itself at the start), score, and each chunk's sum in row order. */
  const pass = (centre: Float64Array, first: boolean, out: Float64Array): void => {
    list.forEach(({ p, start, end }, c) => {
      let sum = 0;
      for (let i = start; i < end; i++) {
        const dd = distance2(p.x, i * d, centre, 0, d);
        const ci = first ? dd : Math.min(p.closest[i], dd);
        p.closest[i] = ci;
        const s = p.weights === null ? ci : p.weights[i] * ci;
        p.score[i] = s;
        sum += s;
      }
      out[c] = sum;
    });
  };

  return {
    chunks: list.length,
    start(centre: Float64Array, out: Float64Array): void {
      pass(centre, true, out);
    },
    update(centre: Float64Array, out: Float64Array): void {
      pass(centre, false, out);
    },
    rescore(clear: boolean, out: Float64Array): void {
      list.forEach(({ p, start, end }, c) => {
        let sum = 0;
        for (let i = start; i < end; i++) {
          if (clear) p.closest[i] = 0;
          const s = p.weights === null ? p.closest[i] : p.weights[i] * p.closest[i];
          p.score[i] = s;
          sum += s;
        }
        out[c] = sum;
      });
    },
    trials(candidates: Float64Array, trials: number, out: Float64Array): void {
      if (all.length < trials) all = Int32Array.from({ length: trials }, (_, t) => t);
      if (dist.length < trials) dist = new Float64Array(trials);
      list.forEach(({ p, start, end }, c) => {
        const o = c * trials;
        for (let t = 0; t < trials; t++) out[o + t] = 0;
        for (let i = start; i < end; i++) {
          distancesTo(p.x, i * d, candidates, all, trials, d, dist);
          const ci = p.closest[i];
          const w = p.weights === null ? 1 : p.weights[i];
          for (let t = 0; t < trials; t++) out[o + t] += w * Math.min(ci, dist[t]);
        }
      });
    },
    pick(chunk: Int32Array, target: Float64Array, prefix: Float64Array, out: Int32Array): void {
      for (let q = 0; q < chunk.length; q++) {
        const { p, start, end, row: first } = list[chunk[q]];
        out[q] = -1;
        let running = 0;
        for (let i = start; i < end; i++) {
          running += p.score[i];
          if (target[q] < prefix[q] + running) {
            out[q] = first + (i - start);
            break;
          }
        }
      }
    },
    lastPositive(out: Int32Array): void {
      list.forEach(({ p, start, end, row: first }, c) => {
        out[c] = -1;
        for (let i = end - 1; i >= start; i--) {
          if (p.score[i] > 0) {
            out[c] = first + (i - start);
            break;
          }
        }
      });
    },
    release(): void {},
  };
}
