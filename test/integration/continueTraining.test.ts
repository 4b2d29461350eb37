/**
 * Stop Training and Continue Training inside a real VS Code extension host: a run stopped part-way
 * is saved resumable and the notification says which step of the run it is; Continue Training
 * (from the active model, no dialog) finishes it to the run's total, and the checkpoint is the
 * one the straight run gives, bit for bit, and it is the same run (same name, kept once); a
 * complete run is not continued.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { parseCheckpoint } from '../../src/engine/checkpoint/native';
import type { AttentionLensApi } from '../../src/host/extension';
import { activeExtension, waitFor, workspaceRoot } from '../helpers/vscodeTest';

interface Outcome {
  reason: string;
  step: number;
  checkpointPath: string | null;
  said: string;
}

const RUN = { preset: 'tiny', steps: 8, batchSize: 2, seed: 11, evalInterval: 4 };

function state(file: string): { losses: number[]; tensors: Buffer[] } {
  const c = parseCheckpoint(new Uint8Array(fs.readFileSync(file)));
  const t = c.training!;
  const arrays = [...c.model.params.values()].map((p) => p.data).concat(t.state.optimizer.m, t.state.optimizer.v);
  return { losses: t.state.history.steps.map((s) => s.loss), tensors: arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)) };
}

describe('Continue Training in the editor', function () {
  this.timeout(300_000);

  it('Stop Training saves a resumable state (step k of N); Continue Training finishes the run as a straight run would, bit for bit', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt')));
    assert.ok(!a.run.running, 'another test left a training run going');
    const straight = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', RUN)) as Outcome;
    assert.strictEqual(straight.reason, 'completed');

    let steps = 0;
    const sub = a.run.onDidChange((e) => {
      if (e.kind === 'step' && ++steps === 3) void vscode.commands.executeCommand('attentionLens.stopTraining');
    });
    const stopped = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', RUN)) as Outcome;
    sub.dispose();
    assert.strictEqual(stopped.reason, 'cancelled');
    const k = stopped.step;
    assert.ok(k >= 3 && k < 8, `stopped at step ${k}`);
    assert.match(stopped.said, new RegExp(`Stopped at step ${k} of 8 .*saved a resumable checkpoint \\(step ${k} of 8\\) to .*; Continue Training resumes it`));
    assert.strictEqual(parseCheckpoint(new Uint8Array(fs.readFileSync(stopped.checkpointPath!))).training!.state.step, k);
    assert.deepStrictEqual([a.model.info?.trainedSteps, a.model.info?.runSteps], [k, 8]);
    const stoppedRun = a.run.info();
    assert.ok(stoppedRun.id && stoppedRun.label.startsWith('tiny on '), stoppedRun.label);

    // The active model has a run left to finish: no dialog, it goes on from step k.
    const continued = (await vscode.commands.executeCommand('attentionLens.continueTraining')) as Outcome;
    assert.strictEqual(continued.reason, 'completed');
    assert.strictEqual(continued.step, 8);
    assert.strictEqual(continued.checkpointPath, stopped.checkpointPath, 'saved back to the checkpoint it came from');
    await waitFor('the continued model to be active', () => a.model.info?.trainedSteps === 8);
    // The loss panel's curve is the whole run: the points before the stop, then the new ones.
    assert.strictEqual(a.run.stepCount, 8);
    // The same run, under the same name (its preset, not the architecture), kept once.
    assert.deepStrictEqual([a.run.info().id, a.run.info().label], [stoppedRun.id, stoppedRun.label]);
    await waitFor('the continued run kept', () => a.runs.get(stoppedRun.id!)?.status === 'completed');
    assert.strictEqual(a.runs.list().filter((r) => r.checkpointPath === stopped.checkpointPath).length, 1, 'the continued run is kept as a second run');

    const want = state(straight.checkpointPath!);
    const got = state(continued.checkpointPath!);
    assert.deepStrictEqual(got.losses, want.losses);
    assert.strictEqual(got.tensors.length, want.tensors.length);
    want.tensors.forEach((w, i) => assert.ok(w.equals(got.tensors[i]!), `tensor ${i} differs from the straight run's`));

    // Complete now: given as a checkpoint, it is loaded and refused, and nothing trains.
    const again = await vscode.commands.executeCommand('attentionLens.continueTraining', { checkpoint: continued.checkpointPath });
    assert.strictEqual(again, undefined);
    assert.ok(!a.run.running);
  });
});
