import { show } from '../errors.js';

/**
 * Reading and writing nested number arrays (scikit-learn's shapes) with
 * messages that point at the first bad element.
 */

/** Reads a vector of `length` finite numbers into out[offset ..]; returns an error message or null. */
export function readVector(value: unknown, length: number, path: string, out: Float64Array, offset: number): string | null {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) return `${path} must be an array of ${length} numbers`;
  const v = value as ArrayLike<unknown>;
  if (v.length !== length) return `${path} has length ${v.length}, expected ${length}`;
  for (let j = 0; j < length; j++) {
    const x = v[j];
    if (typeof x !== 'number' || !Number.isFinite(x)) return `${path}[${j}] is ${show(x)}, expected a finite number`;
    out[offset + j] = x;
  }
  return null;
}

/** Reads a rows×cols nested array into out[offset ..]; returns an error message or null. */
export function readMatrix(
  value: unknown,
  rows: number,
  cols: number,
  path: string,
  out: Float64Array,
  offset: number,
): string | null {
  if (!Array.isArray(value)) return `${path} must be an array of ${rows} rows`;
  if (value.length !== rows) return `${path} has ${value.length} rows, expected ${rows}`;
  for (let i = 0; i < rows; i++) {
    const problem = readVector(value[i], cols, `${path}[${i}]`, out, offset + i * cols);
    if (problem) return problem;
  }
  return null;
}

/** Checks that the d×d matrix at a[offset ..] is symmetric within 1e-8 relative; returns a message or null. */
export function checkSymmetric(a: Float64Array, offset: number, d: number, path: string): string | null {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const x = a[offset + i * d + j];
      const y = a[offset + j * d + i];
      const scale = Math.max(Math.abs(x), Math.abs(y), Number.MIN_VALUE);
      if (Math.abs(x - y) > 1e-8 * scale) return `${path} is not symmetric: [${i}][${j}] = ${x} but [${j}][${i}] = ${y}`;
    }
  }
  return null;
}

/** Slices a flat array into rows of `cols` plain numbers. */
export function toRows(a: Float64Array, offset: number, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from(a.subarray(offset + i * cols, offset + (i + 1) * cols)));
  return out;
}
