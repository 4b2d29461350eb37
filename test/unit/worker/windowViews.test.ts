/**
 * The dashboard's views as the worker computes them (matrix, headStats, rollout, why)
 * checked against the engine run directly on the same window: no numbers in these tests
 * come from the code under test alone.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { summarizeHeads } from '../../../src/engine/analysis/headSummary';
import { rolloutRow } from '../../../src/engine/analysis/rollout';
import type { ForwardResult } from '../../../src/engine/nn/transformer';
import { loadModel } from '../../../src/node/loadModel';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint } from './harness';

const DOC = 'untitled:views';

describe('worker: window views for the dashboard', function () {
  this.timeout(60_000);
  let dir: string;
  let ckpt: string;
  before(() => {
    dir = tempDir();
    ckpt = path.join(dir, 'tiny.safetensors');
    writeCheckpoint(ckpt, 'tiny', SAMPLE_TEXT);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function ready(text: string): Promise<{ h: Harness; forward: (ids: Int32Array) => ForwardResult; ids: Int32Array }> {
    const h = new Harness();
    h.session.start();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text, ranges: [] }), 'tokens');
    const { model, tokenizer } = await loadModel(ckpt);
    const ids = tokenizer.encode(text).ids;
    return { h, ids, forward: (x) => model.forward(null, x, 1, x.length, { capture: { attention: true, qkv: true } }) };
  }

  it('matrix: every weight of the window, [L, H, W, W], equal to a direct forward', async () => {
    const { h, ids, forward } = await ready('the cat sat on the mat');
    const m = await h.view('matrix', { documentKey: DOC, version: 1, token: 5 });
    assert.deepEqual([m.windowStart, m.windowLength, m.layers, m.heads], [0, ids.length, 2, 2]);
    const f = forward(ids);
    const W = ids.length;
    for (let l = 0; l < 2; l++) assert.deepEqual(m.weights.subarray(l * 2 * W * W, (l + 1) * 2 * W * W), f.layers[l]!.attention!);
    assert.deepEqual([...m.window.ids], [...ids]);
  });

  it('headStats: the five head-type scores, entropy and concentration per head', async () => {
    const { h, ids, forward } = await ready('abcabcabcabc');
    const s = await h.view('headStats', { documentKey: DOC, version: 1, token: 0 });
    const ref = summarizeHeads(
      forward(ids).layers.map((l) => l.attention!),
      2,
      ids,
    );
    for (const kind of ['previous_token', 'duplicate_token', 'induction', 'first_token', 'current_token'] as const) {
      assert.deepEqual([...s.scores[kind]], [...Float32Array.from(ref.scores[kind])], kind);
    }
    assert.deepEqual([...s.entropy], [...Float32Array.from(ref.entropy)]);
    assert.ok(s.keys90.every((k, i) => k >= s.keys50[i]!));
  });

  it("rollout: the last layer's row equals the single-row rollout of a direct forward", async () => {
    const { h, ids, forward } = await ready('the cat sat on the mat');
    const r = await h.view('rollout', { documentKey: DOC, version: 1, token: 7 });
    const W = ids.length;
    const row = rolloutRow(
      forward(ids).layers.map((l) => l.attention!),
      2,
      W,
      7,
    );
    const last = r.relevance.subarray((r.layers - 1) * W, r.layers * W);
    for (let k = 0; k < W; k++) assert.ok(Math.abs(last[k]! - row[k]!) < 1e-6);
    assert.ok(Math.abs(last.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'a rollout row is a distribution');
  });

  it('why: q·k/√hs gives the scores, and the output is the weighted sum of v', async () => {
    const { h, ids, forward } = await ready('the cat sat on the mat');
    const v = await h.view('why', { documentKey: DOC, version: 1, token: 6, layer: 1, head: 1 });
    const W = ids.length;
    const hs = v.headSize;
    const att = forward(ids).layers[1]!.attention!.subarray((1 * W + 6) * W, (1 * W + 7) * W);
    // softmax(q·k/√hs) over keys ≤ 6 must reproduce the model's weights
    const scores = Array.from({ length: 7 }, (_, k) => {
      let s = 0;
      for (let d = 0; d < hs; d++) s += v.q[d]! * v.k[k * hs + d]!;
      return s / Math.sqrt(hs);
    });
    const max = Math.max(...scores);
    const exps = scores.map((s) => Math.exp(s - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, k) => assert.ok(Math.abs(e / sum - att[k]!) < 1e-5, `key ${k}`));
    for (let d = 0; d < hs; d++) {
      let o = 0;
      for (let k = 0; k < W; k++) o += att[k]! * v.v[k * hs + d]!;
      assert.ok(Math.abs(o - v.output[d]!) < 1e-5);
    }
    await h.expectFailure(h.request({ type: 'view', view: 'why', documentKey: DOC, version: 1, token: 6, layer: 9, head: 0 }), 'bad-input');
  });

  it('an old version is stale; a malformed request is a bad request', async () => {
    const { h } = await ready('the cat');
    await h.expectFailure(h.request({ type: 'view', view: 'rollout', documentKey: DOC, version: 2, token: 0, layer: 0, head: 0 }), 'stale');
    await h.expectFailure(h.request({ type: 'view', view: 'headStats', documentKey: DOC, version: 1, token: -1, layer: 0, head: 0 }), 'bad-request');
    await h.expectFailure(h.request({ type: 'view', view: 'attentionMatrix', documentKey: DOC, version: 1, token: 0, layer: 0, head: 0 }), 'bad-request');
  });
});
