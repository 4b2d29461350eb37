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

/**
 * Shows the finish message; returns what it said (the command's outcome carries it, for scripts
 * and tests) and the overfitting note it carried, if any.
 */
export function reportRun(log: Log, done: FinishedRun, name: string, totalSteps: number, run: TrainingRun): { said: string; note: string | null } {
  const last = run.lastEval;
  const val = last ? `, validation loss ${last.valLoss.toFixed(3)} (accuracy ${(100 * last.valAccuracy).toFixed(1)} %)` : '';
  const act = (c: string | undefined): void => {
    if (c === 'Show Dashboard') void vscode.commands.executeCommand('attentionLens.showDashboard');
    else if (c === 'Continue Training') void vscode.commands.executeCommand('attentionLens.continueTraining');
  };
  if (done.reason === 'diverged') {
    const said = `${done.message ?? 'training diverged'}. Try a lower learning rate.`;
    void vscode.window.showWarningMessage(`Attention Lens: ${said}`, 'Show Dashboard').then(act);
    return { said, note: null };
  }
  const stopped = done.reason === 'cancelled';
  const what = stopped ? `Stopped at step ${done.step} of ${totalSteps}` : `Trained ${done.step} steps`;
  if (done.checkpointPath === null) {
    const said = `${what} on ${name}${val}, but ${done.message ?? 'the checkpoint was not saved'}.`;
    if (done.step > 0) offerSaveAs(log, said);
    return { said, note: null };
  }
  // A stopped run's checkpoint holds the optimizer state, the step and the generator: Continue Training resumes it exactly.
  const saved = stopped
    ? `saved a resumable checkpoint (step ${done.step} of ${totalSteps}) to ${done.checkpointPath}; Continue Training resumes it`
    : `saved to ${done.checkpointPath}`;
  const best = done.best ?? null;
  const note = overfittingNote(run, best);
  log.info(`${what} on ${name}${val}; ${saved}`);
  const actions = stopped ? ['Continue Training', 'Show Dashboard'] : ['Show Dashboard'];
  if (note) {
    log.warn(note);
    const said = `${what} on ${name}${val}; ${saved}. ${note}`;
    void vscode.window.showWarningMessage(`Attention Lens: ${said}`, ...(best ? ['Load Best Checkpoint'] : []), ...actions).then((c) => {
      if (c === 'Load Best Checkpoint' && best) void vscode.commands.executeCommand('attentionLens.loadCheckpoint', { path: best.path });
      else act(c);
    });
    return { said, note };
  }
  const said = `${what} on ${name}${val}; ${saved}. Move the cursor to see attention.`;
  void vscode.window.showInformationMessage(`Attention Lens: ${said}`, ...actions).then(act);
  return { said, note: null };
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
