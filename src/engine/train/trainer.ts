/**
 * The training loop: sample a batch, forward with loss, backward, clip, AdamW step;
 * evaluate on held-out windows every so often; report each step through callbacks.
 *
 * The loop is cooperative: between steps it awaits an injected `yieldControl` (the worker
 * passes a macrotask yield) and checks the cancellation flag, so a stop request is seen
 * within one step. Everything that influences the next step (parameters, AdamW moments,
 * the Rng, the step counter) is in `snapshot()`, which is what makes resume exact.
 */

import { Tape } from '../autograd';
import { BufferPool, withBufferPool } from '../buffers';
import type { Transformer } from '../nn/transformer';
import { AdamW, DEFAULT_ADAMW, type AdamWState } from '../optim/adamw';
import { clipGradNorm } from '../optim/clip';
import { learningRateAt } from '../optim/schedule';
import { Rng, type RngState } from '../random';
import { TextDataset } from './data';
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
  /** Awaited between steps so the host of the loop can handle messages (cancel, queries). */
  readonly yieldControl?: () => Promise<void>;
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
      const m = this.trainStep(() => now() - start);
      const withSpeed: StepMetrics = { ...m, tokensPerSecond: (this.options.batchSize * this.data.T * 1000) / Math.max(1e-6, now() - t0) };
      if (Number.isFinite(withSpeed.loss) && Number.isFinite(withSpeed.gradNorm)) this.stepHistory.push(withSpeed);
      hooks.onStep?.(withSpeed);
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
    return withBufferPool(this.buffers, () => {
      try {
        return this.stepWithin(elapsed);
      } finally {
        this.model.zeroGrad(); // the gradients' arrays are the pool's again
      }
    });
  }

  private stepWithin(elapsed: () => number): StepMetrics {
    const stepIndex = this.stepsDone;
    const lr = learningRateAt(stepIndex, {
      peak: this.options.learningRate,
      warmupSteps: this.options.warmupSteps,
      totalSteps: this.options.steps,
      minRatio: this.options.minLrRatio,
    });
    const batch = this.data.sample(this.rng, this.options.batchSize);
    this.model.zeroGrad();
    const tape = new Tape();
    const r = this.model.forward(tape, batch.inputs, batch.B, batch.T, { targets: batch.targets, dropoutRng: this.rng });
    const loss = r.loss!.data[0]!;
    if (!Number.isFinite(loss)) {
      tape.clear();
      return { step: stepIndex + 1, loss, lr, gradNorm: NaN, tokensPerSecond: 0, elapsedMs: elapsed() };
    }
    tape.backward(r.loss!);
    const params = this.model.parameters();
    const gradNorm = clipGradNorm(params, this.options.gradClip);
    if (Number.isFinite(gradNorm)) {
      this.optimizer.step(lr);
      this.stepsDone++;
    }
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
