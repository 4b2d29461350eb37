/**
 * The validation-best state of a training run: a copy of the weights and the training state
 * (optimizer, Rng, history, head snapshots) at the evaluation with the lowest validation loss, to be saved beside
 * the run's checkpoint when training went on past it (an overfitting run's better model). Used by
 * the editor's worker and by the CLI's `train`, so both keep the same model.
 *
 * Taken between steps, from the trainer's own state: it changes nothing in training.
 */

import { serializeCheckpoint } from '../checkpoint/native';
import { Transformer } from '../nn/transformer';
import { Tensor } from '../tensor';
import type { EvalMetrics, Trainer } from './trainer';
import type { TrainingSnapshot } from '../checkpoint/native';

interface BestState {
  readonly step: number;
  readonly valLoss: number;
  readonly params: Map<string, Tensor>;
  readonly training: TrainingSnapshot;
}

export class ValidationBest {
  private best: BestState | null = null;

  /**
   * `floor`: a validation loss an earlier part of the run already reached (a resumed run's best
   * evaluation before it resumed, whose weights are not here): only a lower one is kept.
   */
  constructor(
    private readonly trainer: Trainer,
    private readonly floor = Infinity,
  ) {}

  /** Called at each evaluation (between steps): keeps the state when it is the best so far. */
  observe(e: EvalMetrics): void {
    if (!Number.isFinite(e.valLoss) || e.valLoss >= Math.min(this.floor, this.best?.valLoss ?? Infinity)) return;
    const model = this.trainer.model;
    const params = new Map<string, Tensor>();
    for (const s of model.spec) {
      const t = model.params.get(s.name);
      if (t) params.set(s.name, new Tensor(t.data.slice(), s.shape, false));
    }
    // The text's fingerprint too: a resume from this file is checked against its text, as from the run's own.
    // The head snapshots so far too (the recorder takes this step's before the evaluation), so the
    // best model's scrubber shows how its heads formed; the list is copied, the snapshots shared.
    const training = {
      options: this.trainer.options,
      state: this.trainer.snapshot(),
      data: this.trainer.fingerprint,
      snapshots: this.trainer.snapshots?.record() ?? null,
    };
    this.best = { step: e.step, valLoss: e.valLoss, params, training };
  }

  /** The step and validation loss of the best evaluation kept so far. */
  get bestEval(): { readonly step: number; readonly valLoss: number } | null {
    return this.best ? { step: this.best.step, valLoss: this.best.valLoss } : null;
  }

  /** The validation-best checkpoint's bytes, or null when there is none or it is the final model (step `finalStep`). */
  checkpoint(finalStep: number, tokenizerJson: unknown): { readonly bytes: Uint8Array; readonly step: number; readonly valLoss: number } | null {
    const b = this.best;
    if (!b || b.step === finalStep) return null;
    const model = new Transformer(this.trainer.model.config, b.params);
    return { bytes: serializeCheckpoint(model, tokenizerJson, b.training), step: b.step, valLoss: b.valLoss };
  }
}

/** `x.safetensors` → `x.best.safetensors`: where the validation-best model is saved beside a run's checkpoint. */
export function bestCheckpointPath(checkpointPath: string): string {
  return checkpointPath.replace(/(\.safetensors)?$/, '.best.safetensors');
}
