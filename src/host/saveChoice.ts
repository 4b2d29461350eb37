/**
 * "Save Checkpoint…" after a run that went on past its lowest validation loss: the worker
 * kept the validation-best model beside the last one, so the command offers both. Which one
 * is asked in a quick pick (scripts and tests pass it as an argument).
 */

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { BestCheckpoint } from '../protocol/runs';
import type { TrainingRun } from './trainingRun';

export type WhichCheckpoint = 'best' | 'last';

/** The validation-best checkpoint of the run whose model is active, if it is still on disk. */
export function bestCheckpointFor(run: TrainingRun | undefined, activePath: string | null): BestCheckpoint | null {
  const c = run?.checkpoints;
  if (!c?.best || activePath === null || c.last !== activePath) return null;
  return fs.existsSync(c.best.path) ? c.best : null;
}

export async function pickBestOrLast(best: BestCheckpoint, lastStep: number | null): Promise<WhichCheckpoint | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      {
        label: vscode.l10n.t('Last model'),
        description: lastStep === null ? '' : vscode.l10n.t('step {0}', lastStep),
        detail: vscode.l10n.t('The model as training left it'),
        value: 'last' as const,
      },
      {
        label: vscode.l10n.t('Validation-best model'),
        description: vscode.l10n.t('step {0} · validation loss {1}', best.step, best.valLoss.toFixed(3)),
        detail: vscode.l10n.t('The weights at the evaluation with the lowest validation loss (before overfitting)'),
        value: 'best' as const,
      },
    ],
    { title: vscode.l10n.t('Attention Lens: save which model?') },
  );
  return pick?.value;
}
