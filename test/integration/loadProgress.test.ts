/**
 * Load Checkpoint… on a large model inside VS Code: the progress notification (its percentage and
 * the phase in words) and its Cancel. vscode.window.withProgress is wrapped to record what the
 * command reports and to hand the command a token the test cancels, as VS Code's own is cancelled
 * when the notification's Cancel button is pressed. The large model is the 60 MB stories15M, the
 * one active before it stories260K.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { activeExtension, fixture, fixturesDir } from '../helpers/vscodeTest';

type Report = { message?: string; increment?: number };
type WithProgress = typeof vscode.window.withProgress;

/** Records the next withProgress calls; `onReport` may cancel through the token the command was given. */
function recordProgress(onReport: (r: Report, cancel: () => void) => void = () => undefined): {
  readonly options: vscode.ProgressOptions[];
  readonly reports: Report[];
  readonly infos: string[];
  dispose(): void;
} {
  const win = vscode.window as { withProgress: WithProgress; showInformationMessage: (m: string, ...rest: unknown[]) => Thenable<unknown> };
  const realProgress = win.withProgress;
  const realInfo = win.showInformationMessage;
  const options: vscode.ProgressOptions[] = [];
  const reports: Report[] = [];
  const infos: string[] = [];
  win.withProgress = ((o: vscode.ProgressOptions, task: Parameters<WithProgress>[1]) =>
    realProgress.call(vscode.window, o, (progress, token) => {
      options.push(o);
      const source = new vscode.CancellationTokenSource();
      token.onCancellationRequested(() => source.cancel());
      return task(
        {
          report: (r: Report) => {
            reports.push(r);
            progress.report(r);
            onReport(r, () => source.cancel());
          },
        },
        source.token,
      );
    })) as WithProgress;
  win.showInformationMessage = (m: string, ...rest: unknown[]) => {
    infos.push(m);
    return realInfo.call(vscode.window, m, ...rest);
  };
  return {
    options,
    reports,
    infos,
    dispose: () => {
      win.withProgress = realProgress;
      win.showInformationMessage = realInfo;
    },
  };
}

describe('Load Checkpoint…: progress and Cancel for a large model (stories15M, 60 MB)', function () {
  this.timeout(180_000);
  let a: AttentionLensApi;
  const small = (): { path: string; tokenizerPath: string } => ({
    path: fixture('stories260K', 'stories260K.bin'),
    tokenizerPath: fixture('stories260K', 'tok512.bin'),
  });
  const big = (): { path: string; tokenizerPath: string } => ({
    path: fixture('stories15M', 'stories15M.bin'),
    tokenizerPath: fixture('stories15M', 'tokenizer.bin'),
  });

  before(async function () {
    if (!fixturesDir()) this.skip();
    a = (await activeExtension()).exports as AttentionLensApi;
  });

  /** The context the worker's active model reads (a tokens request): 512 for stories260K, 256 for stories15M. */
  async function workerContext(version: number): Promise<number> {
    const r = await a.client.call({ type: 'tokens', documentKey: 'untitled:load-progress', version, text: 'Once upon a time', ranges: [], windowStride: 0 });
    return r.windowSize;
  }

  it('a cancellable notification shows the percentage, the bytes read of the file and the phase in words, up to 100 %', async () => {
    const rec = recordProgress();
    try {
      assert.strictEqual(await vscode.commands.executeCommand('attentionLens.loadCheckpoint', big()), true);
    } finally {
      rec.dispose();
    }
    assert.deepStrictEqual([a.model.info?.layers, a.model.info?.heads], [6, 6]);
    assert.strictEqual(rec.options.length, 1);
    assert.strictEqual(rec.options[0]!.location, vscode.ProgressLocation.Notification);
    assert.strictEqual(rec.options[0]!.cancellable, true);
    assert.strictEqual(rec.options[0]!.title, 'Attention Lens: loading stories15M.bin');
    const messages = rec.reports.map((r) => r.message ?? '');
    assert.strictEqual(messages[0], 'reading 0 B of 61 MB (0%)');
    assert.ok(messages.includes('reading 61 MB of 61 MB (75%)'), messages.join(' | '));
    assert.ok(
      messages.some((m) => m.startsWith('checking the weights for non-finite values…')),
      messages.join(' | '),
    );
    assert.strictEqual(messages[messages.length - 1], 'building the model… (100%)');
    const total = rec.reports.reduce((s, r) => s + (r.increment ?? 0), 0);
    assert.ok(Math.abs(total - 100) < 1e-9, `the increments add up to ${total} %`);
    assert.ok(
      rec.reports.every((r) => (r.increment ?? 0) >= 0),
      'never backwards',
    );
    assert.strictEqual(await workerContext(1), 256);
  });

  it('Cancel stops the load in the worker: the command says so and returns false, and the previous model stays active in the editor and in the worker', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('attentionLens.loadCheckpoint', small()), true);
    assert.strictEqual(await workerContext(2), 512);
    // Cancelled at the first report (reading 0 B): the worker is then still reading or checking the file.
    const rec = recordProgress((_, cancel) => cancel());
    let ok: unknown;
    try {
      ok = await vscode.commands.executeCommand('attentionLens.loadCheckpoint', big());
    } finally {
      rec.dispose();
    }
    assert.strictEqual(ok, false);
    assert.deepStrictEqual(rec.infos, ['Attention Lens: loading stories15M.bin was cancelled; the active model is unchanged.']);
    assert.deepStrictEqual([a.model.info?.layers, a.model.info?.heads, a.model.source?.path], [5, 8, small().path]);
    assert.strictEqual(await workerContext(3), 512);
    assert.ok(!rec.reports.some((r) => r.message?.startsWith('building the model')), 'it never got as far as building');
  });
});
