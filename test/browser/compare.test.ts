/**
 * The dashboard's What-if panel (the `compare` view) in real Chromium: with a payload made up
 * here, the page must print each head's distance, mark heads without a counterpart, list the
 * keys whose weight moved most in the selected head, colour the tokens by their change of
 * surprisal with new tokens outlined, select a head on click, and explain itself when the
 * document is compared with nothing or when the view is about another token. A screenshot
 * goes to test-results/.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ComparisonView } from '../../src/protocol/dashboardViews';
import { attentionWindow, DOCUMENT_KEY, init, queryAttention } from './fixtures';
import { dashboardSuite, RESULTS, waitForPosted, type DashboardPage, expectText } from './harness';

const W = 12;
const Q = 9;
const L = 2;
const H = 4;
const WINDOW = { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: W };

/** A comparison where tokens 4 and 5 are new, head 1.2 moved most and the query has a counterpart. */
function payload(query = Q): ComparisonView {
  const aligned = Int32Array.from({ length: W }, (_, i) => (i === 4 || i === 5 ? -1 : i < 4 ? i : i - 1));
  const headDelta = Float32Array.from({ length: L * H }, (_, i) => (i === 1 * H + 2 ? 0.75 : i / 20));
  const rowDelta = new Float32Array(L * H * W);
  // Head 0.0: key 3 gained 30 %, key 7 lost 20 %, key 1 gained 5 %.
  rowDelta[3] = 0.3;
  rowDelta[7] = -0.2;
  rowDelta[1] = 0.05;
  const surprisal = Float32Array.from({ length: W }, (_, i) => (i === 0 ? NaN : 1 + i / 10));
  const otherSurprisal = Float32Array.from({ length: W }, (_, i) => (i === 0 || aligned[i]! < 0 ? NaN : 1.5));
  return {
    ...WINDOW,
    query,
    comparison: {
      kind: 'edit',
      label: 'the original, story.txt (tokens 0–10)',
      layers: L,
      heads: H,
      otherLength: W - 1,
      aligned,
      otherQuery: aligned[query]!,
      headDelta,
      rowDelta,
      surprisal,
      otherSurprisal,
      loss: 1.65,
      otherLoss: 1.5,
    },
  };
}

describe('dashboard webview: What-if panel (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  it('prints every head’s distance, the keys that moved, the tokens by change of loss, and selects a head on click', async () => {
    const w = attentionWindow(W, L, H);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await expectText(d.page.locator('#compare .note'), 'Comparing…');
    const p = payload();
    await d.send({ type: 'view', view: 'compare', payload: p });
    const c = p.comparison!;
    const cells = await d.page.locator('#compare table.compare-heads td').allInnerTexts();
    assert.deepEqual(
      cells,
      Array.from(c.headDelta, (x) => x.toFixed(3)),
    );
    assert.match(
      await d.page.locator('#compare .subtitle').first().innerText(),
      /^Against the original, story\.txt \(tokens 0–10\): token 9 ".*" \(its counterpart is token 8 there\)\. Loss here 1\.650 nats, there 1\.500 nats \(\+0\.150 nats\)\.$/,
    );
    // Head 0.0 is selected: its keys by how much their weight moved.
    assert.match(
      await d.page.locator('#compare .compare-moved').innerText(),
      /^Head 0\.0, weights that moved most \(here − there\): ".*" \+30\.0 % · ".*" −20\.0 % · ".*" \+5\.0 %/,
    );
    const chips = d.page.locator('#compare .compare-tokens .chip');
    assert.equal(await chips.count(), W);
    assert.equal(await d.page.locator('#compare .compare-tokens .chip.new').count(), 2);
    assert.match((await chips.nth(4).getAttribute('title')) ?? '', /is new here: surprisal 1\.400 nats/);
    assert.match((await chips.nth(7).getAttribute('title')) ?? '', /surprisal 1\.700 nats here, 1\.500 nats there \(\+0\.200 nats\)/);
    await d.page.locator('#compare').screenshot({ path: path.join(RESULTS, 'compare-dark.png') });
    await d.page
      .locator('#compare table.compare-heads td')
      .nth(1 * H + 2)
      .click();
    assert.deepEqual(await waitForPosted(d, 'selectHead'), { type: 'selectHead', layer: 1, head: 2 });
  });

  it('says how to start a comparison, and shows no head distances when the query is new', async () => {
    const w = attentionWindow(W, L, H);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await d.send({ type: 'view', view: 'compare', payload: { ...WINDOW, query: Q, comparison: null } });
    await expectText(d.page.locator('#compare .note'), /Run "Attention Lens: Compare with Edit"/);
    // A payload about another token is not shown as this one's.
    await d.send({ type: 'view', view: 'compare', payload: payload(3) });
    assert.ok(await d.page.locator('#compare table.compare-heads').isHidden());
    // The query inside the edit: no counterpart, so no distances.
    await d.send({ type: 'attention', attention: queryAttention(w, 5) });
    const p = payload(5);
    const c = { ...p.comparison!, otherQuery: -1, headDelta: new Float32Array(L * H).fill(NaN), rowDelta: new Float32Array(L * H * W).fill(NaN) };
    await d.send({ type: 'view', view: 'compare', payload: { ...p, comparison: c } });
    assert.deepEqual(new Set(await d.page.locator('#compare table.compare-heads td').allInnerTexts()), new Set(['–']));
    await expectText(d.page.locator('#compare .subtitle').first(), /it is new in this text, so only the loss compares/);
    await expectText(d.page.locator('#compare .compare-moved'), '');
  });
});
