/**
 * The debugging views as the worker answers them (surprisal, logit lens, ablation sweep,
 * attribution), on a document longer than the context so the second window is used: each is
 * checked against numbers computed here from a direct forward pass over the same window
 * (log-softmax of the logits written in the test), so window-local indexing, the target token
 * and the labels are tested, not only the analyses (those have their own oracles).
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../../src/node/loadModel';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint } from './harness';

const DOC = 'untitled:debug';

/** log-softmax of row t of [T, V] logits, in float64. */
function logSoftmax(logits: Float32Array, t: number, V: number): Float64Array {
  const row = Float64Array.from(logits.subarray(t * V, (t + 1) * V));
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  return row.map((x) => x - lse);
}

describe('worker: debugging views for the dashboard and the editor', function () {
  this.timeout(120_000);
  let dir: string;
  let ckpt: string;
  before(() => {
    dir = tempDir();
    ckpt = path.join(dir, 'tiny.safetensors');
    writeCheckpoint(ckpt, 'tiny', SAMPLE_TEXT);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function ready(text: string) {
    const h = new Harness();
    h.session.start();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    await h.expect(h.request({ type: 'tokens', windowStride: 64, documentKey: DOC, version: 1, text, ranges: [] }), 'tokens');
    const { model, tokenizer } = await loadModel(ckpt);
    return { h, model, tokenizer, ids: tokenizer.encode(text).ids };
  }

  // 64-token context (tiny) and disjoint windows (stride 64): token 70 is in the second window, [64, 128).
  const text = SAMPLE_TEXT.repeat(2).slice(0, 120);

  it("surprisal: −log p of each window token from a forward over that window, the top predictions and the next token's rank", async () => {
    const { h, model, tokenizer, ids } = await ready(text);
    const s = await h.view('surprisal', { documentKey: DOC, version: 1, token: 70 });
    assert.deepEqual([s.windowStart, s.windowLength], [64, ids.length - 64]);
    const win = ids.subarray(64);
    const V = model.config.vocabSize;
    const { logits } = model.forward(null, win, 1, win.length);
    assert.ok(Number.isNaN(s.surprisal[0]!), 'nothing in the window predicts its first token');
    let sum = 0;
    for (let i = 1; i < win.length; i++) {
      const expected = -logSoftmax(logits.data, i - 1, V)[win[i]!]!;
      assert.ok(Math.abs(s.surprisal[i]! - expected) < 1e-4, `token ${i}: ${s.surprisal[i]} vs ${expected}`);
      sum += expected;
    }
    assert.ok(Math.abs(s.loss - sum / (win.length - 1)) < 1e-4);
    // Row 5: the top prediction is the arg-max of the logits, labelled by the tokenizer; the next token's rank and probability.
    const row = logSoftmax(logits.data, 5, V);
    const best = row.indexOf(Math.max(...row));
    assert.equal(s.topIds[5 * s.k], best);
    assert.equal(s.topLabels[5 * s.k], tokenizer.tokenLabel(best));
    assert.ok(Math.abs(s.topProbs[5 * s.k]! - Math.exp(row[best]!)) < 1e-5);
    const next = win[6]!;
    assert.equal(s.nextRank[5], 1 + Array.from(row).filter((x) => x > row[next]!).length);
    assert.ok(Math.abs(s.nextProb[5]! - Math.exp(row[next]!)) < 1e-5);
    assert.equal(s.nextRank[win.length - 1], 0, 'nothing follows the last token inside the window');
  });

  it("lens: after the last layer it is the model's own prediction at the query; the actual next token's probability per layer", async () => {
    const { h, model, ids } = await ready(text);
    const l = await h.view('lens', { documentKey: DOC, version: 1, token: 70 });
    const q = 70 - 64;
    assert.equal(l.query, q);
    const win = ids.subarray(64);
    const V = model.config.vocabSize;
    const own = logSoftmax(model.forward(null, win, 1, win.length).logits.data, q, V);
    const L = l.layers;
    const best = own.indexOf(Math.max(...own));
    assert.equal(l.topIds[(L - 1) * l.k], best);
    assert.equal(l.nextId, win[q + 1]);
    assert.ok(Math.abs(l.nextProbs[L - 1]! - Math.exp(own[win[q + 1]!]!)) < 1e-4);
  });

  it('ablation and attribution: about the token after the query; the last token of a window has nothing to ablate for', async () => {
    const { h, model, ids } = await ready(text);
    const a = await h.view('ablation', { documentKey: DOC, version: 1, token: 70 });
    const win = ids.subarray(64);
    const q = 6;
    const V = model.config.vocabSize;
    const own = logSoftmax(model.forward(null, win, 1, win.length).logits.data, q, V);
    assert.equal(a.targetId, win[q + 1]);
    assert.ok(Math.abs(a.logProb - own[win[q + 1]!]!) < 1e-4);
    assert.equal(a.effects.length, model.config.nLayers * model.config.nHeads);
    assert.ok(a.effects.every(Number.isFinite));
    const r = await h.view('attribution', { documentKey: DOC, version: 1, token: 70 });
    assert.equal(r.targetId, win[q + 1]);
    assert.equal(r.attributions.length, q + 1);
    const total = r.attributions.reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(total - (r.logProb - r.baselineLogProb)) <= 0.02 * Math.abs(r.logProb - r.baselineLogProb) + 1e-3, 'integrated gradients are complete');
    await h.expectFailure(h.request({ type: 'view', view: 'ablation', documentKey: DOC, version: 1, token: 63, layer: 0, head: 0 }), 'bad-input');
  });
});
