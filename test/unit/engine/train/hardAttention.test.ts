/**
 * Training with hard attention (config.attentionMode 'hard': the forward uses the one-hot argmax
 * of each attention row, the backward goes straight through the softmax): the loss goes down,
 * and the attention the trained model records is one-hot — exactly one key with weight 1 per
 * query row, the argmax of the row's scores q·k/√d (recomputed here from the recorded scores).
 */

import assert from 'node:assert/strict';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { CharTokenizer } from '../../../../src/engine/tokenizer/charTokenizer';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import { Trainer } from '../../../../src/engine/train/trainer';

describe('train: hard attention', function () {
  this.timeout(120_000);
  const text = 'abcdefgh abcdefgh abcdefgh the cat sat on the mat. '.repeat(40);

  for (const preset of ['seed', 'tiny'] as const) {
    it(`${preset}: the loss decreases and every attention row is one-hot at its scores' argmax`, async () => {
      const tok = CharTokenizer.fromText(text);
      const options = resolveTrainOptions({ steps: 60, batchSize: 8, evalInterval: 1000, seed: 3, learningRate: 3e-3 });
      const model = Transformer.create({ ...presetConfig(preset, tok.vocabSize), attentionMode: 'hard' }, new Rng(options.seed));
      const trainer = new Trainer(model, tok.encode(text).ids, options);
      const losses: number[] = [];
      const result = await trainer.run({ onStep: (m) => losses.push(m.loss) });
      assert.equal(result.reason, 'completed');
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(losses.slice(0, 5));
      const last = mean(losses.slice(-5));
      assert.ok(last < first * 0.8, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);

      const ids = tok.encode('the cat sat on the mat. abcdefgh').ids;
      const T = ids.length;
      const r = model.forward(null, ids, 1, T, { capture: { attention: true, scores: true } });
      const cfg = model.config;
      for (let l = 0; l < cfg.nLayers; l++) {
        const w = r.layers[l]!.attention!;
        const s = r.layers[l]!.scores!;
        for (let h = 0; h < cfg.nHeads; h++) {
          for (let q = 0; q < T; q++) {
            const row = w.subarray((h * T + q) * T, (h * T + q + 1) * T);
            const sc = s.subarray((h * T + q) * T, (h * T + q + 1) * T);
            const ones = [...row].filter((x) => x === 1).length;
            const zeros = [...row].filter((x) => x === 0).length;
            assert.deepEqual([ones, zeros], [1, T - 1], `layer ${l} head ${h} query ${q}`);
            let arg = 0;
            for (let k = 1; k <= q; k++) if (sc[k]! > sc[arg]!) arg = k;
            assert.equal(row[arg], 1, `layer ${l} head ${h} query ${q}: the one is at the argmax of the scores`);
            for (let k = q + 1; k < T; k++) assert.equal(row[k], 0, 'no weight on a future key');
          }
        }
      }
    });
  }
});
