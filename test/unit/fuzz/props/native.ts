/**
 * Fuzz properties of the native checkpoint reader as the loaders use it: parseCheckpoint
 * (container, metadata JSON, model config, parameter shapes, training state and optimizer
 * moments) followed by tokenizerFromJson on the stored tokenizer. Inputs: byte mutations,
 * header JSON mutations and mutations of the JSON inside each metadata string, starting from
 * small checkpoints written by serializeCheckpoint (GPT-, Llama- and seed-style, with and
 * without training state).
 */

import fc from 'fast-check';
import { CheckpointError } from '../../../../src/engine/checkpoint/errors';
import { parseCheckpoint, serializeCheckpoint } from '../../../../src/engine/checkpoint/native';
import { ModelConfigError, type ModelConfig } from '../../../../src/engine/models/config';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { CharTokenizer, CharTokenizerError } from '../../../../src/engine/tokenizer/charTokenizer';
import { TokenizerJsonError, tokenizerFromJson } from '../../../../src/engine/tokenizer/fromJson';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import type { TrainerState } from '../../../../src/engine/train/trainer';
import {
  ReaderProbe,
  adversarialJsonText,
  joinSafetensors,
  jsonMutation,
  mutateJsonText,
  mutatedBytes,
  prop,
  splitSafetensors,
  type PropertySet,
} from '../harness';

export const NATIVE_ERRORS = [CheckpointError, ModelConfigError, TokenizerJsonError, CharTokenizerError];

const TINY_GPT: ModelConfig = {
  architecture: 'gpt',
  vocabSize: 6,
  contextLength: 4,
  dModel: 4,
  nLayers: 1,
  nHeads: 2,
  nKvHeads: 2,
  mlpHidden: 8,
  norm: 'layernorm',
  normEps: 1e-5,
  positional: 'learned',
  ropeTheta: 10000,
  ropeStyle: 'half',
  mlp: 'gelu',
  bias: true,
  tiedEmbeddings: false,
  attentionMode: 'soft',
  dropout: 0,
};
const TINY_LLAMA: ModelConfig = {
  ...TINY_GPT,
  architecture: 'llama',
  nLayers: 2,
  nKvHeads: 1,
  norm: 'rmsnorm',
  positional: 'rope',
  ropeStyle: 'interleaved',
  mlp: 'swiglu',
  bias: false,
  tiedEmbeddings: true,
};
const TINY_SEED: ModelConfig = { ...TINY_GPT, architecture: 'seed', norm: 'none', mlp: 'none', mlpHidden: 0, nHeads: 1, nKvHeads: 1 };

export const TINY_CONFIGS = { gpt: TINY_GPT, llama: TINY_LLAMA, seed: TINY_SEED } as const;

