/**
 * A model's shape and family, as plain data. One config type describes every model the
 * engine runs, from the tutorial's one-layer `seed` model to GPT-2 and Llama checkpoints;
 * the transformer reads the flags instead of having one class per family.
 * validateModelConfig() is the gate for configs read from files (untrusted).
 */

import type { AttentionMode } from '../ops/attention';
import type { RopeStyle } from '../ops/rope';

/** The family, for people (info, status bar); the maths follows the flags below, not this name. */
export type Architecture = 'seed' | 'gpt' | 'llama' | 'gpt_neox' | 'qwen2' | 'bert';
export type NormKind = 'layernorm' | 'rmsnorm' | 'none';
export type PositionalKind = 'learned' | 'rope' | 'none';
export type MlpKind = 'gelu' | 'swiglu' | 'none';

export interface ModelConfig {
  readonly architecture: Architecture;
  readonly vocabSize: number;
  /** Longest sequence the model accepts (size of the learned position table). */
  readonly contextLength: number;
  readonly dModel: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  /** Hidden width of the MLP (0 when mlp is 'none'). */
  readonly mlpHidden: number;
  readonly norm: NormKind;
  readonly normEps: number;
  readonly positional: PositionalKind;
  readonly ropeTheta: number;
  readonly ropeStyle: RopeStyle;
  readonly mlp: MlpKind;
  /** Biases on linear layers and norms. */
  readonly bias: boolean;
  /** The output projection reuses the token-embedding matrix. */
  readonly tiedEmbeddings: boolean;
  readonly attentionMode: AttentionMode;
  readonly dropout: number;
  // Family variants (modelVariants.ts). Absent means the decoder behaviour every older config
  // and checkpoint has, so those stay valid unchanged.
  /** Queries see only earlier keys (decoders). false: every token sees every token (BERT). Absent = true. */
  readonly causal?: boolean;
  /** Leading dimensions of each head that RoPE rotates (GPT-NeoX rotary_pct). Absent = the whole head. */
  readonly rotaryDims?: number;
  /** x + attn(norm1(x)) + mlp(norm2(x)) in one step (GPT-NeoX/Pythia). Absent = false (sequential). */
  readonly parallelResidual?: boolean;
  /** 'pre' (GPT-2, Llama) or 'post' (BERT: norm after each residual add, and on the embeddings). Absent = 'pre'. */
  readonly normPlacement?: 'pre' | 'post';
  /** GELU form: 'tanh' (GPT-2's gelu_new) or 'erf' (exact: BERT, GPT-NeoX). Absent = 'tanh'. */
  readonly gelu?: 'tanh' | 'erf';
  /** Biases on the q/k/v projections regardless of `bias` (Qwen2). Absent = `bias`. */
  readonly qkvBias?: boolean;
  /** A bias on the LM head. Absent = `bias`. */
  readonly headBias?: boolean;
  /** false: no LM head at all (a bare encoder); forward's logits are then [B, T, 0]. Absent = true. */
  readonly lmHead?: boolean;
  /** Segment (token-type) embeddings rows (BERT type_vocab_size). Absent or 0 = none. */
  readonly tokenTypes?: number;
  /**
   * BERT's masked-LM head before the (tied) output projection: dense → GELU → LayerNorm, and a
   * bias on the logits. Absent = false.
   */
  readonly mlmHead?: boolean;
  /** BERT's pooler: tanh(dense(hidden of the first token)). Absent = false. */
  readonly pooler?: boolean;
  /** Sequence-classification labels (id → name, config.json id2label); a classifier reads the pooled output. Absent = none. */
  readonly labels?: readonly string[];
}

export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

const ARCHITECTURES: readonly Architecture[] = ['seed', 'gpt', 'llama', 'gpt_neox', 'qwen2', 'bert'];
const NORMS: readonly NormKind[] = ['layernorm', 'rmsnorm', 'none'];
const POSITIONALS: readonly PositionalKind[] = ['learned', 'rope', 'none'];
const MLPS: readonly MlpKind[] = ['gelu', 'swiglu', 'none'];

