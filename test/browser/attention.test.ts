/**
 * The dashboard's attention views in real Chromium: the query strip, a 256×256 matrix drawn on
 * a canvas, the layers × heads grid, the "why" arithmetic, and the head-type table and rollout
 * once the engine sends them. Clicks must post the messages the host acts on (select a head,
 * select tokens in the editor, save an export). When the engine cannot send a view, the view
 * says why instead of waiting. Screenshots of the whole dashboard in dark and
 * light themes go to test-results/.
 */

import assert from 'node:assert/strict';
import { headKindScores } from '../../src/engine/analysis/headScores';
import { summarizeHeads } from '../../src/engine/analysis/headSummary';
import { HEAD_KINDS } from '../../src/engine/analysis/patterns';
import { rolloutRow } from '../../src/engine/analysis/rollout';
import { HEAD_KIND_NAMES } from '../../src/protocol/common';
import type { HeadStats } from '../../src/protocol/dashboardViews';
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import { attentionWindow, DOCUMENT_KEY, init, matrixMessages, MODEL, queryAttention, trainingRun, type Window } from './fixtures';
import { dashboardSuite, countPixels, waitForPosted, type DashboardPage, expectText } from './harness';

function headStats(w: Window): HeadStats {
  const layers = Array.from({ length: w.L }, (_, l) => w.weights.subarray(l * w.H * w.W * w.W, (l + 1) * w.H * w.W * w.W));
  const s = summarizeHeads(layers, w.H, w.ids);
  const abs = headKindScores({ layers, heads: w.H, tokens: w.ids }, HEAD_KINDS, { method: 'abs' });
  const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);
  return {
    documentKey: DOCUMENT_KEY,
    version: 1,
    windowStart: 0,
    windowLength: w.W,
    layers: w.L,
    heads: w.H,
    scores: Object.fromEntries(HEAD_KIND_NAMES.map((k) => [k, f32(s.scores[k])])) as HeadStats['scores'],
    absScores: Object.fromEntries(HEAD_KIND_NAMES.map((k) => [k, f32(abs[k])])) as HeadStats['absScores'],
    entropy: f32(s.entropy),
    keys50: f32(s.keys50),
    keys90: f32(s.keys90),
  };
}

