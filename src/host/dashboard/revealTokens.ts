/**
 * A click on a token in the dashboard selects it in the editor showing its document (opening
 * the document if needed) and focuses that editor: the highlighter follows the active editor's
 * selection, so the clicked tokens become the query everywhere.
 */

import * as vscode from 'vscode';
import type { Log } from '../log';

/** Selects [start, end) (UTF-16 offsets, clamped to the text) of the document `documentKey`. */
export async function revealTokens(log: Log, documentKey: string, start: number, end: number): Promise<void> {
  try {
    const doc =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === documentKey) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(documentKey)));
    const length = doc.getText().length;
    const range = new vscode.Range(doc.positionAt(Math.min(start, length)), doc.positionAt(Math.min(end, length)));
    const visible = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn, preserveFocus: false, selection: range });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  } catch (e) {
    log.warn(`dashboard: could not select tokens in ${documentKey}: ${(e as Error).message}`);
  }
}
