/**
 * Composition root: builds the host objects, wires them together and registers everything with
 * the extension context so it is disposed on deactivate. No logic of its own lives here.
 */
import * as vscode from 'vscode';
import { createLog } from './host/log';

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand('attentionLens.showLog', () => log.show(true)),
  );
  log.info(`Attention Lens ${context.extension.packageJSON.version} activated`
    + ` (VS Code ${vscode.version}, ${vscode.env.appHost}, Node ${process.versions.node})`);
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes it.
}
