/**
 * The one error type mixem throws. Every message says what is wrong, shows the
 * offending value, and where it can, the remedy.
 */

/**
 * Machine-readable error codes.
 * - `invalid-data`: the data matrix (shape, non-finite values, too few rows).
 * - `invalid-option`: an option of `fit`, `kmeans` or a model method.
 * - `invalid-start`: explicit start parameters (shapes, weights, positive-definiteness).
 * - `invalid-model`: a model file or object given to `loadModel`.
 * - `degenerate-component`: a component collapsed and could not be recovered.
 * - `numeric-overflow`: the data's scale makes the likelihood overflow.
 */
export type ErrorCode =
  | 'invalid-data'
  | 'invalid-option'
  | 'invalid-start'
  | 'invalid-model'
  | 'degenerate-component'
  | 'numeric-overflow';

/**
 * Error thrown by every mixem function. `code` tells the kind; `message` is
 * written for a person.
 *
 * @example
 * ```ts
 * try { fit([[1], [2]], { components: 3 }); }
 * catch (e) { if (e instanceof MixemError && e.code === 'invalid-data') console.log(e.message); }
 * ```
 */
export class MixemError extends Error {
  /** What kind of failure this is. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'MixemError';
    this.code = code;
  }
}

/** Formats a value for an error message: short, and unambiguous for strings. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a typed array of length ${(value as unknown as ArrayLike<number>).length}`;
  return typeof value;
}
