/**
 * The debugging analyses on real Hugging Face weights (distilgpt2 and SmolLM2-135M, sliced;
 * fixtures with float64 logits from transformers): surprisal and the logit lens's last layer
 * against transformers' logits, the ablation sweep against W_O surgery, IG completeness on
 * GPT-2 (learned positions), gradient × input against finite differences on both.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ablationSweep } from '../../../../src/engine/analysis/ablationSweep';
import { gradientTimesInput, integratedGradients } from '../../../../src/engine/analysis/attribution';
import { logitLens } from '../../../../src/engine/analysis/logitLens';
import { surprisalAndPredictions } from '../../../../src/engine/analysis/surprisal';
import { parseHuggingFaceModel } from '../../../../src/engine/checkpoint/huggingface';
import { parseSafetensors } from '../../../../src/engine/checkpoint/safetensors';
import type { Transformer } from '../../../../src/engine/nn/transformer';
import { Tensor } from '../../../../src/engine/tensor';
import { editedCopy, refLogSoftmax } from '../../../helpers/analysisModels';
import { readFixtureJson, requireFixture } from '../../../helpers/fixtures';

interface Golden {
  sequences: number[][];
  logits: number[][][];
}

/** distilgpt2 ships no config.json; this is the generator's GPT2Config (fixture README). */
const DISTILGPT2_CONFIG = {
  architectures: ['GPT2LMHeadModel'],
  model_type: 'gpt2',
  vocab_size: 12,
  n_positions: 16,
  n_embd: 8,
  n_layer: 2,
  n_head: 2,
  activation_function: 'gelu_new',
  layer_norm_epsilon: 1e-5,
  attn_pdrop: 0,
  embd_pdrop: 0,
  resid_pdrop: 0,
  tie_word_embeddings: true,
};

function load(ctx: Mocha.Context, name: 'tiny_distilgpt2_sliced' | 'tiny_smollm2_sliced'): { model: Transformer; golden: Golden } {
  const weights = parseSafetensors(new Uint8Array(fs.readFileSync(requireFixture(ctx, name, 'model.safetensors'))));
  const config = name === 'tiny_distilgpt2_sliced' ? DISTILGPT2_CONFIG : JSON.parse(fs.readFileSync(requireFixture(ctx, name, 'config.json'), 'utf8'));
  return { model: parseHuggingFaceModel(config, weights).model, golden: readFixtureJson<Golden>(requireFixture(ctx, name, 'logits.json')) };
}

function fScaled(model: Transformer, ids: Int32Array, position: number, target: number, i: number, s: number): number {
  const T = position + 1,
    C = model.config.dModel,
    V = model.config.vocabSize;
  const table = model.params.get('tok_emb')!.data;
  const x = new Float32Array(T * C);
  for (let t = 0; t < T; t++) for (let d = 0; d < C; d++) x[t * C + d] = (t === i ? s : 1) * table[ids[t]! * C + d]!;
  return refLogSoftmax(model.forward(null, ids.subarray(0, T), 1, T, { tokenEmbeddings: new Tensor(x, [1, T, C]) }).logits.data, position * V, V)[target]!;
}

for (const name of ['tiny_distilgpt2_sliced', 'tiny_smollm2_sliced'] as const) {
  describe(`analysis on Hugging Face ${name === 'tiny_distilgpt2_sliced' ? 'GPT-2 (distilgpt2)' : 'Llama (SmolLM2)'} weights`, function () {
    this.timeout(60_000);

    it("surprisal and the last lens layer = transformers' logits", function () {
      const { model, golden } = load(this, name);
      golden.sequences.forEach((seq, s) => {
        const ids = Int32Array.from(seq);
        const r = surprisalAndPredictions(model, ids, 3);
        for (let i = 1; i < ids.length; i++) {
          const want = -refLogSoftmax(golden.logits[s]![i - 1]!, 0, 12)[ids[i]!]!;
          assert.ok(Math.abs(r.surprisal[i]! - want) < 1e-4, `sequence ${s} token ${i}: ${r.surprisal[i]} vs ${want}`);
        }
        const lens = logitLens(model, ids, 9, 3);
        const want = refLogSoftmax(golden.logits[s]![9]!, 0, 12);
        const last = lens.logProbs.subarray(12, 24);
        want.forEach((x, v) => assert.ok(Math.abs(last[v]! - x) < 1e-4));
      });
    });

    it('sweep = W_O column surgery; gradient × input = finite differences', function () {
      const { model, golden } = load(this, name);
      const ids = Int32Array.from(golden.sequences[1]!);
      const s = ablationSweep(model, ids, 12);
      const hs = model.headSize,
        C = model.config.dModel;
      for (let l = 0; l < 2; l++) {
        for (let h = 0; h < 2; h++) {
          const cut = editedCopy(model, (w) => {
            const wo = w.get(`blocks.${l}.attn.o.weight`)!;
            for (let r = 0; r < C; r++) wo.fill(0, r * C + h * hs, r * C + (h + 1) * hs);
          });
          const want = refLogSoftmax(cut.forward(null, ids, 1, 16).logits.data, 12 * 12, 12)[ids[13]!]! - s.logProb;
          assert.ok(Math.abs(s.effects[l * 2 + h]! - want) < 1e-5, `head ${l}.${h}: ${s.effects[l * 2 + h]} vs ${want}`);
        }
      }
      const g = gradientTimesInput(model, ids, 10);
      for (let i = 0; i <= 10; i++) {
        const fd = (fScaled(model, ids, 10, g.target, i, 1.01) - fScaled(model, ids, 10, g.target, i, 0.99)) / 0.02;
        assert.ok(Math.abs(fd - g.attributions[i]!) <= 1e-3 + 1e-2 * Math.abs(fd), `token ${i}: ${g.attributions[i]} vs ${fd}`);
      }
    });

    if (name === 'tiny_distilgpt2_sliced') {
      it('IG at 64 steps is complete within 1 % (learned positions: the baseline is the position embeddings)', function () {
        const { model, golden } = load(this, name);
        const ids = Int32Array.from(golden.sequences[2]!);
        const ig = integratedGradients(model, ids, 14, { steps: 64 });
        const delta = ig.logProb - ig.baselineLogProb;
        const sum = ig.attributions.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(ig.logProb - refLogSoftmax(golden.logits[2]![14]!, 0, 12)[ids[15]!]!) < 1e-4);
        assert.ok(Math.abs(delta) > 0.05, `the baseline moves log p (${delta})`);
        assert.ok(Math.abs(sum - delta) <= 0.01 * Math.abs(delta), `Σ ${sum} vs ${delta}`);
      });
    }
  });
}
