/**
 * When is a run overfitting? Shared by the host (the finish message) and the dashboard (the
 * mark on the loss panel), so both say the same thing.
 *
 * The rule: the run has at least PATIENCE evaluations after the one with the lowest
 * validation loss (none of them lower), and over those evaluations the training loss kept
 * falling (by at least TRAIN_DROP of its value at the best evaluation), so the gap between
 * validation and training loss grew. The training loss at an evaluation is the mean of the
 * finite step losses since the previous evaluation (one step's loss is too noisy to compare).
 * The best evaluation is also the step whose weights the worker keeps (the validation-best
 * checkpoint).
 */

import { english, type Translate } from './localize';

export const OVERFIT_PATIENCE = 3;
export const TRAIN_DROP = 0.02;

export interface OverfitFinding {
  /** The evaluation with the lowest validation loss (the best checkpoint's step). */
  readonly bestStep: number;
  readonly bestValLoss: number;
  readonly lastStep: number;
  readonly lastValLoss: number;
  /** Mean training loss over the interval before the best and the last evaluation. */
  readonly trainAtBest: number;
  readonly trainAtLast: number;
  /** Validation minus training loss at the best and at the last evaluation. */
  readonly gapAtBest: number;
  readonly gapAtLast: number;
  /** Evaluations after the best one (all without improvement). */
  readonly evalsSinceBest: number;
}

export interface StepSeries {
  readonly step: ArrayLike<number>;
  readonly loss: ArrayLike<number>;
}

export interface EvalSeries {
  readonly step: ArrayLike<number>;
  readonly valLoss: ArrayLike<number>;
}

/** The finding, or null when the run does not show the pattern (or is too short to tell). */
export function detectOverfitting(steps: StepSeries, evals: EvalSeries, patience = OVERFIT_PATIENCE): OverfitFinding | null {
  const points: { step: number; val: number; train: number }[] = [];
  let i = 0;
  let previous = -Infinity;
  for (let j = 0; j < evals.step.length; j++) {
    const step = evals.step[j]!;
    const val = evals.valLoss[j]!;
    let sum = 0;
    let count = 0;
    // Steps are increasing: walk them once over all evaluations.
    for (; i < steps.step.length && steps.step[i]! <= step; i++) {
      const loss = steps.loss[i]!;
      if (steps.step[i]! > previous && Number.isFinite(loss)) {
        sum += loss;
        count++;
      }
    }
    previous = step;
    if (Number.isFinite(val) && count > 0) points.push({ step, val, train: sum / count });
  }
  if (points.length < patience + 1) return null;
  let best = 0;
  for (let j = 1; j < points.length; j++) if (points[j]!.val < points[best]!.val) best = j;
  const since = points.length - 1 - best;
  if (since < patience) return null;
  const b = points[best]!;
  const last = points[points.length - 1]!;
  if (!(last.train < b.train * (1 - TRAIN_DROP))) return null;
  const gapAtBest = b.val - b.train;
  const gapAtLast = last.val - last.train;
  if (!(gapAtLast > gapAtBest)) return null;
  return {
    bestStep: b.step,
    bestValLoss: b.val,
    lastStep: last.step,
    lastValLoss: last.val,
    trainAtBest: b.train,
    trainAtLast: last.train,
    gapAtBest,
    gapAtLast,
    evalsSinceBest: since,
  };
}

/** One sentence for people: what happened, in the run's own numbers. */
export function describeOverfitting(f: OverfitFinding, tr: Translate = english): string {
  return tr('the model is overfitting: {0}', overfittingDetail(f, tr));
}

/** The sentence's numbers alone (the dashboard's note says "Overfitting:" itself). */
export function overfittingDetail(f: OverfitFinding, tr: Translate = english): string {
  return tr(
    'validation loss has not improved since step {0} (best {1}, {2} at step {3}) while training loss kept falling ({4} → {5})',
    f.bestStep,
    f.bestValLoss.toFixed(3),
    f.lastValLoss.toFixed(3),
    f.lastStep,
    f.trainAtBest.toFixed(3),
    f.trainAtLast.toFixed(3),
  );
}
