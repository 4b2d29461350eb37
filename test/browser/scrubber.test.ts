/**
 * The step scrubber in real Chromium: dragging the slider (and the keyboard) moves the matrix,
 * the layers × heads grid and the head table to a snapshot's probe-window values (read back
 * from the hover captions and the table, and checked against the snapshot's own numbers and the
 * engine's key counting), says "step k of N (snapshot i of n)", tells the host (`scrub`), and
 * Live goes back; the score-over-steps plot names the head under the mouse and selects it on a
 * click. Screenshot in test-results/.
 */

import assert from 'node:assert/strict';
import { meanKeysForMasses } from '../../src/engine/analysis/concentration';
import { formatWeight } from '../../src/presentation/attentionView';
import { validateWebviewMessage } from '../../src/presentation/webviewValidation';
import { HEAD_KIND_NAMES, type HeadKindName } from '../../src/protocol/common';
import type { RunSnapshot, RunSnapshots } from '../../src/protocol/snapshots';
import { attentionWindow, init, matrixMessages, queryAttention, trainingRun } from './fixtures';
import { dashboardSuite, waitForPosted, type DashboardPage, expectText } from './harness';

const T = 16;
const L = 2;
const H = 4;
const STEPS = [100, 200, 300];

/** Causal uniform attention: what an untrained model's heads look like. */
function uniform(): Float32Array {
  const a = new Float32Array(L * H * T * T);
  for (let lh = 0; lh < L * H; lh++) for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) a[(lh * T + q) * T + k] = 1 / (q + 1);
  return a;
}

/** Step 100 uniform, 300 the fixture's formed heads, 200 halfway; head 0.2's induction score rises 0.1 → 0.9. */
function snapshots(): RunSnapshots {
  const formed = attentionWindow(T, L, H);
  const flat = uniform();
  const list: RunSnapshot[] = STEPS.map((step, i) => {
    const f = i / (STEPS.length - 1);
    const attention = Float32Array.from(flat, (v, j) => (1 - f) * v + f * formed.weights[j]!);
    const scores = Object.fromEntries(
      HEAD_KIND_NAMES.map((k, ki) => [
        k,
        Float32Array.from({ length: L * H }, (_, h) => (k === 'induction' && h === 2 ? 0.1 + 0.8 * f : 0.05 + 0.02 * ki + 0.01 * h)),
      ]),
    ) as Record<HeadKindName, Float32Array>;
    const entropy = Float32Array.from({ length: L * H }, (_, h) => 1 - 0.5 * f - 0.01 * h);
    return { step, scores, entropy, attention };
  });
  return {
    layers: L,
    heads: H,
    every: 100,
    probe: {
      ids: Int32Array.from(formed.ids),
      labels: formed.labels,
      text: formed.labels.join(''),
      starts: Int32Array.from(formed.starts),
      ends: Int32Array.from(formed.ends),
      textOffset: 0,
    },
    list,
  };
}

