/**
 * The message at the end of a training run: how it ended, its validation loss, where the
 * model was saved — and, when the run overfits (presentation/overfitting.ts), a note saying
 * so with the validation-best checkpoint the worker kept, offered to load. A checkpoint that
 * could not be written is offered to be saved elsewhere (the trained model is still active).
 */

import * as vscode from 'vscode';
import { describeOverfitting, detectOverfitting } from '../presentation/overfitting';
import type { BestCheckpoint } from '../protocol/runs';
import type { Log } from './log';
import type { TrainingRun } from './trainingRun';

export interface FinishedRun {
  readonly reason: string;
  readonly step: number;
  readonly message: string | null;
  readonly checkpointPath: string | null;
  readonly best?: BestCheckpoint | null;
}

/** The overfitting note for the run shown in `run` (null when it does not overfit). */
export function overfittingNote(run: TrainingRun, best: BestCheckpoint | null): string | null {
  const r = run.record();
  if (!r) return null;
  const f = detectOverfitting(r.steps, r.evals);
  if (!f) return null;
  const kept = best ? ` The validation-best model (step ${best.step}) is kept at ${best.path}; Save Checkpoint… offers it too.` : '';
  return `${capitalise(describeOverfitting(f))}.${kept}`;
}

/** Shows the finish message; returns the overfitting note it carried, if any. */
export function reportRun(log: Log, done: FinishedRun, name: string, run: TrainingRun): string | null {
  const last = run.lastEval;
  const val = last ? `, validation loss ${last.valLoss.toFixed(3)} (accuracy ${(100 * last.valAccuracy).toFixed(1)} %)` : '';
  const showDashboard = (c: string | undefined): void => {
    if (c === 'Show Dashboard') void vscode.commands.executeCommand('attentionLens.showDashboard');
  };
  if (done.reason === 'diverged') {
    void vscode.window
      .showWarningMessage(`Attention Lens: ${done.message ?? 'training diverged'}. Try a lower learning rate.`, 'Show Dashboard')
      .then(showDashboard);
    return null;
  }
  const what = done.reason === 'cancelled' ? `Stopped after ${done.step} steps` : `Trained ${done.step} steps`;
  if (done.checkpointPath === null) {
    if (done.step > 0) offerSaveAs(log, `${what} on ${name}${val}, but ${done.message ?? 'the checkpoint was not saved'}.`);
    return null;
  }
  // A stopped run's checkpoint holds the optimizer state and the step, so it can be resumed.
  const saved = done.reason === 'cancelled' ? `saved a resumable checkpoint (step ${done.step}) to ${done.checkpointPath}` : `saved to ${done.checkpointPath}`;
  const best = done.best ?? null;
  const note = overfittingNote(run, best);
  log.info(`${what} on ${name}${val}; ${saved}`);
  if (note) {
    log.warn(note);
    const actions = best ? ['Load Best Checkpoint', 'Show Dashboard'] : ['Show Dashboard'];
    void vscode.window.showWarningMessage(`Attention Lens: ${what} on ${name}${val}; ${saved}. ${note}`, ...actions).then((c) => {
      if (c === 'Load Best Checkpoint' && best) void vscode.commands.executeCommand('attentionLens.loadCheckpoint', { path: best.path });
      else showDashboard(c);
    });
    return note;
  }
  void vscode.window
    .showInformationMessage(`Attention Lens: ${what} on ${name}${val}; ${saved}. Move the cursor to see attention.`, 'Show Dashboard')
    .then(showDashboard);
  return null;
}

/**
 * The checkpoint could not be written (a full disk, a read-only folder): the trained model is
 * still active in the worker, so nothing is lost yet — say so and offer to save it elsewhere.
 */
function offerSaveAs(log: Log, what: string): void {
  log.warn(what);
  void vscode.window
    .showWarningMessage(`Attention Lens: ${what} The trained model is still active (until the window reloads); save it somewhere else?`, 'Save As…')
    .then((c) => {
      if (c) void vscode.commands.executeCommand('attentionLens.saveCheckpoint');
    });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
