/**
 * The native checkpoint: one `.safetensors` file holding the model's parameters, and when
 * it was saved from training, the AdamW moments as tensors too (`optimizer.m.<name>`,
 * `optimizer.v.<name>`), so training resumes exactly. `__metadata__` (string → string)
 * carries JSON for the format name and version, the model config, the tokenizer, and the
 * training state (options, step, Rng state, metric history).
 *
 * Reading treats the file as untrusted: the container is validated by parseSafetensors,
 * every metadata field here, and every tensor shape against the config.
 */

import { validateModelConfig, type ModelConfig } from '../models/config';
import { paramSpec } from '../models/paramSpec';
import { Transformer } from '../nn/transformer';
import { Tensor } from '../tensor';
import { DEFAULT_TRAIN_OPTIONS, resolveTrainOptions, type TrainOptions } from '../train/options';
import type { DataFingerprint } from '../train/fingerprint';
import type { SnapshotsRecord } from '../train/snapshots';
import { snapshotTensors, parseSnapshots, SNAPSHOT_TENSORS } from './nativeSnapshots';
import type { EvalMetrics, StepMetrics, TrainerState } from '../train/trainer';
import { CheckpointError, describeValue, quote } from './errors';
import { checkFiniteTensors, finiteCheckSteps } from './finite';
import { runParseSteps, type ParseProgress, type ParseSteps } from './parseSteps';
import { parseSafetensors, readTensorF32, type SafetensorsFile } from './safetensors';
import { serializeSafetensors, type TensorToWrite } from './safetensorsWriter';

export const NATIVE_FORMAT = 'attention-lens';
export const NATIVE_FORMAT_VERSION = '1';

export interface TrainingSnapshot {
  readonly options: TrainOptions;
  readonly state: TrainerState;
  /** The ids the run trains on (absent in checkpoints written before resume checked the text). */
  readonly data?: DataFingerprint | null;
  /** Head snapshots taken while training (absent when none were recorded). */
  readonly snapshots?: SnapshotsRecord | null;
}

export interface NativeCheckpoint {
  readonly model: Transformer;
  /** The tokenizer's own JSON description (validated by the tokenizer that reads it). */
  readonly tokenizer: unknown;
  readonly training: TrainingSnapshot | null;
}

export function serializeCheckpoint(model: Transformer, tokenizer: unknown, training: TrainingSnapshot | null): Uint8Array {
  const tensors: TensorToWrite[] = model.spec.map((s) => ({ name: s.name, shape: s.shape, data: model.params.get(s.name)!.data }));
  const metadata: Record<string, string> = {
    format: NATIVE_FORMAT,
    format_version: NATIVE_FORMAT_VERSION,
    model_config: JSON.stringify(model.config),
    tokenizer: JSON.stringify(tokenizer),
  };
  if (training) {
    const { optimizer, ...rest } = training.state;
    model.spec.forEach((s, i) => {
      tensors.push({ name: `optimizer.m.${s.name}`, shape: s.shape, data: optimizer.m[i]! });
      tensors.push({ name: `optimizer.v.${s.name}`, shape: s.shape, data: optimizer.v[i]! });
    });
    metadata.training = JSON.stringify({
      options: training.options,
      step: rest.step,
      rng: rest.rng,
      history: rest.history,
      optimizer_t: optimizer.t,
      ...(training.data ? { data: training.data } : {}),
    });
    if (training.snapshots && training.snapshots.list.length > 0) {
      const { tensors: extra, meta } = snapshotTensors(model.config, training.snapshots);
      tensors.push(...extra);
      metadata.snapshots = meta;
    }
  }
  return serializeSafetensors(tensors, metadata);
}

/** True when the bytes look like one of our checkpoints (safetensors with our format tag). */
export function isNativeCheckpoint(file: SafetensorsFile): boolean {
  return file.metadata.format === NATIVE_FORMAT;
}

export interface NativeParseOptions {
  /**
   * The model takes `bytes` as its storage: aligned float32 tensors stay views of them (no
   * copy; read into residentBytes(), the kernels use them in place). The caller hands the
   * bytes over and must not change them. Default: every tensor is copied.
   */
  readonly adopt?: boolean;
  /** The check of the parameters for non-finite values, then the rest (training state, snapshots, the model). */
  readonly onProgress?: ParseProgress;
}

