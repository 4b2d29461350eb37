/**
 * Did a run's loss blow up without ever becoming non-finite? The trainer stops only on a NaN or
 * infinite loss (trainer.ts); a learning rate far too high can instead send the loss to
 * thousands of nats and leave it finite, and such a run must not be reported as a success.
 * Shared by the host (the finish message) and the CLI's `train`, so both say the same thing.
 *
 * The rule: the training loss at the end (the mean of the last END_STEPS steps) is above the
 * loss of the first step (taken on the untrained weights, about ln V, a uniform guess) by more
 * than RISE_MARGIN of it: the run ended worse than it began on its own training text. The
 * validation loss is left out on purpose: it also ends above its start when a model overfits a
 * small text (its training loss falling all along), which overfitting.ts says instead.
 */

import { english, type Translate } from './localize';
import type { StepSeries } from './overfitting';

/** How far above its start the end may lie (noise of a short run) before it counts. */
export const RISE_MARGIN = 0.05;
/** Steps averaged for the loss at the end (one step's loss is too noisy to compare). */
export const END_STEPS = 10;

export interface LossRise {
  readonly startStep: number;
  readonly startLoss: number;
  /** Mean training loss of the last steps. */
  readonly endLoss: number;
  readonly peakStep: number;
  readonly peakLoss: number;
}

/** The finding, or null when the run ended below (or about at) where it started. */
export function detectLossRise(steps: StepSeries): LossRise | null {
  const finite: { step: number; loss: number }[] = [];
  for (let i = 0; i < steps.step.length; i++) if (Number.isFinite(steps.loss[i]!)) finite.push({ step: steps.step[i]!, loss: steps.loss[i]! });
  if (finite.length < 2) return null;
  const start = finite[0]!;
  let peak = start;
  for (const p of finite) if (p.loss > peak.loss) peak = p;
  const last = finite.slice(-Math.min(END_STEPS, finite.length - 1));
  const end = last.reduce((s, p) => s + p.loss, 0) / last.length;
  if (!(end > start.loss * (1 + RISE_MARGIN))) return null;
  return { startStep: start.step, startLoss: start.loss, endLoss: end, peakStep: peak.step, peakLoss: peak.loss };
}

/** One sentence for people, in the run's own numbers. */
export function describeLossRise(f: LossRise, tr: Translate = english): string {
  return tr(
    'the training loss ended above where it started ({0} at step {1}, {2} over the last steps; highest {3} at step {4}): the model is worse than untrained, so the learning rate is probably too high',
    f.startLoss.toFixed(3),
    f.startStep,
    f.endLoss.toFixed(3),
    f.peakLoss.toPrecision(4),
    f.peakStep,
  );
}
