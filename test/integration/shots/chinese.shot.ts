/**
 * The README's Chinese screenshot (`npm run screenshot`): a small model trained on a Chinese
 * text it has never seen before (test/integration/workspace/chinese.txt), the cursor on a
 * character with its attention highlighted and its hover open, the dashboard beside the editor.
 * Chinese renders in Chromium with the CJK font the set-up installs (fonts-wqy-zenhei).
 */

import * as fs from 'fs';
import * as vscode from 'vscode';
import { activeExtension, waitFor, workspaceRoot } from '../../helpers/vscodeTest';
import type { AttentionLensApi } from '../../../src/host/extension';

describe('README screenshot in Chinese', function () {
  this.timeout(300_000);

  it('trains on a Chinese text, highlights, hovers and shows the dashboard', async () => {
    const api = (await activeExtension()).exports as AttentionLensApi;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'chinese.txt'));
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'small', steps: 150, batchSize: 8, evalInterval: 25 });
    await vscode.commands.executeCommand('attentionLens.selectHead', { layer: 1, head: 2 });
    await vscode.commands.executeCommand('attentionLens.showDashboard');
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const offset = doc.getText().indexOf('暴风雪') + 8;
    const pos = doc.positionAt(offset);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
    await waitFor('highlights', () => api.highlighter.shown?.editor === editor, 30_000);
    await vscode.commands.executeCommand('notifications.clearAll'); // the training message would cover the dashboard
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((r) => setTimeout(r, 4000)); // let the dashboard and the hover draw
    // The driver photographs the workbench now: decorations vanish once this host ends.
    const { ATTENTION_LENS_SHOT_READY: ready, ATTENTION_LENS_SHOT_DONE: done } = process.env;
    if (!ready || !done) return;
    fs.writeFileSync(ready, '');
    await waitFor('the screenshot', () => fs.existsSync(done), 60_000, 100);
  });
});
