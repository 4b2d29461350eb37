/**
 * The dashboard's debugging views in real Chromium: the loss strip (surprisal per token), the
 * logit lens, and the on-demand head ablation and attribution. Payloads are computed in
 * debugFixtures.ts from made-up logits with a plain softmax (not by the engine); the page must
 * draw those numbers, post `computeView` from its buttons (and show "Computing…" until the
 * answer, forgetting the request when the question changes), select heads and tokens on
 * click, and show the host's reasons. Screenshots of each view in dark and light themes go to
 * test-results/.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import { ablation, attribution, lens, logits, softmax, surprisal, vocabulary } from './debugFixtures';
import { attentionWindow, DOCUMENT_KEY, init, MODEL, queryAttention } from './fixtures';
import { dashboardSuite, countPixels, RESULTS, waitForPosted, type DashboardPage, expectText } from './harness';

const W = 24;
const Q = 17;
/** A probability as the dashboard prints it: "12.3 %", "1.23 %", "1.2e-3 %". */
const percent = (p: number): string => (p >= 0.1 ? `${(p * 100).toFixed(1)} %` : p >= 0.001 ? `${(p * 100).toFixed(2)} %` : `${(p * 100).toExponential(1)} %`);
const WINDOW = { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: W };

describe('dashboard webview: debugging views (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  const count = async (type: string, where: (m: Record<string, unknown>) => boolean = () => true): Promise<number> =>
    (await d!.posted()).filter((m) => m.type === type && where(m)).length;

  it("the loss strip draws each token's surprisal, reads out a hovered token, and selects tokens on click", async () => {
    const w = attentionWindow(W);
    const s = surprisal(w);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await expectText(d.page.locator('#surprisal .note'), 'Computing the surprisal of each token…');
    await d.send({ type: 'view', view: 'surprisal', payload: s });

    // The window loss: the mean of −ln p over the predicted tokens, recomputed here from the fixture's logits.
    const probs = logits(w).map(softmax);
    let total = 0;
    for (let i = 1; i < W; i++) total += -Math.log(probs[i - 1]![w.ids[i]!]!);
    assert.match(
      await d.page.locator('#surprisal .subtitle').innerText(),
      new RegExp(`^Window loss ${(total / (W - 1)).toFixed(3)} nats \\(perplexity ${Math.exp(total / (W - 1)).toFixed(2)}\\)`),
    );

    const canvas = d.page.locator('#surprisal canvas.strip');
    const box = (await canvas.boundingBox())!;
    const cell = Math.min(28, (box.width - 8) / W);
    const k = 9;
    await canvas.hover({ position: { x: 4 + k * cell + cell / 2, y: 40 } });
    const p = probs[k - 1]!;
    const actual = w.ids[k]!;
    const rank = 1 + p.filter((x) => x > p[actual]!).length;
    const best = p.indexOf(Math.max(...p));
    const readout = await d.page.locator('#surprisal .hoverinfo').innerText();
    assert.match(
      readout,
      new RegExp(
        `^token ${k} ".*": surprisal ${(-Math.log(p[actual]!)).toFixed(3)} nats · p [\\d.e+-]+ % · rank ${rank} · expected "${vocabulary(w)[best]!.replace(' ', '·')}"`,
      ),
    );
    await canvas.hover({ position: { x: 4 + cell / 2, y: 40 } });
    await expectText(d.page.locator('#surprisal .hoverinfo'), /first token — nothing before it in the window predicts it/);

    await canvas.click({ position: { x: 4 + k * cell + cell / 2, y: 40 } });
    assert.deepEqual(await waitForPosted(d, 'selectTokens'), { type: 'selectTokens', documentKey: DOCUMENT_KEY, start: w.starts[k], end: w.ends[k] });
    // The first chip is the most surprising token.
    let worst = 1;
    for (let i = 2; i < W; i++) if (s.surprisal[i]! > s.surprisal[worst]!) worst = i;
    await d.page.locator('#surprisal button.chip').first().click();
    await waitForPosted(d, 'selectTokens', (m) => m.start === w.starts[worst]);
    // The cursor token is marked in the theme's query colour (--vscode-charts-yellow).
    assert.ok((await countPixels(d.page, '#surprisal canvas.strip', '#cca700', 10)) > 10, 'the cursor token is marked');
    // The legend: the colour scale is the editor overlay's fixed one (buckets up to 7 nats), the height this window's largest surprisal.
    assert.match(
      await d.page.locator('#surprisal .legend-text').innerText(),
      new RegExp(`^colour 0 … 8\\+ nats .* height up to ${(-Math.log(Math.min(...probs.slice(0, -1).map((q, i) => q[w.ids[i + 1]!]!)))).toFixed(2)} nats here`),
    );
    await d.page.locator('#surprisal').screenshot({ path: path.join(RESULTS, 'debug-surprisal-dark.png') });

    // An edit (a new document version) forgets it; the host's reason replaces the wait.
    await d.send({ type: 'attention', attention: queryAttention(w, Q, 2) });
    await expectText(d.page.locator('#surprisal .note'), 'Computing the surprisal of each token…');
    await d.send({ type: 'viewUnavailable', view: 'surprisal', window: WINDOW, reason: 'the window is too long for a forward pass' });
    assert.equal(
      await d.page.locator('#surprisal .note').innerText(),
      'Computing the surprisal of each token…',
      "a reason about the old version is not this one's",
    );
    await d.send({ type: 'viewUnavailable', view: 'surprisal', window: { ...WINDOW, version: 2 }, reason: 'the window is too long for a forward pass' });
    await expectText(d.page.locator('#surprisal .note'), 'No surprisal for this window: the window is too long for a forward pass');
    assert.ok(await canvas.isHidden());
  });

  it("the logit lens shows the top predictions after each layer and the next token's probability; at the window end it says there is none", async () => {
    const w = attentionWindow(W);
    const v = lens(w, Q);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }), { type: 'view', view: 'lens', payload: v });
    const rows = d.page.locator('#lens tbody tr');
    assert.equal(await rows.count(), v.layers);
    assert.equal(
      await rows.last().locator('th').textContent(),
      `${v.layers - 1} (output)`,
      'the last row says, at least to a screen reader, that it is the output',
    );
    // The last row is the model's own prediction: the fixture's softmax over its logits at the query.
    const p = softmax(logits(w)[Q]!);
    const best = p.indexOf(Math.max(...p));
    const next = w.ids[Q + 1]!;
    assert.equal(await rows.last().locator('td.pred .tok').first().innerText(), vocabulary(w)[best]!.replace(' ', '·'));
    assert.equal(await rows.last().locator('td.next').innerText(), percent(p[next]!));
    assert.deepEqual(await d.page.locator('#lens tbody td.next').allInnerTexts(), Array.from(v.nextProbs, percent));
    assert.equal(await rows.first().locator('td.pred').count(), 5, 'the top 5 of 8 are shown');
    assert.match(await d.page.locator('#lens thead').innerText(), new RegExp(`p\\(${vocabulary(w)[next]!.replace(' ', '·')}\\)`));
    // Wherever the actual next token is among the shown predictions, it is marked.
    const hits = await d.page.locator('#lens td.hit .tok').allInnerTexts();
    assert.ok(
      hits.every((t) => t === vocabulary(w)[next]!.replace(' ', '·')),
      `marked: ${hits.join(', ')}`,
    );
    await d.page.locator('#lens').screenshot({ path: path.join(RESULTS, 'debug-lens-dark.png') });

    // A lens of another query token is not shown as this one's.
    await d.send({ type: 'attention', attention: queryAttention(w, W - 1) });
    await expectText(d.page.locator('#lens .note'), 'Reading the prediction after each layer…');
    await d.send({ type: 'view', view: 'lens', payload: v });
    assert.ok(await d.page.locator('#lens table').isHidden());
    await d.send({ type: 'view', view: 'lens', payload: lens(w, W - 1) });
    await expectText(d.page.locator('#lens .subtitle'), /window's last token: the token that follows is not in the window/);
    assert.deepEqual(new Set(await d.page.locator('#lens tbody td.next').allInnerTexts()), new Set(['–']));
  });

  it('head ablation runs on request, shows "Computing…", draws the heat-map, sorts by effect and selects heads', async () => {
    const w = attentionWindow(W);
    const v = ablation(w, Q);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    const run = d.page.locator('#ablation').getByRole('button', { name: 'Run the ablation sweep (one forward per head)' });
    // A redraw (another head selected in the editor) keeps the keyboard focus on the button.
    await run.focus();
    await d.send({ type: 'selection', layer: 0, head: 1 }, { type: 'selection', layer: 0, head: 0 });
    assert.ok(await run.evaluate((b) => b === document.activeElement), 'the button keeps the focus');
    await d.page.keyboard.press('Enter');
    await waitForPosted(d, 'computeView', (m) => m.view === 'ablation');
    await expectText(d.page.locator('#ablation .computing span'), /^Computing… one forward pass per head \(8 heads\)\.$/);
    // Another query token: the request was about the old one, so the button comes back.
    await d.send({ type: 'attention', attention: queryAttention(w, 12) });
    assert.ok(await run.isVisible());
    await d.send({ type: 'attention', attention: queryAttention(w, Q) });
    await run.click();
    assert.equal(await count('computeView', (m) => m.view === 'ablation'), 2);
    // A reloaded answer for another token does not end the wait.
    await d.send({ type: 'view', view: 'ablation', payload: ablation(w, 12) });
    assert.ok(await d.page.locator('#ablation table').isHidden());

    await d.send({ type: 'view', view: 'ablation', payload: v });
    const cells = d.page.locator('#ablation button.heatcell');
    assert.equal(await cells.count(), w.L * w.H);
    await expectText(cells.nth(1 * w.H + 2), '−1.750');
    await expectText(cells.nth(3), '+0.420');
    assert.match(
      await d.page.locator('#ablation .subtitle').innerText(),
      new RegExp(`^Target "${v.targetLabel.replace(' ', '·')}" after token ${Q} .*: log p = ${Math.log(softmax(logits(w)[Q]!)[w.ids[Q + 1]!]!).toFixed(3)} `),
    );
    // Diverging colours: the helpful head is blue, the harmful one red (the dark theme's charts colours, full strength for the largest |effect|).
    const colour = (i: number): Promise<string> => cells.nth(i).evaluate((b) => getComputedStyle(b).backgroundColor);
    assert.equal(await colour(1 * w.H + 2), 'rgb(55, 148, 255)');
    assert.match(await colour(3), /^rgb\((\d+), /);
    const [r, g] = (await colour(3)).match(/\d+/g)!.map(Number);
    assert.ok(r! > g!, `a positive effect is reddish: ${await colour(3)}`);
    assert.equal(await cells.nth(0).getAttribute('aria-current'), 'true', 'head 0.0 is selected at first');

    // Real buttons: the keyboard selects a head too.
    await cells.nth(w.H + 1).focus();
    await d.page.keyboard.press('Enter');
    await waitForPosted(d, 'selectHead', (m) => m.layer === 1 && m.head === 1);
    await cells.nth(1 * w.H + 2).click();
    assert.deepEqual(await waitForPosted(d, 'selectHead'), { type: 'selectHead', layer: 1, head: 2 });
    await d.send({ type: 'selection', layer: 1, head: 2 });
    assert.equal(await cells.nth(1 * w.H + 2).getAttribute('aria-current'), 'true');
    assert.equal(await d.page.locator('#ablation [aria-current="true"]').count(), 1);
    await d.screenshot('debug-ablation-dark.png');
    await d.page.locator('#ablation').screenshot({ path: path.join(RESULTS, 'debug-ablation-grid-dark.png') });

    // Ranked: most helpful first, the harmful head last; a row's head button selects it.
    await d.page.locator('#ablation').getByRole('button', { name: 'By effect' }).click();
    await d.frame();
    const ranked = d.page.locator('#ablation tbody tr');
    assert.equal(await ranked.count(), w.L * w.H);
    await expectText(ranked.first(), /^\s*1\s+1\.2\s+−1\.750 nats/);
    await expectText(ranked.last(), /^\s*8\s+0\.3\s+\+0\.420 nats/);
    assert.match((await ranked.first().getAttribute('class')) ?? '', /selected/);
    await ranked.last().getByRole('button').click();
    await waitForPosted(d, 'selectHead', (m) => m.layer === 0 && m.head === 3);
    await d.page.locator('#ablation').screenshot({ path: path.join(RESULTS, 'debug-ablation-ranked-dark.png') });
    await d.setTheme('light');
    await d.page.locator('#ablation').screenshot({ path: path.join(RESULTS, 'debug-ablation-ranked-light.png') });
  });

  it("head ablation shows the host's reason and offers to try again", async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await d.page
      .locator('#ablation')
      .getByRole('button', { name: /Run the ablation sweep/ })
      .click();
    await d.send({ type: 'viewUnavailable', view: 'ablation', window: WINDOW, reason: 'the engine ran out of memory' });
    await expectText(d.page.locator('#ablation .note'), 'No ablation sweep for this token: the engine ran out of memory');
    assert.equal(await d.page.locator('#ablation .computing').count(), 0);
    await d.page.locator('#ablation').getByRole('button', { name: 'Try again' }).click();
    assert.equal(await count('computeView', (m) => m.view === 'ablation'), 2);
    await d.frame();
    assert.equal(await d.page.locator('#ablation .computing').count(), 1);
    // Another model: a request made of the old one may never be answered, so the button comes back.
    await d.send({ type: 'model', info: { ...MODEL, layers: 3 } });
    assert.equal(await d.page.locator('#ablation .computing').count(), 0);
    assert.ok(
      await d.page
        .locator('#ablation')
        .getByRole('button', { name: /Run the ablation sweep/ })
        .isVisible(),
    );
  });

  it('attribution runs on request and draws signed bars, the totals and chips that select tokens', async () => {
    const w = attentionWindow(W);
    const v = attribution(w, Q);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    await d.page.locator('#attribution').getByRole('button', { name: 'Attribute this prediction (integrated gradients, 64 steps)' }).click();
    await waitForPosted(d, 'computeView', (m) => m.view === 'attribution');
    await expectText(d.page.locator('#attribution .computing'), /^Computing…/);
    await d.send({ type: 'view', view: 'attribution', payload: v });
    const logProb = Math.log(softmax(logits(w)[Q]!)[w.ids[Q + 1]!]!);
    const baseline = -Math.log(vocabulary(w).length);
    let sum = 0;
    for (const x of v.attributions) sum += x;
    const totals = await d.page.locator('#attribution .totals').innerText();
    assert.match(
      totals,
      new RegExp(
        `^log p ${logProb.toFixed(3)} vs baseline ${baseline.toFixed(3)} \\(every embedding zero\\): difference −${(baseline - logProb < 0 ? logProb - baseline : 0).toFixed(3)}|^log p ${logProb.toFixed(3)} vs baseline ${baseline.toFixed(3)}`,
      ),
    );
    assert.match(totals, new RegExp(`Σ attributions [+−]${Math.abs(sum).toFixed(3)} nats; completeness gap 2\\.10e-3\\.$`));
    // Positive bars in blue, negative in red (the dark theme's charts colours).
    assert.ok((await countPixels(d.page, '#attribution canvas.strip', '#3794ff', 6)) > 20);
    assert.ok((await countPixels(d.page, '#attribution canvas.strip', '#f14c4c', 6)) > 20);
    // The first chip is the token with the largest |attribution|.
    let strongest = 0;
    for (let k = 1; k < v.attributions.length; k++) if (Math.abs(v.attributions[k]!) > Math.abs(v.attributions[strongest]!)) strongest = k;
    await d.page.locator('#attribution button.chip').first().click();
    assert.deepEqual(await waitForPosted(d, 'selectTokens'), {
      type: 'selectTokens',
      documentKey: DOCUMENT_KEY,
      start: w.starts[strongest],
      end: w.ends[strongest],
    });
    // A token after the query has no bar: hovering there says nothing.
    const canvas = d.page.locator('#attribution canvas.strip');
    const box = (await canvas.boundingBox())!;
    const cell = Math.min(28, (box.width - 8) / W);
    await canvas.hover({ position: { x: 4 + 1 * cell + cell / 2, y: 50 } });
    await expectText(d.page.locator('#attribution .hoverinfo'), new RegExp(`^token 1 ".*": attribution −${Math.abs(v.attributions[1]!).toFixed(3)} nats`));
    await canvas.hover({ position: { x: 4 + (Q + 2) * cell + cell / 2, y: 50 } });
    await expectText(d.page.locator('#attribution .hoverinfo'), '');
    await d.page.locator('#attribution').screenshot({ path: path.join(RESULTS, 'debug-attribution-dark.png') });

    // The query moves: the attribution and the request are forgotten.
    await d.send({ type: 'attention', attention: queryAttention(w, 12) });
    assert.ok(
      await d.page
        .locator('#attribution')
        .getByRole('button', { name: /Attribute this prediction/ })
        .isVisible(),
    );
    assert.ok(await canvas.isHidden());
  });

  it('all four views together, in dark and light themes', async () => {
    const w = attentionWindow(W);
    d = await open({ height: 1400 });
    const views: HostToWebview[] = [
      { type: 'view', view: 'surprisal', payload: surprisal(w) },
      { type: 'view', view: 'lens', payload: lens(w, Q) },
      { type: 'view', view: 'ablation', payload: ablation(w, Q) },
      { type: 'view', view: 'attribution', payload: attribution(w, Q) },
    ];
    await d.send(init({ attention: queryAttention(w, Q) }), ...views);
    for (const id of ['surprisal', 'lens', 'ablation', 'attribution'])
      assert.equal(await d.page.locator(`#${id} .note`).isHidden(), true, `${id} shows its data`);
    await d.screenshot('debug-views-dark.png');
    await d.setTheme('light');
    // Light theme: the helpful head's cell is the light theme's blue, and its text stays readable.
    const cell = d.page.locator('#ablation button.heatcell').nth(1 * w.H + 2);
    assert.equal(await cell.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(26, 133, 255)');
    assert.ok((await countPixels(d.page, '#surprisal canvas.strip', '#bf8803', 10)) > 10, 'the cursor mark follows the theme');
    await d.screenshot('debug-views-light.png');
    for (const id of ['surprisal', 'lens', 'attribution']) await d.page.locator(`#${id}`).screenshot({ path: path.join(RESULTS, `debug-${id}-light.png`) });
  });
});
