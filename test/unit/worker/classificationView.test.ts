/**
 * The dashboard's classification view as the worker computes it, against PyTorch `transformers`:
 * tiny_bert's reranker golden includes the logit with every token type 0 (what the editor sends,
 * having no segments), so the view's logit and probability are checked against it; through the
 * session, a BERT classifier loaded with a WordPiece tokenizer answers the view for a document,
 * and a model without a head answers with no labels.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { loadModel } from '../../../src/node/loadModel';
import { classificationOf } from '../../../src/worker/windowViews';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';
import { bertFolderWithTokenizer } from '../../helpers/wordPiece';
import { Harness } from './harness';

describe('worker: the classification view', function () {
  this.timeout(60_000);

  it("the reranker's logit and sigmoid with every token type 0 are PyTorch's (logit_all_seg0)", async function () {
    const dir = requireFixture(this, 'tiny_bert', 'reranker');
    const golden = readFixtureJson<{ input_ids: number[]; logit_all_seg0: number }>(requireFixture(this, 'tiny_bert', 'reranker', 'logits.json'));
    const { model } = await loadModel(dir);
    const c = classificationOf(model, Int32Array.from(golden.input_ids));
    assert.deepEqual([c.labels, c.predicted], [['relevance'], 0]);
    assert.ok(Math.abs(c.logits[0]! - golden.logit_all_seg0) < 1e-4, `logit ${c.logits[0]} vs ${golden.logit_all_seg0}`);
    assert.ok(Math.abs(c.probabilities[0]! - 1 / (1 + Math.exp(-golden.logit_all_seg0))) < 1e-4);
  });

  it('through the session: a BERT classifier with a WordPiece tokenizer labels a document; a model without a head gives no labels', async function () {
    const seqcls = requireFixture(this, 'tiny_bert', 'seqcls');
    const dir = bertFolderWithTokenizer(seqcls);
    const dirs = [dir];
    try {
      const h = new Harness();
      await h.expect(h.request({ type: 'load', path: dir, tokenizerPath: null }), 'modelLoaded');
      const doc = 'file:///review.txt';
      await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: doc, version: 1, text: 'The cat sat on the mat', ranges: [] }), 'tokens');
      const v = await h.expect(h.request({ type: 'view', view: 'classification', documentKey: doc, version: 1, token: 0, layer: 0, head: 0 }), 'view');
      assert.equal(v.view, 'classification');
      const p = v.payload as { readonly labels: readonly string[]; logits: Float32Array; probabilities: Float32Array; predicted: number };
      assert.deepEqual(p.labels, ['neg', 'neu', 'pos']);
      // Softmax of the logits, and the prediction their argmax, computed here.
      const max = Math.max(...p.logits);
      const e = Array.from(p.logits, (z) => Math.exp(z - max));
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((x, i) => assert.ok(Math.abs(p.probabilities[i]! - x / s) < 1e-6));
      assert.equal(p.predicted, Array.from(p.logits).indexOf(max));

      const bare = new Harness();
      const base = bertFolderWithTokenizer(requireFixture(this, 'tiny_bert'));
      dirs.push(base);
      await bare.expect(bare.request({ type: 'load', path: base, tokenizerPath: null }), 'modelLoaded');
      await bare.expect(bare.request({ type: 'tokens', windowStride: 0, documentKey: doc, version: 1, text: 'the cat', ranges: [] }), 'tokens');
      const none = await bare.expect(bare.request({ type: 'view', view: 'classification', documentKey: doc, version: 1, token: 0, layer: 0, head: 0 }), 'view');
      assert.deepEqual((none.payload as { readonly labels?: readonly string[] }).labels, []);
    } finally {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
