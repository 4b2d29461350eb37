/**
 * The one-token decoder (inference/decoder.ts) against the full forward pass, whose logits are
 * checked elsewhere against PyTorch and llama2.c: at every position of a sequence, the logits
 * the decoder gives (token by token, and after a prefilled prompt) equal forward()'s for that
 * prefix within 1e-4, on the JS and the WebAssembly backends, for each family it runs; and on
 * the real stories15M model, greedy generation reproduces llama2.c run.c's token ids.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLlama2cCheckpoint } from '../../../../src/engine/checkpoint/llama2c';
import { Decoder } from '../../../../src/engine/inference/decoder';
import { generate } from '../../../../src/engine/inference/generate';
import { backend, selectBackend } from '../../../../src/engine/kernels/activeBackend';
import type { DecodeKernels } from '../../../../src/engine/kernels/backend';
import { validateModelConfig, type ModelConfig } from '../../../../src/engine/models/config';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { FIXTURES_DIR, readFixtureJson, requireFixture } from '../../../helpers/fixtures';
import { restoreDefaultBackend } from '../kernels/selectBackend';

const BASE: ModelConfig = {
  architecture: 'gpt',
  vocabSize: 23,
  contextLength: 24,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 4,
  mlpHidden: 20,
  norm: 'layernorm',
  normEps: 1e-5,
  positional: 'learned',
  ropeTheta: 10000,
  ropeStyle: 'half',
  mlp: 'gelu',
  bias: true,
  tiedEmbeddings: true,
  attentionMode: 'soft',
  dropout: 0,
};

const FAMILIES: Record<string, ModelConfig> = {
  'GPT-2: LayerNorm, learned positions, GELU (tanh), biases, tied embeddings': BASE,
  'Llama: RMSNorm, interleaved RoPE, SwiGLU, GQA 4/2, untied head': {
    ...BASE,
    architecture: 'llama',
    norm: 'rmsnorm',
    positional: 'rope',
    ropeStyle: 'interleaved',
    mlp: 'swiglu',
    bias: false,
    nKvHeads: 2,
    tiedEmbeddings: false,
  },
  'GPT-NeoX: parallel residual, partial half-RoPE, exact GELU': {
    ...BASE,
    architecture: 'gpt_neox',
    positional: 'rope',
    rotaryDims: 2,
    parallelResidual: true,
    gelu: 'erf',
    tiedEmbeddings: false,
    headBias: false,
  },
  'Qwen2: q/k/v biases only, GQA 4/1': {
    ...BASE,
    architecture: 'qwen2',
    norm: 'rmsnorm',
    positional: 'rope',
    mlp: 'swiglu',
    bias: false,
    qkvBias: true,
    nKvHeads: 1,
    tiedEmbeddings: false,
  },
  'seed: no norms, no MLP': { ...BASE, architecture: 'seed', norm: 'none', mlp: 'none', bias: false },
};

/** Largest |a − b| / max(1, |b|). */
function worst(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return m;
}

/** The forward pass's logits after each prefix of `ids` (the last row of a fresh forward). */
function forwardRows(model: Transformer, ids: Int32Array): Float32Array[] {
  const V = model.config.vocabSize;
  const full = model.forward(null, ids, 1, ids.length).logits.data;
  return Array.from({ length: ids.length }, (_, t) => full.slice(t * V, (t + 1) * V));
}