export function parseCheckpoint(bytes: Uint8Array, options: NativeParseOptions = {}): NativeCheckpoint {
  return runParseSteps(nativeParseSteps(bytes, options), options.onProgress);
}

/** parseCheckpoint as steps (finite.ts): the container, metadata and shapes at the first step, the parameters' check tensor by tensor, then the rest. */
export function* nativeParseSteps(bytes: Uint8Array, options: Omit<NativeParseOptions, 'onProgress'> = {}): ParseSteps<NativeCheckpoint> {
  const file = parseSafetensors(bytes);
  const owner = options.adopt ? bytes : null;
  if (file.metadata.format !== NATIVE_FORMAT) {
    const found = file.metadata.format === undefined ? 'no "format" entry in its metadata' : `format ${quote(file.metadata.format)}`;
    throw new CheckpointError(
      `this safetensors file is not an Attention Lens checkpoint (${found}); for a Hugging Face model, open its folder with config.json`,
    );
  }
  if (file.metadata.format_version !== NATIVE_FORMAT_VERSION) {
    throw new CheckpointError(
      `checkpoint format version ${quote(file.metadata.format_version)} is not supported (this version reads ${NATIVE_FORMAT_VERSION})`,
    );
  }
  const config = validateModelConfig(parseJsonField(file, 'model_config'));
  const tokenizer = parseJsonField(file, 'tokenizer');
  const params = new Map<string, Tensor>();
  for (const s of paramSpec(config)) params.set(s.name, readParam(file, s.name, s.shape, 'parameter', owner));
  yield* finiteCheckSteps(params, 'parameter');
  yield { phase: 'build', done: 0, total: 1 };
  const parsed = file.metadata.training === undefined ? null : parseTraining(file, config);
  const snapshots = parsed && file.metadata.snapshots !== undefined ? parseSnapshots(file, config) : null;
  const training = parsed && snapshots ? { ...parsed, snapshots } : parsed;
  checkNoLeftovers(file, config, training !== null, snapshots !== null);
  const model = new Transformer(config, params);
  yield { phase: 'build', done: 1, total: 1 };
  return { model, tokenizer, training };
}

/**
 * Every tensor in the file must be one the config asks for: a norm weight in a file whose config
 * says `norm: "none"`, or position embeddings with `positional: "rope"`, mean the metadata
 * contradicts the weights (the Hugging Face importer refuses left-overs the same way).
 */
function checkNoLeftovers(file: SafetensorsFile, config: ModelConfig, training: boolean, snapshots: boolean): void {
  const expected = new Set<string>(snapshots ? SNAPSHOT_TENSORS : []);
  for (const p of paramSpec(config)) {
    expected.add(p.name);
    if (training) {
      expected.add(`optimizer.m.${p.name}`);
      expected.add(`optimizer.v.${p.name}`);
    }
  }
  const left = [...file.tensors.keys()].filter((n) => !expected.has(n));
  if (left.length > 0) {
    const shown = left
      .slice(0, 5)
      .map((n) => quote(n))
      .join(', ');
    throw new CheckpointError(
      `checkpoint holds ${left.length} tensor${left.length === 1 ? '' : 's'} its model config (norm ${quote(config.norm)}, positional ${quote(config.positional)}, mlp ${quote(config.mlp)}, ${config.nLayers} layers${training ? '' : ', no training state'}) does not use: ${shown}${left.length > 5 ? ', …' : ''}; the metadata contradicts the weights`,
    );
  }
}

function readParam(file: SafetensorsFile, name: string, shape: readonly number[], what: string, owner: Uint8Array | null = null): Tensor {
  if (!file.tensors.has(name)) throw new CheckpointError(`checkpoint is missing ${what} "${name}" [${shape.join(', ')}]`);
  const t = readTensorF32(file, name);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new CheckpointError(`${what} "${name}" is [${t.shape.join(', ')}] in the file, the model config needs [${shape.join(', ')}]`);
  }
  // Own the data (the file's bytes may be a view the caller reuses), unless the caller handed them over.
  if (owner && t.data.buffer === owner.buffer) return new Tensor(t.data, shape, true, owner);
  return new Tensor(Float32Array.from(t.data), shape, true);
}