/** Checks an untrusted value field by field; returns a config or throws naming the bad field. */
export function validateModelConfig(raw: unknown): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelConfigError(`model config must be an object, got ${describe(raw)}`);
  const r = raw as Record<string, unknown>;
  const int = (key: string, min: number, max: number): number => {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ModelConfigError(`model config field "${key}" must be an integer in [${min}, ${max}], got ${describe(v)}`);
    }
    return v;
  };
  const num = (key: string, min: number, max: number): number => {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new ModelConfigError(`model config field "${key}" must be a number in [${min}, ${max}], got ${describe(v)}`);
    }
    return v;
  };
  const oneOf = <T extends string>(key: string, options: readonly T[]): T => {
    const v = r[key];
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
      throw new ModelConfigError(`model config field "${key}" must be one of ${options.join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  };
  const bool = (key: string): boolean => {
    const v = r[key];
    if (typeof v !== 'boolean') throw new ModelConfigError(`model config field "${key}" must be true or false, got ${describe(v)}`);
    return v;
  };
  const config: ModelConfig = {
    architecture: oneOf('architecture', ARCHITECTURES),
    vocabSize: int('vocabSize', 1, 1 << 22),
    contextLength: int('contextLength', 1, 1 << 20),
    dModel: int('dModel', 1, 1 << 16),
    nLayers: int('nLayers', 1, 1024),
    nHeads: int('nHeads', 1, 1024),
    nKvHeads: int('nKvHeads', 1, 1024),
    mlpHidden: int('mlpHidden', 0, 1 << 18),
    norm: oneOf('norm', NORMS),
    normEps: num('normEps', 0, 1),
    positional: oneOf('positional', POSITIONALS),
    ropeTheta: num('ropeTheta', 1, 1e12),
    ropeStyle: oneOf('ropeStyle', ['interleaved', 'half'] as const),
    mlp: oneOf('mlp', MLPS),
    bias: bool('bias'),
    tiedEmbeddings: bool('tiedEmbeddings'),
    attentionMode: oneOf('attentionMode', ['soft', 'hard'] as const),
    dropout: num('dropout', 0, 0.99),
  };
  Object.assign(config, validateVariants(r, config));
  if (config.dModel % config.nHeads !== 0) throw new ModelConfigError(`dModel ${config.dModel} is not divisible by nHeads ${config.nHeads}`);
  if (config.nHeads % config.nKvHeads !== 0) throw new ModelConfigError(`nHeads ${config.nHeads} is not a multiple of nKvHeads ${config.nKvHeads}`);
  if (config.positional === 'rope' && (config.dModel / config.nHeads) % 2 !== 0)
    throw new ModelConfigError(`rotary positions need an even head size, got ${config.dModel / config.nHeads}`);
  if (config.mlp !== 'none' && config.mlpHidden < 1) throw new ModelConfigError(`an MLP of kind ${config.mlp} needs mlpHidden ≥ 1`);
  return config;
}

/** The optional family fields, checked when present (an absent one keeps its default). */
function validateVariants(r: Record<string, unknown>, config: ModelConfig): Partial<ModelConfig> {
  const out: Record<string, unknown> = {};
  const present = (key: string): boolean => r[key] !== undefined;
  const fail = (key: string, what: string): never => {
    throw new ModelConfigError(`model config field "${key}" must be ${what}, got ${describe(r[key])}`);
  };
  for (const key of ['causal', 'parallelResidual', 'qkvBias', 'headBias', 'lmHead', 'mlmHead', 'pooler']) {
    if (!present(key)) continue;
    if (typeof r[key] !== 'boolean') fail(key, 'true or false');
    out[key] = r[key];
  }
  const hs = config.dModel / config.nHeads;
  if (present('rotaryDims')) {
    const v = r.rotaryDims;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 2 || v > hs || v % 2 !== 0) fail('rotaryDims', `an even integer in [2, ${hs}] (the head size)`);
    out.rotaryDims = v;
  }
  if (present('normPlacement')) {
    if (r.normPlacement !== 'pre' && r.normPlacement !== 'post') fail('normPlacement', 'one of pre, post');
    out.normPlacement = r.normPlacement;
  }
  if (present('gelu')) {
    if (r.gelu !== 'tanh' && r.gelu !== 'erf') fail('gelu', 'one of tanh, erf');
    out.gelu = r.gelu;
  }
  if (present('tokenTypes')) {
    const v = r.tokenTypes;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1 << 16) fail('tokenTypes', 'an integer in [0, 65536]');
    out.tokenTypes = v;
  }
  if (present('labels')) {
    const v = r.labels;
    if (!Array.isArray(v) || v.length < 1 || v.length > 1 << 16 || !v.every((x) => typeof x === 'string' && x.length <= 1000))
      fail('labels', 'a non-empty array of label names');
    out.labels = [...(v as string[])];
  }
  if (out.labels !== undefined && out.pooler !== true)
    throw new ModelConfigError('a sequence classifier (labels) reads the pooled output: it needs pooler true');
  if (out.mlmHead === true && out.lmHead === false) throw new ModelConfigError('a masked-LM head (mlmHead) is an LM head: it contradicts lmHead false');
  return out;
}

/** Whether queries see only earlier keys (every decoder); false for encoders such as BERT. */
export function isCausal(config: ModelConfig): boolean {
  return config.causal !== false;
}

/** Whether the model has an LM head (next-token or masked-token logits). */
export function hasLmHead(config: ModelConfig): boolean {
  return config.lmHead !== false;
}

/** An analysis that reads token predictions, asked of a model without an LM head. */
export class NoLmHeadError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'NoLmHeadError';
  }
}

/**
 * Throws unless the model has an LM head: `what` (surprisal, an ablation's loss, attribution,
 * the logit lens) reads token predictions, and a bare encoder's or a classifier's forward gives
 * hidden states, not logits.
 */
export function requireLmHead(config: ModelConfig, what: string): void {
  if (!hasLmHead(config))
    throw new NoLmHeadError(
      `${what} reads the model's token predictions, and this model has no LM head (a bare encoder or a classifier): its output is hidden states`,
    );
}

export function headSize(config: ModelConfig): number {
  return config.dModel / config.nHeads;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (v === undefined) return 'nothing';
  // Not JSON.stringify: an untrusted value can be megabytes long or nested too deep for it.
  if (Array.isArray(v)) return `an array of ${v.length} items`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
