/**
 * Runs kept and compared, inside a real VS Code extension host: two training runs in a row
 * both stay (the second does not wipe the first), each with its settings, wall-clock times and
 * the samples generated from the text at the cursor; the open dashboard is sent both; loading
 * a run's checkpoint (what a window reload does with the remembered model) brings that run
 * back with it. A run that overfits gets the note in its finish message and its
 * validation-best checkpoint, which "Save Checkpoint…" saves when asked for the best model.
 */

import * as assert from 'assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { DashboardPanel } from '../../src/host/dashboard/panel';
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewProtocol';
import { activeExtension, waitFor, workspaceRoot } from '../helpers/vscodeTest';
import { dashboardDeps } from '../helpers/dashboardDeps';

interface Outcome {
  readonly reason: string;
  readonly step: number;
  readonly checkpointPath: string | null;
  readonly best: { path: string; step: number; valLoss: number } | null;
  readonly overfitting: string | null;
}

describe('training runs are kept and compared (in-host)', function () {
  this.timeout(600_000);
  let a: AttentionLensApi;
  before(async () => {
    a = (await activeExtension()).exports as AttentionLensApi;
  });

  it('two runs in a row both appear: kept with their settings and samples, sent to the dashboard, restored with their checkpoint', async () => {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    // The probe: the text before the cursor on its line.
    const line = doc.lineAt(2);
    editor.selection = new vscode.Selection(line.range.start.translate(0, 12), line.range.start.translate(0, 12));
    const probe = line.text.slice(0, 12);

    const posted: HostToWebview[] = [];
    const received: WebviewToHost[] = [];
    const panel = DashboardPanel.createOrShow(await dashboardDeps(a, 'Attention Lens runs test'));
    try {
      panel.onDidPostMessage((m) => posted.push(m));
      panel.onDidReceiveMessage((m) => received.push(m));
      await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);

      const train = async (seed: number, steps: number): Promise<Outcome> => {
        await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
        const o = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', {
          preset: 'tiny',
          steps,
          batchSize: 4,
          evalInterval: 10,
          seed,
        })) as Outcome | undefined;
        assert.strictEqual(o?.reason, 'completed');
        return o;
      };
      const first = await train(1, 30);
      const firstId = a.run.info().id;
      const second = await train(2, 20);
      const secondId = a.run.info().id;
      assert.ok(firstId && secondId && firstId !== secondId, 'each run has its own id');

      const kept = a.runs.list();
      assert.deepStrictEqual(
        kept.slice(0, 2).map((r) => r.id),
        [secondId, firstId],
        'both runs are kept, newest first',
      );
      const [k2, k1] = [kept[0]!, kept[1]!];
      assert.deepStrictEqual([k1.steps.step.length, k2.steps.step.length], [30, 20]);
      assert.deepStrictEqual([k1.config?.seed, k1.config?.steps, k2.config?.seed, k2.config?.steps], [1, 30, 2, 20]);
      assert.deepStrictEqual([k1.checkpointPath, k2.checkpointPath], [first.checkpointPath, second.checkpointPath]);
      assert.ok(k1.startedAt !== null && k1.finishedAt !== null && k1.finishedAt >= k1.startedAt && k2.startedAt! >= k1.finishedAt);
      assert.deepStrictEqual(
        k1.samples.map((s) => s.step),
        [10, 20, 30],
      );
      assert.ok(
        k1.samples.every((s) => s.prompt === probe && s.text.length > 0),
        `samples continue the text before the cursor: ${JSON.stringify(k1.samples[0])}`,
      );

      // The dashboard was sent both: the current run streamed, the first among the kept runs.
      await waitFor('the kept runs posted with both', () =>
        posted.some((m) => m.type === 'runs' && m.runs.some((r) => r.id === firstId) && m.runs.some((r) => r.id === secondId)),
      );
      assert.ok(posted.some((m) => m.type === 'runReset' && m.run.id === secondId));
      assert.deepStrictEqual(
        received.filter((m) => m.type === 'error'),
        [],
        'the page drew it without an error',
      );

      // Loading the first run's checkpoint (as the reload does with the remembered model) brings its run back.
      await a.model.load({ path: first.checkpointPath!, tokenizerPath: null });
      const shown = a.run.info();
      assert.deepStrictEqual([shown.id, shown.label, shown.status, shown.totalSteps], [firstId, k1.label, 'completed', 30]);
      assert.strictEqual(shown.samples?.length, 3);
      assert.strictEqual(a.run.stepCount, 30);
      await a.model.load({ path: second.checkpointPath!, tokenizerPath: null });
      assert.strictEqual(a.run.info().id, secondId);

      // The page's "Forget" on the first run: dropped from the workspace, and the page told.
      panel.handleMessage({ type: 'forgetRun', id: firstId });
      assert.strictEqual(a.runs.get(firstId), undefined);
      await waitFor('the kept runs posted without the first', () => {
        const last = posted.filter((m) => m.type === 'runs').at(-1);
        return last?.type === 'runs' && !last.runs.some((r) => r.id === firstId) && last.runs.some((r) => r.id === secondId);
      });
    } finally {
      panel.dispose();
    }
  });

  it('a run that overfits says so when it finishes and keeps its validation-best checkpoint, which Save Checkpoint… saves', async () => {
    // Random letters: nothing to generalise to the held-out tenth, everything to memorise.
    let seed = 12345;
    const letters = Array.from({ length: 400 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 'abcdefghijklmnop'[Math.floor(seed / 65536) % 16]; // the high bits: an LCG's low ones repeat every 16
    }).join('');
    const doc = await vscode.workspace.openTextDocument({ content: letters });
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    try {
      const o = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', {
        preset: 'tiny',
        steps: 240,
        batchSize: 8,
        learningRate: 3e-3,
        evalInterval: 20,
        seed: 3,
      })) as Outcome | undefined;
      assert.strictEqual(o?.reason, 'completed');
      assert.ok(o.best && o.best.step < o.step, `a validation-best checkpoint before the end: ${JSON.stringify(o.best)}`);
      assert.match(o.overfitting ?? '', new RegExp(`validation loss has not improved since step ${o.best.step} .*training loss kept falling`));
      assert.match(o.overfitting ?? '', /validation-best model \(step \d+\) is kept/);
      const kept = a.runs.list()[0]!;
      assert.deepStrictEqual(kept.best, o.best);

      const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'al-best-')), 'best.safetensors');
      const saved = await vscode.commands.executeCommand('attentionLens.saveCheckpoint', target, 'best');
      assert.strictEqual(saved, target);
      assert.ok(fs.readFileSync(target).equals(fs.readFileSync(o.best.path)), 'the saved file is the validation-best checkpoint');
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });
});
