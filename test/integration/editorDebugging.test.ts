/**
 * The editor's debugging modes on llama2.c's stories260K (its fixture prompt): ablating chosen
 * heads (the overlay of surprisal changes, the window's loss before and after in the status bar
 * and the hover, and clearing it), value-weighted highlights, the attribution highlight mode,
 * a selection as the query in the hover, and pinning the query. Expected numbers come from
 * llama2.c's own logits and attention weights (../shared/fixtures/stories260K), not our engine.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { logProb, type Llama2cLogits } from '../helpers/llama2cAttention';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';

/** The overlay's buckets of Δ surprisal (presentation/ablationScale.ts), written out here. */
function deltaBucket(d: number): number {
  if (Math.abs(d) < 0.1) return -1;
  if (d < 0) return d <= -1 ? 0 : 1;
  return d >= 1 ? 3 : 2;
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function hoverText(doc: vscode.TextDocument, offset: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(offset));
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

describe('debugging modes in the editor (stories260K, llama2.c as the oracle)', function () {
  this.timeout(180_000);
  let a: AttentionLensApi;
  let fx: Llama2cLogits;
  let doc: vscode.TextDocument;
  let editor: vscode.TextEditor;
  let spans: { start: number; end: number }[];
  const setting = (key: string, value: unknown): Thenable<void> =>
    vscode.workspace.getConfiguration('attentionLens.attention').update(key, value, vscode.ConfigurationTarget.Global);

  async function cursorOn(token: number): Promise<void> {
    editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(spans[token]!.start), doc.positionAt(spans[token]!.start));
  }

  before(async function () {
    if (!fixturesDir()) return this.skip();
    a = (await activeExtension()).exports as AttentionLensApi;
    fx = JSON.parse(fs.readFileSync(fixture('stories260K', 'attention_logits_lily_park.json'), 'utf8')) as Llama2cLogits;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    doc = await vscode.workspace.openTextDocument({ content: fx.prompt });
    editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(5), doc.positionAt(5));
    await waitFor('attention for the prompt', () => (a.highlighter.shown?.editor.document === doc ? a.highlighter.shown : null), 30_000);
    const tokens = await a.attention.tokensFor(doc, [{ start: 0, end: doc.getText().length }]);
    spans = Array.from({ length: fx.T }, (_, i) => tokens?.rangeOf(i) ?? { start: 0, end: 0 });
  });

  afterEach(async () => {
    if (!a) return;
    await setting('weighting', undefined);
    await setting('highlight', undefined);
    await vscode.commands.executeCommand('attentionLens.clearAblation');
    await vscode.commands.executeCommand('attentionLens.unpinQuery');
  });

  it('ablating heads outlines each token by how its surprisal changed, with the window’s loss before and after; clearing restores the view', async () => {
    await cursorOn(20);
    await vscode.commands.executeCommand('attentionLens.ablateHeads', {
      heads: [
        { layer: 4, head: 2 },
        { layer: 4, head: 3 },
        { layer: 3, head: 0 },
      ],
    });
    const drawn = await waitFor('the ablation overlay', () => (a.ablation.shown?.editor.document === doc ? a.ablation.shown : null), 60_000);
    assert.deepStrictEqual(
      drawn.heads.map((h) => `${h.layer}.${h.head}`),
      ['4.2', '4.3', '3.0'],
    );
    const w = drawn.windows[0]!;
    assert.strictEqual(drawn.windows.length, 1);
    // Before: llama2.c's own surprisal; the loss is its mean over tokens 1..T−1.
    let sum = 0;
    let nearBoundary = 0;
    const expected = [0, 0, 0, 0];
    for (let t = 1; t < fx.T; t++) {
      const before = -logProb(fx.logits[t - 1]!, fx.token_ids[t]!);
      assert.ok(Math.abs(w.surprisalBefore[t]! - before) < 5e-3, `token ${t}: ${w.surprisalBefore[t]} vs llama2.c ${before}`);
      sum += before;
      const d = w.surprisalAfter[t]! - before;
      const b = deltaBucket(d);
      if (b >= 0) expected[b]!++;
      if ([0.1, 1].some((x) => Math.abs(Math.abs(d) - x) < 5e-3)) nearBoundary++;
    }
    assert.ok(Math.abs(w.lossBefore - sum / (fx.T - 1)) < 2e-3, `loss before ${w.lossBefore} vs llama2.c ${sum / (fx.T - 1)}`);
    const got = drawn.ranges.map((r) => r.length);
    const off = got.reduce((s, n, i) => s + Math.abs(n - expected[i]!), 0) / 2;
    assert.ok(off <= nearBoundary, `tokens per bucket ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    assert.ok(got.reduce((s, n) => s + n, 0) > 0, 'switching off three heads moves some token');
    await waitFor('the status bar', () => a.ablationStatus.text.includes('loss'), 10_000);
    assert.ok(
      a.ablationStatus.text.includes(`Ablated 4.2, 4.3, 3.0 · loss ${w.lossBefore.toFixed(3)} → ${w.lossAfter.toFixed(3)} nats`),
      a.ablationStatus.text,
    );

    const hover = await hoverText(doc, spans[12]!.start);
    const before12 = -logProb(fx.logits[11]!, fx.token_ids[12]!);
    assert.ok(hover.includes('**Heads 4.2, 4.3, 3.0 ablated** (zero): surprisal '), hover);
    assert.ok(hover.includes(`${before12.toFixed(2)} → ${w.surprisalAfter[12]!.toFixed(2)} nats`), `token 12 in:\n${hover}`);
    assert.ok(hover.includes(`window loss ${w.lossBefore.toFixed(3)} → ${w.lossAfter.toFixed(3)} nats`));

    await vscode.commands.executeCommand('attentionLens.clearAblation');
    await waitFor('the overlay cleared', () => a.ablation.shown === null && a.ablationStatus.text === '', 10_000);
    assert.ok(!(await hoverText(doc, spans[12]!.start)).includes('ablated'), 'the hover is back to normal');
  });

  it('value-weighted highlights: each key’s weight is α times one norm per key (the same for every query), α from llama2.c', async () => {
    await setting('weighting', 'valueWeighted');
    const norms: number[][] = [];
    for (const q of [30, 40]) {
      await cursorOn(q);
      const shown = await waitFor(
        `value-weighted attention of token ${q}`,
        () => (a.highlighter.shown?.result.from === q && a.highlighter.shown.result.weighting === 'valueWeighted' ? a.highlighter.shown : null),
        30_000,
      );
      const { layer, head } = a.view.selection;
      const alpha = fx.attention[layer]![head]![q]!;
      norms.push(Array.from({ length: 30 }, (_, k) => (alpha[k]! > 1e-3 ? shown.weights[k]! / alpha[k]! : NaN)));
      const hover = await hoverText(doc, spans[q - 2]!.start);
      assert.ok(hover.includes('Highlights: **value-weighted attention ‖α·v‖**'), hover);
    }
    let compared = 0;
    for (let k = 0; k < 30; k++) {
      const [x, y] = [norms[0]![k]!, norms[1]![k]!];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      assert.ok(Math.abs(x - y) <= 2e-2 * Math.max(x, y), `key ${k}: ‖W_O v‖ ${x} from query 30, ${y} from query 40`);
      compared++;
    }
    assert.ok(compared > 5, `${compared} keys compared`);
    assert.ok(new Set(norms[0]!.filter(Number.isFinite).map((v) => v.toFixed(2))).size > 1, 'keys differ in the size of their values');
  });

  it('attribution highlights: integrated gradients, then gradient × input, of log p(next token) at the cursor; the hover says which', async () => {
    await cursorOn(20);
    await setting('highlight', 'integratedGradients');
    const ig = await waitFor(
      'integrated-gradient highlights',
      () => (a.highlighter.shown?.mode === 'integratedGradients' ? a.highlighter.shown : null),
      90_000,
    );
    const r = ig.attribution!;
    assert.deepStrictEqual([r.method, r.query, r.targetId, r.attributions.length], ['ig', 20, fx.token_ids[21], 21]);
    const lp = logProb(fx.logits[20]!, fx.token_ids[21]!);
    assert.ok(Math.abs(r.logProb - lp) < 1e-3, `log p ${r.logProb} vs llama2.c ${lp}`);
    for (let k = 0; k <= 20; k++) assert.ok(Math.abs(ig.weights[k]! - Math.abs(r.attributions[k]!)) < 1e-6, `token ${k} is highlighted by |attribution|`);
    const hover = await hoverText(doc, spans[15]!.start);
    const x = r.attributions[15]!;
    assert.ok(hover.includes('Highlights: **integrated gradients** of log p('), hover);
    assert.ok(hover.includes(`${x >= 0 ? 'supports' : 'works against'} it, **${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}**`), hover);

    await setting('highlight', 'gradientTimesInput');
    const grad = await waitFor('gradient × input highlights', () => (a.highlighter.shown?.mode === 'gradientTimesInput' ? a.highlighter.shown : null), 60_000);
    assert.deepStrictEqual([grad.attribution!.method, grad.attribution!.query], ['grad', 20]);
    await setting('highlight', 'attention');
    await waitFor(
      'attention again',
      () => (a.highlighter.shown?.mode === 'attention' && !a.highlighter.shown.attribution ? a.highlighter.shown : null),
      20_000,
    );
  });

  it('a selection is the query: the hover shows the mean q·k/√d over the selected tokens', async () => {
    editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(spans[10]!.start), doc.positionAt(spans[12]!.end));
    const shown = await waitFor(
      'the selection as the query',
      () => (a.highlighter.shown?.result.from === 10 && a.highlighter.shown.result.to === 13 ? a.highlighter.shown : null),
      20_000,
    );
    const { layer, head } = a.view.selection;
    const score = shown.result.scores[(layer * shown.result.heads + head) * shown.result.windowLength + 4]!;
    const hover = await hoverText(doc, spans[4]!.start);
    assert.ok(
      hover.includes(`Why: the 3 selected query tokens score this token, as a key, q·k/√d = **${score.toFixed(4)}** (mean over those that see it)`),
      hover,
    );
    // The mean weight over the selection, from llama2.c's α.
    const mean = [10, 11, 12].reduce((s, q) => s + fx.attention[layer]![head]![q]![4]!, 0) / 3;
    assert.ok(Math.abs(shown.result.rows[(layer * shown.result.heads + head) * shown.result.windowLength + 4]! - mean) < 1e-4);
  });

  it('a pinned query stays while the cursor moves, for the highlights and the dashboard; unpinned, it follows the cursor again', async () => {
    await cursorOn(20);
    await waitFor('the cursor on token 20', () => (a.highlighter.shown?.result.from === 20 ? a.highlighter.shown : null), 20_000);
    await vscode.commands.executeCommand('attentionLens.pinQuery');
    await waitFor('pinned', () => a.highlighter.shown?.pinned, 10_000);
    await cursorOn(5);
    await settle(800);
    assert.strictEqual(a.highlighter.shown?.result.from, 20, 'the highlights stay on the pinned token');
    assert.strictEqual(a.highlighter.shown?.pinned, true);
    assert.ok((await hoverText(doc, spans[3]!.start)).includes('(query pinned)'));
    await vscode.commands.executeCommand('attentionLens.unpinQuery');
    await waitFor(
      'following the cursor again',
      () => (a.highlighter.shown?.result.from === 5 && !a.highlighter.shown.pinned ? a.highlighter.shown : null),
      10_000,
    );
  });
});
