/**
 * The extension's single log: one LogOutputChannel named "Attention Lens" (Output panel, with
 * levels the user can change). Created once by the composition root and handed to whoever logs;
 * the engine never logs, it reports through callbacks and the host writes here.
 */
import * as vscode from 'vscode';

export const LOG_CHANNEL_NAME = 'Attention Lens';

export type Log = vscode.LogOutputChannel;

/** Creates the channel; the caller owns it and disposes it with the extension. */
export function createLog(): Log {
  return vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
}
