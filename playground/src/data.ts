/**
 * The data the page works on: the bundled data sets, the synthetic jelly
 * beans, points added by hand, and the subsample that is drawn.
 */
import faithfulCsv from '../../data/faithful.csv?raw';
import irisCsv from '../../data/iris.csv?raw';
import { parseCsv, type Table } from './csv';

/** A growable numeric table with the columns to plot by default. */
export interface Dataset {
  /** Shown in the page and written to the model file's `training.source`. */
  source: string;
  columns: string[];
  /** Row-major values; its length is a capacity, only `rows × columns.length` are used. */
  values: Float64Array;
  rows: number;
  /** Rows read or generated; rows past this were added by hand. */
  readonly originalRows: number;
  /** Default plotted columns (indices into `columns`). */
  readonly plot: readonly [number, number];
  /** Text columns that were left out of a CSV file. */
  readonly skipped: readonly string[];
}

/** The bundled choices of the data set menu. */
export const BUNDLED = [
  { id: 'faithful', label: 'Old Faithful (272 eruptions)' },
  { id: 'iris', label: 'Iris (150 flowers, 4 measurements)' },
  { id: 'beans', label: 'Jelly beans (300, three bags)' },
  { id: 'beans-100k', label: 'Jelly beans (100 000, three bags)' },
] as const;

export type BundledId = (typeof BUNDLED)[number]['id'];

/** Wraps a parsed table as a data set. */
export function fromTable(table: Table, plot: readonly [number, number] = [0, 1]): Dataset {
  return {
    source: table.source,
    columns: table.columns,
    values: table.values,
    rows: table.rows,
    originalRows: table.rows,
    plot,
    skipped: table.skipped,
  };
}

/** Loads a bundled data set. */
export function bundled(id: BundledId): Dataset {
  switch (id) {
    case 'faithful':
      return fromTable(parseCsv(faithfulCsv, 'faithful.csv'));
    case 'iris': {
      const table = parseCsv(irisCsv, 'iris.csv');
      return fromTable(table, [table.columns.indexOf('petal_length'), table.columns.indexOf('petal_width')]);
    }
    case 'beans':
      return jellyBeans(300, 1);
    case 'beans-100k':
      return jellyBeans(100_000, 1);
  }
}

/** A small deterministic random stream (mulberry32) with normal draws. */
export class Stream {
  #state: number;
  #spare = NaN;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform number in [0, 1). */
  uniform(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A standard normal number (Box–Muller, polar form). */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const v = this.#spare;
      this.#spare = NaN;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.#spare = v * f;
        return u * f;
      }
    }
  }
}

/**
 * The three bags of jelly beans, as measured by someone who cannot taste them:
 * length (mm) and weight (g), correlated within each bag, overlapping between
 * bags. The long bag's beans are slender: by weight alone they blend with the
 * middle bag, so both measurements are needed to tell the bags apart.
 */
const BAGS = [
  { share: 0.4, length: [15.0, 0.9], weight: [1.15, 0.1], correlation: 0.6 },
  { share: 0.35, length: [18.5, 1.0], weight: [1.3, 0.14], correlation: 0.5 },
  { share: 0.25, length: [12.5, 0.8], weight: [0.7, 0.08], correlation: 0.3 },
] as const;

/** `count` jelly beans from the three bags, always the same for the same seed. */
export function jellyBeans(count: number, seed: number): Dataset {
  const rng = new Stream(seed);
  const values = new Float64Array(count * 2);
  for (let i = 0; i < count; i++) {
    let u = rng.uniform();
    let bag = BAGS[BAGS.length - 1];
    for (const b of BAGS) {
      if (u < b.share) {
        bag = b;
        break;
      }
      u -= b.share;
    }
    const z1 = rng.normal();
    const z2 = rng.normal();
    const r = bag.correlation;
    values[2 * i] = round(bag.length[0] + bag.length[1] * z1, 100);
    values[2 * i + 1] = round(bag.weight[0] + bag.weight[1] * (r * z1 + Math.sqrt(1 - r * r) * z2), 1000);
  }
  const label = count >= 1000 ? `${count / 1000}k` : String(count);
  return { source: `jelly-beans-${label}.csv`, columns: ['length_mm', 'weight_g'], values, rows: count, originalRows: count, plot: [0, 1], skipped: [] };
}

function round(v: number, scale: number): number {
  return Math.round(v * scale) / scale;
}

/** Appends a row, growing the buffer by doubling. */
export function addRow(data: Dataset, row: ArrayLike<number>): void {
  const d = data.columns.length;
  if ((data.rows + 1) * d > data.values.length) {
    const grown = new Float64Array(Math.max(16 * d, data.values.length * 2));
    grown.set(data.values.subarray(0, data.rows * d));
    data.values = grown;
  }
  for (let j = 0; j < d; j++) data.values[data.rows * d + j] = row[j];
  data.rows++;
}

/** The chosen columns of every row, as a fresh row-major array (what the worker fits). */
export function selectColumns(data: Dataset, columns: readonly number[]): Float64Array {
  const d = data.columns.length;
  const out = new Float64Array(data.rows * columns.length);
  for (let i = 0; i < data.rows; i++) {
    for (let c = 0; c < columns.length; c++) out[i * columns.length + c] = data.values[i * d + columns[c]];
  }
  return out;
}

/** Most points drawn; more are subsampled so that drawing stays fast. */
export const MAX_DRAWN = 5000;

/**
 * Which rows are drawn: all when there are at most {@link MAX_DRAWN}, else a
 * fixed random subset of the original rows plus every row added by hand.
 */
export function drawnRows(data: Dataset): Int32Array {
  const base = data.originalRows;
  const added = data.rows - base;
  if (base <= MAX_DRAWN) return Int32Array.from({ length: data.rows }, (_, i) => i);
  // Floyd's algorithm: MAX_DRAWN distinct rows of [0, base), then sorted.
  const rng = new Stream(12345);
  const chosen = new Set<number>();
  for (let j = base - MAX_DRAWN; j < base; j++) {
    const t = Math.floor(rng.uniform() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  const rows = Int32Array.from(chosen).sort();
  const out = new Int32Array(rows.length + added);
  out.set(rows);
  for (let a = 0; a < added; a++) out[rows.length + a] = base + a;
  return out;
}

/** Min and max of a column over every row, padded by 6% each side. */
export function extent(data: Dataset, column: number): [number, number] {
  const d = data.columns.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.rows; i++) {
    const v = data.values[i * d + column];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const pad = hi > lo ? (hi - lo) * 0.06 : Math.max(Math.abs(lo) * 0.1, 1);
  return [lo - pad, hi + pad];
}

/**
 * The index of the drawn row nearest to (x, y) in the plotted columns, scaled
 * by the axis spans: an added point copies that row's other columns.
 */
export function nearestRow(data: Dataset, drawn: Int32Array, xColumn: number, yColumn: number, x: number, y: number, spans: [number, number]): number {
  const d = data.columns.length;
  let best = -1;
  let bestDistance = Infinity;
  for (const i of drawn) {
    const dx = (data.values[i * d + xColumn] - x) / spans[0];
    const dy = (data.values[i * d + yColumn] - y) / spans[1];
    const dist = dx * dx + dy * dy;
    if (dist < bestDistance) {
      bestDistance = dist;
      best = i;
    }
  }
  return best;
}
