/**
 * What the worker adds to each evaluation of a training run, beside the trainer:
 * - a text sample: the model continues the probe text greedily for a few tokens, so the
 *   dashboard can list how its writing changed over the run (the probe is the text at the
 *   cursor when training started, or the start of the validation text);
 * - the validation-best state: a copy of the weights and the training state (optimizer,
 *   Rng, history) at the evaluation with the lowest validation loss, saved beside the
 *   run's checkpoint when training goes on past it (an overfitting run's better model).
 *
 * Neither touches what training computes: generation uses its own Rng at temperature 0 and
 * no tape; the copies are taken between steps.
 */

import { generate, Rng, ValidationBest, type EvalMetrics, type Tokenizer, type Trainer } from '../engine';

/** Tokens of the probe the model continues, and tokens it generates. */
export const PROBE_TOKENS = 32;
export const SAMPLE_TOKENS = 24;

export interface EvalSample {
  readonly prompt: string;
  readonly text: string;
}

export class EvalWatch {
  private readonly probe: Int32Array;
  private readonly best: ValidationBest;

  constructor(
    private readonly trainer: Trainer,
    private readonly tokenizer: Tokenizer,
    samplePrompt: string | undefined,
  ) {
    this.probe = probeIds(trainer, tokenizer, samplePrompt);
    this.best = new ValidationBest(trainer);
  }

  /** Called at each evaluation (between steps): keeps the best state, returns the sample. */
  onEval(e: EvalMetrics): EvalSample | null {
    this.best.observe(e);
    return this.sample();
  }

  /** The step and validation loss of the best evaluation so far. */
  get bestEval(): { readonly step: number; readonly valLoss: number } | null {
    return this.best.bestEval;
  }

  /** The validation-best checkpoint's bytes, or null when there is none or it is the final model (step `finalStep`). */
  bestCheckpoint(finalStep: number, tokenizerJson: unknown): { readonly bytes: Uint8Array; readonly step: number; readonly valLoss: number } | null {
    return this.best.checkpoint(finalStep, tokenizerJson);
  }

  private sample(): EvalSample | null {
    if (this.probe.length === 0) return null;
    const ids = generate(this.trainer.model, this.probe, { maxTokens: SAMPLE_TOKENS, temperature: 0, rng: new Rng(0) });
    return { prompt: this.tokenizer.decode(this.probe), text: this.tokenizer.decode(ids) };
  }
}

/** The last PROBE_TOKENS tokens of the prompt (that fit the context with room to generate), else the validation text's first ones. */
function probeIds(trainer: Trainer, tokenizer: Tokenizer, prompt: string | undefined): Int32Array {
  const room = Math.max(0, Math.min(PROBE_TOKENS, trainer.model.config.contextLength - SAMPLE_TOKENS));
  if (room === 0) return new Int32Array(0);
  const fromPrompt = prompt ? tokenizer.encode(prompt).ids : new Int32Array(0);
  if (fromPrompt.length > 0) return fromPrompt.slice(-room);
  const { validation, train } = trainer.data;
  return validation.length > 0 ? validation.slice(0, room) : train.slice(0, room);
}
