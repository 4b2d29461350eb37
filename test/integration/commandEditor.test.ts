/**
 * Commands that act on "the current file" or "the cursor" while the focus is elsewhere (the
 * dashboard beside the file, as after clicking in it): Train on Current File, Compare with Edit
 * and Generate from Cursor act on the text editor still on screen, not "open a text file"; Show
 * Surprisal and Ablate Heads draw on it.
 * Compare with Edit's copy opens with the cursor on the user's token.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import type { GenerateOutcome } from '../../src/host/generation/generateFromCursor';
import { activeExtension, waitFor } from '../helpers/vscodeTest';

const RUN = { preset: 'tiny', steps: 6, batchSize: 2, seed: 5, evalInterval: 3 };
const TEXT = 'The keeper climbed the stairs of the lighthouse every evening and lit the lamp.\n'.repeat(12);

/** A file in column one with the cursor at `offset`, then the dashboard focused beside it (no active text editor). */
async function fileBesideFocusedDashboard(a: AttentionLensApi, offset: number): Promise<vscode.TextEditor> {
  const file = path.join(os.tmpdir(), `al-command-editor-${process.pid}-${Date.now()}.txt`);
  fs.writeFileSync(file, TEXT);
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)), vscode.ViewColumn.One);
  const at = editor.document.positionAt(offset);
  editor.selection = new vscode.Selection(at, at);
  await vscode.commands.executeCommand('attentionLens.showDashboard');
  const dashboard = await waitFor('the dashboard', () => a.dashboard());
  // As a click in it: the dashboard (in its own group, beside the file) takes the focus.
  await waitFor('the focus to leave the text editor', async () => {
    if (!vscode.window.activeTextEditor) return true;
    dashboard.panel.reveal(dashboard.panel.viewColumn, false);
    await new Promise((r) => setTimeout(r, 200));
    return !vscode.window.activeTextEditor;
  }).catch((e) => {
    const groups = vscode.window.tabGroups.all.map(
      (g) => `${g.viewColumn}${g.isActive ? '*' : ''}: ${g.tabs.map((t) => `${t.label}${t.isActive ? '*' : ''}`).join(', ')}`,
    );
    throw new Error(
      `${(e as Error).message}; active ${vscode.window.activeTextEditor?.document.uri.toString()}; dashboard column ${dashboard.panel.viewColumn} visible ${dashboard.panel.visible} active ${dashboard.panel.active}; groups ${groups.join(' | ')}`,
    );
  });
  assert.ok(
    vscode.window.visibleTextEditors.some((e) => e.document === editor.document),
    'the file is still on screen',
  );
  return editor;
}

describe('Commands act on the text editor beside a focused view', function () {
  this.timeout(180_000);
  let a: AttentionLensApi;

  before(async () => {
    a = (await activeExtension()).exports as AttentionLensApi;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Generating and comparing need a (causal) model: a tiny one, trained with the editor focused.
    if (!a.model.info?.causal) {
      const file = path.join(os.tmpdir(), `al-command-editor-${process.pid}-model.txt`);
      fs.writeFileSync(file, TEXT);
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)));
      await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', RUN);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  // Each test makes its dashboard anew: focusing one already on screen does not always take the focus from the editor.
  afterEach(() => a.dashboard()?.panel.dispose());

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Train on Current File trains on the file beside the dashboard', async () => {
    const editor = await fileBesideFocusedDashboard(a, 40);
    const outcome = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', RUN)) as { reason: string } | undefined;
    assert.ok(outcome, 'nothing trained: the command found no text editor');
    assert.strictEqual(outcome.reason, 'completed');
    assert.match(a.run.info().label, new RegExp(path.basename(editor.document.uri.path).replace(/\./g, '\\.')));
  });

  it('Generate from Cursor writes at the cursor of the file beside the dashboard', async () => {
    const editor = await fileBesideFocusedDashboard(a, TEXT.length);
    const before = editor.document.getText();
    const outcome = await vscode.commands.executeCommand<GenerateOutcome | undefined>('attentionLens.generateFromCursor', {
      into: 'document',
      maxTokens: 4,
      temperature: 0,
      seed: 1,
    });
    assert.ok(outcome, 'nothing generated: the command found no text editor');
    assert.strictEqual(outcome.uri, editor.document.uri.toString());
    assert.ok(outcome.tokens > 0);
    assert.ok(editor.document.getText().startsWith(before) && editor.document.getText().length > before.length);
  });

  it('Compare with Edit copies the file beside the dashboard, its cursor on the same token', async () => {
    const offset = 5 * 81 + 30; // line 6, column 31: inside "lighthouse"
    const editor = await fileBesideFocusedDashboard(a, offset);
    const uri = await vscode.commands.executeCommand<string | undefined>('attentionLens.compareWithEdit');
    assert.ok(uri, 'nothing compared: the command found no text editor');
    const copy = await waitFor('the copy in an editor', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri));
    const at = copy.document.offsetAt(copy.selection.active);
    assert.ok(at > 0, 'the copy’s cursor is at its start');
    // The copy is a window of the original (it can end just after the query): the same text on both sides of the cursor.
    const original = editor.document.getText();
    const text = copy.document.getText();
    assert.ok(original.slice(offset).startsWith(text.slice(at)), `after the copy's cursor: ${JSON.stringify(text.slice(at))}`);
    assert.strictEqual(text.slice(Math.max(0, at - 20), at), original.slice(offset - 20, offset));
  });

  it('Show Surprisal underlines the file beside the dashboard', async () => {
    const editor = await fileBesideFocusedDashboard(a, 40);
    assert.ok(!a.surprisal.isEnabled);
    await vscode.commands.executeCommand('attentionLens.toggleSurprisal');
    try {
      const drawn = await waitFor('the underlines', () => a.surprisal.shown, 20_000);
      assert.strictEqual(drawn.editor.document, editor.document);
      assert.ok(drawn.ranges.some((r) => r.length > 0));
    } finally {
      await vscode.workspace.getConfiguration('attentionLens').update('surprisal.overlay', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Ablate Heads outlines the file beside the dashboard', async () => {
    const editor = await fileBesideFocusedDashboard(a, 40);
    await vscode.commands.executeCommand('attentionLens.ablateHeads', { heads: [{ layer: 0, head: 0 }] });
    try {
      const drawn = await waitFor('the ablation overlay', () => a.ablation.shown, 20_000);
      assert.strictEqual(drawn.editor.document, editor.document);
    } finally {
      await vscode.commands.executeCommand('attentionLens.clearAblation');
    }
  });
});