/** A small checkpoint written by the project's own writer; with `training`, AdamW moments and history too. */
export function tinyCheckpoint(config: ModelConfig, seed: number, training: boolean): Uint8Array {
  const model = Transformer.create(config, new Rng(seed));
  const tokenizer = CharTokenizer.fromText('abcde'.slice(0, config.vocabSize - 1));
  if (!training) return serializeCheckpoint(model, tokenizer.toJSON(), null);
  const rng = new Rng(seed + 1);
  const moments = (): Float32Array[] => model.spec.map((s) => Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
  const state: TrainerState = {
    step: 3,
    rng: { s: [1, 2, 3, 4], spare: 0.25 },
    optimizer: { t: 3, m: moments(), v: moments().map((v) => v.map(Math.abs)) },
    history: {
      steps: [1, 2, 3].map((step) => ({ step, loss: 2 - step / 10, lr: 1e-3, gradNorm: 0.5, tokensPerSecond: 100, elapsedMs: step * 10 })),
      evals: [{ step: 3, valLoss: 1.5, valAccuracy: 0.25, valPerplexity: Math.exp(1.5) }],
    },
  };
  return serializeCheckpoint(model, tokenizer.toJSON(), { options: resolveTrainOptions({ steps: 10, batchSize: 2 }), state });
}

export function nativeBases(): Uint8Array[] {
  return [tinyCheckpoint(TINY_GPT, 1, true), tinyCheckpoint(TINY_LLAMA, 2, false), tinyCheckpoint(TINY_SEED, 3, true)];
}

/** What the loaders do with a native checkpoint's bytes. */
export function loadNative(bytes: Uint8Array): unknown {
  const ckpt = parseCheckpoint(bytes);
  const tokenizer = tokenizerFromJson(ckpt.tokenizer);
  return { ckpt, tokenizer };
}

const METADATA_FIELDS = ['model_config', 'training', 'tokenizer', 'format', 'format_version'] as const;

/** The header with one metadata string's JSON content mutated (or replaced by raw text). */
function mutateMetadataField(headerText: string, field: string, mutations: readonly Parameters<typeof mutateJsonText>[1][], asRaw: boolean): string {
  const header = JSON.parse(headerText) as { __metadata__: Record<string, string> };
  const meta = header.__metadata__;
  const inner = meta[field] ?? '{}';
  const mutated = mutations.reduce(mutateJsonText, inner);
  // Either the mutated JSON as the string value (what a tampered writer would store) or raw JSON in its place.
  if (asRaw) {
    meta[field] = '\u0002raw\u0002';
    return JSON.stringify(header).replace('"\\u0002raw\\u0002"', () => mutated);
  }
  meta[field] = mutated;
  return JSON.stringify(header);
}

export function nativeProperties(probe: ReaderProbe): PropertySet {
  const bases = nativeBases();
  const read = (bytes: Uint8Array): void => {
    probe.check(bytes.length, () => loadNative(bytes));
  };
  const configField = fc.constantFrom(...Object.keys(TINY_GPT));
  return {
    'byte mutations of small checkpoints': prop(0.25, fc.property(mutatedBytes(bases, [0, 8]), read)),
    'JSON mutations of the safetensors header': prop(
      0.15,
      fc.property(fc.nat(bases.length - 1), fc.array(jsonMutation, { minLength: 1, maxLength: 2 }), (i, ms) => {
        const { headerText, data } = splitSafetensors(bases[i]!);
        read(joinSafetensors(ms.reduce(mutateJsonText, headerText), data));
      }),
    ),
    'JSON mutations inside the metadata strings (model config, training state, tokenizer, format)': prop(
      0.35,
      fc.property(
        fc.nat(bases.length - 1),
        fc.constantFrom(...METADATA_FIELDS),
        fc.array(jsonMutation, { minLength: 1, maxLength: 3 }),
        fc.nat(4),
        (i, field, ms, raw) => {
          const { headerText, data } = splitSafetensors(bases[i]!);
          read(joinSafetensors(mutateMetadataField(headerText, field, ms, raw === 0), data));
        },
      ),
    ),
    'one model-config field or training field set to an adversarial value': prop(
      0.25,
      fc.property(
        fc.nat(bases.length - 1),
        fc.oneof(
          configField.map((k) => ['model_config', k] as const),
          fc.constantFrom('step', 'optimizer_t', 'rng', 'history', 'options').map((k) => ['training', k] as const),
        ),
        adversarialJsonText,
        (i, [field, key], raw) => {
          const { headerText, data } = splitSafetensors(bases[i]!);
          const header = JSON.parse(headerText) as { __metadata__: Record<string, string> };
          const inner = header.__metadata__[field] ?? '{}';
          const obj = JSON.parse(inner) as Record<string, unknown>;
          obj[key] = '\u0002raw\u0002';
          header.__metadata__[field] = JSON.stringify(obj).replace('"\\u0002raw\\u0002"', () => raw);
          read(joinSafetensors(JSON.stringify(header), data));
        },
      ),
    ),
  };
}
