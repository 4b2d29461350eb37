/**
 * BERT's sequence-level heads on top of the encoder: the pooler (tanh(W·h + b) of the first
 * token's final hidden state — [CLS]) and the sequence classifier (a linear layer on the pooled
 * vector), with the predicted label and its probability: softmax over the labels, or the
 * sigmoid of the one logit of a single-label model (a cross-encoder reranker's relevance).
 * Inference only, in float64, once per sequence.
 */

import { widenHalf } from '../half';
import { ShapeError } from '../tensor';
import type { Transformer } from './transformer';

export interface SequenceClassification {
  /** The pooled [CLS] vector [C]. */
  readonly pooled: Float64Array;
  /** One logit per label. */
  readonly logits: Float64Array;
  /** The predicted label's index and name (config.json id2label). */
  readonly labelIndex: number;
  readonly label: string;
  /** softmax(logits)[labelIndex], or sigmoid(logit) for a single-label model. */
  readonly probability: number;
}

/** tanh(W·h₀ + b) for the first token of `lastHidden` ([T, C], the encoder's output for one sequence). */
export function pooledOutput(model: Transformer, lastHidden: ArrayLike<number>): Float64Array {
  if (!model.config.pooler) throw new ShapeError('this model has no pooler');
  const C = model.config.dModel;
  if (lastHidden.length < C) throw new ShapeError(`the pooler needs a hidden state of ${C} channels, got ${lastHidden.length}`);
  return dense(model, 'pooler', lastHidden, C, C, Math.tanh);
}

/** The classifier's logits, label and probability for one sequence's last hidden state [T, C]. */
export function classifySequence(model: Transformer, lastHidden: ArrayLike<number>): SequenceClassification {
  const labels = model.config.labels;
  if (!labels) throw new ShapeError('this model has no sequence-classification head');
  const pooled = pooledOutput(model, lastHidden);
  const logits = dense(model, 'classifier', pooled, model.config.dModel, labels.length, (x) => x);
  if (labels.length === 1) {
    const z = logits[0]!;
    return { pooled, logits, labelIndex: 0, label: labels[0]!, probability: 1 / (1 + Math.exp(-z)) };
  }
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  let sum = 0;
  for (const z of logits) sum += Math.exp(z - logits[best]!);
  return { pooled, logits, labelIndex: best, label: labels[best]!, probability: 1 / sum };
}

/** f(W·x + b) for the first `inF` values of x, with the model's [out, in] weight `prefix.weight`. */
function dense(model: Transformer, prefix: string, x: ArrayLike<number>, inF: number, outF: number, f: (v: number) => number): Float64Array {
  const weight = model.p(`${prefix}.weight`);
  const b = model.p(`${prefix}.bias`).data;
  // A 16-bit weight (an F16/BF16 checkpoint) is widened one row at a time, so it stays 16-bit in memory.
  const half = weight.half;
  const w = half ? null : weight.data;
  const row = new Float32Array(inF);
  const out = new Float64Array(outF);
  for (let o = 0; o < outF; o++) {
    if (half) widenHalf(half, row, o * inF, inF);
    else row.set(w!.subarray(o * inF, o * inF + inF));
    let s = b[o]!;
    for (let i = 0; i < inF; i++) s += row[i]! * x[i]!;
    out[o] = f(s);
  }
  return out;
}
