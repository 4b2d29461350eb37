/**
 * The dashboard's debugging tools in real Chromium: progress and Cancel on an on-demand view,
 * picking heads in the ablation table to ablate in the editor, pinning the query, attention
 * flow beside rollout, the repeated-random-tokens induction test, and the head table's "abs"
 * scores. Payloads are made up here (no engine); the page must draw them, post the messages the
 * host acts on (each checked by the host's validator after every test) and show its states.
 * Screenshots in dark and light themes go to test-results/.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { HEAD_KIND_NAMES } from '../../src/protocol/common';
import type { FlowRowView, HeadStats, InductionTestView } from '../../src/protocol/dashboardViews';
import { ablation } from './debugFixtures';
import { attentionWindow, DOCUMENT_KEY, init, queryAttention, type Window } from './fixtures';
import { dashboardSuite, RESULTS, waitForPosted, type DashboardPage, expectText } from './harness';

const W = 24;
const Q = 17;
const WINDOW = { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: W };

/** Flow peaking at token 5, then the query itself, nothing after the query. */
function flow(q: number): FlowRowView {
  const raw = Array.from({ length: W }, (_, k) => (k > q ? 0 : k === 5 ? 6 : k === q ? 4 : 1 + (k % 3) * 0.1));
  const sum = raw.reduce((a, b) => a + b, 0);
  return { ...WINDOW, query: q, layers: 2, flow: Float32Array.from(raw, (v) => v / sum) };
}

/** Head 1.2 a strong induction head, 0.3 a weak one. */
function induction(w: Window): InductionTestView {
  const n = w.L * w.H;
  const ind = Float32Array.from({ length: n }, (_, i) => (i === 1 * w.H + 2 ? 0.83 : i === 0 * w.H + 3 ? 0.41 : 0.02 * i));
  return {
    ...WINDOW,
    layers: w.L,
    heads: w.H,
    half: 10,
    batch: 4,
    bos: false,
    ids: new Int32Array(4 * 20),
    induction: ind,
    duplicate: Float32Array.from({ length: n }, (_, i) => 0.01 * i),
    previousToken: Float32Array.from({ length: n }, (_, i) => 0.05 * i),
    lossFirstHalf: 6.1,
    lossSecondHalf: 1.25,
  };
}

function headStats(w: Window): HeadStats {
  const f = (k: number): Float32Array => Float32Array.from({ length: w.L * w.H }, (_, i) => k / 10 + i / 100);
  const pick = (base: number): HeadStats['scores'] => Object.fromEntries(HEAD_KIND_NAMES.map((k, j) => [k, f(base + j)])) as HeadStats['scores'];
  return { ...WINDOW, layers: w.L, heads: w.H, scores: pick(0), absScores: pick(-5), entropy: f(1), keys50: f(2), keys90: f(3) };
}

