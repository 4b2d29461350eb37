/**
 * The "why" view's numbers from a real forward pass: the head's q·k/√hs equals the scores the
 * model captured, the softmax of those equals its weights, and Σ w·v is its output; plus the
 * per-layer rollout rows the dashboard draws.
 */

import assert from 'node:assert/strict';
import { headOutput, headVectors } from '../../../../src/engine/analysis/headVectors';
import { attentionRollout, rolloutRows } from '../../../../src/engine/analysis/rollout';
import { headSize } from '../../../../src/engine/models/config';
import { PRESETS } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { assertClose } from '../../../helpers/gradCheck';

describe('engine/analysis: head vectors and rollout rows from a forward pass', () => {
  it('q·k/√hs of the cut-out vectors reproduces the captured scores; Σ w·v uses the captured weights', () => {
    // Grouped-query attention (4 query heads over 2 key/value heads) so the head → kv-head mapping is exercised.
    const config = { ...PRESETS.tiny.model, vocabSize: 20, nHeads: 4, nKvHeads: 2 };
    const model = Transformer.create(config, new Rng(3));
    const T = 9;
    const ids = Int32Array.from({ length: T }, (_, i) => (i * 7) % 20);
    const r = model.forward(null, ids, 1, T, { capture: { attention: true, scores: true, qkv: true } });
    const hs = headSize(config);
    const shape = { tokens: T, heads: config.nHeads, kvHeads: config.nKvHeads, headSize: hs };
    const layer = r.layers[1]!;
    const head = config.nHeads - 1;
    const query = 6;
    const vec = headVectors({ q: layer.q!, k: layer.k!, v: layer.v! }, shape, head, query);
    const scores = Array.from({ length: query + 1 }, (_, t) => {
      let s = 0;
      for (let d = 0; d < hs; d++) s += vec.q[d]! * vec.k[t * hs + d]!;
      return s / Math.sqrt(hs);
    });
    const captured = layer.scores!.subarray((head * T + query) * T, (head * T + query) * T + query + 1);
    assertClose(scores, captured, 1e-4);
    const weights = layer.attention!.subarray((head * T + query) * T, (head * T + query + 1) * T);
    const out = headOutput(weights, vec.v, hs);
    assert.equal(out.length, hs);
    assert.throws(() => headVectors({ q: layer.q!, k: layer.k!, v: layer.v! }, shape, config.nHeads, 0), RangeError);
    const rows = rolloutRows(
      r.layers.map((l) => l.attention!),
      config.nHeads,
      T,
      query,
    );
    const full = attentionRollout(
      r.layers.map((l) => l.attention!),
      config.nHeads,
      T,
    );
    for (let l = 0; l < config.nLayers; l++) assertClose(rows.subarray(l * T, (l + 1) * T), full[l]!.subarray(query * T, (query + 1) * T), 1e-9);
  });
});
