/**
 * The training loop: sample a batch, forward with loss, backward, clip, AdamW step;
 * evaluate on held-out windows every so often; report each step through callbacks.
 *
 * The loop is cooperative: between steps it awaits an injected `yieldControl` (the worker
 * passes a macrotask yield) and checks the cancellation flag, so a stop request is seen
 * within one step. A step whose batch is larger than one micro-batch (microBatches.ts) also
 * yields and checks between its micro-batches: a stop there abandons the step as if it had
 * never begun (the parameters, moments and generator as they were), so one long step does not
 * hold up Ctrl-C or Stop Training, and the state saved then still resumes exactly. Everything that influences the next step (parameters, AdamW moments,
 * the Rng, the step counter) is in `snapshot()`, which is what makes resume exact.
 */

import { Tape } from '../autograd';
import { BufferPool, withBufferPool } from '../buffers';
import type { Transformer } from '../nn/transformer';
import { AdamW, DEFAULT_ADAMW, type AdamWState } from '../optim/adamw';
import { clipGradNorm } from '../optim/clip';
import { learningRateAt } from '../optim/schedule';
import { Rng, type RngState } from '../random';
import { TextDataset, type Batch } from './data';
import { SnapshotRecorder, type HeadSnapshot } from './snapshots';
import { countedTargets, GradientAccumulator, MICRO_BATCH_TOKENS, microBatchWindows, sliceBatch } from './microBatches';
import { dataFingerprint, type DataFingerprint } from './fingerprint';
import type { TrainOptions } from './options';

export interface StepMetrics {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  readonly tokensPerSecond: number;
  /** Milliseconds since training (or this resumed session) started. */
  readonly elapsedMs: number;
}

export interface EvalMetrics {
  readonly step: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly valPerplexity: number;
}

export interface TrainerState {
  /** Steps completed. */
  readonly step: number;
  readonly rng: { s: RngState; spare: number | null };
  readonly optimizer: AdamWState;
  readonly history: { readonly steps: StepMetrics[]; readonly evals: EvalMetrics[] };
}

export interface CancellationFlag {
  readonly isCancellationRequested: boolean;
}

export interface TrainHooks {
  readonly onStep?: (m: StepMetrics) => void;
  readonly onEval?: (m: EvalMetrics) => void;
  /** Awaited between steps, and between the micro-batches of a long step, so the host of the loop can handle messages (cancel, queries). */
  readonly yieldControl?: () => Promise<void>;
  /** After each snapshot the trainer's recorder takes (see `Trainer.snapshots`). */
  readonly onSnapshot?: (s: HeadSnapshot) => void;
  /** After each micro-batch of a step cut into several: `done` of `total` parts of step `step` are through. */
  readonly onMicroBatch?: (step: number, done: number, total: number) => void;
  readonly cancellation?: CancellationFlag;
  /** Milliseconds clock; defaults to performance.now(). */
  readonly now?: () => number;
  /**
   * Stop once this many steps are done (reason 'until'), short of the run's total: the learning-rate
   * schedule stays that of `options.steps`, so resuming later continues the same run.
   */
  readonly until?: number;
}

export type StopReason = 'completed' | 'cancelled' | 'diverged' | 'until';

export interface TrainResult {
  readonly reason: StopReason;
  readonly step: number;
  readonly lastEval: EvalMetrics | null;
  /** For 'diverged': what went non-finite, at which step. */
  readonly message?: string;
}

export class Trainer {
  readonly model: Transformer;
  readonly options: TrainOptions;
  readonly data: TextDataset;
  /** What the run trains on, saved with its checkpoints so a resume can check it is given the same. */
  readonly fingerprint: DataFingerprint;
  private readonly optimizer: AdamW;
  private readonly rng: Rng;
  private stepsDone = 0;
  private readonly stepHistory: StepMetrics[] = [];
  private accumulator: GradientAccumulator | null = null;
  /**
   * Tokens per micro-batch. Batches that fit are not cut; changing it changes the numbers of
   * larger batches (the gradient is summed in another order), so a run and its resumes share it.
   */
  microBatchTokens = MICRO_BATCH_TOKENS;
  /** Records head snapshots every so many steps when set (it draws nothing from the generator). */
  snapshots: SnapshotRecorder | null = null;
  private readonly evalHistory: EvalMetrics[] = [];

