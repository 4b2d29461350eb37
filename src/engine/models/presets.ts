/**
 * The named model shapes people train from the editor and the CLI. Each preset also
 * carries the training defaults that suit it (batch size, learning rate).
 *
 * - seed: the tutorial's model made to work — token embedding (128) → one causal
 *   self-attention layer (with a residual connection and learned positions, without which
 *   it cannot tell word order) → a linear map to the vocabulary.
 * - tiny: 2 layers, 2 heads, d_model 64, context 64 (fast enough for tests).
 * - small: the reference workload (BENCHMARKS.md) — 4 layers, 4 heads, d_model 128,
 *   context 128, MLP 4× with GELU, pre-LayerNorm, learned positions, batch 16.
 */

import type { ModelConfig } from './config';

export type PresetName = 'seed' | 'tiny' | 'small';

export interface Preset {
  readonly name: PresetName;
  readonly description: string;
  /** The model config without the vocabulary, which comes from the tokenizer. */
  readonly model: Omit<ModelConfig, 'vocabSize'>;
  readonly batchSize: number;
  readonly learningRate: number;
}

const GPT_DEFAULTS = {
  architecture: 'gpt',
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
} as const;

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  seed: {
    name: 'seed',
    description: 'the tutorial model: embedding 128 → one self-attention layer → linear',
    model: {
      ...GPT_DEFAULTS,
      architecture: 'seed',
      contextLength: 64,
      dModel: 128,
      nLayers: 1,
      nHeads: 4,
      nKvHeads: 4,
      mlpHidden: 0,
      mlp: 'none',
      norm: 'none',
    },
    batchSize: 16,
    learningRate: 3e-3,
  },
  tiny: {
    name: 'tiny',
    description: '2 layers, 2 heads, d_model 64, context 64',
    model: { ...GPT_DEFAULTS, contextLength: 64, dModel: 64, nLayers: 2, nHeads: 2, nKvHeads: 2, mlpHidden: 256 },
    batchSize: 16,
    learningRate: 3e-3,
  },
  small: {
    name: 'small',
    description: '4 layers, 4 heads, d_model 128, context 128, MLP 4× GELU, batch 16',
    model: { ...GPT_DEFAULTS, contextLength: 128, dModel: 128, nLayers: 4, nHeads: 4, nKvHeads: 4, mlpHidden: 512 },
    batchSize: 16,
    learningRate: 1e-3,
  },
};

export class UnknownPresetError extends Error {
  constructor(name: string) {
    super(`unknown preset "${name}"; choose one of: ${Object.keys(PRESETS).join(', ')}`);
    this.name = 'UnknownPresetError';
  }
}

export function getPreset(name: string): Preset {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) throw new UnknownPresetError(name);
  return PRESETS[name as PresetName];
}

export function presetConfig(name: string, vocabSize: number): ModelConfig {
  return { ...getPreset(name).model, vocabSize };
}
