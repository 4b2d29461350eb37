/**
 * The engine's public surface: the one module the front ends (src/worker, src/cli, src/node)
 * import. Everything else under src/engine is internal and may be reshaped freely as long as
 * these names keep their meaning; test/unit/architecture.test.ts refuses deep imports from
 * outside the engine (tests and benchmarks may still reach inside to check the parts).
 *
 * Names are listed one by one, not with `export *`, so that growing the surface is a decision
 * visible in review. The bundles stay lean: esbuild drops what a front end does not use.
 */

// Tensors, randomness, kernels
export { addAt, mulAt, divAt } from './elements';
export { Tensor, ShapeError, type Shape } from './tensor';
export { Rng, type RngState } from './random';
export {
  backend,
  backendStatus,
  selectBackend,
  setBackend,
  setComputeThreads,
  threadStatus,
  type BackendChoice,
  type BackendStatus,
  type ThreadStatus,
} from './kernels/activeBackend';
export type { HelperData, SpawnedThread, ThreadSpawner, ThreadStart } from './kernels/computeThreads';
export type { Backend, DecodeKernels } from './kernels/backend';
export { residentBytes } from './kernels/resident';

// Models
export { Transformer, KvCache, type ForwardOptions, type ForwardResult, type CaptureOptions, type LayerCapture } from './nn/transformer';
export { classifySequence, pooledOutput, type SequenceClassification } from './nn/classifier';
export {
  ModelConfigError,
  validateModelConfig,
  headSize,
  isCausal,
  hasLmHead,
  NoLmHeadError,
  requireLmHead,
  type ModelConfig,
  type Architecture,
} from './models/config';
export { PRESETS, UnknownPresetError, getPreset, presetConfig, type Preset, type PresetName } from './models/presets';
export { paramSpec, parameterCount, type ParamSpec } from './models/paramSpec';
export { weightMemory, type HalfBits, type HalfDtype, type WeightMemory } from './half';

// Tokenizers
export type { Tokenizer, TokenizerKind, Encoding, EncodeOptions, TokenSpan } from './tokenizer/tokenizer';
export { CharTokenizer, CharTokenizerError } from './tokenizer/charTokenizer';
export { Llama2cTokenizer, Llama2cTokenizerError } from './tokenizer/llama2cTokenizer';
export { tokenizerFromJson, TokenizerJsonError } from './tokenizer/fromJson';
export { IdsOnlyTokenizer, NoTokenizerError } from './tokenizer/idsOnly';
export { readableLabel } from './tokenizer/utf8';
export { TokenTextStream } from './tokenizer/textStream';

// Checkpoints
export { CheckpointError, SafetensorsError, quote, describeValue } from './checkpoint/errors';
export { runParseSteps, type ParseProgress, type ParseStep, type ParseSteps } from './checkpoint/parseSteps';
export { MAX_HEADER_BYTES, parseSafetensors, type SafetensorsFile } from './checkpoint/safetensors';
export {
  NATIVE_FORMAT,
  serializeCheckpoint,
  parseCheckpoint,
  nativeParseSteps,
  isNativeCheckpoint,
  type NativeCheckpoint,
  type NativeParseOptions,
  type TrainingSnapshot,
} from './checkpoint/native';
export { Llama2cError, parseLlama2cCheckpoint, llama2cParseSteps, readLlama2cHeader, type Llama2cParseOptions } from './checkpoint/llama2c';
export {
  HuggingFaceError,
  parseHuggingFaceModel,
  parseHfConfig,
  SUPPORTED_MODEL_TYPES,
  type HfModel,
  type HfImportOptions,
  type HfConfig,
} from './checkpoint/huggingface';

// Training and inference
export { Trainer, type StepMetrics, type EvalMetrics, type TrainResult, type TrainHooks, type StopReason, type CancellationFlag } from './train/trainer';
export { resolveTrainOptions, TrainOptionsError, DEFAULT_TRAIN_OPTIONS, type TrainOptions } from './train/options';
export { DatasetError } from './train/data';
export { dataFingerprint, sameData, type DataFingerprint } from './train/fingerprint';
export { checkResumable, optionConflicts, ResumeError } from './train/resume';
export { SnapshotRecorder, headSnapshot, PROBE_TOKENS, SNAPSHOT_LIMIT, type HeadSnapshot, type SnapshotsRecord } from './train/snapshots';
export { estimateTrainingBytes, formatBytes } from './train/memory';
export { ValidationBest, bestCheckpointPath } from './train/validationBest';
export { generate, GenerateError, generationLimit, type GenerateOptions } from './inference/generate';
export { generationSteps, type GenerationStep, type GenerationStepOptions, type GenerationEnd } from './inference/generationSteps';
export { Decoder } from './inference/decoder';

// Analysis
export { HEAD_KINDS, HeadPatternError, type HeadKind } from './analysis/patterns';
export { summarizeHeads, strongestKind, type HeadSummary } from './analysis/headSummary';
export { headVectors, headOutput, type HeadVectors, type HeadShape } from './analysis/headVectors';
export { rolloutRows, attentionRollout, layerMatrices, type RolloutOptions, type HeadFusion } from './analysis/rollout';
export { attentionFlowRowSteps, FlowTooLargeError, FLOW_ROW_MAX_TOKENS, type FlowRow } from './analysis/flow';
export { repeatedRandomTokens, repeatedTokenScores, secondHalfLoss } from './analysis/repeatedTokens';
export { headKindScores, detectHead, type Detection, type ScoreMethod } from './analysis/headScores';
export { rulePattern, type PatternRule } from './analysis/rulePatterns';
export { surprisalAndPredictions, meanSurprisal, type SurprisalResult } from './analysis/surprisal';
export { logitLens, type LogitLensResult } from './analysis/logitLens';
export { ablateHeads, HeadRefError, type AblationMode, type HeadRef, type AblationResult } from './analysis/headAblation';
export { ablationSweep, ablationSweepSteps, type SweepResult } from './analysis/ablationSweep';
export { runPasses, type PassCount, type PassSteps } from './analysis/passes';
export { valueWeightedAttention, type ValueWeightedResult } from './analysis/valueWeighted';
export {
  integratedGradients,
  integratedGradientsSteps,
  gradientTimesInput,
  gradientTimesInputSteps,
  AttributionTargetError,
  type AttributionMethod,
  type AttributionOptions,
  type AttributionResult,
} from './analysis/attribution';
export { checkPosition, checkPredictingPosition, PositionError } from './analysis/positionError';
