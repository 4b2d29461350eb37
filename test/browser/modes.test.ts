/**
 * The editor's attention modes shown in the dashboard, in real Chromium (issue 18): the "Looks at
 * / Looked at by" toggle follows the editor's direction setting and asks the host to change it;
 * with Mean aggregation the query strip weighs and names the mean, the grid outlines the whole
 * layer and says what the editor shows; the grid's caption follows a keyboard head change even
 * with the mouse over another head. Expected weights are computed here from the fixture window.
 */

import assert from 'node:assert/strict';
import { attentionWindow, DOCUMENT_KEY, init, matrixMessages, queryAttention } from './fixtures';
import { dashboardSuite, countPixels, waitForPosted, type DashboardPage, expectText } from './harness';

describe('dashboard webview: the editor modes (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  it("the direction toggle follows the editor's setting, and a click asks the host to change the setting", async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }));
    const looksAt = d.page.locator('#query').getByRole('button', { name: 'Looks at', exact: true });
    const lookedAtBy = d.page.locator('#query').getByRole('button', { name: 'Looked at by' });
    assert.equal(await looksAt.getAttribute('aria-pressed'), 'true');
    // The editor's "Attention Direction…" changed the setting: the page follows.
    await d.send({ type: 'attentionMode', direction: 'attendedBy', aggregation: 'head' });
    assert.equal(await lookedAtBy.getAttribute('aria-pressed'), 'true');
    await expectText(d.page.locator('#query .chips'), /Attended most by/);
    // And the other way: the toggle asks for the setting.
    await looksAt.click();
    assert.deepEqual(await waitForPosted(d, 'setDirection'), { type: 'setDirection', direction: 'attendsTo' });
    await expectText(d.page.locator('#query .chips'), /Strongest keys/);
  });

  it('Mean aggregation: the query strip weighs and names the mean, the grid outlines the whole layer and says so', async () => {
    const w = attentionWindow(24);
    const q = 17;
    d = await open({ width: 1400 });
    await d.send(init({ attention: queryAttention(w, q) }), ...matrixMessages(w, 1, 2), { type: 'selection', layer: 1, head: 2 });
    const outlined = async (): Promise<number> => countPixels(d!.page, '#heads canvas', '#cca700', 30);
    const one = await outlined();
    assert.ok(one > 0, 'the selected head is outlined');
    await d.send({ type: 'attentionMode', direction: 'attendsTo', aggregation: 'mean' });
    const all = await outlined();
    assert.ok(all > 3.5 * one, `every head of layer 1 is outlined: ${all} outline pixels, ${one} for one head`);
    await expectText(d.page.locator('#query .subtitle'), /· layer 1, mean of 4 heads ·/);
    await expectText(d.page.locator('#heads .hoverinfo'), /^Selected: layer 1, head 2 .*the editor shows the mean of layer 1's 4 heads$/);
    // The strongest key of the mean over layer 1's heads, computed here.
    const { W, H } = w;
    const mean = Array.from({ length: W }, (_, k) => {
      let s = 0;
      for (let h = 0; h < H; h++) s += w.weights[((1 * H + h) * W + q) * W + k]!;
      return s / H;
    });
    const best = mean.reduce((bi, v, i) => (v > mean[bi]! ? i : bi), 0);
    const chip = await d.page.locator('#query button.chip').first().innerText();
    const percent = Number(/([\d.]+) %$/.exec(chip)![1]);
    assert.ok(Math.abs(percent / 100 - mean[best]!) < 0.0006, `the first chip ${chip} is the mean's strongest key ${best} (${mean[best]})`);
  });

  it("the grid's caption follows a keyboard head change even with the mouse over another head", async () => {
    const w = attentionWindow(24);
    d = await open({ width: 1400 });
    await d.send(init({ attention: queryAttention(w, 17) }), ...matrixMessages(w, 0, 0));
    const grid = d.page.locator('#heads canvas');
    const box = (await grid.boundingBox())!;
    const tile = Math.max(24, Math.min(96, Math.floor((box.width - 28) / 4) - 6));
    await grid.hover({ position: { x: 28 + tile / 2, y: 16 + tile / 2 } });
    const caption = d.page.locator('#heads .hoverinfo');
    await expectText(caption, /^layer 0, head 0.* — click to select this head everywhere$/);
    // Ctrl+Alt+] in the editor: the host announces the new selection; the mouse has not moved.
    await d.send({ type: 'selection', layer: 1, head: 2 });
    await expectText(caption, /^Selected: layer 1, head 2/);
  });

  it("a classification checkpoint's predicted label and probability are shown for the window; a model without a head shows no such card", async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 0) }));
    const card = d.page.locator('#classification');
    assert.equal(await card.isVisible(), false);
    const logits = [0.4485, 0.4791, -0.065];
    const e = logits.map((z) => Math.exp(z - 0.4791));
    const probabilities = Float32Array.from(e, (x) => x / e.reduce((a, b) => a + b, 0));
    const place = { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: 24 };
    await d.send({
      type: 'view',
      view: 'classification',
      payload: { ...place, labels: ['neg', 'neu', 'pos'], logits: Float32Array.from(logits), probabilities, predicted: 1 },
    });
    assert.equal(await card.isVisible(), true);
    assert.match(await card.locator('.subtitle').innerText(), new RegExp(`^neu · p = ${(probabilities[1]! * 100).toFixed(1)} %`));
    assert.equal(await card.locator('.class-row').count(), 3);
    await d.send({
      type: 'view',
      view: 'classification',
      payload: { ...place, labels: [], logits: new Float32Array(0), probabilities: new Float32Array(0), predicted: -1 },
    });
    assert.equal(await card.isVisible(), false);
  });
});
