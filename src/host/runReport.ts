/**
 * The message at the end of a training run: how it ended, its validation loss, where the
 * model was saved — a warning when the loss ended above where it started (presentation/
 * lossRise.ts: a learning rate too high that never made the loss non-finite) — and, when the run overfits (presentation/overfitting.ts), a note saying
 * so with the validation-best checkpoint the worker kept, offered to load. A checkpoint that
 * could not be written is offered to be saved elsewhere (the trained model is still active).
 */

import * as vscode from 'vscode';
import { describeLossRise, detectLossRise } from '../presentation/lossRise';
import { describeOverfitting, detectOverfitting } from '../presentation/overfitting';
import type { BestCheckpoint, KeptRun } from '../protocol/runs';
import type { Log } from './log';
import type { TrainingRun } from './trainingRun';
import { tr } from './translate';

export interface FinishedRun {
  readonly reason: string;
  readonly step: number;
  readonly message: string | null;
  readonly checkpointPath: string | null;
  readonly best?: BestCheckpoint | null;
}

/** The overfitting note for the run's record (null when it does not overfit). */
function overfittingNote(r: KeptRun | null, best: BestCheckpoint | null): string | null {
  if (!r) return null;
  const f = detectOverfitting(r.steps, r.evals);
  if (!f) return null;
  const what = capitalise(describeOverfitting(f, tr));
  return best
    ? vscode.l10n.t('{0}. The validation-best model (step {1}) is kept at {2}; Save Checkpoint… offers it too.', what, best.step, best.path)
    : vscode.l10n.t('{0}.', what);
}

/** The warning for a run whose loss ended above where it started (null when it did not). */
function lossRiseNote(r: KeptRun | null): string | null {
  const f = r ? detectLossRise(r.steps) : null;
  return f ? vscode.l10n.t('{0}. Try a lower learning rate (attentionLens.training.learningRate).', capitalise(describeLossRise(f, tr))) : null;
}

/**
 * Shows the finish message; returns what it said (the command's outcome carries it, for scripts
 * and tests) and the overfitting note it carried, if any.
 */
export function reportRun(log: Log, done: FinishedRun, name: string, totalSteps: number, run: TrainingRun): { said: string; note: string | null } {
  const last = run.lastEval;
  const showDashboard = vscode.l10n.t('Show Dashboard');
  const continueTraining = vscode.l10n.t('Continue Training');
  const loadBest = vscode.l10n.t('Load Best Checkpoint');
  const act = (c: string | undefined): void => {
    if (c === showDashboard) void vscode.commands.executeCommand('attentionLens.showDashboard');
    else if (c === continueTraining) void vscode.commands.executeCommand('attentionLens.continueTraining');
  };
  if (done.reason === 'diverged') {
    const said = done.message ? vscode.l10n.t('{0}. Try a lower learning rate.', done.message) : vscode.l10n.t('Training diverged. Try a lower learning rate.');
    void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: {0}', said), showDashboard).then(act);
    return { said, note: null };
  }
  const stopped = done.reason === 'cancelled';
  const what = headline(stopped, done.step, totalSteps, name, last);
  if (done.checkpointPath === null) {
    const said = done.message ? vscode.l10n.t('{0}, but {1}.', what, done.message) : vscode.l10n.t('{0}, but the checkpoint was not saved.', what);
    if (done.step > 0) offerSaveAs(log, said);
    return { said, note: null };
  }
  // A stopped run's checkpoint holds the optimizer state, the step and the generator: Continue Training resumes it exactly.
  const saved = stopped
    ? vscode.l10n.t(
        '{0}; saved a resumable checkpoint (step {1} of {2}) to {3}; Continue Training resumes it.',
        what,
        done.step,
        totalSteps,
        done.checkpointPath,
      )
    : vscode.l10n.t('{0}; saved to {1}.', what, done.checkpointPath);
  const best = done.best ?? null;
  log.info(saved);
  const record = run.record();
  const rise = lossRiseNote(record);
  if (rise) {
    log.warn(rise);
    const said = vscode.l10n.t('{0} {1}', saved, rise);
    void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: {0}', said), showDashboard).then(act);
    return { said, note: null };
  }
  const note = overfittingNote(record, best);
  const actions = stopped ? [continueTraining, showDashboard] : [showDashboard];
  if (note) {
    log.warn(note);
    const said = vscode.l10n.t('{0} {1}', saved, note);
    void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: {0}', said), ...(best ? [loadBest] : []), ...actions).then((c) => {
      if (c === loadBest && best) void vscode.commands.executeCommand('attentionLens.loadCheckpoint', { path: best.path });
      else act(c);
    });
    return { said, note };
  }
  const said = vscode.l10n.t('{0} Move the cursor to see attention.', saved);
  void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: {0}', said), ...actions).then(act);
  return { said, note: null };
}

/** The run's first clause: how far it went, on what, and its last validation loss. */
function headline(stopped: boolean, step: number, total: number, name: string, last: { valLoss: number; valAccuracy: number } | null | undefined): string {
  if (!last) {
    if (stopped) return vscode.l10n.t('Stopped at step {0} of {1} on {2}', step, total, name);
    return step === 1 ? vscode.l10n.t('Trained 1 step on {0}', name) : vscode.l10n.t('Trained {0} steps on {1}', step, name);
  }
  const loss = last.valLoss.toFixed(3);
  const accuracy = (100 * last.valAccuracy).toFixed(1);
  return stopped
    ? vscode.l10n.t('Stopped at step {0} of {1} on {2}, validation loss {3} (accuracy {4} %)', step, total, name, loss, accuracy)
    : step === 1
      ? vscode.l10n.t('Trained 1 step on {0}, validation loss {1} (accuracy {2} %)', name, loss, accuracy)
      : vscode.l10n.t('Trained {0} steps on {1}, validation loss {2} (accuracy {3} %)', step, name, loss, accuracy);
}

/**
 * The checkpoint could not be written (a full disk, a read-only folder): the trained model is
 * still active in the worker, so nothing is lost yet — say so and offer to save it elsewhere.
 */
function offerSaveAs(log: Log, what: string): void {
  log.warn(what);
  void vscode.window
    .showWarningMessage(
      vscode.l10n.t('Attention Lens: {0} The trained model is still active (until the window reloads); save it somewhere else?', what),
      vscode.l10n.t('Save As…'),
    )
    .then((c) => {
      if (c) void vscode.commands.executeCommand('attentionLens.saveCheckpoint');
    });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
