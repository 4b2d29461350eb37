/**
 * Generation one step at a time, with what the model saw at each step: for every generated
 * token, its probability under the model, the model's top alternatives and the attention row
 * of the query that predicted it ([L, H, t+1] over positions 0..t, t = that query's position).
 *
 * A generator, so a caller decides when to take the next token: the CLI prints each line as it
 * comes, the worker yields to its event loop between tokens (a `cancel` gets through) and stops
 * by not asking for more. It decodes through the public KvCache/forward path with attention
 * captured; `generate` (generate.ts) stays the plain path. With top-p 1 it samples exactly as
 * `generate` does (same Rng draws), so a seed gives the same tokens with or without attention.
 */

import { logSoftmaxRow, topK } from '../analysis/predictions';
import { KvCache, type Transformer } from '../nn/transformer';
import type { Rng } from '../random';
import { argmax, GenerateError } from './generate';

export interface GenerationStepOptions {
  readonly maxTokens: number;
  /** 0 = greedy (first index wins ties); otherwise sampling from softmax(logits / temperature). */
  readonly temperature: number;
  /** Nucleus sampling: only the most probable tokens whose probabilities add up to at least topP (1 = all). */
  readonly topP?: number;
  readonly rng: Rng;
  /** Stop (without emitting it) when one of these ids is chosen (e.g. BOS/EOS). */
  readonly stopIds?: readonly number[];
  /** Only ids below this are produced (a padded model vocabulary); default: the model's vocabulary. */
  readonly vocabLimit?: number;
  /** How many alternatives each step reports (clamped to the vocabulary); default 5. */
  readonly topK?: number;
}

/** One generated token and what produced it. */
export interface GenerationStep {
  /** 0 for the first generated token. */
  readonly step: number;
  readonly id: number;
  /** Position of the query that predicted this token (the token itself lands at position + 1). */
  readonly position: number;
  /** p(id) under the model: softmax of the logits at temperature 1 over the usable vocabulary. */
  readonly prob: number;
  /** The model's k most probable tokens at this step, by descending probability (same distribution as prob). */
  readonly topIds: Int32Array;
  readonly topProbs: Float64Array;
  /** [L, H, position + 1]: the attention row of the predicting query in every layer and head. */
  readonly attention: Float32Array;
}

/** Why a generation ended, when the caller did not simply stop asking. */
export type GenerationEnd = 'length' | 'stop-token' | 'context';

/**
 * Yields each generated token; returns why it ended. The prompt must fit the context; the
 * generation ends at maxTokens, at a stop id, or when the context is full.
 */
export function* generationSteps(model: Transformer, prompt: Int32Array, options: GenerationStepOptions): Generator<GenerationStep, GenerationEnd, void> {
  const cfg = model.config;
  const ctx = cfg.contextLength;
  if (prompt.length === 0) throw new GenerateError('generation needs at least one prompt token');
  if (!(options.temperature >= 0)) throw new GenerateError(`temperature must be ≥ 0, got ${options.temperature}`);
  const topP = options.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new GenerateError(`top-p must be in (0, 1], got ${topP}`);
  if (prompt.length > ctx) throw new GenerateError(`the prompt has ${prompt.length} tokens, more than the model's context of ${ctx}`);
  const V = cfg.vocabSize;
  const limit = options.vocabLimit ?? V;
  if (!Number.isInteger(limit) || limit < 1 || limit > V)
    throw new GenerateError(`vocabLimit must be an integer from 1 to the model's vocabulary ${V}, got ${limit}`);
  const k = Math.max(1, Math.min(Math.floor(options.topK ?? 5), limit));
  const { nLayers: L, nHeads: H } = cfg;
  const cache = new KvCache(cfg);
  const logProbs = new Float64Array(limit);

  // Logits and attention rows of the last of `ids`, fed after what the cache holds.
  const feed = (ids: Int32Array): { logits: Float32Array; attention: Float32Array } => {
    const before = cache.length;
    const r = model.forward(null, ids, 1, ids.length, { cache, capture: { attention: true } });
    const T = ids.length;
    const keys = before + T; // keys visible to the last query = its position + 1
    const attention = new Float32Array(L * H * keys);
    r.layers.forEach((layer, l) => {
      const a = layer.attention;
      if (!a) throw new GenerateError('the model did not record attention weights');
      for (let h = 0; h < H; h++) {
        const row = (h * T + (T - 1)) * keys;
        attention.set(a.subarray(row, row + keys), (l * H + h) * keys);
      }
    });
    return { logits: r.logits.data.subarray((T - 1) * V, (T - 1) * V + limit), attention };
  };

  let next = feed(prompt);
  for (let step = 0; ; step++) {
    if (step >= options.maxTokens) return 'length';
    const position = prompt.length - 1 + step;
    // The query must be inside the context; its token may land just past it (never read), as
    // generate() and llama2.c's run.c produce it.
    if (position >= ctx) return 'context';
    const id = options.temperature === 0 ? argmax(next.logits) : sample(next.logits, options.temperature, topP, options.rng);
    if (options.stopIds?.includes(id)) return 'stop-token';
    logSoftmaxRow(next.logits, 0, limit, logProbs);
    const top = topK(logProbs, k);
    yield { step, id, position, prob: Math.exp(logProbs[id]!), topIds: top.ids, topProbs: top.probs, attention: next.attention };
    if (step + 1 < options.maxTokens && position + 1 < ctx) next = feed(Int32Array.of(id));
  }
}

/**
 * One draw from softmax(logits / temperature), restricted to the top-p nucleus. With topP = 1
 * this is generate.ts's draw exactly (index order, one uniform), so seeds agree across paths.
 */
function sample(logits: Float32Array, temperature: number, topP: number, rng: Rng): number {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp((logits[i]! - max) / temperature);
  if (topP < 1) {
    // Keep the most probable tokens until their mass reaches topP; zero the rest.
    const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
    let kept = 0;
    let n = 0;
    while (n < order.length && kept < topP * sum) kept += p[order[n++]!]!;
    for (let j = n; j < order.length; j++) p[order[j]!] = 0;
    sum = kept;
  }
  let r = rng.uniform() * sum;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0 && topP < 1) continue; // outside the nucleus
    r -= p[i]!;
    if (r <= 0) return i;
  }
  for (let i = p.length - 1; i >= 0; i--) if (p[i]! > 0) return i;
  return p.length - 1;
}