describe('inference/decoder', () => {
  afterEach(restoreDefaultBackend);

  for (const choice of ['js', 'wasm'] as const) {
    for (const [name, cfg] of Object.entries(FAMILIES)) {
      it(`${name}: token-by-token and prefilled logits equal the full forward's (1e-4), ${choice} backend`, () => {
        const s = selectBackend(choice);
        if (choice === 'wasm') assert.equal(s.fallbackReason, null);
        const config = validateModelConfig(cfg);
        const model = Transformer.create(config, new Rng(5));
        // Larger weights than the init's 0.02 (×5) so attention is far from uniform and errors show.
        for (const t of model.parameters()) for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * 5;
        const rng = new Rng(3);
        const ids = Int32Array.from({ length: config.contextLength }, () => rng.int(config.vocabSize));
        const want = forwardRows(model, ids);
        const d = new Decoder(model);
        ids.forEach((id, t) => {
          const got = d.step(id);
          assert.ok(worst(got, want[t]!) < 1e-4, `position ${t}: ${worst(got, want[t]!)} max ${Math.max(...want[t]!.map(Math.abs))}`);
        });
        assert.throws(() => d.step(0), /past the model's context/);
        // A prompt in one forward pass (longer than what is prefilled token by token), then one token at a time.
        d.reset();
        const P = 18;
        const first = d.prefill(ids.subarray(0, P)).slice();
        assert.ok(worst(first, want[P - 1]!) < 1e-4);
        for (let t = P; t < ids.length; t++) assert.ok(worst(d.step(ids[t]!), want[t]!) < 1e-4, `after prefill, position ${t}`);
      });
    }

    it(`stories260K (llama2.c, GQA 8/4): decoder logits equal the forward's over 40 positions, ${choice} backend`, function () {
      const file = requireFixture(this, 'stories260K', 'stories260K.bin');
      selectBackend(choice);
      const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(file)));
      const rng = new Rng(4);
      const ids = Int32Array.from({ length: 40 }, (_, t) => (t === 0 ? 1 : rng.int(512)));
      const want = forwardRows(model, ids);
      const d = new Decoder(model);
      ids.forEach((id, t) => assert.ok(worst(d.step(id), want[t]!) < 1e-4, `position ${t}`));
    });
  }

  it('runs a Llama-family block as one WebAssembly call (stories260K, Llama, Qwen2 with biases), equal to the kernel-by-kernel path (1e-4, float32 against its float64 norms and activations)', function () {
    assert.equal(selectBackend('wasm').fallbackReason, null);
    const models: Transformer[] = [
      FAMILIES['Llama: RMSNorm, interleaved RoPE, SwiGLU, GQA 4/2, untied head']!,
      FAMILIES['Qwen2: q/k/v biases only, GQA 4/1']!,
    ].map((cfg) => {
      const m = Transformer.create(validateModelConfig(cfg), new Rng(6));
      for (const t of m.parameters()) for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * 5;
      return m;
    });
    // The real model where the fixtures are (the synthetic ones run everywhere).
    const file = path.join(FIXTURES_DIR, 'stories260K', 'stories260K.bin');
    if (fs.existsSync(file)) models.push(parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(file))));
    const kernels = backend().decode!;
    assert.ok(kernels.llamaBlock, 'the WebAssembly backend has the fused block');
    for (const model of models) {
      let calls = 0;
      const counted: DecodeKernels = {
        ...kernels,
        llamaBlock: (b, owner) => {
          const run = kernels.llamaBlock!(b, owner);
          return run && ((pos) => (calls++, run(pos)));
        },
      };
      const fused = new Decoder(model, counted);
      const plain = new Decoder(model, { ...kernels, llamaBlock: undefined });
      const rng = new Rng(8);
      const n = Math.min(model.config.contextLength, 60);
      for (let t = 0; t < n; t++) {
        const id = t === 0 ? 1 : rng.int(model.config.vocabSize);
        const want = plain.step(id);
        const got = fused.step(id);
        assert.ok(worst(got, want) < 1e-4, `${model.config.architecture} position ${t}: ${worst(got, want)}`);
        assert.ok(worst(fused.lastAttention(), plain.lastAttention()) < 1e-4, `last layer's attention at ${t}`);
      }
      assert.equal(calls, model.config.nLayers * n, 'every block went through the fused call');
    }
  });

  it('refuses the models it does not run, by reason (generate() then uses forward with a cache)', () => {
    assert.match(Decoder.unsupported({ ...BASE, causal: false }) ?? '', /encoder/);
    assert.match(Decoder.unsupported({ ...BASE, attentionMode: 'hard' }) ?? '', /hard attention/);
    assert.equal(Decoder.unsupported(BASE), null);
    const hard = Transformer.create(validateModelConfig({ ...BASE, attentionMode: 'hard' }), new Rng(1));
    assert.throws(() => new Decoder(hard), /does not run this model: hard attention/);
    // generate() still runs it, through forward().
    assert.equal(generate(hard, Int32Array.of(1, 2), { maxTokens: 3, temperature: 0, rng: new Rng(1) }).length, 3);
  });

  it('stories15M: greedy generation equals llama2.c run.c token for token (fixture)', function () {
    this.timeout(120_000);
    const file = requireFixture(this, 'stories15M', 'stories15M.bin');
    const cases = readFixtureJson<{ cases: { prompt_token_ids: number[]; generated_token_ids: number[] }[] }>(
      path.join(path.dirname(file), 'greedy_generations.json'),
    ).cases;
    const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(file)));
    assert.ok(cases.length >= 3);
    for (const c of cases) {
      const out = generate(model, Int32Array.from(c.prompt_token_ids), {
        maxTokens: c.generated_token_ids.length,
        temperature: 0,
        rng: new Rng(1),
        stopIds: [1],
      });
      assert.deepEqual([...out], c.generated_token_ids);
    }
  });
});
