/**
 * One way to tell the user something failed: a single notification with "Show Log", and
 * the full detail (stack, worker detail) in the log for what is not the user's error (engineError.ts).
 */

import * as vscode from 'vscode';
import { errorDetail } from './engineError';
import type { Log } from './log';

export function showError(log: Log, message: string, error?: unknown): void {
  const detail = errorDetail(error);
  log.error(`${message}${detail ? `\n${detail}` : ''}`);
  void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', message), vscode.l10n.t('Show Log')).then((choice) => {
    if (choice) log.show(true);
  });
}
