/**
 * A click on a token in the dashboard moves the editor's cursor to it in the editor showing its
 * document (opening the document if needed) and focuses that editor: the highlighter follows the
 * active editor's cursor, so the clicked token becomes the query everywhere.
 *
 * The cursor goes to the token's start with an empty selection, and the token is outlined by a
 * short-lived decoration of our own: selecting the token's text would make VS Code's selection
 * and occurrence highlighting mark every other occurrence of it (in the editor's selection blue,
 * outside the window too), which reads as attention.
 */

import * as vscode from 'vscode';
import type { Log } from '../log';

/** How long the clicked token stays outlined. */
const OUTLINE_MS = 1500;

/** Puts the cursor at `start` (UTF-16 offset, clamped) of the document `documentKey` and outlines [start, end). */
export async function revealTokens(log: Log, documentKey: string, start: number, end: number): Promise<void> {
  try {
    const doc =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === documentKey) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(documentKey)));
    const length = doc.getText().length;
    const at = doc.positionAt(Math.min(start, length));
    const range = new vscode.Range(at, doc.positionAt(Math.min(Math.max(start, end), length)));
    const visible = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn, preserveFocus: false, selection: new vscode.Range(at, at) });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    if (!range.isEmpty) outline(editor, range);
  } catch (e) {
    log.warn(`dashboard: could not select tokens in ${documentKey}: ${(e as Error).message}`);
  }
}

function outline(editor: vscode.TextEditor, range: vscode.Range): void {
  const type = vscode.window.createTextEditorDecorationType({
    border: '1px solid',
    borderColor: new vscode.ThemeColor('focusBorder'),
    borderRadius: '2px',
  });
  editor.setDecorations(type, [range]);
  setTimeout(() => type.dispose(), OUTLINE_MS);
}
