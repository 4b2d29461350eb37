/**
 * A checkpoint that cannot be written (the models folder made unwritable, as a full disk or a
 * read-only volume would be): the run still ends with the trained model active, the message says
 * the checkpoint was not saved (and offers Save As…), and saving it elsewhere keeps the whole
 * run — its step and every loss the panel showed.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseCheckpoint } from '../../src/engine/checkpoint/native';
import type { AttentionLensApi } from '../../src/host/extension';
import { activeExtension, workspaceRoot } from '../helpers/vscodeTest';

interface Outcome {
  reason: string;
  step: number;
  checkpointPath: string | null;
  said: string;
}

const RUN = { preset: 'tiny', steps: 4, batchSize: 2, seed: 21, evalInterval: 2 };

/** Makes `dir` unwritable (root ignores permissions, so it gets the immutable attribute); returns how to undo it, or null when this filesystem cannot. */
function lock(dir: string): (() => void) | null {
  const asRoot = process.getuid?.() === 0;
  try {
    if (asRoot) execFileSync('chattr', ['+i', dir], { stdio: 'pipe' });
    else fs.chmodSync(dir, 0o555);
  } catch {
    return null;
  }
  const undo = (): void => {
    if (asRoot) execFileSync('chattr', ['-i', dir], { stdio: 'pipe' });
    else fs.chmodSync(dir, 0o755);
  };
  try {
    fs.writeFileSync(path.join(dir, 'probe'), 'x');
    fs.rmSync(path.join(dir, 'probe'));
    undo();
    return null; // still writable: nothing this test can show here
  } catch {
    return undo;
  }
}

describe('a checkpoint that cannot be saved', function () {
  this.timeout(300_000);

  it('keeps the trained model active, says it was not saved, and Save Checkpoint… elsewhere keeps the whole run', async function () {
    const a = (await activeExtension()).exports as AttentionLensApi;
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt')));
    assert.ok(!a.run.running, 'another test left a training run going');
    // A first run tells where the extension keeps its trained models.
    const first = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', RUN)) as Outcome;
    assert.ok(first.checkpointPath, 'the first run was saved');
    const models = path.dirname(first.checkpointPath);

    const unlock = lock(models);
    if (!unlock) return this.skip(); // e.g. a filesystem without the immutable attribute
    let failed: Outcome;
    try {
      failed = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { ...RUN, seed: 22 })) as Outcome;
    } finally {
      unlock();
    }
    assert.strictEqual(failed.reason, 'completed');
    assert.strictEqual(failed.checkpointPath, null);
    assert.match(failed.said, /but the checkpoint was not saved/);
    assert.ok(!fs.readdirSync(models).some((f) => f.includes('.tmp')), 'no temporary file left behind');
    // Nothing is lost: the model that just trained is the active one (no file behind it yet).
    assert.strictEqual(a.model.info?.trainedSteps, RUN.steps);
    const shownLosses = Array.from(a.run.columns().steps.loss);

    const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'al-saveas-')), 'rescued.safetensors');
    const saved = await vscode.commands.executeCommand('attentionLens.saveCheckpoint', target);
    assert.strictEqual(saved, target);
    const c = parseCheckpoint(new Uint8Array(fs.readFileSync(target)));
    assert.strictEqual(c.training?.state.step, RUN.steps);
    assert.deepStrictEqual(
      c.training.state.history.steps.map((s) => Math.fround(s.loss)),
      shownLosses.map((l) => Math.fround(l)),
      'the rescued checkpoint holds the losses the panel showed',
    );
  });
});
