/**
 * The text editor a command acts on ("the current file", "the cursor"). Commands run from the
 * dashboard, the sidebar, a walkthrough or the output panel find no active text editor, yet the
 * user's file is still on screen beside them: they act on the editor last used, as long as it is
 * visible, or on the only text editor visible; never on an output panel or a diff's git side.
 */

import * as vscode from 'vscode';
import { isTextEditorWeWant } from './documentText';

/** The last text editor that had focus (set by the tracker registered at activation). */
let lastActive: vscode.TextEditor | undefined;

/** Follows the active text editor; dispose with the extension. */
export function trackCommandEditor(): vscode.Disposable {
  const note = (e: vscode.TextEditor | undefined): void => {
    // Focus leaving for a webview or a panel reports undefined: keep the editor it left.
    if (isTextEditorWeWant(e)) lastActive = e;
  };
  note(vscode.window.activeTextEditor);
  const sub = vscode.window.onDidChangeActiveTextEditor(note);
  return new vscode.Disposable(() => {
    sub.dispose();
    lastActive = undefined;
  });
}

/** The editor a command should act on, or undefined when no text editor is on screen. */
export function commandEditor(): vscode.TextEditor | undefined {
  const active = vscode.window.activeTextEditor;
  if (isTextEditorWeWant(active)) return active;
  const visible = vscode.window.visibleTextEditors.filter(isTextEditorWeWant);
  // Editor objects are replaced when their tab is hidden and shown again: match the document and column too.
  const last =
    lastActive &&
    (visible.find((e) => e === lastActive) ?? visible.find((e) => e.document === lastActive!.document && e.viewColumn === lastActive!.viewColumn));
  if (last) return last;
  return visible.length === 1 ? visible[0] : undefined;
}
