/**
 * The family variants inside the transformer (blockVariants.ts and the flags in ModelConfig):
 * backward through BERT's post-norm bidirectional blocks with segment embeddings, GPT-NeoX's
 * parallel residual with partial RoPE and exact GELU, and Qwen2's q/k/v-only biases, each
 * against finite differences; configs round-trip through a native checkpoint; and the
 * variant fields are validated like every other config field.
 */

import assert from 'node:assert/strict';
import { parseCheckpoint, serializeCheckpoint } from '../../../../src/engine/checkpoint/native';
import { validateModelConfig, type ModelConfig } from '../../../../src/engine/models/config';
import { paramSpec } from '../../../../src/engine/models/paramSpec';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { gradCheck } from '../../../helpers/gradCheck';

const BASE: ModelConfig = {
  architecture: 'gpt',
  vocabSize: 7,
  contextLength: 8,
  dModel: 8,
  nLayers: 2,
  nHeads: 2,
  nKvHeads: 2,
  mlpHidden: 12,
  norm: 'layernorm',
  normEps: 1e-5,
  positional: 'learned',
  ropeTheta: 10000,
  ropeStyle: 'half',
  mlp: 'gelu',
  bias: true,
  tiedEmbeddings: false,
  attentionMode: 'soft',
  dropout: 0,
};

const VARIANTS: Record<string, ModelConfig> = {
  'BERT-style: post-norm, bidirectional, token types, exact GELU': { ...BASE, causal: false, normPlacement: 'post', tokenTypes: 2, gelu: 'erf' },
  'GPT-NeoX-style: parallel residual, partial RoPE, exact GELU, unbiased head': {
    ...BASE,
    positional: 'rope',
    rotaryDims: 2,
    parallelResidual: true,
    gelu: 'erf',
    headBias: false,
  },
  'Qwen2-style: RMSNorm, SwiGLU, GQA, biases on q/k/v only': {
    ...BASE,
    architecture: 'llama',
    norm: 'rmsnorm',
    positional: 'rope',
    mlp: 'swiglu',
    bias: false,
    qkvBias: true,
    nKvHeads: 1,
  },
};

describe('nn/transformer: family variants', () => {
  for (const [name, config] of Object.entries(VARIANTS)) {
    it(`${name}: parameter gradients match finite differences`, () => {
      const model = Transformer.create(config, new Rng(3));
      // Larger weights than the N(0, 0.02) init so every path carries signal.
      const rng = new Rng(4);
      for (const p of model.parameters()) if (p.shape.length === 2) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.5;
      const ids = Int32Array.from([1, 4, 2, 6, 3]);
      const types = config.tokenTypes ? Int32Array.from([0, 0, 1, 1, 1]) : undefined;
      const checked = model.parameters().filter((p) => p.shape.length === 2 || p.size <= 12);
      gradCheck(checked, (tape) => model.forward(tape, ids, 1, ids.length, { tokenTypes: types }).logits, { maxChecks: 6, eps: 1e-2, rtol: 5e-2, atol: 5e-3 });
    });
  }

  it('parameters follow the flags: q/k/v biases without o bias, no head bias, segment table and embedding norm, no final norm after post-norm', () => {
    const names = (c: ModelConfig): string[] => paramSpec(c).map((s) => s.name);
    const qwen = names(VARIANTS['Qwen2-style: RMSNorm, SwiGLU, GQA, biases on q/k/v only']!);
    assert.ok(
      qwen.includes('blocks.0.attn.q.bias') &&
        qwen.includes('blocks.0.attn.v.bias') &&
        !qwen.includes('blocks.0.attn.o.bias') &&
        !qwen.includes('blocks.0.mlp.up.bias'),
    );
    const neox = names(VARIANTS['GPT-NeoX-style: parallel residual, partial RoPE, exact GELU, unbiased head']!);
    assert.ok(neox.includes('lm_head.weight') && !neox.includes('lm_head.bias'));
    const bert = names({ ...VARIANTS['BERT-style: post-norm, bidirectional, token types, exact GELU']!, lmHead: false, pooler: true, labels: ['a', 'b'] });
    assert.ok(bert.includes('type_emb') && bert.includes('emb_norm.weight') && !bert.includes('norm_f.weight') && !bert.includes('lm_head.weight'));
    assert.ok(bert.includes('pooler.weight') && bert.includes('classifier.bias'));
  });

  it("a bidirectional model's first position depends on later tokens; a causal one's does not", () => {
    for (const causal of [true, false]) {
      const model = Transformer.create({ ...BASE, causal }, new Rng(5));
      const a = model.forward(null, Int32Array.from([1, 2, 3]), 1, 3).logits.data.slice(0, 7);
      const b = model.forward(null, Int32Array.from([1, 2, 6]), 1, 3).logits.data.slice(0, 7);
      assert.equal(
        a.some((v, i) => v !== b[i]),
        !causal,
      );
    }
  });

  it('a variant config survives a native checkpoint (same logits), and bad variant fields are refused by name', () => {
    const config: ModelConfig = { ...VARIANTS['BERT-style: post-norm, bidirectional, token types, exact GELU']!, pooler: true, labels: ['neg', 'pos'] };
    const model = Transformer.create(config, new Rng(6));
    const back = parseCheckpoint(serializeCheckpoint(model, { type: 'char', chars: 'abcdef' }, null)).model;
    assert.deepEqual(back.config, model.config);
    const ids = Int32Array.from([1, 2, 3]);
    assert.deepEqual(Array.from(back.forward(null, ids, 1, 3).logits.data), Array.from(model.forward(null, ids, 1, 3).logits.data));
    assert.throws(() => validateModelConfig({ ...BASE, causal: 'no' }), /"causal" must be true or false/);
    assert.throws(() => validateModelConfig({ ...BASE, rotaryDims: 3 }), /"rotaryDims" must be an even integer in \[2, 4\]/);
    assert.throws(() => validateModelConfig({ ...BASE, normPlacement: 'sandwich' }), /"normPlacement" must be one of pre, post/);
    assert.throws(() => validateModelConfig({ ...BASE, labels: ['a'] }), /needs pooler true/);
  });
});
