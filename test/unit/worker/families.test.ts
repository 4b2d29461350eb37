/**
 * The worker the editor uses loads the new families through the shared loader: a GPT-NeoX and
 * a BERT folder (no tokenizer) become the active model with their shape; a document's text is
 * then refused as bad-input naming the missing tokenizer, not an internal error.
 */

import assert from 'node:assert/strict';
import { requireFixture } from '../../helpers/fixtures';
import { Harness } from './harness';

describe('worker/session: model families', function () {
  this.timeout(60_000);

  for (const [dir, layers, heads, dModel] of [
    ['tiny_gptneox', 2, 2, 16],
    ['tiny_bert', 2, 2, 8],
    ['tiny_qwen2', 2, 2, 8],
  ] as const) {
    it(`loads ${dir} (no tokenizer); text documents are refused as bad-input`, async function () {
      const folder = requireFixture(this, dir);
      const h = new Harness();
      const m = await h.expect(h.request({ type: 'load', path: folder, tokenizerPath: null }), 'modelLoaded');
      assert.deepEqual([m.info.layers, m.info.heads, m.info.dModel, m.info.source], [layers, heads, dModel, folder]);
      assert.equal(m.info.causal, dir !== 'tiny_bert', 'the host is told whether the model is an encoder');
      assert.equal(m.info.readsText, false, 'the host is told it cannot read text (it says so at load)');
      const f = await h.expectFailure(
        h.request({ type: 'tokens', windowStride: 0, documentKey: 'file:///d.txt', version: 1, text: 'hello', ranges: [] }),
        'bad-input',
      );
      assert.match(f.message, /has no tokenizer/);
    });
  }
});
