/**
 * The what-if commands. "Compare with Edit" copies the context window under the cursor into a
 * scratch (untitled) document beside it and has the worker compare the two — as the user edits
 * the copy, the dashboard's What-if panel shows how the aligned query's attention and each
 * token's loss changed. "Compare with Checkpoint…" reads the same document with a second model
 * (picked, or given as arguments) and shows the per-head and per-token differences there. The
 * worker does the numbers; this file only picks, copies and asks.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionsOf, fileFormatByExtension, FILE_FORMATS, FOLDER_FORMATS } from '../../protocol/checkpointFormats';
import type { ActiveModel } from '../activeModel';
import type { AttentionService } from '../attentionService';
import { DashboardPanel } from '../dashboard/panel';
import { commandEditor } from '../commandEditor';
import type { EngineClient } from '../engineClient';
import type { Log } from '../log';
import { watchedCall, watchedLoad } from '../loadProgress';
import { showError } from '../notifications';

export interface WhatIfDeps {
  readonly client: EngineClient;
  readonly model: ActiveModel;
  readonly attention: AttentionService;
  readonly log: Log;
  readonly showDashboard: () => void;
}

export interface CheckpointArgs {
  readonly path: string;
  readonly tokenizerPath?: string;
}

export function registerWhatIf(d: WhatIfDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('attentionLens.compareWithEdit', () => compareWithEdit(d)),
    vscode.commands.registerCommand('attentionLens.compareWithCheckpoint', (args?: CheckpointArgs) =>
      compareWithCheckpoint(d, typeof args === 'object' && args !== null && typeof args.path === 'string' ? args : undefined),
    ),
  ];
}

/** The command's text editor (commandEditor.ts) when a model can read it; otherwise says why and returns undefined. */
function readyEditor(d: WhatIfDeps): vscode.TextEditor | undefined {
  if (!d.model.info) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: no model is active — train one or load a checkpoint first.'));
    return undefined;
  }
  const editor = commandEditor();
  if (!editor) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: put the cursor in a text editor to compare its text.'));
    return undefined;
  }
  return editor;
}

/** Shows the dashboard with the What-if panel asked again (the question is the same, the answer is not). */
function showComparison(d: WhatIfDeps): void {
  d.showDashboard();
  DashboardPanel.instance?.refreshView('compare');
}

/** Returns the scratch document's URI (for scripts and tests). */
async function compareWithEdit(d: WhatIfDeps): Promise<string | undefined> {
  const editor = readyEditor(d);
  if (!editor) return undefined;
  const doc = editor.document;
  try {
    // The window under the cursor, as the worker splits the document.
    const offset = doc.offsetAt(editor.selection.active);
    const tokens = await d.attention.tokensFor(doc, [{ start: Math.max(0, offset - 1), end: offset + 1 }]);
    if (!tokens || tokens.tokenCount === 0) throw new Error(vscode.l10n.t('the document has no tokens to compare'));
    let index = tokens.tokenAt(offset);
    if (index < 0) index = 0;
    const rows = await d.attention.attention(doc, doc.version, index, index + 1);
    if (!rows) throw new Error(vscode.l10n.t('the document changed while its window was read; try again'));
    const starts = rows.window.starts;
    const ends = rows.window.ends;
    const from = starts.reduce((m, x) => Math.min(m, x), Infinity);
    const to = ends.reduce((m, x) => Math.max(m, x), 0);
    const copy = await vscode.workspace.openTextDocument({
      content: doc.getText(new vscode.Range(doc.positionAt(from), doc.positionAt(to))),
      language: doc.languageId,
    });
    // Beside the original, but not in the dashboard's group (it would hide the dashboard).
    const dashboard = DashboardPanel.instance?.panel.viewColumn;
    let column = (editor.viewColumn ?? vscode.ViewColumn.One) + 1;
    if (column === dashboard) column++;
    // The copy's cursor on the user's token, as in the original: typing there edits what is compared.
    const at = copy.positionAt(Math.min(Math.max(0, offset - from), to - from));
    await vscode.window.showTextDocument(copy, { viewColumn: column, selection: new vscode.Range(at, at) });
    // The worker must hold the copy's text before it is compared.
    await d.attention.tokensFor(copy, [{ start: 0, end: 0 }]);
    const name = path.basename(doc.uri.path) || doc.uri.toString();
    const last = rows.windowStart + rows.windowLength - 1;
    await d.client.call({
      type: 'compare',
      documentKey: copy.uri.toString(),
      with: {
        kind: 'edit',
        documentKey: doc.uri.toString(),
        token: rows.windowStart,
        label: vscode.l10n.t('the original, {0} (tokens {1}–{2})', name, rows.windowStart, last),
      },
    });
    await d.client.call({
      type: 'compare',
      documentKey: doc.uri.toString(),
      with: { kind: 'edit', documentKey: copy.uri.toString(), token: 0, label: vscode.l10n.t('the edited copy, {0}', path.basename(copy.uri.path)) },
    });
    d.log.info(`comparing ${copy.uri.toString()} with ${doc.uri.toString()} (tokens ${rows.windowStart}–${last})`);
    showComparison(d);
    return copy.uri.toString();
  } catch (e) {
    showError(d.log, vscode.l10n.t('could not start Compare with Edit: {0}', (e as Error).message), e);
    return undefined;
  }
}

