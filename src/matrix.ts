/**
 * Conversion of user data to a contiguous row-major Float64Array, once, at
 * the boundary, with checks that name the offending row and column.
 */
import { MixemError, show } from './errors.js';
import type { DataInput, Matrix } from './types.js';

/**
 * Converts `number[][]` or `{ rows, cols, data }` to a {@link Matrix}, checking
 * the shape and that every value is finite. A Float64Array of the right length
 * is used as is (never modified); anything else is copied.
 *
 * @param name what to call the input in error messages (default "data").
 * @throws MixemError `invalid-data` naming the row and column at fault.
 */
export function toMatrix(input: DataInput, name = 'data', options: { missing?: boolean } = {}): Matrix {
  return convert(input, name, options.missing === true).matrix;
}

/** What {@link toMatrixWithMissing} gives. */
export interface CheckedMatrix {
  readonly matrix: Matrix;
  /** The number of missing values (NaN). */
  readonly missing: number;
  /** The largest |x| over the values present (0 when none is). */
  readonly largest: number;
}

/**
 * {@link toMatrix} with missing values (NaN) allowed, and their number and the
 * largest magnitude, found by the same pass that checks the values.
 */
export function toMatrixWithMissing(input: DataInput, name = 'data'): CheckedMatrix {
  return convert(input, name, true);
}

function convert(input: DataInput, name: string, missing: boolean): CheckedMatrix {
  if (input === null || typeof input !== 'object') {
    throw new MixemError('invalid-data', `${name} must be an array of rows or { rows, cols, data }; got ${show(input)}`);
  }
  let matrix: Matrix;
  if (Array.isArray(input)) {
    const rows = input.length;
    if (rows === 0) throw new MixemError('invalid-data', `${name} has no rows`);
    const first = input[0];
    if (!Array.isArray(first) && !ArrayBuffer.isView(first)) {
      throw new MixemError('invalid-data', `${name}[0] must be an array of numbers; got ${show(first)}`);
    }
    const cols = (first as ArrayLike<number>).length;
    const values = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = input[i] as unknown;
      if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
        throw new MixemError('invalid-data', `${name}[${i}] must be an array of numbers; got ${show(row)}`);
      }
      const r = row as ArrayLike<unknown>;
      if (r.length !== cols) {
        throw new MixemError(
          'invalid-data',
          `${name}[${i}] has ${r.length} values but ${name}[0] has ${cols}: every row needs the same number of columns`,
        );
      }
      for (let j = 0; j < cols; j++) {
        const v = r[j];
        if (typeof v !== 'number') {
          throw new MixemError('invalid-data', `${name}[${i}][${j}] is ${show(v)}, not a number`);
        }
        values[i * cols + j] = v;
      }
    }
    matrix = { rows, cols, data: values };
  } else {
    const { rows, cols, data } = input as { rows: unknown; cols: unknown; data: unknown };
    if (!Number.isInteger(rows) || (rows as number) < 0 || !Number.isInteger(cols) || (cols as number) < 0) {
      throw new MixemError('invalid-data', `${name}.rows and ${name}.cols must be non-negative integers; got ${show(rows)} and ${show(cols)}`);
    }
    if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
      throw new MixemError('invalid-data', `${name}.data must be an array or typed array of numbers; got ${show(data)}`);
    }
    const values = data as ArrayLike<number>;
    const r = rows as number;
    const c = cols as number;
    if (values.length !== r * c) {
      throw new MixemError('invalid-data', `${name}.data has ${values.length} values, but rows × cols = ${r} × ${c} = ${r * c}`);
    }
    if (r === 0) throw new MixemError('invalid-data', `${name} has no rows`);
    let copy: Float64Array;
    if (values instanceof Float64Array) {
      copy = values;
    } else {
      copy = new Float64Array(values.length);
      for (let q = 0; q < values.length; q++) {
        const v = values[q] as unknown;
        if (typeof v !== 'number') {
          throw new MixemError('invalid-data', `${name}[${Math.floor(q / c)}][${q % c}] is ${show(v)}, not a number`);
        }
        copy[q] = v;
      }
    }
    matrix = { rows: r, cols: c, data: copy };
  }
  if (matrix.cols === 0) throw new MixemError('invalid-data', `${name} has no columns`);
  return { matrix, ...checkFinite(matrix, name, missing) };
}

/**
 * Throws `invalid-data` at the first infinite value, or NaN unless NaN (a
 * missing value) is allowed; returns the number of NaN values and the
 * largest |x| of the others.
 */
function checkFinite(matrix: Matrix, name: string, missing: boolean): { missing: number; largest: number } {
  const { data, cols } = matrix;
  const length = data.length;
  // Fast path: v − v is 0 for every finite v and NaN for NaN and ±∞, so the
  // sum is 0 exactly when all values are finite. Only then is the per-value
  // search below, with its messages, skipped.
  let probe = 0;
  let largest = 0;
  for (let q = 0; q < length; q++) {
    const v = data[q];
    probe += v - v;
    const a = Math.abs(v);
    if (a > largest) largest = a;
  }
  if (probe === 0) return { missing: 0, largest };
  let count = 0;
  for (let q = 0; q < data.length; q++) {
    if (data[q] !== data[q]) count++;
    if (!Number.isFinite(data[q]) && !(missing && data[q] !== data[q])) {
      const i = Math.floor(q / cols);
      const j = q - i * cols;
      throw new MixemError(
        'invalid-data',
        missing
          ? `${name}[${i}][${j}] is ${show(data[q])}: values must be finite, or NaN where missing`
          : `${name}[${i}][${j}] is ${show(data[q])}: every value must be finite`,
      );
    }
  }
  // NaN takes no part in the largest |x| (comparisons with it are false).
  return { missing: count, largest };
}

/** A matrix's rows as plain arrays. */
export function matrixRows(matrix: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < matrix.rows; i++) out.push(Array.from(matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols)));
  return out;
}