function parseJsonField(file: SafetensorsFile, key: string): unknown {
  const raw = file.metadata[key];
  if (raw === undefined) throw new CheckpointError(`checkpoint metadata has no "${key}" entry`);
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new CheckpointError(`checkpoint metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
}

function parseTraining(file: SafetensorsFile, config: ModelConfig): TrainingSnapshot {
  const raw = parseJsonField(file, 'training');
  const bad = (what: string): never => {
    throw new CheckpointError(`checkpoint training state: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const r = raw as Record<string, unknown>;
  const rawOptions = (r.options ?? {}) as Record<string, unknown>;
  // Only numbers reach resolveTrainOptions, whose messages print the value as is.
  for (const key of Object.keys(DEFAULT_TRAIN_OPTIONS)) {
    const v = rawOptions[key];
    if (v !== undefined && typeof v !== 'number') return bad(`options.${key} must be a number, got ${describeValue(v)}`);
  }
  let options: TrainOptions;
  try {
    options = resolveTrainOptions(rawOptions);
  } catch (e) {
    return bad((e as Error).message);
  }
  const step = r.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) return bad(`step must be a non-negative integer, got ${describeValue(step)}`);
  if (step > options.steps) return bad(`step ${step} is beyond the run's ${options.steps} steps`);
  const t = r.optimizer_t;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) return bad(`optimizer_t must be a non-negative integer, got ${describeValue(t)}`);
  const rng = r.rng as { s?: unknown; spare?: unknown } | undefined;
  const s = rng?.s;
  if (!Array.isArray(s) || s.length !== 4 || !s.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32))
    return bad('rng.s must be four 32-bit unsigned integers');
  // xoshiro's one forbidden state: from all zeros it yields zeros forever.
  if (s.every((x) => x === 0)) return bad('rng.s is all zeros, which is not a valid generator state');
  const spare = rng?.spare;
  if (spare !== null && typeof spare !== 'number') return bad('rng.spare must be a number or null');
  const history = r.history as { steps?: unknown; evals?: unknown } | undefined;
  const steps = metricList<StepMetrics>(history?.steps, ['step', 'loss', 'lr', 'gradNorm', 'tokensPerSecond', 'elapsedMs'], bad);
  const evals = metricList<EvalMetrics>(history?.evals, ['step', 'valLoss', 'valAccuracy', 'valPerplexity'], bad);
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (const p of paramSpec(config)) {
    const mi = readParam(file, `optimizer.m.${p.name}`, p.shape, 'optimizer moment').data;
    const vi = readParam(file, `optimizer.v.${p.name}`, p.shape, 'optimizer moment').data;
    checkFiniteTensors(
      [
        [`optimizer.m.${p.name}`, { data: mi }],
        [`optimizer.v.${p.name}`, { data: vi }],
      ],
      'optimizer moment',
    );
    // The second moment is a running mean of squares: a negative one makes √v NaN on the next step.
    const negative = vi.findIndex((x) => x < 0);
    if (negative >= 0)
      return bad(`optimizer moment "optimizer.v.${p.name}" is negative at index ${negative} (${vi[negative]}); second moments are never negative`);
    m.push(mi);
    v.push(vi);
  }
  const data = r.data === undefined ? null : parseData(r.data, bad);
  return {
    options,
    data,
    state: {
      step,
      rng: { s: s as unknown as [number, number, number, number], spare: spare as number | null },
      optimizer: { t, m, v },
      history: { steps, evals },
    },
  };
}

function parseData(raw: unknown, bad: (w: string) => never): DataFingerprint {
  const d = raw as { tokens?: unknown; hash?: unknown } | null;
  if (typeof d !== 'object' || d === null) return bad('data must be an object');
  if (typeof d.tokens !== 'number' || !Number.isInteger(d.tokens) || d.tokens < 0)
    return bad(`data.tokens must be a non-negative integer, got ${describeValue(d.tokens)}`);
  if (typeof d.hash !== 'string' || !/^[0-9a-f]{16}$/.test(d.hash)) return bad(`data.hash must be 16 hex digits, got ${describeValue(d.hash)}`);
  return { tokens: d.tokens, hash: d.hash };
}

function metricList<T>(raw: unknown, keys: readonly string[], bad: (w: string) => never): T[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return bad('history must hold arrays');
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) return bad('history entries must be objects');
    for (const k of keys) {
      const v = (item as Record<string, unknown>)[k];
      // JSON turns NaN/Infinity into null; keep them as NaN rather than refusing the file.
      if (v !== null && typeof v !== 'number') return bad(`history entry field "${k}" must be a number`);
    }
  }
  return raw.map((item: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, item[k] === null ? NaN : item[k]])) as T);
}
