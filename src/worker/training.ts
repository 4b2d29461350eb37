/**
 * One training run requested by the host: a character tokenizer built from the text, a fresh
 * model of the chosen preset (or the active model's run, continued), the engine's Trainer —
 * and, when it ends, the checkpoint.
 *
 * `prepare` does everything that can refuse the request (empty text, unknown preset, bad
 * options, too little text) before anything is posted, so a refusal is a plain `failed`.
 */

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  serializeCheckpoint,
  getPreset,
  presetConfig,
  Transformer,
  Rng,
  CharTokenizer,
  resolveTrainOptions,
  Trainer,
  Tensor,
  SnapshotRecorder,
  PROBE_TOKENS,
  checkResumable,
  ResumeError,
  estimateTrainingBytes,
  formatBytes,
  type HeadSnapshot,
  type TrainingSnapshot,
  type TrainOptions,
  type EvalMetrics,
  type StepMetrics,
  type TrainResult,
} from '../engine';
import { writeFileAtomic } from '../node/atomicWrite';
import { defaultTrainingBudgetMb } from '../node/memoryBudget';
import type { HostToWorker } from '../protocol/workerProtocol';
import { modelInfo, type ActiveModel } from './activeModel';
import type { ModelInfo } from '../protocol/common';
import { WorkerError } from './errors';
import { encodeToArrays } from './tokenArrays';

export type TrainRequest = Extract<HostToWorker, { type: 'train' }>;
export type ContinueRequest = Extract<HostToWorker, { type: 'continueTraining' }>;

export interface TrainingHooks {
  readonly onStep: (m: StepMetrics) => void;
  readonly onEval: (e: EvalMetrics) => void;
  readonly onSnapshot?: (s: HeadSnapshot) => void;
  readonly yieldControl: () => Promise<void>;
}

export class TrainingRun {
  readonly id: number;
  readonly cancellation = { isCancellationRequested: false };
  readonly trainer: Trainer;
  /** Where the snapshots' probe begins in the training text (null: not known, a continued run). */
  probeOffset: number | null = null;

  private constructor(
    readonly request: TrainRequest | ContinueRequest,
    readonly tokenizer: CharTokenizer,
    readonly options: TrainOptions,
    model: Transformer,
    ids: Int32Array,
    label: string,
    /** The training state a continued run starts from (null: a fresh run). */
    readonly resumedFrom: TrainingSnapshot | null,
  ) {
    this.id = request.id;
    // Refused before training: a batch that cannot fit would take the worker down by out-of-memory.
    const config = model.config;
    const T = Math.min(config.contextLength, Math.max(1, ids.length - Math.floor(ids.length * options.validationFraction) - 1));
    const need = estimateTrainingBytes({ config, batchSize: options.batchSize, T, tokens: ids.length });
    const budget = defaultTrainingBudgetMb() * 1024 ** 2;
    if (need > budget) {
      throw new WorkerError(
        'bad-input',
        `training ${label} with batch ${options.batchSize} × window ${T} on ${ids.length} tokens needs about ${formatBytes(need)}, more than the ${formatBytes(budget)} this machine allows; lower the batch size (attentionLens.training.batchSize)`,
      );
    }
    this.trainer = new Trainer(model, ids, options, resumedFrom?.state);
  }

