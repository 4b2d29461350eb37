/**
 * Sets the scenes for the README's pictures of the sidebar and the walkthrough (`npm run
 * screenshot -- --only sidebar|walkthrough`): a model trained here, with the Attention Lens
 * view container open beside the highlighted text; and the "Get started" walkthrough with the
 * steps done so far ticked. Each then asks the driver for the picture and waits for it.
 */

import * as fs from 'fs';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../../src/host/extension';
import { activeExtension, fixture, fixturesDir, waitFor, workspaceRoot } from '../../helpers/vscodeTest';

/** Lets the workbench draw, then has the driver photograph it (decorations vanish when this host ends). */
async function photograph(): Promise<void> {
  await vscode.commands.executeCommand('notifications.clearAll');
  await new Promise((r) => setTimeout(r, 4000));
  const { ATTENTION_LENS_SHOT_READY: ready, ATTENTION_LENS_SHOT_DONE: done } = process.env;
  if (!ready || !done) return;
  fs.writeFileSync(ready, '');
  await waitFor('the screenshot', () => fs.existsSync(done), 60_000, 100);
}

/** A small model trained on the sample, the cursor on a token of it with its attention shown. */
async function trainedOnSample(api: AttentionLensApi): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
  const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'small', steps: 150, batchSize: 8, evalInterval: 25 });
  await vscode.commands.executeCommand('attentionLens.selectHead', { layer: 1, head: 2 });
  const pos = doc.positionAt(doc.getText().indexOf('\n', 300) + 20);
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
  await waitFor('highlights', () => api.highlighter.shown?.editor === editor, 30_000);
}

describe('README screenshots of the workbench', function () {
  this.timeout(300_000);

  it('README screenshot of the sidebar: the model, its layers and heads, the run', async () => {
    const api = (await activeExtension()).exports as AttentionLensApi;
    await trainedOnSample(api);
    // Then llama2.c's stories260K, whose heads have kinds to show; the run stays in the list.
    if (fixturesDir()) {
      await api.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
      await vscode.commands.executeCommand('attentionLens.selectHead', { layer: 1, head: 2 });
      await waitFor('highlights', () => api.highlighter.shown?.result.layers === 5, 30_000);
    }
    await vscode.commands.executeCommand('workbench.view.extension.attentionLens');
    await photograph();
  });

  it('README screenshot of the walkthrough: the steps, those done ticked', async () => {
    const api = (await activeExtension()).exports as AttentionLensApi;
    await trainedOnSample(api);
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', 'attention-lens.attention-lens#gettingStarted', false);
    await photograph();
  });
});