describe('dashboard webview: debugging tools (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  it('an on-demand view shows its progress and a Cancel button; cancelled, it offers to try again', async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await d.page
      .locator('#ablation')
      .getByRole('button', { name: /Run the ablation sweep/ })
      .click();
    await waitForPosted(d, 'computeView', (m) => m.view === 'ablation');
    await d.send({ type: 'viewProgress', view: 'ablation', window: WINDOW, done: 4, total: 8 });
    await expectText(d.page.locator('#ablation .computing span'), 'Computing… one forward pass per head (8 heads). 4 of 8 passes.');
    assert.deepEqual(await d.page.locator('#ablation .computing progress').evaluate((p: HTMLProgressElement) => [p.value, p.max]), [4, 8]);
    await d.page.locator('#ablation').screenshot({ path: path.join(RESULTS, 'debug-progress-dark.png') });
    // A report about another window is not this question's.
    await d.send({ type: 'viewProgress', view: 'ablation', window: { ...WINDOW, version: 2 }, done: 7, total: 8 });
    await expectText(d.page.locator('#ablation .computing span'), /4 of 8 passes/);
    await d.page.locator('#ablation').getByRole('button', { name: 'Cancel' }).click();
    await waitForPosted(d, 'cancelView', (m) => m.view === 'ablation');
    await d.send({ type: 'viewUnavailable', view: 'ablation', window: WINDOW, reason: 'cancelled' });
    await expectText(d.page.locator('#ablation .note'), 'No ablation sweep for this token: cancelled');
    assert.equal(await d.page.locator('#ablation .computing').count(), 0);
    await d.page.locator('#ablation').getByRole('button', { name: 'Try again' }).click();
    assert.equal((await d.posted()).filter((m) => m.type === 'computeView' && m.view === 'ablation').length, 2);
    await d.frame();
    assert.equal(await d.page.locator('#ablation .computing progress:not([value])').count(), 1, 'an indeterminate bar until the first report');
  });

  it('picked heads in the ablation table are ablated together in the editor; "restore" clears it', async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await d.send({ type: 'view', view: 'ablation', payload: ablation(w, Q) });
    const ablate = d.page.locator('#ablation .pickbar button.primary');
    await expectText(ablate, 'Pick heads to ablate in the editor');
    assert.ok(await ablate.isDisabled());
    await d.page.getByRole('checkbox', { name: 'Pick head 1.2 to ablate in the editor' }).check();
    await d.page.getByRole('checkbox', { name: 'Pick head 0.1 to ablate in the editor' }).check();
    await expectText(ablate, 'Ablate these 2 heads in the editor');
    await d.page.locator('#ablation').screenshot({ path: path.join(RESULTS, 'debug-ablate-picked-dark.png') });
    await ablate.click();
    const m = await waitForPosted(d, 'ablateHeads');
    assert.deepEqual(m.heads, [
      { layer: 0, head: 1 },
      { layer: 1, head: 2 },
    ]);
    // The fixture's only helpful head is 1.2 (Δ −1.75): "the 3 that help most" are the negative ones, strongest first.
    await d.page.getByRole('button', { name: 'Clear picks' }).click();
    await d.frame();
    assert.equal(await d.page.locator('#ablation input.pick:checked').count(), 0);
    await d.page.getByRole('button', { name: 'Pick the 3 that help most' }).click();
    const effects = ablation(w, Q).effects;
    const helpers = [...effects.keys()]
      .filter((i) => effects[i]! < 0)
      .sort((x, y) => effects[x]! - effects[y]!)
      .slice(0, 3);
    assert.equal(await d.page.locator('#ablation input.pick:checked').count(), helpers.length);
    assert.ok(await d.page.getByRole('checkbox', { name: 'Pick head 1.2 to ablate in the editor' }).isChecked());
    await d.page.getByRole('button', { name: 'Restore all heads' }).click();
    const restore = await waitForPosted(d, 'ablateHeads', (x) => Array.isArray(x.heads) && x.heads.length === 0);
    assert.deepEqual(restore.heads, []);
  });

  it('the query strip pins and unpins the query, and says when it shows value-weighted attention', async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    const pin = d.page.locator('#query').getByRole('button', { name: 'Pin' });
    await pin.click();
    await waitForPosted(d, 'pinQuery', (m) => m.pinned === true);
    await d.send({ type: 'attention', attention: { ...queryAttention(w, Q), pinned: true } });
    await expectText(d.page.locator('#query .subtitle'), /^Pinned: /);
    const unpin = d.page.locator('#query').getByRole('button', { name: 'Unpin' });
    assert.equal(await unpin.getAttribute('aria-pressed'), 'true');
    await d.page.locator('#query').screenshot({ path: path.join(RESULTS, 'debug-pinned-dark.png') });
    await unpin.click();
    await waitForPosted(d, 'pinQuery', (m) => m.pinned === false);
    // With the editor on value-weighted attention, the strip says what its bars weigh.
    await d.send({ type: 'attention', attention: { ...queryAttention(w, Q), weighting: 'valueWeighted' } });
    await expectText(d.page.locator('#query .subtitle'), /layer 0, head 0 · value-weighted ‖α·v‖ · window tokens/);
  });

  it('attention flow is computed on request and drawn beside rollout, its strongest tokens as chips', async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    const run = d.page.locator('#rollout').getByRole('button', { name: 'Compute attention flow' });
    await run.click();
    await waitForPosted(d, 'computeView', (m) => m.view === 'flow');
    await d.send({ type: 'viewProgress', view: 'flow', window: WINDOW, done: 3, total: W });
    assert.match(await d.page.locator('#rollout .computing span').innerText(), new RegExp(`3 of ${W} passes`));
    const f = flow(Q);
    await d.send({ type: 'view', view: 'flow', payload: f });
    assert.ok(await d.page.locator('#rollout canvas[aria-label="Attention flow to each token"]').isVisible());
    assert.match(await d.page.locator('#rollout .flow-note').innerText(), new RegExp(`^Flow from token ${Q} at layer 2`));
    const chips = await d.page.locator('#rollout .chips').nth(1).locator('button').allInnerTexts();
    const order = [...f.flow.keys()].sort((x, y) => f.flow[y]! - f.flow[x]! || x - y);
    assert.ok(chips[0]!.endsWith(`${(f.flow[order[0]!]! * 100).toFixed(1)} %`), `first chip ${chips[0]}`);
    assert.equal(order[0], 5);
    await d.page.locator('#rollout').screenshot({ path: path.join(RESULTS, 'debug-flow-dark.png') });
    await d.setTheme('light');
    await d.page.locator('#rollout').screenshot({ path: path.join(RESULTS, 'debug-flow-light.png') });
  });

  it('the repeated-random-tokens test runs on request and shows every head’s induction score, the strongest ranked', async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await d.page.locator('#induction').getByRole('button', { name: 'Run the repeated-random-tokens test' }).click();
    await waitForPosted(d, 'computeView', (m) => m.view === 'induction');
    const v = induction(w);
    await d.send({ type: 'view', view: 'induction', payload: v });
    assert.equal(await d.page.locator('#induction button.heatcell').count(), w.L * w.H);
    assert.equal(await d.page.getByRole('button', { name: '0.830' }).count(), 1);
    assert.match(
      await d.page.locator('#induction .totals').innerText(),
      /^Strongest: 1\.2 \(0\.83\), 0\.3 \(0\.41\), .* — 2 heads above 0\.4\. Loss on the first copy 6\.100 nats, on the second 1\.250 nats\.$/,
    );
    await d.page.getByRole('button', { name: '0.830' }).click();
    await waitForPosted(d, 'selectHead', (m) => m.layer === 1 && m.head === 2);
    await d.page.locator('#induction').screenshot({ path: path.join(RESULTS, 'debug-induction-dark.png') });
    await d.setTheme('light');
    await d.page.locator('#induction').screenshot({ path: path.join(RESULTS, 'debug-induction-light.png') });
  });

  it('the head table switches between the "mul" and "abs" detector scores', async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    const st = headStats(w);
    await d.send({ type: 'view', view: 'headStats', payload: st });
    const firstRow = async (): Promise<string[]> => (await d!.page.locator('#types tbody tr').first().locator('td').allInnerTexts()).slice(1, 6);
    assert.deepEqual(
      await firstRow(),
      HEAD_KIND_NAMES.map((k) => st.scores[k][0]!.toFixed(3)),
    );
    await d.page.locator('#types').getByRole('button', { name: 'abs' }).click();
    assert.deepEqual(
      await firstRow(),
      HEAD_KIND_NAMES.map((k) => st.absScores[k][0]!.toFixed(3)),
    );
    await expectText(d.page.locator('#types .note'), /^"abs" scores/);
    await d.page.locator('#types').screenshot({ path: path.join(RESULTS, 'debug-abs-scores-dark.png') });
  });
});