  /** Validates the request and builds the model and trainer; throws bad-input errors. */
  static prepare(r: TrainRequest): TrainingRun {
    if (r.text.length === 0) throw new WorkerError('bad-input', 'the text to train on is empty');
    const preset = getPreset(r.options.preset);
    const options = resolveTrainOptions({
      steps: r.options.steps,
      batchSize: r.options.batchSize ?? preset.batchSize,
      learningRate: r.options.learningRate ?? preset.learningRate,
      seed: r.options.seed,
      evalInterval: r.options.evalInterval,
    });
    const tokenizer = CharTokenizer.fromText(r.text);
    const model = Transformer.create({ ...presetConfig(preset.name, tokenizer.vocabSize), attentionMode: r.options.attention }, new Rng(options.seed));
    const run = new TrainingRun(r, tokenizer, options, model, encodeToArrays(tokenizer, r.text).ids, preset.name, null);
    const every = r.options.snapshotEvery ?? SnapshotRecorder.defaultEvery(options.steps);
    if (every > 0) {
      // The probe: the window the host chose (under the cursor, or the selection), its first tokens.
      const from = Math.min(r.probe?.start ?? 0, r.text.length);
      const probe = tokenizer.encode(r.text.slice(from, Math.max(from, r.probe?.end ?? r.text.length))).ids.slice(0, PROBE_TOKENS);
      const ids = probe.length > 0 ? probe : tokenizer.encode(r.text).ids.slice(0, PROBE_TOKENS);
      run.trainer.snapshots = new SnapshotRecorder(ids, every);
      run.probeOffset = probe.length > 0 ? from : 0;
    }
    return run;
  }

  /**
   * The active model's run, continued on `r.text`: refused (bad-input) when it has no training
   * state, is complete, or was trained on another text. The trainer works on a copy of the
   * weights: the active model keeps answering the editor until the run ends.
   */
  static prepareContinue(r: ContinueRequest, active: ActiveModel): TrainingRun {
    const what = `the active model (${active.source})`;
    if (!(active.tokenizer instanceof CharTokenizer)) {
      throw new WorkerError(
        'bad-input',
        `${what} uses a ${active.tokenizer.kind} tokenizer and holds no training run to continue; only models trained here can be continued`,
      );
    }
    const ids = encodeToArrays(active.tokenizer, r.text).ids;
    let training: TrainingSnapshot;
    try {
      training = checkResumable(active.training, ids, what).training;
    } catch (e) {
      if (e instanceof ResumeError) throw new WorkerError('bad-input', e.message);
      throw e;
    }
    const copy = new Map([...active.model.params].map(([name, t]) => [name, new Tensor(t.data.slice(), t.shape, true)] as const));
    const model = new Transformer(active.model.config, copy);
    const run = new TrainingRun(r, active.tokenizer, training.options, model, ids, active.model.config.architecture, training);
    const kept = training.snapshots;
    if (kept) run.trainer.snapshots = new SnapshotRecorder(kept.probe, kept.every, undefined, kept);
    return run;
  }

  get model(): Transformer {
    return this.trainer.model;
  }

  info(): ModelInfo {
    return modelInfo(this.model, this.tokenizer, this.request.sourceName, this.trainer.step, this.options.steps);
  }

  /** Creates the checkpoint's folder up front, so an unusable path fails before training. */
  async prepareCheckpointFolder(): Promise<void> {
    const dir = path.dirname(path.resolve(this.request.checkpointPath));
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (e) {
      throw new WorkerError('checkpoint', `cannot create the folder ${dir} for the checkpoint ${this.request.checkpointPath}: ${(e as Error).message}`);
    }
  }

  run(hooks: TrainingHooks): Promise<TrainResult> {
    return this.trainer.run({ ...hooks, cancellation: this.cancellation });
  }

  /** The trained model as the worker's active model (with the state a checkpoint stores). */
  toActiveModel(): ActiveModel {
    const training: TrainingSnapshot = {
      options: this.options,
      state: this.trainer.snapshot(),
      data: this.trainer.fingerprint,
      snapshots: this.trainer.snapshots?.record() ?? null,
    };
    return { model: this.model, tokenizer: this.tokenizer, tokenizerJson: this.tokenizer.toJSON(), training, source: this.request.sourceName };
  }

  /** Writes the checkpoint atomically; returns its path. */
  async save(active: ActiveModel): Promise<string> {
    const bytes = serializeCheckpoint(active.model, active.tokenizerJson, active.training);
    await fsp.mkdir(path.dirname(path.resolve(this.request.checkpointPath)), { recursive: true });
    await writeFileAtomic(this.request.checkpointPath, bytes);
    return this.request.checkpointPath;
  }
}