describe('dashboard webview: the step scrubber (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  it('dragging shows the snapshot in the matrix, the grid and the head table; Live goes back', async () => {
    const live = attentionWindow(24, L, H);
    const s = snapshots();
    const run = trainingRun(300, {});
    d = await open();
    await d.send(init({ ...run, attention: queryAttention(live, 10), status: 'completed' }), ...matrixMessages(live, 0, 0), {
      type: 'snapshots',
      snapshots: s,
      step: null,
    });
    const indicator = d.page.locator('#snapshots .step-indicator');
    await expectText(indicator, /^Live \/ latest/);
    assert.equal(await d.page.locator('#types table').isHidden(), true, 'live: no head stats came for the window');

    // Drag the slider from its live end to its start: the first snapshot.
    const slider = d.page.getByLabel('Training step shown (the last position is live)');
    const b = (await slider.boundingBox())!;
    await d.page.mouse.move(b.x + b.width - 3, b.y + b.height / 2);
    await d.page.mouse.down();
    await d.page.mouse.move(b.x + 1, b.y + b.height / 2, { steps: 8 });
    await d.page.mouse.up();
    await d.frame();
    await expectText(indicator, 'Step 100 of 300 (snapshot 1 of 3)');
    const scrub = await waitForPosted(d, 'scrub', (m) => m.step === 100);
    assert.deepEqual(validateWebviewMessage(scrub), { ok: true, message: { type: 'scrub', step: 100 } });

    // The keyboard: one step right is the second snapshot.
    await slider.press('ArrowRight');
    await d.frame();
    await expectText(indicator, 'Step 200 of 300 (snapshot 2 of 3)');
    assert.equal(await slider.getAttribute('aria-valuetext'), 'Step 200 of 300 (snapshot 2 of 3)');
    const snap = s.list[1]!;

    // The head table: the snapshot's scores and entropy; keys counted as the engine counts them.
    const row = await d.page.locator('#types tbody tr').first().locator('td').allInnerTexts();
    const [k50, k90] = meanKeysForMasses(snap.attention, T, [0.5, 0.9], 0, true);
    assert.deepEqual(row.slice(0, 9), [
      '0.0',
      ...HEAD_KIND_NAMES.map((k) => snap.scores[k][0]!.toFixed(3)),
      snap.entropy[0]!.toFixed(3),
      k50!.toFixed(1),
      k90!.toFixed(1),
    ]);
    await expectText(d.page.locator('#types .note'), /training step 200 \(snapshot\)/);

    // The matrix: hovering a cell reads the snapshot's weight for the selected head (0.0), on the probe's tokens.
    const over = d.page.locator('#matrix canvas.overlay');
    const ob = (await over.boundingBox())!;
    const cell = Math.min(22, Math.floor((ob.width - 76) / T));
    const q = 9;
    const k = 3;
    await d.page.mouse.move(ob.x + 72 + k * cell + cell / 2, ob.y + 72 + q * cell + cell / 2);
    const caption = await d.page.locator('#matrix .hoverinfo').innerText();
    assert.ok(caption.includes(`: ${formatWeight(snap.attention[q * T + k]!)}`), caption);
    assert.ok(
      !caption.includes(formatWeight(live.weights[q * 24 + k]!)) || formatWeight(live.weights[q * 24 + k]!) === formatWeight(snap.attention[q * T + k]!),
    );
    await expectText(d.page.locator('#matrix .note'), /Training step 200 \(snapshot\)/);

    // The grid: the selected head's strongest type from the snapshot's scores.
    await d.page.mouse.move(0, 0);
    await d.frame();
    assert.match(await d.page.locator('#heads .hoverinfo').innerText(), new RegExp(`strongest: current-token ${snap.scores.current_token[0]!.toFixed(3)}`));
    await d.screenshot('scrubber-step-dark.png');

    // Escape (or Live) goes back to the model as it is.
    await slider.press('Escape');
    await d.frame();
    await expectText(indicator, /^Live \/ latest/);
    await waitForPosted(d, 'scrub', (m) => m.step === null);
    assert.equal(await d.page.locator('#types table').isHidden(), true, 'live again: the window has no stats yet');
    assert.doesNotMatch(await d.page.locator('#matrix .note').innerText(), /snapshot/);
  });

  it('plots each head over the steps: hovering names the nearest line, clicking selects it; a new snapshot extends it', async () => {
    const s = snapshots();
    d = await open();
    await d.send(init({ ...trainingRun(300, {}), status: 'running' }), { type: 'snapshots', snapshots: { ...s, list: s.list.slice(0, 2) }, step: null });
    await d.send({ type: 'snapshotAdded', every: 100, snapshot: s.list[2]!, step: null });
    await expectText(d.page.locator('#snapshots .note'), /^3 snapshots of the probe window/);
    const over = d.page.locator('#snapshots .u-over');
    const box = (await over.boundingBox())!;
    // At step 300 (the right end), induction of head 0.2 is 0.9; every other head is near 0.1.
    await d.page.mouse.move(box.x + box.width - 2, box.y + (1 - 0.88) * box.height);
    await d.frame();
    await expectText(d.page.locator('#snapshots .hoverinfo'), /^layer 0, head 2 · induction 0\.900 at step 300/);
    await d.page.mouse.click(box.x + box.width - 2, box.y + (1 - 0.88) * box.height);
    const select = await waitForPosted(d, 'selectHead');
    assert.deepEqual(validateWebviewMessage(select), { ok: true, message: { type: 'selectHead', layer: 0, head: 2 } });
    // The entropy measure plots the other numbers.
    await d.page.locator('#snapshots').getByRole('button', { name: 'entropy' }).click();
    // The x axis is the loss chart's, steps 1..300: step 100 is a third of the way.
    await d.page.mouse.move(box.x + (box.width * 99) / 299, box.y + (1 - 0.99) * box.height);
    await d.frame();
    await expectText(d.page.locator('#snapshots .hoverinfo'), /^layer 0, head [01] · entropy (1\.000|0\.990) at step 100/);
    await d.page.locator('#snapshots').getByRole('button', { name: 'induction' }).click();
    await d.send({ type: 'selection', layer: 0, head: 2 });
    await d.screenshot('scrubber-scores-dark.png');
  });
});
