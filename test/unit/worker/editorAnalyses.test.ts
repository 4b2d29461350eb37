/**
 * What the worker answers the editor's debugging modes, each against numbers computed here
 * from forward passes of the same weights (not from the worker's or the analyses' code):
 * a selection as the query (rows, columns and q·k/√d averaged over the selected tokens),
 * value-weighted attention ‖α·v·W_O‖, the ablate-selected-heads overlay's surprisal (the head
 * removed by zeroing its columns of the output projection), and the long analyses' progress
 * and cancellation between passes.
 */

import assert from 'node:assert/strict';
import { editedCopy, refLogSoftmax } from '../../helpers/analysisModels';
import { perturbedTinySuite, SAMPLE_TEXT } from './harness';

const DOC = 'untitled:editor-analyses';
const TEXT = SAMPLE_TEXT.slice(0, 50);

describe('worker: the editor’s debugging modes', function () {
  this.timeout(120_000);
  const fx = perturbedTinySuite(7, DOC, TEXT);

  /** Per layer: α [H, T, T], q·k/√d [H, T, T] and v [T, H·hs] from one forward over the whole text. */
  function captured(): { a: Float32Array[]; s: Float32Array[]; v: Float32Array[] } {
    const r = fx.model.forward(null, fx.ids, 1, fx.ids.length, { capture: { attention: true, scores: true, qkv: true } });
    return { a: r.layers.map((l) => l.attention!), s: r.layers.map((l) => l.scores!), v: r.layers.map((l) => l.v!) };
  }

  it('a selection is the query for both directions and for the scores: each is the mean over the selected tokens', async () => {
    const h = await fx.ready();
    const T = fx.ids.length;
    const { nLayers: L, nHeads: H } = fx.model.config;
    const from = 20;
    const to = 25;
    const r = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from, to }), 'attentionRows');
    const { a, s } = captured();
    for (let l = 0; l < L; l++) {
      for (let hd = 0; hd < H; hd++) {
        for (let k = 0; k < T; k++) {
          let row = 0;
          let col = 0;
          let score = 0;
          let seeing = 0;
          for (let q = from; q < to; q++) {
            row += a[l]![(hd * T + q) * T + k]!;
            col += a[l]![(hd * T + k) * T + q]!;
            // Key k is seen by the selected queries at or after it.
            if (k <= q) {
              score += s[l]![(hd * T + q) * T + k]!;
              seeing++;
            }
          }
          const o = (l * H + hd) * T + k;
          const at = `layer ${l} head ${hd} token ${k}`;
          assert.ok(Math.abs(r.rows[o]! - row / (to - from)) < 1e-6, `rows, ${at}`);
          assert.ok(Math.abs(r.columns[o]! - col / (to - from)) < 1e-6, `columns (attended by), ${at}: ${r.columns[o]} vs ${col / (to - from)}`);
          if (seeing === 0) assert.equal(r.scores[o], -Infinity, `no selected token sees ${at}`);
          else assert.ok(Math.abs(r.scores[o]! - score / seeing) < 1e-4, `scores, ${at}: ${r.scores[o]} vs ${score / seeing}`);
        }
      }
    }
    assert.equal(r.weighting, 'attention');
  });

  it('value-weighted attention: α·‖W_O,h v_k‖, the norm of what each key adds to the residual stream', async () => {
    const h = await fx.ready();
    const T = fx.ids.length;
    const { nLayers: L, nHeads: H, dModel: C } = fx.model.config;
    const hs = fx.model.headSize;
    const q = 30;
    const r = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: q, to: q + 1, weighting: 'valueWeighted' }), 'attentionRows');
    assert.equal(r.weighting, 'valueWeighted');
    const { a, v } = captured();
    let differs = 0;
    for (let l = 0; l < L; l++) {
      const wo = fx.model.params.get(`blocks.${l}.attn.o.weight`)!.data; // [C, H·hs]
      for (let hd = 0; hd < H; hd++) {
        for (let k = 0; k <= q; k++) {
          // The head's output for key k alone: W_O[:, head columns] · v_k.
          let norm2 = 0;
          for (let c = 0; c < C; c++) {
            let y = 0;
            for (let d = 0; d < hs; d++) y += wo[c * H * hs + hd * hs + d]! * v[l]![k * H * hs + hd * hs + d]!;
            norm2 += y * y;
          }
          const alpha = a[l]![(hd * T + q) * T + k]!;
          const expected = alpha * Math.sqrt(norm2);
          const got = r.rows[(l * H + hd) * T + k]!;
          assert.ok(Math.abs(got - expected) <= 1e-4 * Math.max(1, expected), `layer ${l} head ${hd} key ${k}: ${got} vs ${expected}`);
          if (Math.abs(got - alpha) > 1e-3) differs++;
        }
      }
    }
    assert.ok(differs > 0, 'the weighting changes the weights');
    // The plain weights are still served beside it.
    const plain = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: q, to: q + 1 }), 'attentionRows');
    assert.ok(Math.abs(plain.rows[0 * T + 0]! - a[0]![q * T]!) < 1e-6);
  });

  it('ablating chosen heads: surprisal before and after equal forwards without and with those heads’ output-projection columns zeroed', async () => {
    const h = await fx.ready();
    const T = fx.ids.length;
    const V = fx.model.config.vocabSize;
    const H = fx.model.config.nHeads;
    const hs = fx.model.headSize;
    const C = fx.model.config.dModel;
    const heads = [
      { layer: 0, head: 1 },
      { layer: 1, head: 0 },
    ];
    const r = await h.expect(h.request({ type: 'ablate', documentKey: DOC, version: 1, token: 10, heads, mode: 'zero' }), 'ablated');
    assert.deepEqual([r.windowStart, r.windowLength, r.mode], [0, T, 'zero']);
    assert.deepEqual(r.heads, heads);
    const ablated = editedCopy(fx.model, (w) => {
      for (const { layer, head } of heads) {
        const wo = w.get(`blocks.${layer}.attn.o.weight`)!;
        for (let c = 0; c < C; c++) for (let d = 0; d < hs; d++) wo[c * H * hs + head * hs + d] = 0;
      }
    });
    const before = fx.model.forward(null, fx.ids, 1, T).logits.data;
    const after = ablated.forward(null, fx.ids, 1, T).logits.data;
    let sumBefore = 0;
    let sumAfter = 0;
    assert.ok(Number.isNaN(r.surprisalBefore[0]!) && Number.isNaN(r.surprisalAfter[0]!), 'the first token is not predicted');
    for (let t = 1; t < T; t++) {
      const b = -refLogSoftmax(before, (t - 1) * V, V)[fx.ids[t]!]!;
      const x = -refLogSoftmax(after, (t - 1) * V, V)[fx.ids[t]!]!;
      assert.ok(Math.abs(r.surprisalBefore[t]! - b) < 1e-4, `token ${t} before: ${r.surprisalBefore[t]} vs ${b}`);
      assert.ok(Math.abs(r.surprisalAfter[t]! - x) < 1e-4, `token ${t} after: ${r.surprisalAfter[t]} vs ${x}`);
      sumBefore += b;
      sumAfter += x;
    }
    assert.ok(Math.abs(r.lossBefore - sumBefore / (T - 1)) < 1e-4);
    assert.ok(Math.abs(r.lossAfter - sumAfter / (T - 1)) < 1e-4);
    assert.ok(Math.abs(r.lossAfter - r.lossBefore) > 1e-3, 'ablation changed something');
    const bad = await h.expectFailure(
      h.request({ type: 'ablate', documentKey: DOC, version: 1, token: 10, heads: [{ layer: 9, head: 0 }], mode: 'zero' }),
      'bad-input',
    );
    assert.match(bad.message, /layer 9 does not exist/);
  });

  it('the long analyses report progress between passes and stop at a cancel, before their next pass', async () => {
    const h = await fx.ready();
    const { nLayers: L, nHeads: H } = fx.model.config;
    const sweep = h.request({ type: 'view', view: 'ablation', documentKey: DOC, version: 1, token: 10, layer: 0, head: 0 });
    const done = await h.expect(sweep, 'view');
    assert.equal(done.view, 'ablation');
    assert.deepEqual(
      h.of('progress', sweep).map((p) => [p.done, p.total]),
      Array.from({ length: L }, (_, l) => [(l + 1) * H, L * H]),
      'one report per layer of heads',
    );

    const ig = h.request({ type: 'attribute', documentKey: DOC, version: 1, token: 40, method: 'ig' });
    const first = await h.waitFor((m) => m.type === 'progress' && m.id === ig);
    assert.ok(first.type === 'progress' && first.done < first.total, 'more passes to come');
    h.send({ type: 'cancel', id: h.id(), target: ig });
    const failed = await h.expectFailure(ig, 'cancelled');
    assert.match(failed.message, /integrated gradients was cancelled after \d+ of \d+ passes/);
    assert.equal(h.of('progress', ig).length, 1, 'no pass ran after the cancel');

    const grad = await h.expect(h.request({ type: 'attribute', documentKey: DOC, version: 1, token: 40, method: 'grad' }), 'attributed');
    assert.deepEqual([grad.payload.method, grad.payload.query, grad.payload.attributions.length, grad.payload.targetId], ['grad', 40, 41, fx.ids[41]]);
  });
});
