/**
 * Models for the debugging-analysis tests: a GPT-style preset with weights far from
 * initialisation (so attention, ablations and gradients are not trivially small), the
 * stories260K llama2.c fixture with its reference logits, and a float64 log-softmax
 * written here (not the engine's) for expected values.
 */

import * as fs from 'node:fs';
import { parseLlama2cCheckpoint } from '../../src/engine/checkpoint/llama2c';
import type { ModelConfig } from '../../src/engine/models/config';
import { presetConfig } from '../../src/engine/models/presets';
import { Transformer } from '../../src/engine/nn/transformer';
import { Rng } from '../../src/engine/random';
import { Tensor } from '../../src/engine/tensor';
import { readFixtureJson, requireFixture } from './fixtures';

/** A preset's shape, reduced so a test runs in well under a second. */
export function reducedConfig(preset: 'small' | 'seed', V: number): ModelConfig {
  const base = presetConfig(preset, V);
  return { ...base, nLayers: preset === 'small' ? 2 : 1, nHeads: 4, nKvHeads: 4, dModel: 32, contextLength: 24, mlpHidden: base.mlp === 'none' ? 0 : 128 };
}

/** Matrices ~N(0, 1/fan_in), embeddings N(0, 0.8²), biases and norm offsets N(0, 0.2²). */
export function perturbedModel(config: ModelConfig, seed: number): Transformer {
  const model = Transformer.create(config, new Rng(seed));
  const rng = new Rng(seed + 1);
  for (const s of model.spec) {
    const d = model.params.get(s.name)!.data;
    const std = s.shape.length >= 2 ? (s.name.endsWith('_emb') ? 0.8 : 1 / Math.sqrt(s.shape[1]!)) : 0.2;
    const mean = s.init === 'ones' ? 1 : 0;
    for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  }
  return model;
}

export function weightsOf(model: Transformer): Map<string, Float32Array> {
  return new Map([...model.params].map(([n, t]) => [n, t.data.slice()]));
}

/** The same architecture with copies of the weights, `edit` applied to the copy. */
export function editedCopy(model: Transformer, edit: (w: Map<string, Float32Array>) => void, config: ModelConfig = model.config): Transformer {
  const w = weightsOf(model);
  edit(w);
  const params = new Map([...w].map(([n, d]) => [n, new Tensor(d, model.params.get(n)!.shape)]));
  return new Transformer(config, params);
}

export function randomIds(seed: number, V: number, T: number): Int32Array {
  const rng = new Rng(seed);
  return new Int32Array(T).map(() => rng.int(V));
}

/** log softmax of logits[offset .. offset + V) in float64. */
export function refLogSoftmax(logits: ArrayLike<number>, offset: number, V: number): number[] {
  const row = Array.from({ length: V }, (_, v) => Number(logits[offset + v]));
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
}

export interface StoriesLogits {
  readonly T: number;
  readonly token_ids: number[];
  readonly logits: number[][];
  readonly attention: number[][][][];
  readonly top5_next_tokens: number[][];
}

export function storiesModel(ctx: Mocha.Context): Transformer {
  return parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'stories260K.bin'))));
}

export function storiesReference(ctx: Mocha.Context, name: 'lily_park' | 'tom_dog_newline'): StoriesLogits {
  return readFixtureJson<StoriesLogits>(requireFixture(ctx, 'stories260K', `attention_logits_${name}.json`));
}
