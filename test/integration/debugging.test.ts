/**
 * The debugger in the editor, on llama2.c's stories260K with the prompt its fixture was made
 * from: the surprisal overlay's underlines, the hover's predictions and the dashboard's
 * on-demand ablation sweep and attribution, each checked against numbers computed here from
 * llama2.c's own logits (../shared/fixtures/stories260K/attention_logits_lily_park.json), not
 * from our engine.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { DashboardPanel } from '../../src/host/dashboard/panel';
import type { PagePayload } from '../../src/protocol/dashboardViews';
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewProtocol';
import { logProb, type Llama2cLogits } from '../helpers/llama2cAttention';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';
import { dashboardDeps } from '../helpers/dashboardDeps';

/** log p(id) under row `logits` (float64 log-softmax). */
/** The overlay's buckets (presentation/surprisalScale.ts): under 1, 2, 4, 7 nats, and above. */
const BOUNDS = [1, 2, 4, 7];
const bucketOf = (nats: number): number => {
  const i = BOUNDS.findIndex((b) => nats < b);
  return i < 0 ? BOUNDS.length : i;
};

describe("the debugger in the editor (stories260K, llama2.c's logits as the oracle)", function () {
  this.timeout(120_000);
  let a: AttentionLensApi;
  let fx: Llama2cLogits;
  let doc: vscode.TextDocument;
  let editor: vscode.TextEditor;

  before(async function () {
    if (!fixturesDir()) return this.skip();
    a = (await activeExtension()).exports as AttentionLensApi;
    fx = JSON.parse(fs.readFileSync(fixture('stories260K', 'attention_logits_lily_park.json'), 'utf8')) as Llama2cLogits;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    doc = await vscode.workspace.openTextDocument({ content: fx.prompt });
    editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(5), doc.positionAt(5));
    const shown = await waitFor('attention for the prompt', () => (a.highlighter.shown?.editor.document === doc ? a.highlighter.shown : null), 30_000);
    assert.deepStrictEqual(Array.from(shown.result.window.ids), fx.token_ids, 'the editor tokenizes the prompt as llama2.c did');
  });

  after(async () => {
    await vscode.workspace.getConfiguration('attentionLens.surprisal').update('overlay', undefined, vscode.ConfigurationTarget.Global);
  });

  it('the surprisal overlay underlines every predicted token in the colour of its surprisal', async () => {
    await vscode.workspace.getConfiguration('attentionLens.surprisal').update('overlay', true, vscode.ConfigurationTarget.Global);
    const drawn = await waitFor(
      'the overlay drawn on the prompt',
      () => (a.surprisal.shown?.editor.document === doc && a.surprisal.shown.version === doc.version ? a.surprisal.shown : null),
      30_000,
    );
    // Expected: token t (t ≥ 1, BOS first) has −log p(ids[t]) under row t − 1 of llama2.c's logits.
    const expected = new Array(BOUNDS.length + 1).fill(0);
    let nearBoundary = 0;
    for (let t = 1; t < fx.T; t++) {
      const nats = -logProb(fx.logits[t - 1]!, fx.token_ids[t]!);
      expected[bucketOf(nats)]++;
      if (BOUNDS.some((b) => Math.abs(nats - b) < 1e-3)) nearBoundary++;
    }
    const got = drawn.ranges.map((r) => r.length);
    const off = got.reduce((s, n, i) => s + Math.abs(n - expected[i]), 0) / 2;
    assert.ok(off <= nearBoundary, `tokens per bucket ${JSON.stringify(got)}, llama2.c's logits give ${JSON.stringify(expected)}`);
    assert.strictEqual(
      got.reduce((s, n) => s + n, 0),
      fx.T - 1,
      'every token but BOS is underlined',
    );

    await vscode.workspace.getConfiguration('attentionLens.surprisal').update('overlay', false, vscode.ConfigurationTarget.Global);
    await waitFor('the overlay cleared', () => a.surprisal.shown === null, 10_000);
  });

  it("the hover shows the token's surprisal, the top predictions and the rank and probability of what follows", async () => {
    // Token 11 of the prompt; the hover is at its first character.
    const tokens = await a.attention.tokensFor(doc, [{ start: 0, end: doc.getText().length }]);
    const span = tokens?.rangeOf(11);
    assert.ok(span);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(span.start));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    const row = fx.logits[11]!;
    const next = fx.token_ids[12]!;
    const lp = logProb(row, next);
    const rank = 1 + row.filter((x) => x > row[next]!).length;
    assert.match(text, /\*\*Predicts next:\*\*/);
    assert.ok(text.includes(`was ranked **${rank}** with p = `), `rank ${rank} in:\n${text}`);
    const p = /was ranked \*\*\d+\*\* with p = ([\d.]+) %/.exec(text);
    assert.ok(p && Math.abs(Number(p[1]) / 100 - Math.exp(lp)) < 0.0006, `p = ${p?.[1]} % vs llama2.c ${(100 * Math.exp(lp)).toFixed(3)} %`);
    const s = /\*\*Surprisal\*\* of this token: ([\d.]+) nats/.exec(text);
    const own = -logProb(fx.logits[10]!, fx.token_ids[11]!);
    assert.ok(s && Math.abs(Number(s[1]) - own) < 0.006, `surprisal ${s?.[1]} vs llama2.c ${own.toFixed(3)}`);
  });

  it('the dashboard runs the ablation sweep and the attribution when asked, about the token after the cursor', async () => {
    const deps = await dashboardDeps(a, 'Attention Lens debugging test');
    const posted: HostToWebview[] = [];
    const received: WebviewToHost[] = [];
    const tokens = await a.attention.tokensFor(doc, [{ start: 0, end: doc.getText().length }]);
    const span = tokens?.rangeOf(20);
    assert.ok(span);
    editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(span.start), doc.positionAt(span.start));
    await waitFor('the cursor on token 20', () => (a.highlighter.shown?.result.from === 20 ? a.highlighter.shown : null), 20_000);
    const panel = DashboardPanel.createOrShow(deps);
    try {
      panel.onDidPostMessage((m) => posted.push(m));
      panel.onDidReceiveMessage((m) => received.push(m));
      await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
      const find =
        <N extends 'ablation' | 'attribution'>(name: N) =>
        (): PagePayload<N> | undefined => {
          for (const m of posted) if (m.type === 'view' && m.view === name) return m.payload as PagePayload<N>;
          return undefined;
        };
      assert.strictEqual(find('ablation')(), undefined, 'not computed before the page asks');
      panel.handleMessage({ type: 'computeView', view: 'ablation' });
      const sweep = await waitFor('the ablation sweep', find('ablation'), 60_000);
      assert.deepStrictEqual([sweep.query, sweep.targetId, sweep.effects.length], [20, fx.token_ids[21], 5 * 8]);
      const lp = logProb(fx.logits[20]!, fx.token_ids[21]!);
      assert.ok(Math.abs(sweep.logProb - lp) < 1e-3, `log p ${sweep.logProb} vs llama2.c ${lp}`);
      assert.ok(sweep.effects.every(Number.isFinite));

      panel.handleMessage({ type: 'computeView', view: 'attribution' });
      const ig = await waitFor('the attribution', find('attribution'), 60_000);
      assert.deepStrictEqual([ig.query, ig.targetId, ig.attributions.length], [20, fx.token_ids[21], 21]);
      assert.ok(Math.abs(ig.logProb - lp) < 1e-3);
      // On a Llama model the zero baseline is degenerate (no learned positions): the gap is reported, not hidden.
      const total = ig.attributions.reduce((s, x) => s + x, 0);
      assert.ok(
        Math.abs(total - (ig.logProb - ig.baselineLogProb) - ig.completenessGap) < 1e-3,
        'the reported completeness gap is Σ attributions − (log p − baseline)',
      );
    } finally {
      panel.dispose();
      deps.log.dispose();
    }
  });
});
