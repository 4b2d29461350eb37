/**
 * A training run going on when the window closes (deactivate): shutdown() stops it, the worker
 * saves a resumable checkpoint as Stop does, and the run's marker names it for the next session,
 * which says where it is and offers to load it. A run that ends normally leaves no marker; a
 * marker that is not well-formed is dropped.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { parseCheckpoint } from '../../src/engine/checkpoint/native';
import type { AttentionLensApi } from '../../src/host/extension';
import { reportInterruptedRun } from '../../src/host/interruptedRun';
import { activeExtension, waitFor, workspaceRoot } from '../helpers/vscodeTest';

interface Outcome {
  reason: string;
  step: number;
  checkpointPath: string | null;
}

describe('a training run when the window closes', function () {
  this.timeout(300_000);

  it('is stopped and saved resumable, and the next session is told where', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt')));
    assert.ok(!a.run.running, 'another test left a training run going');
    assert.strictEqual(a.runMarker.take(), null, 'no marker before');

    const steps = 100_000;
    const running = vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'tiny', steps, seed: 5 }) as Thenable<Outcome>;
    await waitFor('a few steps', () => a.run.columns().steps.step.length >= 3, 60_000);
    await a.training.shutdown(30_000);
    const o = await running;
    assert.strictEqual(o.reason, 'cancelled');
    assert.ok(o.checkpointPath && fs.existsSync(o.checkpointPath));

    const marker = a.runMarker.take();
    assert.ok(marker, 'the marker is left for the next session');
    assert.deepStrictEqual(marker, { label: 'tiny on training.txt', totalSteps: steps, checkpointPath: o.checkpointPath, savedStep: o.step });
    const saved = parseCheckpoint(new Uint8Array(fs.readFileSync(o.checkpointPath)));
    assert.strictEqual(saved.training?.state.step, o.step, 'the checkpoint holds the step named, with its training state');
    assert.strictEqual(a.runMarker.take(), null, 'taken once');

    const log = vscode.window.createOutputChannel('Attention Lens test', { log: true });
    try {
      const said = reportInterruptedRun(marker, log);
      assert.match(
        said ?? '',
        new RegExp(
          `^The training run tiny on training\\.txt was interrupted when the window closed; its resumable checkpoint \\(step ${o.step} of ${steps}\\) is at `,
        ),
      );
      fs.rmSync(o.checkpointPath);
      assert.match(reportInterruptedRun(marker, log) ?? '', /was interrupted when the window closed, before it could be saved/);
      assert.strictEqual(reportInterruptedRun(null, log), null);
    } finally {
      log.dispose();
    }
  });

  it('a run that ends leaves no marker; a malformed marker is dropped', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt')));
    const o = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'tiny', steps: 4, batchSize: 2, seed: 6 })) as Outcome;
    assert.strictEqual(o.reason, 'completed');
    assert.strictEqual(a.runMarker.take(), null);
    a.runMarker.write({ label: 'x', totalSteps: 10, checkpointPath: 'relative/path.safetensors', savedStep: 3 });
    assert.strictEqual(a.runMarker.take(), null, 'a relative checkpoint path is not a marker this extension writes');
    a.runMarker.write({ label: 'x', totalSteps: 0, checkpointPath: '/tmp/x.safetensors', savedStep: null });
    assert.strictEqual(a.runMarker.take(), null, 'nor a run of no steps');
    // Not a marker at all in its place: a large file is not read (and goes), a directory is left and nothing throws.
    const valid = JSON.stringify({ label: 'x', totalSteps: 10, checkpointPath: '/tmp/x.safetensors', savedStep: 3 });
    fs.writeFileSync(a.runMarker.file, valid + ' '.repeat(100_000));
    assert.strictEqual(a.runMarker.take(), null, 'a 100 KB marker is not read');
    assert.ok(!fs.existsSync(a.runMarker.file));
    fs.mkdirSync(a.runMarker.file);
    try {
      assert.strictEqual(a.runMarker.take(), null);
      a.runMarker.clear();
    } finally {
      fs.rmdirSync(a.runMarker.file);
    }
  });
});
