/**
 * The dashboard's editor actions end to end, posted as the page posts them (a webview cannot be
 * clicked from the extension host, so the test plays the page through DashboardPanel.handleMessage):
 * "Pin" keeps the query while the editor's cursor moves and "Unpin" follows it again, for the
 * highlights and for what the dashboard is sent; "Ablate these" draws the editor's ablation
 * overlay, whose window loss before is llama2.c's (its fixture's logits) and after is the worker's
 * own `ablate` reply for those heads, asked for separately; an empty selection clears it. A custom
 * head detector set by the page is scored on the editor's window, equal to the share of
 * llama2.c's attention on the rule's keys.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { DashboardPanel } from '../../src/host/dashboard/panel';
import type { PagePayload } from '../../src/protocol/dashboardViews';
import type { CustomDetector } from '../../src/protocol/headRules';
import type { HostToWebview, QueryAttention, WebviewToHost } from '../../src/protocol/webviewProtocol';
import { logProb, type Llama2cLogits } from '../helpers/llama2cAttention';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';
import { dashboardDeps } from '../helpers/dashboardDeps';

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('dashboard actions in the editor: Pin, Ablate these and a custom head detector (stories260K)', function () {
  this.timeout(180_000);
  let a: AttentionLensApi;
  let fx: Llama2cLogits;
  let doc: vscode.TextDocument;
  let spans: { start: number; end: number }[];
  let panel: DashboardPanel;
  let log: vscode.LogOutputChannel;
  const posted: HostToWebview[] = [];
  const received: WebviewToHost[] = [];

  async function cursorOn(token: number): Promise<void> {
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(spans[token]!.start), doc.positionAt(spans[token]!.start));
  }

  /** The last query the dashboard was sent. */
  function pageQuery(): QueryAttention | null | undefined {
    for (let i = posted.length - 1; i >= 0; i--) {
      const m = posted[i]!;
      if (m.type === 'attention') return m.attention;
      if (m.type === 'init') return m.attention;
    }
    return undefined;
  }

  before(async function () {
    if (!fixturesDir()) return this.skip();
    a = (await activeExtension()).exports as AttentionLensApi;
    fx = JSON.parse(fs.readFileSync(fixture('stories260K', 'attention_logits_lily_park.json'), 'utf8')) as Llama2cLogits;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    doc = await vscode.workspace.openTextDocument({ content: fx.prompt });
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(5), doc.positionAt(5));
    await waitFor('attention for the prompt', () => (a.highlighter.shown?.editor.document === doc ? a.highlighter.shown : null), 30_000);
    const tokens = await a.attention.tokensFor(doc, [{ start: 0, end: doc.getText().length }]);
    spans = Array.from({ length: fx.T }, (_, i) => tokens?.rangeOf(i) ?? { start: 0, end: 0 });
    const deps = await dashboardDeps(a, 'Attention Lens dashboard actions test');
    log = deps.log;
    panel = DashboardPanel.createOrShow(deps);
    panel.onDidPostMessage((m) => posted.push(m));
    panel.onDidReceiveMessage((m) => received.push(m));
    await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
  });

  after(async () => {
    if (!a) return;
    panel?.dispose();
    log?.dispose();
    await vscode.commands.executeCommand('attentionLens.clearAblation');
    await vscode.commands.executeCommand('attentionLens.unpinQuery');
  });

  it('"Pin" keeps the query on its token while the cursor moves, in the editor and on the page; "Unpin" follows the cursor again', async () => {
    await cursorOn(20);
    await waitFor('the cursor on token 20', () => (a.highlighter.shown?.result.from === 20 ? a.highlighter.shown : null), 20_000);
    await waitFor('the page shown token 20', () => pageQuery()?.from === 20, 10_000);
    panel.handleMessage({ type: 'pinQuery', pinned: true });
    await waitFor('pinned in the editor', () => a.highlighter.shown?.pinned, 10_000);
    await waitFor('the page told it is pinned', () => pageQuery()?.pinned === true, 10_000);

    await cursorOn(5);
    await settle(800);
    assert.strictEqual(a.highlighter.shown?.result.from, 20, 'the highlights stay on the pinned token');
    assert.strictEqual(a.highlighter.shown?.pinned, true);
    assert.strictEqual(pageQuery()?.from, 20, 'the dashboard stays on the pinned token');
    await cursorOn(33);
    await settle(500);
    assert.strictEqual(a.highlighter.shown?.result.from, 20, 'still pinned after a second move');

    panel.handleMessage({ type: 'pinQuery', pinned: false });
    await waitFor(
      'the editor following the cursor again',
      () => (a.highlighter.shown?.result.from === 33 && !a.highlighter.shown.pinned ? a.highlighter.shown : null),
      10_000,
    );
    await waitFor('the page following the cursor again', () => pageQuery()?.from === 33 && !pageQuery()?.pinned, 10_000);
    await cursorOn(8);
    await waitFor('the next cursor move followed', () => (a.highlighter.shown?.result.from === 8 ? a.highlighter.shown : null), 10_000);
  });

  it('"Ablate these" draws the ablation overlay: loss before from llama2.c, after as the worker ablates those heads; none clears it', async () => {
    await cursorOn(20);
    const heads = [
      { layer: 1, head: 3 },
      { layer: 4, head: 6 },
    ];
    assert.strictEqual(a.ablation.shown, null, 'nothing ablated before the click');
    panel.handleMessage({ type: 'ablateHeads', heads });
    const drawn = await waitFor('the ablation overlay', () => (a.ablation.shown?.editor.document === doc ? a.ablation.shown : null), 60_000);
    assert.deepStrictEqual(
      drawn.heads.map((h) => `${h.layer}.${h.head}`),
      ['1.3', '4.6'],
    );
    const w = drawn.windows[0]!;
    let sum = 0;
    for (let t = 1; t < fx.T; t++) sum += -logProb(fx.logits[t - 1]!, fx.token_ids[t]!);
    assert.ok(Math.abs(w.lossBefore - sum / (fx.T - 1)) < 2e-3, `loss before ${w.lossBefore} vs llama2.c ${sum / (fx.T - 1)}`);

    // The worker asked directly, for the same heads switched off together.
    const direct = await a.client.call({ type: 'ablate', documentKey: doc.uri.toString(), version: doc.version, token: 20, heads, mode: 'zero' });
    assert.strictEqual(w.lossAfter, direct.lossAfter);
    assert.deepStrictEqual(Array.from(w.surprisalAfter), Array.from(direct.surprisalAfter));
    assert.notStrictEqual(w.lossAfter, w.lossBefore, 'switching two heads off changes the loss');
    await waitFor('the status bar', () => a.ablationStatus.text.includes('loss'), 10_000);
    assert.ok(a.ablationStatus.text.includes(`Ablated 1.3, 4.6 · loss ${w.lossBefore.toFixed(3)} → ${w.lossAfter.toFixed(3)} nats`), a.ablationStatus.text);

    panel.handleMessage({ type: 'ablateHeads', heads: [] });
    await waitFor('the overlay cleared', () => a.ablation.shown === null && a.ablationStatus.text === '', 10_000);
  });

  it('a custom head detector set by the page scores every head on the window: "2 back" is the share of llama2.c’s attention on i − 2', async () => {
    await cursorOn(12);
    const detector: CustomDetector = { rule: { kind: 'offset', offset: 2 }, method: 'mul', excludeBos: false, excludeCurrentToken: false };
    const find = (): PagePayload<'customHeads'> | undefined => {
      for (const m of posted) if (m.type === 'view' && m.view === 'customHeads' && m.payload.detector.rule.kind === 'offset') return m.payload;
      return undefined;
    };
    assert.strictEqual(find(), undefined, 'nothing scored before the page sets a rule');
    panel.handleMessage({ type: 'setHeadDetector', detector });
    const v = await waitFor('the custom detector scores', find, 30_000);
    assert.deepStrictEqual([v.layers, v.heads, v.windowLength, v.cells], [5, 8, fx.T, fx.T - 2]);
    fx.attention.forEach((layer, l) =>
      layer.forEach((rows, h) => {
        const expected = rows.reduce((s, row, i) => s + (i >= 2 ? row[i - 2]! : 0), 0) / fx.T;
        const got = v.scores[l * 8 + h]!;
        assert.ok(Math.abs(got - expected) < 2e-4, `head ${l}.${h}: ${got} vs llama2.c ${expected}`);
      }),
    );
    // A hostile rule is refused by the host's check: nothing new is asked for.
    const before = posted.length;
    panel.handleMessage({ type: 'setHeadDetector', detector: { ...detector, rule: { kind: 'match', regex: '(a+)+$' } } });
    await settle(300);
    assert.ok(!received.slice(-1).some((m) => m.type === 'setHeadDetector' && m.detector?.rule.kind === 'match'), 'refused, not dispatched');
    assert.ok(posted.slice(before).every((m) => m.type !== 'view' || m.view !== 'customHeads'));
    panel.handleMessage({ type: 'setHeadDetector', detector: null });
  });
});
