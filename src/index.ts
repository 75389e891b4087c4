/**
 * mixem: Gaussian mixture models fitted by Expectation–Maximization.
 * This file is the public API; it only re-exports.
 */
export { fit, fitAsync, fitting } from './fit.js';
export type { FitAsyncOptions } from './fit.js';
export type { FitOptions, StartSource } from './options.js';
export { referenceKernel } from './kernels/reference.js';
export { BLOCK_ROWS } from './kernels/kernel.js';
export type { Kernel, LoadedData, PackedParameters, SufficientStatistics, EvaluationOutputs } from './kernels/kernel.js';
export { GaussianMixture, MODEL_FORMAT, MODEL_VERSION } from './model.js';
export type { EvaluateOptions, FitDiagnostics, FitSettings, ModelFile, SampleResult, ScoreOptions } from './model.js';
export { loadModel } from './serialize.js';
export { kmeans } from './kmeans.js';
export type { KMeansOptions, KMeansResult, LloydResult } from './kmeans.js';
export { MixemError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { toMatrix, matrixRows } from './matrix.js';
export { Random } from './random.js';
export { COVARIANCE_TYPES, INIT_METHODS } from './types.js';
export type {
  Covariances,
  CovarianceType,
  DataInput,
  InitMethod,
  IterationInfo,
  Matrix,
  Recovery,
  StartParameters,
} from './types.js';
export { select } from './select.js';
export type { Criterion, SelectionEntry, SelectionResult, SelectOptions } from './select.js';
export { createWasmKernel, createWasmKernelSync, CHUNK_ROWS } from './kernels/wasm.js';
export type { WasmKernel, WasmKernelOptions, WasmPrecision, WasmVariant } from './kernels/wasm.js';