  /**
   * `buffers` supplies the arrays of each step; every step has the same shapes, so the default
   * pool reuses one step's arrays for the next (tests pass pools that never reuse, or poison).
   */
  constructor(
    model: Transformer,
    tokens: Int32Array,
    options: TrainOptions,
    resume?: TrainerState,
    private readonly buffers: BufferPool = new BufferPool(),
  ) {
    this.model = model;
    this.options = options;
    this.data = new TextDataset(tokens, model.config.contextLength, options.validationFraction);
    this.fingerprint = dataFingerprint(tokens);
    this.optimizer = new AdamW(model.parameters(), { ...DEFAULT_ADAMW, weightDecay: options.weightDecay });
    this.rng = new Rng(options.seed);
    if (resume) {
      this.stepsDone = resume.step;
      this.rng.setState(resume.rng);
      this.optimizer.setState(resume.optimizer);
      this.stepHistory.push(...resume.history.steps);
      this.evalHistory.push(...resume.history.evals);
    }
  }

  get step(): number {
    return this.stepsDone;
  }

  get done(): boolean {
    return this.stepsDone >= this.options.steps;
  }

  get history(): { steps: readonly StepMetrics[]; evals: readonly EvalMetrics[] } {
    return { steps: this.stepHistory, evals: this.evalHistory };
  }

  /** Runs until the configured step count, a cancellation, or a non-finite loss. */
  async run(hooks: TrainHooks = {}): Promise<TrainResult> {
    const now = hooks.now ?? (() => performance.now());
    const start = now();
    let lastEval: EvalMetrics | null = this.evalHistory[this.evalHistory.length - 1] ?? null;
    while (!this.done) {
      if (hooks.cancellation?.isCancellationRequested) return { reason: 'cancelled', step: this.stepsDone, lastEval };
      if (hooks.until !== undefined && this.stepsDone >= hooks.until) return { reason: 'until', step: this.stepsDone, lastEval };
      const t0 = now();
      const m = await this.cancellableStep(() => now() - start, hooks);
      if (m === null) return { reason: 'cancelled', step: this.stepsDone, lastEval };
      const withSpeed: StepMetrics = { ...m, tokensPerSecond: (this.options.batchSize * this.data.T * 1000) / Math.max(1e-6, now() - t0) };
      if (Number.isFinite(withSpeed.loss) && Number.isFinite(withSpeed.gradNorm)) this.stepHistory.push(withSpeed);
      hooks.onStep?.(withSpeed);
      const snapshot = Number.isFinite(withSpeed.loss) ? this.snapshots?.afterStep(this.model, this.stepsDone) : null;
      if (snapshot) hooks.onSnapshot?.(snapshot);
      if (!Number.isFinite(withSpeed.loss) || !Number.isFinite(withSpeed.gradNorm)) {
        const what = !Number.isFinite(withSpeed.loss) ? `loss is ${withSpeed.loss}` : `gradient norm is ${withSpeed.gradNorm}`;
        return {
          reason: 'diverged',
          step: this.stepsDone,
          lastEval,
          message: `training stopped at step ${withSpeed.step}: the ${what} (learning rate ${withSpeed.lr.toPrecision(3)}); the parameters from the last good step are kept`,
        };
      }
      if (this.stepsDone % this.options.evalInterval === 0 || this.done) {
        const e = this.evaluate();
        if (e) {
          lastEval = e;
          hooks.onEval?.(e);
        }
      }
      if (hooks.yieldControl) await hooks.yieldControl();
    }
    return { reason: 'completed', step: this.stepsDone, lastEval };
  }

  /**
   * One optimisation step. A non-finite loss or gradient is reported without updating the
   * parameters, so the model stays at its last good state. Its arrays come from the trainer's
   * buffer pool and go back to it at the end, gradients included (they are cleared).
   */
  trainStep(elapsed: () => number = () => 0): StepMetrics {
    const parts = this.stepParts(elapsed);
    for (;;) {
      const r = parts.next();
      if (r.done) return r.value;
    }
  }

  /** One step, yielding between its micro-batches; null when a stop came in the middle (nothing changed). */
  private async cancellableStep(elapsed: () => number, hooks: TrainHooks): Promise<StepMetrics | null> {
    const parts = this.stepParts(elapsed, hooks.onMicroBatch);
    for (;;) {
      const r = parts.next();
      if (r.done) return r.value;
      if (hooks.yieldControl) await hooks.yieldControl();
      if (hooks.cancellation?.isCancellationRequested) {
        parts.return(null as never); // runs its finally: the generator goes back to where the step began
        return null;
      }
    }
  }

