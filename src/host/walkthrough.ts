/**
 * The first-run walkthrough (`contributes.walkthroughs` in package.json): its steps complete on
 * context keys this file sets when the real thing happened — a text (a sample or any other) shown in an editor,
 * attention drawn for a cursor that moved, a hover with attention in it — and on the
 * `attentionLens.hasModel` key and the dashboard commands that exist anyway. Also the
 * "Open a Sample" command the first step offers (an untitled copy of a shipped text).
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttentionHighlighter } from './attentionHighlighter';
import { documentHead, documentLength, isTextEditorWeWant, looksBinary } from './documentText';

/** The walkthrough's own context keys (package.json's completionEvents name them; a unit test keeps them in step). */
export const WALKTHROUGH_KEYS = {
  sampleOpen: 'attentionLens.walkthrough.sampleOpen',
  cursorMoved: 'attentionLens.walkthrough.cursorMoved',
  hovered: 'attentionLens.walkthrough.hovered',
} as const;

export type WalkthroughStep = keyof typeof WALKTHROUGH_KEYS;

export class WalkthroughProgress implements vscode.Disposable {
  /** Steps done in this session, in the order they happened (tests read it). */
  readonly done = new Set<WalkthroughStep>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private selectionMoved = false;

  constructor(highlighter: AttentionHighlighter) {
    // "Any text works": a sample, a file of one's own or an untitled buffer, once it has text.
    const checkEditor = (e: vscode.TextEditor | undefined): void => {
      if (isTextEditorWeWant(e) && documentLength(e.document) > 0 && !looksBinary(documentHead(e.document))) this.complete('sampleOpen');
    };
    checkEditor(vscode.window.activeTextEditor);
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(checkEditor),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === vscode.window.activeTextEditor) this.selectionMoved = true;
      }),
      // Done when the editor actually showed attention for a cursor that moved, not on the move alone.
      highlighter.onDidUpdate((shown) => {
        if (shown && this.selectionMoved) this.complete('cursorMoved');
      }),
    );
  }

  /** A hover with attention in it was shown (called by the hover provider's wrapper). */
  hovered(): void {
    this.complete('hovered');
  }

  /** Forgets what was done (the in-host tests start from nothing; VS Code keeps completed steps itself). */
  resetForTesting(): void {
    this.done.clear();
    this.selectionMoved = false;
    for (const key of Object.values(WALKTHROUGH_KEYS)) void vscode.commands.executeCommand('setContext', key, false);
  }

  private complete(step: WalkthroughStep): void {
    if (this.done.has(step)) return;
    this.done.add(step);
    void vscode.commands.executeCommand('setContext', WALKTHROUGH_KEYS[step], true);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}

/** A hover provider that tells the walkthrough when it produced a hover. */
export function trackingHovers(inner: vscode.HoverProvider, progress: WalkthroughProgress): vscode.HoverProvider {
  return {
    async provideHover(doc, position, token) {
      const hover = await inner.provideHover(doc, position, token);
      if (hover) progress.hovered();
      return hover;
    },
  };
}

/** "Open a Sample": one of the texts shipped in samples/, picked (or named by the argument). */
export async function openSample(samplesDir: string, name?: string): Promise<vscode.TextEditor | undefined> {
  let file = typeof name === 'string' ? name : undefined;
  if (!file) {
    const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.file(samplesDir));
    const pick = await vscode.window.showQuickPick(
      entries.filter(([, type]) => type === vscode.FileType.File).map(([n]) => n),
      { title: vscode.l10n.t('Attention Lens: open a sample text') },
    );
    if (!pick) return undefined;
    file = pick;
  }
  if (path.basename(file) !== file) throw new Error(`${file} is not a sample name`);
  // An untitled copy under the sample's name, never the file itself: the samples live in the
  // installed extension, and an edit there (auto-save) would change what every later walkthrough
  // opens. The name keeps the language and the run's label; untitled text trains like a file.
  const content = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path.join(samplesDir, file))));
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'untitled', path: file }));
  // Opened before in this window: the copy is shown as the user left it.
  if (doc.getText().length === 0) {
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), content);
    await vscode.workspace.applyEdit(edit);
  }
  // From the walkthrough (or the dashboard), beside it: both stay on screen, so the walkthrough's
  // "Train on This File" finds the sample (commandEditor.ts acts on a visible editor only).
  const activeTab = vscode.window.tabGroups.activeTabGroup.activeTab;
  const besideNonText = activeTab !== undefined && !(activeTab.input instanceof vscode.TabInputText);
  return vscode.window.showTextDocument(doc, besideNonText ? vscode.ViewColumn.Beside : undefined);
}
