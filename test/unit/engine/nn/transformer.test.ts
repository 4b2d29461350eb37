import assert from 'node:assert/strict';
import { validateModelConfig, type ModelConfig } from '../../../../src/engine/models/config';
import { parameterCount } from '../../../../src/engine/models/paramSpec';
import { presetConfig, UnknownPresetError } from '../../../../src/engine/models/presets';
import { KvCache, Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { assertClose, gradCheck } from '../../../helpers/gradCheck';

const LLAMA: ModelConfig = {
  architecture: 'llama',
  vocabSize: 11,
  contextLength: 16,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  mlpHidden: 24,
  norm: 'rmsnorm',
  normEps: 1e-5,
  positional: 'rope',
  ropeTheta: 10000,
  ropeStyle: 'interleaved',
  mlp: 'swiglu',
  bias: false,
  tiedEmbeddings: true,
  attentionMode: 'soft',
  dropout: 0,
};

function randomIds(rng: Rng, n: number, V: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(V));
}

describe('nn/transformer', () => {
  it('the small preset has the reference workload shape', () => {
    const c = presetConfig('small', 96);
    assert.deepEqual(
      [c.nLayers, c.nHeads, c.dModel, c.contextLength, c.mlpHidden, c.norm, c.positional, c.mlp],
      [4, 4, 128, 128, 512, 'layernorm', 'learned', 'gelu'],
    );
    // 4 blocks × (4·128² + 4·128 attention + 2·128·512 + 512 + 128 MLP + 4·128 norms) + embeddings + head
    const block = 4 * 128 * 128 + 4 * 128 + 2 * 128 * 512 + 512 + 128 + 4 * 128;
    assert.equal(parameterCount(c), 4 * block + 96 * 128 + 128 * 128 + 2 * 128 + 96 * 128 + 96);
    assert.throws(() => presetConfig('huge', 10), UnknownPresetError);
  });

  it('records attention weights [L][B, H, T, T] only when asked, rows summing to 1 with zeros above the diagonal', () => {
    const model = Transformer.create(presetConfig('tiny', 20), new Rng(1));
    const ids = randomIds(new Rng(2), 10, 20);
    assert.equal(model.forward(null, ids, 1, 10).layers[0]!.attention, null);
    const r = model.forward(null, ids, 1, 10, { capture: { attention: true } });
    assert.equal(r.layers.length, 2);
    const w = r.layers[1]!.attention!;
    assert.equal(w.length, 2 * 10 * 10);
    for (let row = 0; row < 20; row++) {
      const t = row % 10;
      const sum = w.subarray(row * 10, row * 10 + t + 1).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5);
      assert.ok(w.subarray(row * 10 + t + 1, row * 10 + 10).every((x) => x === 0));
    }
  });

  for (const config of [presetConfig('tiny', 13), LLAMA]) {
    it(`incremental decoding with a key/value cache equals the full forward (${config.architecture})`, () => {
      const model = Transformer.create(config, new Rng(3));
      const ids = randomIds(new Rng(4), 9, config.vocabSize);
      const full = model.forward(null, ids, 1, 9, { capture: { attention: true } });
      const cache = new KvCache(config);
      const first = model.forward(null, ids.subarray(0, 5), 1, 5, { cache });
      assertClose(first.logits.data, full.logits.data.subarray(0, 5 * config.vocabSize), 1e-5);
      for (let t = 5; t < 9; t++) {
        const step = model.forward(null, ids.subarray(t, t + 1), 1, 1, { cache, capture: { attention: true } });
        assertClose(step.logits.data, full.logits.data.subarray(t * config.vocabSize, (t + 1) * config.vocabSize), 1e-5, `position ${t}`);
        const H = config.nHeads;
        const row = step.layers[1]!.attention!;
        for (let h = 0; h < H; h++) {
          assertClose(row.subarray(h * (t + 1), (h + 1) * (t + 1)), full.layers[1]!.attention!.subarray((h * 9 + t) * 9, (h * 9 + t) * 9 + t + 1), 1e-5);
        }
      }
      assert.throws(() => model.forward(null, new Int32Array(config.contextLength), 1, config.contextLength, { cache }), /exceed the model's context/);
    });
  }

  it("a Llama-style model (RMSNorm, RoPE, SwiGLU, GQA, tied head): every parameter tensor's gradient matches finite differences of the loss", () => {
    // The full comparison with tfjs autodiff is in tfjsOracle.test.ts; this is a second,
    // independent oracle (central differences of the engine's own forward, float32, so
    // a sample of elements per tensor with a loose tolerance).
    const model = Transformer.create(LLAMA, new Rng(5));
    // Weights far from initialisation, so attention is not uniform and q, k get real gradients.
    const w = new Rng(7);
    for (const s of model.spec) {
      const d = model.params.get(s.name)!.data;
      const std = s.shape.length >= 2 ? (s.name === 'tok_emb' ? 0.8 : 1 / Math.sqrt(s.shape[1]!)) : 0.2;
      for (let i = 0; i < d.length; i++) d[i] = (s.init === 'ones' ? 1 : 0) + std * w.normal();
    }
    const rng = new Rng(6);
    const ids = randomIds(rng, 16, 11);
    const targets = randomIds(rng, 16, 11);
    const params = model.spec.map((s) => model.params.get(s.name)!);
    gradCheck(params, (tape) => model.forward(tape, ids, 2, 8, { targets }).loss!, { eps: 3e-3, maxChecks: 16, rtol: 2e-2, atol: 2e-4 });
    for (const s of model.spec) {
      const g = model.params.get(s.name)!.grad;
      assert.ok(g && g.some((x) => x !== 0), `no gradient reached ${s.name}`);
    }
  });

  it('rejects configs from files that do not add up, naming the field', () => {
    assert.throws(() => validateModelConfig({ ...LLAMA, nHeads: 3 }), /dModel 16 is not divisible by nHeads 3/);
    assert.throws(() => validateModelConfig({ ...LLAMA, vocabSize: -1 }), /"vocabSize" must be an integer/);
    assert.throws(() => validateModelConfig({ ...LLAMA, norm: 'batchnorm' }), /"norm" must be one of layernorm, rmsnorm, none, got "batchnorm"/);
    assert.throws(() => validateModelConfig('gpt'), /must be an object/);
    assert.deepEqual(validateModelConfig(JSON.parse(JSON.stringify(LLAMA))), LLAMA);
  });
});