  /**
   * The step as a generator that pauses between micro-batches. Every pool scope closes before a
   * pause, so code running in the pause (the editor's attention requests) never sees the pool.
   */
  private *stepParts(elapsed: () => number, onMicroBatch?: TrainHooks['onMicroBatch']): Generator<void, StepMetrics, void> {
    const stepIndex = this.stepsDone;
    const lr = learningRateAt(stepIndex, {
      peak: this.options.learningRate,
      warmupSteps: this.options.warmupSteps,
      totalSteps: this.options.steps,
      minRatio: this.options.minLrRatio,
    });
    const rngAtStart = this.rng.getState();
    let finished = false;
    try {
      const batch = this.data.sample(this.rng, this.options.batchSize);
      const per = microBatchWindows(batch.T, this.microBatchTokens);
      if (batch.B <= per) {
        const whole = this.pooled(() => this.stepWithin(batch, stepIndex, lr, elapsed));
        finished = true;
        return whole;
      }
      const params = this.model.parameters();
      const acc = (this.accumulator ??= new GradientAccumulator(params));
      acc.reset();
      const total = countedTargets(batch);
      const parts = Math.ceil(batch.B / per);
      let lossSum = 0;
      for (let i = 0; i < parts; i++) {
        if (i > 0) yield;
        const part = sliceBatch(batch, i * per, Math.min(batch.B, (i + 1) * per));
        const loss = this.pooled(() => {
          const tape = new Tape();
          const r = this.model.forward(tape, part.inputs, part.B, part.T, { targets: part.targets, dropoutRng: this.rng });
          const l = r.loss!.data[0]!;
          if (!Number.isFinite(l)) {
            tape.clear();
            return l;
          }
          // d(batch mean)/d(part mean) = the part's share of the counted tokens.
          tape.backwardFrom(r.loss!, new Float32Array([r.counted / total]));
          acc.add();
          return l * r.counted;
        });
        onMicroBatch?.(stepIndex + 1, i + 1, parts);
        if (!Number.isFinite(loss)) {
          finished = true;
          return { step: stepIndex + 1, loss, lr, gradNorm: NaN, tokensPerSecond: 0, elapsedMs: elapsed() };
        }
        lossSum += loss;
      }
      const stepped = this.pooled(() => {
        acc.apply();
        return this.update(lr);
      });
      finished = true;
      return { step: stepIndex + 1, loss: lossSum / total, lr, gradNorm: stepped, tokensPerSecond: 0, elapsedMs: elapsed() };
    } finally {
      // Stopped (or failed) part-way: the next step, or a resume, samples this batch again.
      if (!finished) this.rng.setState(rngAtStart);
    }
  }

  /** `fn` with the step's buffer pool; the gradients (pool arrays) are cleared before it closes. */
  private pooled<T>(fn: () => T): T {
    return withBufferPool(this.buffers, () => {
      try {
        this.model.zeroGrad();
        return fn();
      } finally {
        this.model.zeroGrad(); // the gradients' arrays are the pool's again
      }
    });
  }

  /** Clips the gradients and, when finite, takes the AdamW step; returns the gradient norm. */
  private update(lr: number): number {
    const gradNorm = clipGradNorm(this.model.parameters(), this.options.gradClip);
    if (Number.isFinite(gradNorm)) {
      this.optimizer.step(lr);
      this.stepsDone++;
    }
    return gradNorm;
  }

  private stepWithin(batch: Batch, stepIndex: number, lr: number, elapsed: () => number): StepMetrics {
    const tape = new Tape();
    const r = this.model.forward(tape, batch.inputs, batch.B, batch.T, { targets: batch.targets, dropoutRng: this.rng });
    const loss = r.loss!.data[0]!;
    if (!Number.isFinite(loss)) {
      tape.clear();
      return { step: stepIndex + 1, loss, lr, gradNorm: NaN, tokensPerSecond: 0, elapsedMs: elapsed() };
    }
    tape.backward(r.loss!);
    const gradNorm = this.update(lr);
    return { step: stepIndex + 1, loss, lr, gradNorm, tokensPerSecond: 0, elapsedMs: elapsed() };
  }

  /** Mean loss and next-token accuracy over the fixed validation windows (null without validation data). */
  evaluate(): EvalMetrics | null {
    const batches = this.data.validationBatches(this.options.evalWindows, this.options.batchSize);
    if (batches.length === 0) return null;
    let total = 0,
      count = 0,
      correct = 0;
    for (const b of batches) {
      const r = this.model.forward(null, b.inputs, b.B, b.T, { targets: b.targets });
      total += r.loss!.data[0]! * r.counted;
      count += r.counted;
      correct += r.correct;
    }
    const valLoss = total / count;
    const e: EvalMetrics = { step: this.stepsDone, valLoss, valAccuracy: correct / count, valPerplexity: Math.exp(valLoss) };
    this.evalHistory.push(e);
    return e;
  }

  snapshot(): TrainerState {
    const opt = this.optimizer.getState();
    return {
      step: this.stepsDone,
      rng: this.rng.getState(),
      optimizer: { t: opt.t, m: opt.m.map((a) => a.slice()), v: opt.v.map((a) => a.slice()) },
      history: { steps: [...this.stepHistory], evals: [...this.evalHistory] },
    };
  }
}
