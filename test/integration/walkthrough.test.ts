/**
 * The first-run walkthrough: every step's completion event names a command that exists or a
 * context key the extension sets, and each key is set by the real action — opening a sample,
 * attention drawn after the cursor moved, a hover with attention in it — not before it. The
 * sample opens as an untitled copy: editing and saving never writes the shipped file.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { WALKTHROUGH_KEYS } from '../../src/host/walkthrough';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';

interface Step {
  readonly id: string;
  readonly completionEvents: readonly string[];
}

describe('Walkthrough', function () {
  this.timeout(120_000);

  it('declares completion events the extension fires', async () => {
    const ext = await activeExtension();
    const walkthroughs = (ext.packageJSON as { contributes: { walkthroughs: { steps: Step[] }[] } }).contributes.walkthroughs;
    const commands = new Set(await vscode.commands.getCommands(true));
    const keys = new Set<string>([...Object.values(WALKTHROUGH_KEYS), 'attentionLens.hasModel']);
    const steps = walkthroughs.flatMap((w) => w.steps);
    assert.deepStrictEqual(
      steps.map((s) => s.id),
      ['openSample', 'getModel', 'moveCursor', 'hover', 'dashboard'],
    );
    for (const s of steps) {
      assert.ok(s.completionEvents.length > 0, `${s.id} has no completion event`);
      for (const e of s.completionEvents) {
        const [kind, name] = e.split(':') as [string, string];
        if (kind === 'onCommand') assert.ok(commands.has(name), `${s.id}: ${name} is not a command`);
        else if (kind === 'onContext') assert.ok(keys.has(name), `${s.id}: nothing sets ${name}`);
        else assert.fail(`${s.id}: unexpected completion event ${e}`);
      }
    }
  });

  it('sets each step’s context key on the real action, not before', async function () {
    if (!fixturesDir()) this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    const progress = a.walkthrough;
    progress.resetForTesting();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.deepStrictEqual([...progress.done], []);

    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('attentionLens.openSample', 'lighthouse.txt');
    assert.ok(editor);
    // An untitled copy under the sample's name: editing it never writes the extension's own file.
    const shipped = path.join((await activeExtension()).extensionPath, 'samples', 'lighthouse.txt');
    assert.strictEqual(editor.document.uri.scheme, 'untitled');
    assert.strictEqual(path.basename(editor.document.uri.path), 'lighthouse.txt');
    assert.strictEqual(editor.document.getText(), fs.readFileSync(shipped, 'utf8'));
    await waitFor('the sample step', () => progress.done.has('sampleOpen'));
    assert.ok(!progress.done.has('cursorMoved') && !progress.done.has('hovered'));

    await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!progress.done.has('cursorMoved'), 'loading a model is not moving the cursor');
    const pos = editor.document.positionAt(120);
    editor.selection = new vscode.Selection(pos, pos);
    await waitFor('the cursor step (attention drawn after the move)', () => progress.done.has('cursorMoved') && a.highlighter.shown !== null, 30_000);
    assert.ok(!progress.done.has('hovered'));

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, editor.document.positionAt(200));
    assert.ok(hovers.length > 0);
    await waitFor('the hover step', () => progress.done.has('hovered'));
    const before = fs.readFileSync(shipped, 'utf8');
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'edited '));
    await vscode.workspace.saveAll(false);
    assert.strictEqual(fs.readFileSync(shipped, 'utf8'), before, 'the shipped sample was written');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens the sample beside the walkthrough (a non-text tab), where Train on This File finds it', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The dashboard stands in for the walkthrough: a webview tab, focused, with no text editor.
    await vscode.commands.executeCommand('attentionLens.showDashboard');
    const dashboard = await waitFor('the dashboard', () => a.dashboard());
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('attentionLens.openSample', 'lighthouse.txt');
    assert.ok(dashboard.panel.visible, 'the sample hid the tab it was opened from');
    assert.notStrictEqual(editor.viewColumn, dashboard.panel.viewColumn);
    // Back to the walkthrough's tab and its button: the sample beside it is what trains.
    await waitFor('the focus on the dashboard', async () => {
      if (!vscode.window.activeTextEditor) return true;
      const group = dashboard.panel.viewColumn === vscode.ViewColumn.One ? 'First' : 'Second';
      await vscode.commands.executeCommand(`workbench.action.focus${group}EditorGroup`);
      await new Promise((r) => setTimeout(r, 200));
      return !vscode.window.activeTextEditor;
    });
    const outcome = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'tiny', steps: 4, batchSize: 2, evalInterval: 2 })) as
      { reason: string } | undefined;
    assert.strictEqual(outcome?.reason, 'completed');
    assert.match(a.run.info().label, /lighthouse\.txt/);
    dashboard.panel.dispose();
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
