/**
 * The step scrubber inside a real VS Code extension host: a tiny run trained from the editor
 * streams its head snapshots to the open dashboard (the probe around the cursor, then one message
 * per snapshot); the page scrubbing to a step (played through the panel, as the page posts it)
 * turns the editor's highlights into that step's attention on the probe window — checked against
 * the attention tensor the checkpoint saved for that step — and Live brings the model back. A
 * checkpoint loaded later brings its snapshots with it, and scrubbing finds its probe by its text.
 */

import * as assert from 'assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { parseCheckpoint } from '../../src/engine/checkpoint/native';
import type { AttentionLensApi } from '../../src/host/extension';
import { DashboardPanel } from '../../src/host/dashboard/panel';
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewProtocol';
import { activeExtension, waitFor, workspaceRoot } from '../helpers/vscodeTest';
import { dashboardDeps } from '../helpers/dashboardDeps';

describe('the step scrubber (in-host)', function () {
  this.timeout(600_000);
  let a: AttentionLensApi;
  before(async () => {
    a = (await activeExtension()).exports as AttentionLensApi;
  });

  it("trains with snapshots, scrubs to a step: the editor's highlights are that snapshot's; Live and a loaded checkpoint", async () => {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    // The probe starts 32 characters before the cursor; the cursor is in it.
    const cursorAt = 300;
    editor.selection = new vscode.Selection(doc.positionAt(cursorAt), doc.positionAt(cursorAt));
    const posted: HostToWebview[] = [];
    const received: WebviewToHost[] = [];
    const panel = DashboardPanel.createOrShow(await dashboardDeps(a, 'Attention Lens scrubber test', { snapshots: true }));
    try {
      panel.onDidPostMessage((m) => posted.push(m));
      panel.onDidReceiveMessage((m) => received.push(m));
      await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      const o = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', {
        preset: 'tiny',
        steps: 12,
        batchSize: 4,
        evalInterval: 6,
        seed: 3,
      })) as { reason: string; checkpointPath: string } | undefined;
      assert.strictEqual(o?.reason, 'completed');

      // A 12-step run takes a snapshot every step (12 / 50 rounds up to 1): all reached the host and the page.
      const held = a.snapshots.snapshots!;
      assert.deepStrictEqual(
        held.list.map((s) => s.step),
        [...Array(12).keys()].map((i) => i + 1),
      );
      assert.strictEqual(held.probe.text, doc.getText().slice(cursorAt - 32, cursorAt - 32 + held.probe.text.length));
      const start = posted.find((m) => m.type === 'snapshots' && m.snapshots !== null && m.snapshots.list.length === 0);
      assert.ok(start, 'the run started with its probe and no snapshot yet');
      assert.deepStrictEqual(
        posted.filter((m) => m.type === 'snapshotAdded').map((m) => (m.type === 'snapshotAdded' ? m.snapshot.step : -1)),
        held.list.map((s) => s.step),
        'one message per snapshot, in order',
      );

      // What the checkpoint saved for step 5: the reference for the highlights.
      const saved = parseCheckpoint(fs.readFileSync(o.checkpointPath)).training!.snapshots!;
      const at5 = saved.list.find((s) => s.step === 5)!;
      const T = saved.probe.length;
      const H = held.heads;
      await waitFor('live highlights', () => a.highlighter.shown !== null && a.highlighter.shown.snapshotStep === undefined);

      // The page scrubs to step 5 (as its slider posts it), with the probe on screen (earlier tests may have scrolled).
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      editor.revealRange(new vscode.Range(doc.positionAt(cursorAt - 32), doc.positionAt(cursorAt + 32)), vscode.TextEditorRevealType.InCenter);
      panel.handleMessage({ type: 'scrub', step: 5 });
      const shown = await waitFor('the highlights at step 5, drawn', () =>
        a.highlighter.shown?.snapshotStep === 5 && a.highlighter.shown.decorated > 0 ? a.highlighter.shown : null,
      );
      assert.ok(posted.some((m) => m.type === 'scrubbed' && m.step === 5));
      const r = shown.result;
      assert.strictEqual(r.windowLength, T);
      assert.strictEqual(r.window.starts[0], cursorAt - 32, "the probe's tokens, where they are in the document");
      // The cursor's token is the query: 32 characters into the probe (one token a character).
      const q = 32;
      assert.strictEqual(r.from - r.windowStart, q);
      const { layer, head } = a.view.selection;
      const base = (layer * H + head) * T * T + q * T;
      assert.deepStrictEqual(Array.from(shown.weights), Array.from(at5.attention.subarray(base, base + T)), "the selected head's row at step 5");
      const last = saved.list.at(-1)!.attention.subarray(base, base + T);
      assert.notDeepStrictEqual(Array.from(shown.weights), Array.from(last), 'not the trained model (its step-12 snapshot)');
      // The dashboard keeps its live query; it draws the step from the snapshots it was sent.
      assert.ok(!posted.some((m) => m.type === 'attention' && m.attention?.windowLength === T && m.attention.tokens.starts[0] === cursorAt - 32));

      // A step the host does not hold is refused, and the page told where the scrubber is.
      const told = (): number => posted.filter((m) => m.type === 'scrubbed' && m.step === 5).length;
      const before = told();
      panel.handleMessage({ type: 'scrub', step: 999 });
      await waitFor('the scrubber position resent', () => told() > before);
      assert.strictEqual(a.snapshots.step, 5);

      // Live again.
      panel.handleMessage({ type: 'scrub', step: null });
      await waitFor('live highlights again', () => a.highlighter.shown !== null && a.highlighter.shown.snapshotStep === undefined);

      // A checkpoint brings its snapshots back (the probe found by its text), and the scrubber works on them.
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      await a.model.load({ path: o.checkpointPath, tokenizerPath: null });
      assert.deepStrictEqual(
        a.snapshots.snapshots!.list.map((s) => s.step),
        saved.list.map((s) => s.step),
      );
      assert.strictEqual(a.snapshots.source, null);
      await waitFor('the loaded snapshots posted', () => posted.some((m) => m.type === 'snapshots' && m.snapshots?.probe.textOffset === null));
      panel.handleMessage({ type: 'scrub', step: 12 });
      const again = await waitFor('the highlights at step 12', () => (a.highlighter.shown?.snapshotStep === 12 ? a.highlighter.shown : null));
      const at12 = saved.list.find((s) => s.step === 12)!;
      assert.strictEqual(again.result.window.starts[0], cursorAt - 32);
      const b12 = (layer * H + head) * T * T + q * T;
      assert.deepStrictEqual(Array.from(again.weights), Array.from(at12.attention.subarray(b12, b12 + T)));
      panel.handleMessage({ type: 'scrub', step: null });
      assert.deepStrictEqual(
        received.filter((m) => m.type === 'error'),
        [],
        'the page drew it without an error',
      );
    } finally {
      panel.dispose();
    }
  });
});
