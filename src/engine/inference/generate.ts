/**
 * Autoregressive generation with a key/value cache: the prompt is run once (prefill), then
 * one token at a time. Temperature 0 is greedy (first index wins ties, as llama2.c's argmax);
 * otherwise tokens are sampled from softmax(logits / temperature) with the seeded Rng.
 */

import { KvCache, type Transformer } from '../nn/transformer';
import type { Rng } from '../random';

export interface GenerateOptions {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly rng: Rng;
  /** Stop (without emitting it) when the model produces one of these ids (e.g. BOS/EOS). */
  readonly stopIds?: readonly number[];
  /** Called with each new token id as it is produced. */
  readonly onToken?: (id: number) => void;
  /**
   * Only ids below this are ever produced: the tokenizer's vocabulary when the model's is padded
   * (GPT-2's 50257 tokens in a 50304-row embedding). The padding rows' logits are masked, since
   * the tokenizer cannot decode them. Default: the model's whole vocabulary.
   */
  readonly vocabLimit?: number;
}

export class GenerateError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'GenerateError';
  }
}

export function generate(model: Transformer, prompt: Int32Array, options: GenerateOptions): Int32Array {
  const ctx = model.config.contextLength;
  if (prompt.length === 0) throw new GenerateError('generation needs at least one prompt token (an empty text with a tokenizer that has no BOS gives none)');
  if (!(options.temperature >= 0)) throw new GenerateError(`temperature must be ≥ 0, got ${options.temperature}`);
  if (prompt.length > ctx) throw new GenerateError(`the prompt has ${prompt.length} tokens, more than the model's context of ${ctx}`);
  const V = model.config.vocabSize;
  const limit = options.vocabLimit ?? V;
  if (!Number.isInteger(limit) || limit < 1 || limit > V)
    throw new GenerateError(`vocabLimit must be an integer from 1 to the model's vocabulary ${V}, got ${limit}`);
  // The forward at the last position (ctx − 1) still predicts a token, which is emitted but never
  // fed back: ctx − prompt + 1 tokens at most, as run.c (whose last step is pos = seq_len − 1).
  const maxTokens = Math.min(options.maxTokens, generationLimit(ctx, prompt.length));
  const out: number[] = [];
  const cache = new KvCache(model.config);
  let logits = lastRow(model, prompt, cache).subarray(0, limit);
  for (let i = 0; i < maxTokens; i++) {
    const next = options.temperature === 0 ? argmax(logits) : sample(logits, options.temperature, options.rng);
    if (options.stopIds?.includes(next)) break;
    out.push(next);
    options.onToken?.(next);
    if (i + 1 < maxTokens) logits = lastRow(model, Int32Array.of(next), cache).subarray(0, limit);
  }
  return Int32Array.from(out);
}

/** Most tokens a prompt of `promptLength` can be continued by in a context of `context` (see generate). */
export function generationLimit(context: number, promptLength: number): number {
  return Math.max(0, context - promptLength + 1);
}

function lastRow(model: Transformer, ids: Int32Array, cache: KvCache): Float32Array {
  const r = model.forward(null, ids, 1, ids.length, { cache });
  const V = model.config.vocabSize;
  return r.logits.data.subarray((ids.length - 1) * V, ids.length * V);
}

export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

function sample(logits: Float32Array, temperature: number, rng: Rng): number {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp((logits[i]! - max) / temperature);
  let r = rng.uniform() * sum;
  for (let i = 0; i < p.length; i++) {
    r -= p[i]!;
    if (r <= 0) return i;
  }
  return p.length - 1;
}
