/**
 * An encoder in the editor (issue 15), inside a real VS Code extension host: tiny_bert's
 * sequence classifier (../shared/fixtures, which has no tokenizer) in a temporary folder with a
 * real WordPiece tokenizer.json written for its 11-id vocabulary (test/helpers/wordPiece.ts),
 * loaded with "Load Checkpoint…". The highlights reach keys on both sides of the query (what
 * setDecorations receives), [CLS] is the query when the cursor is on no token, and the dashboard
 * gets the predicted label with its probability.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { DashboardDeps } from '../../src/host/dashboard/deps';
import { DashboardPanel } from '../../src/host/dashboard/panel';
import type { AttentionLensApi } from '../../src/host/extension';
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewProtocol';
import { DecorationRecorder } from '../helpers/decorationRecorder';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';
import { bertFolderWithTokenizer } from '../helpers/wordPiece';

class MemoryMemento implements vscode.Memento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, fallback?: T): T | undefined {
    return (this.values.has(key) ? this.values.get(key) : fallback) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

describe('an encoder in the editor (issue 15)', function () {
  this.timeout(120_000);
  let dir: string | undefined;
  let previous: AttentionLensApi['model']['source'] = null;
  let panel: DashboardPanel | undefined;
  let log: vscode.LogOutputChannel | undefined;

  before(async function () {
    if (!fixturesDir()) return this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    previous = a.model.source;
    dir = bertFolderWithTokenizer(fixture('tiny_bert', 'seqcls'));
    assert.strictEqual(await vscode.commands.executeCommand('attentionLens.loadCheckpoint', { path: dir }), true);
    assert.deepStrictEqual([a.model.info?.architecture, a.model.info?.causal, a.model.info?.layers, a.model.info?.heads], ['bert', false, 2, 2]);
  });

  after(async () => {
    panel?.dispose();
    log?.dispose();
    for (let i = 0; i < 10 && vscode.window.activeTextEditor; i++) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const a = (await activeExtension()).exports as AttentionLensApi;
    if (previous) await a.model.load(previous).catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('"Load Checkpoint…" on a BERT folder: highlights on both sides of the query; [CLS] is the query when the cursor is on no token', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    const d = (a.highlighter as unknown as { decorations: { apply: (editor: vscode.TextEditor, ...rest: unknown[]) => unknown } }).decorations;
    const recorder = await DecorationRecorder.install(d);
    try {
      // Layer 0, head 1: for "sat" it attends to "the" before it and to "the" after it (and [SEP]).
      a.view.select(0, 1);
      const text = 'the cat sat on the mat\n\n';
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: text }), vscode.ViewColumn.One);
      const doc = editor.document;
      const sat = text.indexOf('sat');
      editor.selection = new vscode.Selection(doc.positionAt(sat + 1), doc.positionAt(sat + 1));
      // [CLS] the cat sat on the mat [SEP]: the query is token 3.
      const shown = await waitFor(
        'attention for "sat"',
        () => (a.highlighter.shown?.editor.document === doc && a.highlighter.shown.result.from === 3 ? a.highlighter.shown : null),
        30_000,
      );
      const r = shown.result;
      assert.deepStrictEqual(Array.from(r.window.ids), [2, 5, 6, 7, 8, 5, 9, 3]);
      const sum = shown.weights.reduce((s, w) => s + w, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, `the row is one softmax over all 8 keys (sum ${sum})`);
      for (let k = 4; k < 8; k++) assert.ok(shown.weights[k]! > 0, `key ${k} after the query has weight`);
      const seen = await waitFor(
        'decorated keys on both sides of the query',
        () => {
          const starts = [...recorder.byStart().entries()].filter(([, b]) => b !== 'query').map(([start]) => start);
          return starts.some((s) => s < sat) && starts.some((s) => s > sat) ? starts : null;
        },
        20_000,
      ).catch((e: Error) => {
        throw new Error(
          `${e.message}: decorated ${JSON.stringify([...recorder.byStart()])}, buckets ${Array.from(a.highlighter.shown?.buckets ?? []).join(',')}`,
        );
      });
      assert.ok(seen.length >= 2);

      // A cursor on the blank last line is on no token: the encoder's query is [CLS].
      a.view.select(1, 1); // [CLS] looks mostly at "the" after it here
      editor.selection = new vscode.Selection(doc.positionAt(text.length), doc.positionAt(text.length));
      const cls = await waitFor('[CLS] as the query', () => (a.highlighter.shown?.result.from === 0 ? a.highlighter.shown : null), 20_000);
      assert.strictEqual(cls.result.window.labels[0], '[CLS]');
      const total = cls.weights.reduce((x, w) => x + w, 0);
      assert.ok(Math.abs(total - 1) < 1e-4 && cls.weights.slice(1).some((w) => w > 0.5), "[CLS]'s row is one softmax over every key, the later ones included");
    } finally {
      recorder.dispose();
    }
  });

  it("a classification checkpoint: the dashboard receives its predicted label and probability for the window; the page's direction toggle and the editor's setting follow each other", async () => {
    const ext = await activeExtension();
    const a = ext.exports as AttentionLensApi;
    log = vscode.window.createOutputChannel('Attention Lens encoder test', { log: true });
    const deps: DashboardDeps = {
      extensionUri: ext.extensionUri,
      log,
      client: a.client,
      run: a.run,
      model: a.model,
      view: a.view,
      highlighter: a.highlighter,
      attention: a.attention,
      memento: new MemoryMemento(),
      runs: a.runs,
    };
    const posted: HostToWebview[] = [];
    const received: WebviewToHost[] = [];
    panel = DashboardPanel.createOrShow(deps);
    panel.onDidPostMessage((m) => posted.push(m));
    panel.onDidReceiveMessage((m) => received.push(m));
    await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: 'the cats sat on the mat' }), vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(editor.document.positionAt(5), editor.document.positionAt(5));
    const view = await waitFor(
      'the classification view',
      () => {
        for (const m of posted)
          if (m.type === 'view' && m.view === 'classification' && m.payload.documentKey === editor.document.uri.toString()) return m.payload;
        return undefined;
      },
      30_000,
    );
    assert.deepStrictEqual(view.labels, ['neg', 'neu', 'pos']);
    const max = Math.max(...view.logits);
    const e = Array.from(view.logits, (z) => Math.exp(z - max));
    const s = e.reduce((x, y) => x + y, 0);
    assert.strictEqual(view.predicted, Array.from(view.logits).indexOf(max));
    e.forEach((x, i) => assert.ok(Math.abs(view.probabilities[i]! - x / s) < 1e-6, `label ${i}`));
    assert.deepStrictEqual(
      received.filter((m) => m.type === 'error'),
      [],
    );

    // The page's "Looked at by" sets the editor's direction; the editor's command moves the page's toggle.
    const c = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('attentionLens.attention');
    const mode = (direction: string) => (): boolean => posted.some((m) => m.type === 'attentionMode' && m.direction === direction);
    try {
      panel.handleMessage({ type: 'setDirection', direction: 'attendedBy' });
      await waitFor('the direction setting from the page', () => c().get('direction') === 'attendedBy');
      await waitFor('the page told the new mode', mode('attendedBy'));
      posted.length = 0;
      await vscode.commands.executeCommand('attentionLens.setDirection', 'attendsTo');
      await waitFor("the page told the editor's direction", mode('attendsTo'));
    } finally {
      await c().update('direction', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