describe('dashboard webview: attention views (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  it('draws a 256×256 matrix on one canvas (not 65,536 DOM cells) in the frame after the message; clicking a cell selects its query token', async () => {
    const w = attentionWindow(256);
    d = await open({ width: 1400 });
    await d.send(init({ attention: queryAttention(w, 200) }));
    const blank = await d.page.evaluate(() => (document.querySelector('#matrix canvas.matrix') as HTMLCanvasElement | null)?.toDataURL() ?? '');
    await d.send(...matrixMessages(w, 0, 0)); // returns after the next animation frame
    const [cw, ch] = await d.page.evaluate(() => {
      const c = document.querySelector('#matrix canvas.matrix') as HTMLCanvasElement;
      return [c.width, c.height];
    });
    const inked = cw * ch - (await countPixels(d.page, '#matrix canvas.matrix', '#1f1f1f', 30));
    assert.ok(inked >= 256 * 4, `one frame after the matrix arrived only ${inked} of ${cw}×${ch} pixels differ from the background`);
    assert.notEqual(
      await d.page.evaluate(() => (document.querySelector('#matrix canvas.matrix') as HTMLCanvasElement).toDataURL()),
      blank,
      'the matrix canvas was drawn',
    );
    assert.ok((await d.page.locator('#matrix *').count()) < 60, 'the matrix is a canvas, not a DOM cell per weight');
    const canvas = d.page.locator('#matrix canvas.overlay');
    const box = (await canvas.boundingBox())!;
    const cell = Math.floor((box.width - 8) / 256);
    assert.ok(cell >= 1);
    // Cell (query 100, key 99): the previous-token head's strongest weight in that row.
    await canvas.click({ position: { x: 4 + 99 * cell + cell / 2, y: 4 + 100 * cell + cell / 2 } });
    const sel = await waitForPosted(d, 'selectTokens');
    assert.deepEqual(sel, { type: 'selectTokens', documentKey: DOCUMENT_KEY, start: w.starts[100], end: w.ends[100] });
    await expectText(d.page.locator('#matrix .legend-text'), /0 % … [\d.]+ % \(this head\)/);
    await d.screenshot('matrix-256-dark.png');
  });

  it("labels a short window's matrix, reads out the hovered cell, and switches to a global colour scale", async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }));
    assert.equal(await d.page.locator('#matrix .note').innerText(), "Waiting for the window's attention…");
    await d.send(...matrixMessages(w, 0, 0));
    const overlay = d.page.locator('#matrix canvas.overlay');
    const cell = Math.min(22, Math.floor(((await overlay.boundingBox())!.width - 72 - 4) / 24));
    await overlay.hover({ position: { x: 72 + 3 * cell + cell / 2, y: 72 + 4 * cell + cell / 2 } });
    await expectText(d.page.locator('#matrix .hoverinfo'), /^query 4 ".*" → key 3 ".*": [\d.]+ %/);
    await d.page.locator('#matrix').getByRole('button', { name: 'Global' }).click();
    const persisted = await waitForPosted(d, 'persist', (m) => (m.ui as { normalization: string }).normalization === 'global');
    assert.equal((persisted.ui as { normalization: string }).normalization, 'global');
    await expectText(d.page.locator('#matrix .legend-text'), /every head/);
    await d.send({
      type: 'viewUnavailable',
      view: 'matrix',
      window: { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: 24 },
      reason: 'the document changed',
    });
  });

  it("while a model trains, the header says the attention shown is the active model's, not the one in training", async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17), status: 'running' }));
    const header = d.page.locator('header.top .model');
    await expectText(header, /^Attention below is from the active model \(.* heads .*\); the model in training replaces it when it finishes$/);
    await d.send({ type: 'runStatus', run: { status: 'completed', label: 'story.txt', totalSteps: 0, message: null } });
    assert.doesNotMatch(await header.innerText(), /Attention below/);
  });

  it("hover captions belong to what is shown: the matrix's goes with its matrix, the grid's follows a keyboard head change", async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }), ...matrixMessages(w, 0, 0), { type: 'view', view: 'headStats', payload: headStats(w) });
    const overlay = d.page.locator('#matrix canvas.overlay');
    const cell = Math.min(22, Math.floor(((await overlay.boundingBox())!.width - 72 - 4) / 24));
    await overlay.hover({ position: { x: 72 + 3 * cell + cell / 2, y: 72 + 4 * cell + cell / 2 } });
    const caption = d.page.locator('#matrix .hoverinfo');
    await expectText(caption, /^query 4 /);
    // Another model: the editor's attention goes, and the caption about the old matrix with it.
    await d.send({ type: 'model', info: null }, { type: 'attention', attention: null });
    await expectText(caption, '');

    await d.send({ type: 'attention', attention: queryAttention(w, 17) }, ...matrixMessages(w, 0, 0), {
      type: 'view',
      view: 'headStats',
      payload: headStats(w),
    });
    const gridCaption = d.page.locator('#heads .hoverinfo');
    await expectText(gridCaption, /^Selected: layer 0, head 0 · strongest: /);
    await d.send({ type: 'selection', layer: 1, head: 2 });
    await expectText(gridCaption, /^Selected: layer 1, head 2 · strongest: /);
  });

  it('the query strip says what to do when there is no attention: no model, a model to move the cursor with, a model without a tokenizer', async () => {
    d = await open();
    await d.send(init({ attention: null }));
    const note = d.page.locator('#query .note');
    await expectText(note, 'Put the cursor in a text editor to see its attention here.');
    await d.send({ type: 'model', info: { ...MODEL, tokenizer: 'ids (0 tokens)', readsText: false } });
    await expectText(note, /^The active model has no tokenizer, so it cannot read the text in the editor/);
    await d.send({ type: 'model', info: null });
    await expectText(note, /^No model yet: train one or load a checkpoint/);
  });

  it('the query strip shows where the cursor token looks; bars and chips select tokens in the editor', async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }));
    await expectText(d.page.locator('#query .subtitle'), /token 17\) in story.txt · layer 0, head 0/);
    const chips = d.page.locator('#query button.chip');
    assert.ok((await chips.count()) >= 3);
    await expectText(chips.first(), /[\d.]+ %$/);
    await chips.first().click();
    const strongest = await waitForPosted(d, 'selectTokens');
    // Head 0 is a previous-token head: its strongest key is token 16.
    assert.deepEqual(strongest, { type: 'selectTokens', documentKey: DOCUMENT_KEY, start: w.starts[16], end: w.ends[16] });
    const strip = d.page.locator('#query canvas');
    const box = (await strip.boundingBox())!;
    const cell = Math.min(28, (box.width - 8) / 24);
    await strip.click({ position: { x: 4 + 2 * cell + cell / 2, y: 40 } });
    await waitForPosted(d, 'selectTokens', (m) => m.start === w.starts[2]);
    await d.page.getByRole('button', { name: 'Looked at by' }).click();
    await expectText(d.page.locator('#query .chips'), /Attended most by/);
  });

  it('the grid: a tile per head; clicking one selects it, and the selection message moves the outline and the matrix', async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }));
    await expectText(d.page.locator('#heads .note'), /row for the cursor token/);
    await d.send(...matrixMessages(w, 0, 0));
    const grid = d.page.locator('#heads canvas');
    const box = (await grid.boundingBox())!;
    const tile = Math.max(24, Math.min(96, Math.floor((box.width - 28) / 4) - 6));
    await grid.click({ position: { x: 28 + 2 * (tile + 6) + tile / 2, y: 16 + 1 * (tile + 6 + 14) + tile / 2 } });
    assert.deepEqual(await waitForPosted(d, 'selectHead'), { type: 'selectHead', layer: 1, head: 2 });
    await d.send({ type: 'selection', layer: 1, head: 2 });
    await expectText(d.page.locator('#matrix .note'), /Showing layer 0, head 0/);
    await d.send(matrixMessages(w, 1, 2)[0]!);
    assert.equal(await d.page.locator('#matrix .note').isHidden(), true);
    await expectText(d.page.locator('#query .subtitle'), /layer 1, head 2/);
  });

  it('"why": recomputes the softmax from the model\'s scores and matches its weights; q·k and Σ w·v once the engine sends them', async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }));
    const rows = d.page.locator('#why tbody tr');
    assert.equal(await rows.count(), 10);
    const check = await d.page.locator('#why p.muted').first().innerText();
    // Query 17 sees keys 0..17: the count is of every key it can see, not of the rows listed.
    assert.match(check, /^Top 10 of 18 keys\./);
    const diff = Number(/within (\d[\d.]*(?:e[+-]?\d+)?)/.exec(check)?.[1]);
    assert.ok(diff < 1e-5, check);
    await expectText(d.page.locator('#why .vectors'), 'Loading q, k and v for this head…');
    const hs = 4;
    const q = Float32Array.of(1, 0, 0.5, -1);
    const k = Float32Array.from({ length: 24 * hs }, (_, i) => Math.sin(i));
    const v = Float32Array.from({ length: 24 * hs }, (_, i) => Math.cos(i));
    await d.send({
      type: 'view',
      view: 'why',
      payload: {
        documentKey: DOCUMENT_KEY,
        version: 1,
        windowStart: 0,
        windowLength: 24,
        query: 17,
        layer: 0,
        head: 0,
        headSize: hs,
        q,
        k,
        v,
        output: new Float32Array(hs),
      },
    });
    await expectText(d.page.locator('#why .vectors'), /q \(4 dims\) = \[1, 0, 0.5, -1\][\s\S]*÷ √4 =[\s\S]*output = Σ weight·v/);
  });

  it("head types: the engine's scores fill a sortable table and label the grid; rollout draws when sent", async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }), ...matrixMessages(w, 0, 0));
    await expectText(d.page.locator('#types .note'), 'Scoring the heads on the current window…');
    await d.send({ type: 'view', view: 'headStats', payload: headStats(w) });
    const rows = d.page.locator('#types tbody tr');
    assert.equal(await rows.count(), 8);
    await d.page.locator('#types th', { hasText: 'prev' }).click();
    await d.frame();
    const first = await rows.first().locator('td').allInnerTexts();
    assert.equal(first.at(-1), 'prev', `sorted by the previous-token score, the top head is one: ${first.join(' ')}`);
    assert.ok(['0.0', '1.0'].includes(first[0]!));
    await waitForPosted(d, 'persist', (m) => (m.ui as { sortKey: string }).sortKey === 'previous_token');
    await rows.nth(1).click();
    await waitForPosted(d, 'selectHead');
    const layers = Array.from({ length: w.L }, (_, l) => w.weights.subarray(l * w.H * w.W * w.W, (l + 1) * w.H * w.W * w.W));
    const relevance = new Float32Array(w.L * w.W);
    for (let l = 0; l < w.L; l++) relevance.set(rolloutRow(layers.slice(0, l + 1), w.H, w.W, 17), l * w.W);
    await d.send({
      type: 'view',
      view: 'rollout',
      payload: { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: 24, query: 17, layers: w.L, relevance },
    });
    assert.ok((await d.page.locator('#rollout button.chip').count()) > 0);
    await d.screenshot('head-types-dark.png');
  });

  it('head stats, rollout and "why" show the reason the engine could not send them, until new data for the window, query or head', async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ attention: queryAttention(w, 17) }), ...matrixMessages(w, 0, 0));
    const types = d.page.locator('#types .note');
    const rollout = d.page.locator('#rollout .note');
    const vectors = d.page.locator('#why .vectors p.muted');
    await expectText(types, 'Scoring the heads on the current window…');
    await expectText(rollout, 'Computing the rollout…');
    await expectText(vectors, 'Loading q, k and v for this head…');
    const here = { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: 24 };
    // About an older version of the document: not this window's news.
    await d.send({ type: 'viewUnavailable', view: 'headStats', window: { ...here, version: 0 }, reason: 'old news' });
    await expectText(types, 'Scoring the heads on the current window…');

    await d.send(
      { type: 'viewUnavailable', view: 'headStats', window: here, reason: 'the engine worker crashed' },
      { type: 'viewUnavailable', view: 'rollout', window: here, reason: 'rollout ran out of memory' },
      { type: 'viewUnavailable', view: 'why', window: here, reason: 'the reply had 3 values; 4 keys × 2 dims needs 8' },
    );
    await expectText(types, 'No head-type scores for this window: the engine worker crashed');
    await expectText(rollout, 'No rollout for this token: rollout ran out of memory');
    await expectText(vectors, 'No q, k and v for this head: the reply had 3 values; 4 keys × 2 dims needs 8');
    const muted = await d.page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-descriptionForeground').trim());
    assert.equal(muted, '#9d9d9d');
    for (const note of [types, rollout, vectors]) assert.equal(await note.evaluate((e) => getComputedStyle(e).color), 'rgb(157, 157, 157)', 'a muted note');
    await d.screenshot('views-unavailable-dark.png');

    // New data (or a new question) replaces each reason.
    await d.send({ type: 'view', view: 'headStats', payload: headStats(w) });
    await expectText(types, /^"mul" scores on the current window \(24 tokens\)/);
    await d.send({ type: 'selection', layer: 1, head: 0 });
    await expectText(vectors, 'Loading q, k and v for this head…');
    assert.equal(await rollout.innerText(), 'No rollout for this token: rollout ran out of memory', 'another head does not change the rollout');
    await d.send({ type: 'attention', attention: queryAttention(w, 18) });
    await expectText(rollout, 'Computing the rollout…');
    await d.send({ type: 'viewUnavailable', view: 'rollout', window: here, reason: 'still out of memory' });
    await expectText(rollout, 'No rollout for this token: still out of memory');
    const layers = Array.from({ length: w.L }, (_, l) => w.weights.subarray(l * w.H * w.W * w.W, (l + 1) * w.H * w.W * w.W));
    const relevance = new Float32Array(w.L * w.W);
    for (let l = 0; l < w.L; l++) relevance.set(rolloutRow(layers.slice(0, l + 1), w.H, w.W, 18), l * w.W);
    await d.send({ type: 'view', view: 'rollout', payload: { ...here, query: 18, layers: w.L, relevance } });
    await expectText(rollout, /^Relevance of each window token to token 18/);
    assert.ok((await d.page.locator('#rollout button.chip').count()) > 0);
  });

  it('exports: PNG of a view, CSV and JSON of attention and metrics, as save messages the host accepts', async () => {
    const w = attentionWindow(24);
    d = await open();
    await d.send(init({ ...trainingRun(500, {}), attention: queryAttention(w, 17) }), ...matrixMessages(w, 0, 0));
    await d.page.locator('#matrix').getByRole('button', { name: 'PNG' }).click();
    const png = await waitForPosted(d, 'save', (m) => m.format === 'png');
    assert.match(String(png.data), /^data:image\/png;base64,/);
    assert.equal(png.suggestedName, 'matrix-L0H0.png');
    await d.page.locator('#query').getByRole('button', { name: 'CSV' }).click();
    const csv = await waitForPosted(d, 'save', (m) => m.format === 'csv');
    assert.match(String(csv.data), /^token_index,token,start,end,L0H0,L0H1/);
    await d.page.locator('#loss').getByRole('button', { name: 'JSON' }).click();
    const json = JSON.parse(String((await waitForPosted(d, 'save', (m) => m.format === 'json')).data));
    assert.equal(json.steps.step.length, 500);
    await d.send({ type: 'saved', ok: true, message: 'Saved metrics.json.' });
    await expectText(d.page.locator('.banner'), 'Saved metrics.json.');
  });

  for (const theme of ['dark', 'light'] as const) {
    it(`the whole dashboard in the ${theme} theme (screenshot), redrawn when the theme changes`, async () => {
      const w = attentionWindow(32);
      d = await open({ theme });
      const messages: HostToWebview[] = [
        init({ ...trainingRun(10_000), attention: queryAttention(w, 29) }),
        ...matrixMessages(w, 0, 2),
        { type: 'selection', layer: 0, head: 2 },
        { type: 'view', view: 'headStats', payload: headStats(w) },
      ];
      await d.send(...messages);
      await d.screenshot(`dashboard-${theme}.png`);
      const bg = theme === 'dark' ? '#1f1f1f' : '#ffffff';
      assert.ok((await countPixels(d.page, '#matrix canvas.matrix', bg, 6)) > 1000, `the matrix is drawn on the ${theme} background`);
      const other = theme === 'dark' ? 'light' : 'dark';
      await d.setTheme(other);
      assert.ok(
        (await countPixels(d.page, '#matrix canvas.matrix', other === 'dark' ? '#1f1f1f' : '#ffffff', 6)) > 1000,
        `after switching, the matrix uses the ${other} background`,
      );
    });
  }
});
