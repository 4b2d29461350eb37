/**
 * A run whose loss blows up without going non-finite (a learning rate far too high: the loss
 * climbs to thousands of nats and stays finite, so training runs to its end) is not reported as
 * a success: the finish message says the loss ended above where it started and to lower the
 * learning rate.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { activeExtension, workspaceRoot } from '../helpers/vscodeTest';

interface Outcome {
  reason: string;
  step: number;
  said: string;
}

describe('a run whose loss rose', function () {
  this.timeout(300_000);

  it('ends with a warning to lower the learning rate, not a success', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt')));
    assert.ok(!a.run.running, 'another test left a training run going');
    const run = { preset: 'seed', steps: 150, learningRate: 1, seed: 1337, evalInterval: 50 };
    const o = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', run)) as Outcome;
    assert.strictEqual(o.reason, 'completed');
    assert.match(o.said, /The training loss ended above where it started \([0-9.]+ at step 1, [0-9.]+ over the last steps; highest .* at step \d+\)/);
    assert.match(o.said, /Try a lower learning rate \(attentionLens\.training\.learningRate\)\./);
    assert.doesNotMatch(o.said, /Move the cursor to see attention/);
  });
});
