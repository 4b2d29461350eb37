/**
 * One training run from its first step to its `trainFinished` message: streams step and
 * evaluation reports (with the evaluation's sample), saves the checkpoint and the
 * validation-best one beside it, and makes the trained model active. The session owns the
 * queue and decides when the run may start; this file only drives the run it is given.
 */

import { bestCheckpointPath, type Transformer } from '../engine';
import type { CallReply, WorkerToHost } from '../protocol/workerProtocol';
import { writeFileAtomic } from '../node/atomicWrite';
import type { ActiveModel } from './activeModel';
import type { EvalWatch } from './evalWatch';
import { runSnapshot } from './snapshotMessages';
import type { TrainingRun } from './training';

export interface TrainingHooks {
  readonly send: (message: WorkerToHost) => void;
  /** Called between steps (and inside long steps): lets the worker answer other requests. */
  readonly yieldControl: () => Promise<void>;
  readonly afterTrainStep: (model: Transformer, step: number) => void;
  /** The session was disposed: nothing is reported or activated any more. */
  readonly disposed: () => boolean;
  readonly activate: (model: ActiveModel) => void;
}

type BestCheckpoint = { path: string; step: number; valLoss: number };

/** Runs `run` to its end; returns its `trainFinished` message, or null when the session went away meanwhile. */
export async function driveTraining(run: TrainingRun, watch: EvalWatch, hooks: TrainingHooks): Promise<CallReply<'train'> | null> {
  const id = run.id;
  const result = await run.run({
    yieldControl: hooks.yieldControl,
    onStep: (m) => {
      hooks.send({
        type: 'trainStep',
        id,
        step: m.step,
        loss: m.loss,
        lr: m.lr,
        gradNorm: m.gradNorm,
        tokensPerSecond: m.tokensPerSecond,
        elapsedMs: m.elapsedMs,
      });
      hooks.afterTrainStep(run.model, m.step);
    },
    onSnapshot: (s) => hooks.send({ type: 'trainSnapshot', id, every: run.trainer.snapshots?.every ?? 1, snapshot: runSnapshot(s) }),
    onEval: (e) => {
      const sample = watch.onEval(e);
      hooks.send({
        type: 'trainEval',
        id,
        step: e.step,
        valLoss: e.valLoss,
        valAccuracy: e.valAccuracy,
        valPerplexity: e.valPerplexity,
        ...(sample ? { sample } : {}),
      });
    },
  });
  if (hooks.disposed()) return null;
  const notes: string[] = result.message ? [result.message] : [];
  let checkpointPath: string | null = null;
  let best: BestCheckpoint | null = null;
  // A continued run stopped before its first new step changed nothing: the active model stays as it is.
  if (result.step > (run.resumedFrom?.state.step ?? 0)) {
    const trained = run.toActiveModel();
    try {
      checkpointPath = await run.save(trained);
    } catch (e) {
      notes.push(`the checkpoint was not saved: ${(e as Error).message}`);
    }
    if (checkpointPath !== null) {
      try {
        best = await saveBest(watch, result.step, trained.tokenizerJson, checkpointPath);
      } catch (e) {
        notes.push(`the validation-best checkpoint was not saved: ${(e as Error).message}`);
      }
    }
    hooks.activate(trained);
  } else {
    notes.push(
      run.resumedFrom
        ? 'no further training step completed, so nothing was saved and the active model is unchanged'
        : 'no training step completed, so nothing was saved and the previous model stays active',
    );
  }
  return {
    type: 'trainFinished',
    id,
    // The worker sets no `until`: its runs end completed, cancelled or diverged.
    reason: result.reason === 'until' ? 'cancelled' : result.reason,
    step: result.step,
    message: notes.length ? notes.join('; ') : null,
    checkpointPath,
    info: run.info(),
    best,
  };
}

/** Writes the validation-best checkpoint beside the run's (`x.safetensors` → `x.best.safetensors`) when it is not the final model. */
async function saveBest(watch: EvalWatch, finalStep: number, tokenizerJson: unknown, checkpointPath: string): Promise<BestCheckpoint | null> {
  const best = watch.bestCheckpoint(finalStep, tokenizerJson);
  if (!best) return null;
  const file = bestCheckpointPath(checkpointPath);
  await writeFileAtomic(file, best.bytes);
  return { path: file, step: best.step, valLoss: best.valLoss };
}
