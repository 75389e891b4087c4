/**
 * Reading model files: a strict, checking loader for the JSON that
 * `GaussianMixture.toJSON()` writes.
 */
import { MixemError, show } from './errors.js';
import { parseStart } from './init.js';
import { GaussianMixture, MODEL_FORMAT, MODEL_VERSION, type FitSettings } from './model.js';
import { COVARIANCE_TYPES, INIT_METHODS, type CovarianceType, type Recovery } from './types.js';

function fail(message: string): never {
  throw new MixemError('invalid-model', `model file: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Loads a model from its JSON text or parsed object. Checks the format tag,
 * the version, every shape, finiteness and positive-definiteness. A file with
 * only `format`, `version`, `covariance`, `weights`, `means` and `covariances`
 * is valid (a start file); its log-likelihood is then null.
 *
 * @throws MixemError `invalid-model` saying what is wrong.
 * @example
 * ```ts
 * const text = JSON.stringify(fit(data, { components: 2 }));
 * const model = loadModel(text);
 * ```
 */
export function loadModel(input: string | object): GaussianMixture {
  let file: unknown = input;
  if (typeof input === 'string') {
    try {
      file = JSON.parse(input);
    } catch (error) {
      fail(`not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isRecord(file)) fail(`must be a JSON object; got ${show(file)}`);
  if (file.format !== MODEL_FORMAT) fail(`format must be ${JSON.stringify(MODEL_FORMAT)}; got ${show(file.format)}`);
  if (file.version !== MODEL_VERSION) fail(`version must be ${MODEL_VERSION}; got ${show(file.version)} (this mixem reads version ${MODEL_VERSION} only)`);
  const covariance = file.covariance as CovarianceType;
  if (!COVARIANCE_TYPES.includes(covariance)) fail(`covariance must be one of ${COVARIANCE_TYPES.join(', ')}; got ${show(file.covariance)}`);
  if (!Array.isArray(file.weights) || file.weights.length === 0) fail('weights must be a non-empty array of numbers');
  if (!Array.isArray(file.means) || !Array.isArray(file.means[0])) fail('means must be an array of K arrays of D numbers');
  const k = (file.weights as unknown[]).length;
  const d = (file.means[0] as unknown[]).length;
  if (d === 0) fail('means[0] is empty: the model needs at least one dimension');
  if (file.components !== undefined && file.components !== k) fail(`components is ${show(file.components)} but weights has ${k} values`);
  if (file.dimensions !== undefined && file.dimensions !== d) fail(`dimensions is ${show(file.dimensions)} but means[0] has ${d} values`);
  if (file.covariances === undefined) fail('covariances is missing');

  let start;
  try {
    start = parseStart(
      { weights: file.weights as number[], means: file.means as number[][], covariances: file.covariances as number[] },
      k,
      d,
      covariance,
    );
  } catch (error) {
    if (error instanceof MixemError) fail(error.message.replace(/^start /, ''));
    throw error;
  }

  const converged = optional(file, 'converged', 'a boolean', (v) => typeof v === 'boolean') ?? false;
  const iterations = optional(file, 'iterations', 'a non-negative integer', (v) => Number.isInteger(v) && (v as number) >= 0) ?? 0;
  const logLikelihood = optional(file, 'logLikelihood', 'a finite number or null', (v) => v === null || Number.isFinite(v)) ?? null;
  const history =
    optional(file, 'history', 'an array of finite numbers', (v) => Array.isArray(v) && v.every((x) => Number.isFinite(x))) ?? [];
  const warnings = optional(file, 'warnings', 'an array of strings', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string')) ?? [];
  const recoveries = optional(file, 'recoveries', 'an array of recovery records', (v) => Array.isArray(v) && v.every(isRecovery)) ?? [];
  const settings = optional(file, 'options', 'an object of fit options or null', (v) => v === null || isSettings(v)) ?? null;

  return new GaussianMixture(
    { covariance, k, d, weights: start.weights!, means: start.means!, covariances: start.covariances! },
    {
      converged: converged as boolean,
      iterations: iterations as number,
      logLikelihood: logLikelihood as number | null,
      history: history as number[],
      warnings: warnings as string[],
      recoveries: recoveries as Recovery[],
      settings: settings as FitSettings | null,
    },
  );
}

/** An optional field: undefined if absent, the value if valid, otherwise an error. */
function optional(file: Record<string, unknown>, key: string, expected: string, valid: (v: unknown) => boolean): unknown {
  const value = file[key];
  if (value === undefined) return undefined;
  if (!valid(value)) fail(`${key} must be ${expected}; got ${show(value)}`);
  return value;
}

function isRecovery(v: unknown): boolean {
  return (
    isRecord(v) &&
    Number.isInteger(v.restart) &&
    Number.isInteger(v.iteration) &&
    Number.isInteger(v.component) &&
    (v.reason === 'empty' || v.reason === 'singular-covariance') &&
    Number.isFinite(v.softCount) &&
    Number.isInteger(v.row)
  );
}

function isSettings(v: unknown): boolean {
  return (
    isRecord(v) &&
    Number.isInteger(v.components) &&
    COVARIANCE_TYPES.includes(v.covariance as CovarianceType) &&
    INIT_METHODS.includes(v.init as (typeof INIT_METHODS)[number]) &&
    (v.start === null || v.start === 'explicit') &&
    Number.isInteger(v.restarts) &&
    Number.isInteger(v.maxIterations) &&
    Number.isFinite(v.tolerance) &&
    Number.isFinite(v.regularization) &&
    Number.isFinite(v.seed) &&
    typeof v.weighted === 'boolean' &&
    (v.acceleration === undefined || v.acceleration === 'none' || v.acceleration === 'squarem') &&
    (v.labelledRows === undefined || (Number.isInteger(v.labelledRows) && (v.labelledRows as number) >= 0)) &&
    (v.missingValues === undefined || (Number.isInteger(v.missingValues) && (v.missingValues as number) >= 0))
  );
}
