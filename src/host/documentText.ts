/**
 * Which documents Attention Lens works on, and the checks that keep bad input from ever
 * reaching the engine: empty documents, binary files and texts too large to train on get
 * a message that says so.
 */

import * as vscode from 'vscode';

/** Largest text the extension trains on (characters). Bigger files: select a part. */
export const MAX_TRAIN_CHARS = 8 * 1024 * 1024;
/** Largest document the editor highlights attention in. */
export const MAX_VIEW_CHARS = 16 * 1024 * 1024;

export class UnusableTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableTextError';
  }
}

/** Editors whose documents we decorate: real text documents, not output panels or our own views. */
export function isTextEditorWeWant(editor: vscode.TextEditor | undefined): editor is vscode.TextEditor {
  if (!editor) return false;
  const scheme = editor.document.uri.scheme;
  return scheme !== 'output' && scheme !== 'vscode-scm' && scheme !== 'debug' && !scheme.startsWith('git');
}

/** Length of a document in UTF-16 code units, without copying its text. */
export function documentLength(doc: vscode.TextDocument): number {
  return doc.offsetAt(new vscode.Position(doc.lineCount, 0));
}

/** The first 8 K characters, without copying the whole text (documents can be 10 MB). */
export function documentHead(doc: vscode.TextDocument): string {
  return doc.getText(new vscode.Range(new vscode.Position(0, 0), doc.positionAt(8192)));
}

/** NUL characters in the first 8 KB: the file is binary (VS Code shows such files as text anyway). */
export function looksBinary(text: string): boolean {
  return text.slice(0, 8192).includes('\u0000');
}

export function checkTrainingText(text: string, name: string): void {
  if (text.trim().length === 0) throw new UnusableTextError(vscode.l10n.t('{0} is empty: there is nothing to train on', name));
  if (looksBinary(text))
    throw new UnusableTextError(vscode.l10n.t('{0} looks like a binary file (it contains NUL characters); open a text file to train on', name));
  if (text.length > MAX_TRAIN_CHARS) {
    throw new UnusableTextError(
      vscode.l10n.t(
        '{0} has {1} M characters; training takes at most {2} M — select a part of it and train on the selection',
        name,
        (text.length / 1e6).toFixed(1),
        MAX_TRAIN_CHARS / 1024 / 1024,
      ),
    );
  }
}
