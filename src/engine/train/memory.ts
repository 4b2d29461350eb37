/**
 * An up-front estimate of the memory a training configuration takes, so that a batch size or
 * a text that would exhaust the machine is refused with a number before the first step,
 * instead of the process dying of out-of-memory minutes later.
 *
 * The estimate counts Float32 arrays: parameters with their gradients and two AdamW moments
 * (and the gradient sums when a step is cut into micro-batches); per micro-batch (the part of a
 * step that is in memory at once: microBatches.ts), the activations the tape keeps for the
 * backward pass (per layer a few d_model-wide rows per token, the MLP's hidden rows, the
 * attention scores and weights T×T per head) and the logits in their several copies (logits,
 * softmax, gradient, the kernels' copies, the evaluation's); and the tokens of the text.
 * Constants were calibrated against the process's peak resident memory on the presets, with
 * vocabularies of 15 to 20,000 symbols and batches up to 512 (the estimate is meant to be an
 * upper bound within a factor of about 1.5, not exact).
 */

import type { ModelConfig } from '../models/config';
import { microBatchWindows } from './microBatches';

export interface TrainingShape {
  readonly config: ModelConfig;
  readonly batchSize: number;
  /** Training window length (the context, or less for a short text). */
  readonly T: number;
  /** Tokens in the training text. */
  readonly tokens: number;
}

/** Float32 parameters of a config (the same count the model allocates, up to biases and norms). */
export function estimateParameters(c: ModelConfig): number {
  const d = c.dModel;
  const embed = c.vocabSize * d + (c.positional === 'learned' ? c.contextLength * d : 0);
  const head = c.tiedEmbeddings ? 0 : c.vocabSize * d + c.vocabSize;
  const kv = (d / c.nHeads) * c.nKvHeads;
  const attn = d * d * 2 + d * kv * 2 + 4 * d;
  const mlp = c.mlp === 'none' ? 0 : c.mlp === 'swiglu' ? 3 * d * c.mlpHidden : 2 * d * c.mlpHidden + c.mlpHidden + d;
  const norms = c.norm === 'none' ? 0 : 4 * d;
  return embed + head + c.nLayers * (attn + mlp + norms) + 2 * d;
}

/** Bytes a training run of this shape needs at its peak (see the file header). */
export function estimateTrainingBytes(s: TrainingShape): number {
  const c = s.config;
  const windows = Math.min(s.batchSize, microBatchWindows(s.T));
  const cut = windows < s.batchSize;
  const rows = windows * s.T;
  const params = estimateParameters(c);
  const perLayer = rows * (24 * c.dModel + 4 * c.mlpHidden) + 4 * windows * c.nHeads * s.T * s.T;
  // Measured: about nine [rows, V] arrays at the peak (tiny and small with 20,001 symbols).
  const logits = 9 * rows * c.vocabSize;
  const floats = (cut ? 5 : 4) * params + c.nLayers * perLayer + logits;
  // The text: its UTF-16 string, its bytes read from disk and its Int32 token ids.
  const text = 8 * s.tokens;
  return 4 * floats + text + 96 * 1024 * 1024; // plus the runtime's own baseline
}

/** "1.2 GB" for people. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)} MB`;
  return `${Math.ceil(n / 1024)} KB`;
}
