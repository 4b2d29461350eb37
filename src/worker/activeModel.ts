/**
 * The model the worker answers document requests with, and its description for the host.
 * It changes only as a whole: a successful load, or the end of a training run.
 */

import { isCausal, parameterCount, weightMemory, type TrainingSnapshot, type Transformer, type Tokenizer } from '../engine';
import type { ModelInfo } from '../protocol/common';
import type { TrainingHistory } from '../protocol/workerProtocol';

export interface ActiveModel {
  readonly model: Transformer;
  readonly tokenizer: Tokenizer;
  /** The tokenizer's JSON form for native checkpoints; null when it has none (llama2.c). */
  readonly tokenizerJson: unknown;
  /** Training state to save with the model (from training, or from the loaded checkpoint). */
  readonly training: TrainingSnapshot | null;
  /** A file path, or the host's description of what a model was trained on. */
  readonly source: string;
}

export function modelInfo(model: Transformer, tokenizer: Tokenizer, source: string, trainedSteps: number | null, runSteps: number | null): ModelInfo {
  const c = model.config;
  const memory = weightMemory(model.params.values());
  return {
    architecture: c.architecture,
    layers: c.nLayers,
    heads: c.nHeads,
    kvHeads: c.nKvHeads,
    dModel: c.dModel,
    context: c.contextLength,
    vocabSize: c.vocabSize,
    parameters: parameterCount(c),
    weightsDtype: memory.byDtype.map((d) => d.dtype).join('+'),
    weightsBytes: memory.bytes,
    tokenizer: `${tokenizer.kind} (${tokenizer.vocabSize} tokens)`,
    readsText: tokenizer.kind !== 'ids',
    source,
    attentionMode: c.attentionMode,
    causal: isCausal(c),
    trainedSteps,
    runSteps,
  };
}

/** What a checkpoint recorded of its training, for the host's loss curves (null: it was not trained here). */
export function trainingHistory(training: TrainingSnapshot | null): TrainingHistory | null {
  if (!training) return null;
  const { steps, evals } = training.state.history;
  return {
    totalSteps: training.options.steps,
    steps: steps.map((m) => ({ step: m.step, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, tokensPerSecond: m.tokensPerSecond, elapsedMs: m.elapsedMs })),
    evals: evals.map((e) => ({ step: e.step, valLoss: e.valLoss, valAccuracy: e.valAccuracy, valPerplexity: e.valPerplexity })),
  };
}

export function activeModelInfo(m: ActiveModel): ModelInfo {
  return modelInfo(m.model, m.tokenizer, m.source, m.training ? m.training.state.step : null, m.training ? m.training.options.steps : null);
}
