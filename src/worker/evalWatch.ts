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

import { generate, Rng, serializeCheckpoint, Tensor, Transformer, type EvalMetrics, type Tokenizer, type Trainer, type TrainingSnapshot } from '../engine';

/** Tokens of the probe the model continues, and tokens it generates. */
export const PROBE_TOKENS = 32;
export const SAMPLE_TOKENS = 24;

export interface EvalSample {
  readonly prompt: string;
  readonly text: string;
}

interface BestState {
  readonly step: number;
  readonly valLoss: number;
  readonly params: Map<string, Tensor>;
  readonly training: TrainingSnapshot;
}

export class EvalWatch {
  private readonly probe: Int32Array;
  private best: BestState | null = null;

  constructor(
    private readonly trainer: Trainer,
    private readonly tokenizer: Tokenizer,
    samplePrompt: string | undefined,
  ) {
    this.probe = probeIds(trainer, tokenizer, samplePrompt);
  }

  /** Called at each evaluation (between steps): keeps the best state, returns the sample. */
  onEval(e: EvalMetrics): EvalSample | null {
    if (Number.isFinite(e.valLoss) && (this.best === null || e.valLoss < this.best.valLoss)) this.keepBest(e);
    return this.sample();
  }

  /** The step and validation loss of the best evaluation so far. */
  get bestEval(): { readonly step: number; readonly valLoss: number } | null {
    return this.best ? { step: this.best.step, valLoss: this.best.valLoss } : null;
  }

  /** The validation-best checkpoint's bytes, or null when there is none or it is the final model (step `finalStep`). */
  bestCheckpoint(finalStep: number, tokenizerJson: unknown): { readonly bytes: Uint8Array; readonly step: number; readonly valLoss: number } | null {
    const b = this.best;
    if (!b || b.step === finalStep) return null;
    const model = new Transformer(this.trainer.model.config, b.params);
    return { bytes: serializeCheckpoint(model, tokenizerJson, b.training), step: b.step, valLoss: b.valLoss };
  }

  private keepBest(e: EvalMetrics): void {
    const model = this.trainer.model;
    const params = new Map<string, Tensor>();
    for (const s of model.spec) {
      const t = model.params.get(s.name);
      if (t) params.set(s.name, new Tensor(t.data.slice(), s.shape, false));
    }
    this.best = { step: e.step, valLoss: e.valLoss, params, training: { options: this.trainer.options, state: this.trainer.snapshot() } };
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