/** Returns the label of the model compared with, or undefined when nothing was chosen or it failed. */
async function compareWithCheckpoint(d: WhatIfDeps, args: CheckpointArgs | undefined): Promise<string | undefined> {
  const editor = readyEditor(d);
  if (!editor) return undefined;
  const source = args ? { path: args.path, tokenizerPath: args.tokenizerPath ?? null } : await pickCheckpoint();
  if (!source) return undefined;
  const doc = editor.document;
  const label = vscode.l10n.t('checkpoint {0}', path.basename(source.path));
  try {
    // The worker must hold this version's text (it usually does: the editor shows its attention).
    await d.attention.tokensFor(doc, [{ start: 0, end: 0 }]);
    const name = path.basename(source.path);
    const set = await watchedLoad(
      {
        title: vscode.l10n.t('Attention Lens: loading {0} to compare', name),
        cancelled: vscode.l10n.t('Attention Lens: loading {0} was cancelled; nothing is compared.', name),
      },
      (watch) =>
        watchedCall(
          d.client,
          { type: 'compare', documentKey: doc.uri.toString(), with: { kind: 'checkpoint', path: source.path, tokenizerPath: source.tokenizerPath, label } },
          watch,
        ),
    );
    if (!set) return undefined;
    d.log.info(`comparing ${doc.uri.toString()} under the active model with ${source.path}`);
    showComparison(d);
    return label;
  } catch (e) {
    showError(d.log, vscode.l10n.t('could not compare with {0}: {1}', source.path, (e as Error).message), e);
    return undefined;
  }
}

async function pickCheckpoint(): Promise<{ path: string; tokenizerPath: string | null } | undefined> {
  const kind = await vscode.window.showQuickPick(
    [
      { label: `$(file) ${vscode.l10n.t('Checkpoint file')}`, detail: FILE_FORMATS.map((f) => f.description).join('; '), folder: false },
      ...FOLDER_FORMATS.map((f) => ({ label: `$(folder) ${f.name}`, detail: f.description, folder: true })),
    ],
    { title: vscode.l10n.t('Attention Lens: compare with which kind of model?') },
  );
  if (!kind) return undefined;
  if (kind.folder) {
    const folder = await vscode.window.showOpenDialog({ title: vscode.l10n.t('Compare with a model folder'), canSelectFiles: false, canSelectFolders: true });
    return folder?.[0] ? { path: folder[0].fsPath, tokenizerPath: null } : undefined;
  }
  const filters: Record<string, string[]> = { [vscode.l10n.t('Checkpoints')]: FILE_FORMATS.flatMap((f) => [...extensionsOf(f)]) };
  const picked = await vscode.window.showOpenDialog({ title: vscode.l10n.t('Compare with a checkpoint'), canSelectMany: false, filters });
  if (!picked?.[0]) return undefined;
  const needs = fileFormatByExtension(picked[0].fsPath)?.tokenizer;
  if (!needs) return { path: picked[0].fsPath, tokenizerPath: null };
  const tok = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Pick its tokenizer ({0})', needs.name),
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(picked[0].fsPath)),
    filters: { [needs.name]: [...needs.extensions] },
  });
  return tok?.[0] ? { path: picked[0].fsPath, tokenizerPath: tok[0].fsPath } : undefined;
}
