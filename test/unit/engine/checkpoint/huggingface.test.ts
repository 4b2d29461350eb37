/**
 * The Hugging Face importer against its oracles: PyTorch `transformers`' logits and hidden
 * states for a GPT-2 (tiny_gpt2_golden), an independent tfjs forward for biases and LayerNorm
 * scales (which the random fixtures leave at 0 and 1), and llama2.c's own stories260K exported
 * into the HF Llama layout (rotate-half permutation, GQA) — in F32, F16 and BF16.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseHuggingFaceModel, HuggingFaceError } from '../../../../src/engine/checkpoint/huggingface';
import { parseLlama2cCheckpoint } from '../../../../src/engine/checkpoint/llama2c';
import { parseSafetensors, readTensorF32 } from '../../../../src/engine/checkpoint/safetensors';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Tensor } from '../../../../src/engine/tensor';
import { readFixtureJson, requireFixture } from '../../../helpers/fixtures';
import { llamaConfigJson, llamaTensors, roundTo, writeSafetensors, type Dtype, type NamedTensor } from '../../../helpers/hfExport';
import { referenceForwardWithAttention, useTfjsBackend } from '../../../reference/tfjsTransformer';

interface Golden {
  config: Record<string, unknown>;
  input_ids: number[];
  logits: number[];
  hidden_after_embed: number[];
  hidden_after_block0: number[];
  hidden_after_lnf: number[];
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Tensors of a safetensors file as owned copies, in file order. */
function tensorsOf(bytes: Uint8Array): NamedTensor[] {
  const file = parseSafetensors(bytes);
  return [...file.tensors.keys()].map((name) => {
    const t = readTensorF32(file, name);
    return { name, shape: t.shape, data: Float32Array.from(t.data) };
  });
}

/** A seeded stream of values in [-1, 1) (a tiny LCG: the test needs variety, not quality). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

const golden = (ctx: Mocha.Context): Golden => readFixtureJson<Golden>(requireFixture(ctx, 'tiny_gpt2_golden', 'gpt2_tiny_golden.json'));
const goldenBytes = (ctx: Mocha.Context): Uint8Array => new Uint8Array(fs.readFileSync(requireFixture(ctx, 'tiny_gpt2_golden', 'model.safetensors')));
/** The golden folder has no config.json (upstream did not commit it); its JSON's config is the GPT2Config. */
const goldenConfig = (g: Golden): Record<string, unknown> => ({ ...g.config, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] });

describe('checkpoint/huggingface: GPT-2 against PyTorch transformers (tiny_gpt2_golden)', function () {
  this.timeout(60_000);

  it("gives transformers' hidden states after the embeddings and block 0, and its logits (max |Δ| ≤ 1e-5)", function () {
    const g = golden(this);
    const { model, dtypes, notes } = parseHuggingFaceModel(goldenConfig(g), parseSafetensors(goldenBytes(this)));
    assert.deepEqual(dtypes, ['F32']);
    assert.deepEqual(notes, []);
    const T = g.input_ids.length;
    const r = model.forward(null, Int32Array.from(g.input_ids), 1, T, { capture: { hidden: true } });
    assert.ok(maxAbsDiff(r.hidden[0]!, g.hidden_after_embed) <= 1e-6, 'after embeddings');
    assert.ok(maxAbsDiff(r.hidden[1]!, g.hidden_after_block0) <= 1e-5, 'after block 0');
    const logitDiff = maxAbsDiff(r.logits.data, g.logits);
    assert.ok(logitDiff <= 1e-5, `max |Δlogit| = ${logitDiff}`);
  });

  for (const dtype of ['F16', 'BF16'] as const) {
    it(`reads ${dtype} weights: the same logits as F32 weights rounded to ${dtype}`, function () {
      const g = golden(this);
      const tensors = tensorsOf(goldenBytes(this));
      const rounded = tensorsOf(
        writeSafetensors(
          tensors.map((t) => ({ ...t, data: t.data.map((x) => roundTo(dtype, x)) })),
          'F32',
        ),
      );
      const half = parseHuggingFaceModel(goldenConfig(g), parseSafetensors(writeSafetensors(tensors, dtype)));
      const ref = parseHuggingFaceModel(goldenConfig(g), parseSafetensors(writeSafetensors(rounded, 'F32')));
      assert.deepEqual(half.dtypes, [dtype]);
      const ids = Int32Array.from(g.input_ids);
      const a = half.model.forward(null, ids, 1, ids.length).logits.data;
      const b = ref.model.forward(null, ids, 1, ids.length).logits.data;
      assert.ok(maxAbsDiff(a, b) <= 1e-6, `max |Δ| = ${maxAbsDiff(a, b)}`);
      // and rounding really changed something, so the comparison is not vacuous
      assert.ok(maxAbsDiff(a, g.logits) > 1e-7);
    });
  }

  it('uses every bias and LayerNorm scale/shift: perturbed weights match an independent tfjs GPT-2 (logits and attention)', async function () {
    const g = golden(this);
    await useTfjsBackend('cpu');
    const rand = noise(7);
    const tensors = tensorsOf(goldenBytes(this)).map((t) => {
      if (/\.bias$/.test(t.name)) return { ...t, data: t.data.map(() => 0.3 * rand()) };
      if (/ln_\d\.weight$|ln_f\.weight$/.test(t.name)) return { ...t, data: t.data.map(() => 1 + 0.5 * rand()) };
      return t;
    });
    const { model } = parseHuggingFaceModel(goldenConfig(g), parseSafetensors(writeSafetensors(tensors, 'F32')));
    // The test's own mapping from HF names (Conv1D [in, out], fused q|k|v) to the reference's names.
    const hf = new Map(tensors.map((t) => [t.name.replace(/^transformer\./, ''), t]));
    const w = new Map<string, Float32Array>();
    const T_ = (t: NamedTensor): Float32Array => {
      const [rows, cols] = t.shape as [number, number];
      const out = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c]!;
      return out;
    };
    const C = model.config.dModel;
    w.set('tok_emb', hf.get('wte.weight')!.data);
    w.set('pos_emb', hf.get('wpe.weight')!.data);
    for (let l = 0; l < model.config.nLayers; l++) {
      const h = (n: string): NamedTensor => hf.get(`h.${l}.${n}`)!;
      w.set(`blocks.${l}.norm1.weight`, h('ln_1.weight').data);
      w.set(`blocks.${l}.norm1.bias`, h('ln_1.bias').data);
      const qkv = T_(h('attn.c_attn.weight'));
      ['q', 'k', 'v'].forEach((x, i) => {
        w.set(`blocks.${l}.attn.${x}.weight`, qkv.slice(i * C * C, (i + 1) * C * C));
        w.set(`blocks.${l}.attn.${x}.bias`, h('attn.c_attn.bias').data.slice(i * C, (i + 1) * C));
      });
      w.set(`blocks.${l}.attn.o.weight`, T_(h('attn.c_proj.weight')));
      w.set(`blocks.${l}.attn.o.bias`, h('attn.c_proj.bias').data);
      w.set(`blocks.${l}.norm2.weight`, h('ln_2.weight').data);
      w.set(`blocks.${l}.norm2.bias`, h('ln_2.bias').data);
      w.set(`blocks.${l}.mlp.fc.weight`, T_(h('mlp.c_fc.weight')));
      w.set(`blocks.${l}.mlp.fc.bias`, h('mlp.c_fc.bias').data);
      w.set(`blocks.${l}.mlp.proj.weight`, T_(h('mlp.c_proj.weight')));
      w.set(`blocks.${l}.mlp.proj.bias`, h('mlp.c_proj.bias').data);
    }
    w.set('norm_f.weight', hf.get('ln_f.weight')!.data);
    w.set('norm_f.bias', hf.get('ln_f.bias')!.data);
    const ids = Int32Array.from(g.input_ids);
    const ref = referenceForwardWithAttention(model.config, w, ids, 1, ids.length);
    const r = model.forward(null, ids, 1, ids.length, { capture: { attention: true } });
    assert.ok(maxAbsDiff(r.logits.data, ref.logits) <= 1e-4, `max |Δlogit| = ${maxAbsDiff(r.logits.data, ref.logits)}`);
    r.layers.forEach((layer, l) => assert.ok(maxAbsDiff(layer.attention!, ref.attention[l]!) <= 1e-5, `layer ${l} attention`));
    // The perturbation matters: the unperturbed model's logits are far from these.
    const plain = parseHuggingFaceModel(goldenConfig(g), parseSafetensors(goldenBytes(this))).model.forward(null, ids, 1, ids.length).logits.data;
    assert.ok(maxAbsDiff(plain, ref.logits) > 1e-2);
  });
});

describe('checkpoint/huggingface: Llama (stories260K exported into the HF layout)', function () {
  this.timeout(60_000);
  const llama2c = (ctx: Mocha.Context): Transformer =>
    parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'stories260K.bin'))));
  interface AttentionFixture {
    T: number;
    token_ids: number[];
    attention: number[][][][];
    logits: number[][];
  }

  it("rotate-half RoPE with the q/k permutation, GQA (8 heads, 4 kv heads), RMSNorm, SwiGLU: run.c's attention and logits", function () {
    const src = llama2c(this);
    const { model } = parseHuggingFaceModel(llamaConfigJson(src, 'F32'), parseSafetensors(writeSafetensors(llamaTensors(src), 'F32')));
    assert.equal(model.config.ropeStyle, 'half');
    assert.deepEqual([model.config.nHeads, model.config.nKvHeads, model.config.tiedEmbeddings], [8, 4, true]);
    const ref = readFixtureJson<AttentionFixture>(requireFixture(this, 'stories260K', 'attention_logits_lily_park.json'));
    const r = model.forward(null, Int32Array.from(ref.token_ids), 1, ref.T, { capture: { attention: true } });
    const own = src.forward(null, Int32Array.from(ref.token_ids), 1, ref.T).logits.data;
    assert.ok(maxAbsDiff(r.logits.data, own) <= 1e-4, `vs the llama2.c path: ${maxAbsDiff(r.logits.data, own)}`);
    assert.ok(maxAbsDiff(r.logits.data, ref.logits.flat()) <= 1e-3, 'vs run.c logits');
    r.layers.forEach((layer, l) => assert.ok(maxAbsDiff(layer.attention!, ref.attention[l]!.flat(2)) <= 1e-4, `layer ${l} attention vs run.c`));
  });

  it('without the permutation the logits differ (the test would notice a wrong RoPE convention)', function () {
    const src = llama2c(this);
    const tensors = llamaTensors(src).map((t) => {
      const m = /layers\.(\d+)\.self_attn\.([qk])_proj/.exec(t.name);
      return m ? { ...t, data: src.params.get(`blocks.${m[1]}.attn.${m[2]}.weight`)!.data } : t;
    });
    const { model } = parseHuggingFaceModel(llamaConfigJson(src, 'F32'), parseSafetensors(writeSafetensors(tensors, 'F32')));
    const ids = Int32Array.from([1, 403, 407, 261, 378, 410, 270, 299]);
    assert.ok(maxAbsDiff(model.forward(null, ids, 1, ids.length).logits.data, src.forward(null, ids, 1, ids.length).logits.data) > 1e-2);
  });

  for (const dtype of ['F16', 'BF16'] as const) {
    it(`${dtype} weights give the llama2.c model's logits with its weights rounded to ${dtype}`, function () {
      const src = llama2c(this);
      const { model, dtypes } = parseHuggingFaceModel(llamaConfigJson(src, dtype), parseSafetensors(writeSafetensors(llamaTensors(src), dtype)));
      assert.deepEqual(dtypes, [dtype]);
      const params = new Map(
        [...src.params].map(([n, t]) => [
          n,
          new Tensor(
            t.data.map((x) => roundTo(dtype, x)),
            t.shape,
          ),
        ]),
      );
      const rounded = new Transformer(src.config, params);
      const ids = Int32Array.from([1, 403, 407, 261, 378, 410, 270, 299, 12, 400]);
      const d = maxAbsDiff(model.forward(null, ids, 1, ids.length).logits.data, rounded.forward(null, ids, 1, ids.length).logits.data);
      assert.ok(d <= 1e-4, `max |Δlogit| = ${d}`);
    });
  }

  it('an untied LM head (tie_word_embeddings false) is read from lm_head.weight', function () {
    const src = llama2c(this);
    const head = src.params.get('tok_emb')!.data.map((x, i) => x * (1 + 0.01 * (i % 7)));
    const cfg = { ...llamaConfigJson(src, 'F32'), tie_word_embeddings: false };
    const tensors = [...llamaTensors(src), { name: 'lm_head.weight', shape: [512, 64], data: head }];
    const { model } = parseHuggingFaceModel(cfg, parseSafetensors(writeSafetensors(tensors, 'F32')));
    assert.equal(model.config.tiedEmbeddings, false);
    assert.deepEqual(Array.from(model.params.get('lm_head.weight')!.data), Array.from(head));
  });

  it('a sharded checkpoint (tensors spread over two files) gives the same model', function () {
    const src = llama2c(this);
    const tensors = llamaTensors(src);
    const half = Math.floor(tensors.length / 2);
    const files = [writeSafetensors(tensors.slice(0, half), 'F32'), writeSafetensors(tensors.slice(half), 'F32')].map(parseSafetensors);
    const { model } = parseHuggingFaceModel(llamaConfigJson(src, 'F32'), files);
    const ids = Int32Array.from([1, 403, 407]);
    assert.ok(maxAbsDiff(model.forward(null, ids, 1, 3).logits.data, src.forward(null, ids, 1, 3).logits.data) <= 1e-4);
  });
});

describe('checkpoint/huggingface: real folders, memory and progress', function () {
  this.timeout(60_000);
  const load = (ctx: Mocha.Context, dir: string): ReturnType<typeof parseHuggingFaceModel> =>
    parseHuggingFaceModel(
      JSON.parse(fs.readFileSync(requireFixture(ctx, dir, 'config.json'), 'utf8')),
      parseSafetensors(new Uint8Array(fs.readFileSync(requireFixture(ctx, dir, 'model.safetensors')))),
    );

  it('tiny_random_gpt2 (GPT2LMHeadModel, 5 layers × 4 heads, context 512, no lm_head in the file) loads with a tied head', function () {
    const { model, hf } = load(this, 'tiny_random_gpt2');
    const c = model.config;
    assert.deepEqual(
      [c.architecture, c.nLayers, c.nHeads, c.dModel, c.contextLength, c.vocabSize, c.mlpHidden, c.tiedEmbeddings, c.normEps],
      ['gpt', 5, 4, 32, 512, 1000, 128, true, 1e-5],
    );
    assert.deepEqual(hf.architectures, ['GPT2LMHeadModel']);
    assert.equal(
      model.spec.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
      111_968,
    );
    const r = model.forward(null, Int32Array.from([40, 416, 79]), 1, 3, { capture: { attention: true } });
    assert.ok(r.logits.data.every(Number.isFinite));
  });

  it('tiny_gpt2 (a bare GPT2Model: no prefix, no LM head) loads with the tied embeddings as its head, and says so', function () {
    const { model, notes } = load(this, 'tiny_gpt2');
    assert.deepEqual([model.config.dModel, model.config.nHeads, model.config.vocabSize, model.config.mlpHidden], [2, 1, 21, 8]);
    assert.match(notes.join('\n'), /bare GPT2Model/);
    assert.ok(model.forward(null, Int32Array.from([0, 1, 2]), 1, 3).logits.data.every(Number.isFinite));
  });

  it('F32 tensors in our layout are zero-copy views of the file; only Conv1D transposes are new buffers; progress reaches the total', function () {
    const g = golden(this);
    const bytes = goldenBytes(this);
    const calls: [number, number][] = [];
    const { model } = parseHuggingFaceModel(goldenConfig(g), parseSafetensors(bytes), { onProgress: (d, t) => calls.push([d, t]) });
    assert.equal(model.params.get('tok_emb')!.data.buffer, bytes.buffer);
    assert.equal(model.params.get('blocks.0.norm1.bias')!.data.buffer, bytes.buffer);
    assert.equal(model.params.get('blocks.0.attn.k.bias')!.data.buffer, bytes.buffer);
    // q, k and v share the one transposed c_attn buffer
    assert.equal(model.params.get('blocks.0.attn.q.weight')!.data.buffer, model.params.get('blocks.0.attn.v.weight')!.data.buffer);
    const copied = new Set<ArrayBufferLike>();
    for (const t of model.params.values()) if (t.data.buffer !== bytes.buffer) copied.add(t.data.buffer);
    const copiedBytes = [...copied].reduce((n, b) => n + b.byteLength, 0);
    const conv1d = 2 * (32 * 96 + 32 * 32 + 32 * 64 + 64 * 32) * 4;
    assert.equal(copiedBytes, conv1d);
    assert.ok(calls.length >= 28);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i]![0] >= calls[i - 1]![0]);
    assert.deepEqual(calls[calls.length - 1], [78_464, 78_464]);
  });

  it('skips the attn.bias / attn.masked_bias buffers older GPT-2 checkpoints carry', function () {
    const g = golden(this);
    const tensors = tensorsOf(goldenBytes(this));
    const mask = { name: 'transformer.h.0.attn.bias', shape: [1, 1, 16, 16], data: new Float32Array(256).fill(1) };
    const masked = { name: 'transformer.h.0.attn.masked_bias', shape: [], data: Float32Array.of(-1e4) };
    const { model } = parseHuggingFaceModel(goldenConfig(g), parseSafetensors(writeSafetensors([...tensors, mask, masked], 'F32')));
    assert.ok(maxAbsDiff(model.forward(null, Int32Array.from(g.input_ids), 1, 8).logits.data, g.logits) <= 1e-5);
  });
});

describe('checkpoint/huggingface: clear errors naming what was found and what was expected', function () {
  const cfg = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    model_type: 'gpt2',
    vocab_size: 61,
    n_positions: 16,
    n_embd: 32,
    n_layer: 2,
    n_head: 2,
    n_inner: 64,
    ...over,
  });
  const goldenFile = (ctx: Mocha.Context, edit: (t: NamedTensor[]) => NamedTensor[] = (t) => t, dtype: Dtype = 'F32'): ReturnType<typeof parseSafetensors> =>
    parseSafetensors(writeSafetensors(edit(tensorsOf(goldenBytes(ctx))), dtype));
  const throwsHf = (fn: () => unknown, re: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof HuggingFaceError && re.test((e as Error).message));
  };

  it('an unsupported or missing model_type', function () {
    const file = goldenFile(this);
    throwsHf(
      () => parseHuggingFaceModel({ ...cfg(), model_type: 't5', architectures: ['T5Model'] }, file),
      /model_type string "t5" \(architectures T5Model\) is not supported; supported: "gpt2", "llama", "gpt_neox", "qwen2", "bert"/,
    );
    throwsHf(() => parseHuggingFaceModel({ n_embd: 32 }, file), /no "model_type"/);
    throwsHf(() => parseHuggingFaceModel([], file), /config.json is an array/);
  });

  it('options the engine does not implement', function () {
    const file = goldenFile(this);
    throwsHf(() => parseHuggingFaceModel(cfg({ activation_function: 'relu' }), file), /activation_function "relu" is not supported; expected one of gelu_new/);
    throwsHf(
      () => parseHuggingFaceModel(cfg({ scale_attn_by_inverse_layer_idx: true }), file),
      /scale_attn_by_inverse_layer_idx is true, which is not supported; expected false/,
    );
    throwsHf(() => parseHuggingFaceModel(cfg({ n_head: 5 }), file), /impossible model: dModel 32 is not divisible by nHeads 5/);
    throwsHf(() => parseHuggingFaceModel(cfg({ n_embd: '32' }), file), /n_embd is string "32", expected a positive integer/);
    const llama = { model_type: 'llama', hidden_size: 64, num_attention_heads: 8 };
    throwsHf(
      () => parseHuggingFaceModel({ ...llama, rope_scaling: { rope_type: 'llama3', factor: 8 } }, file),
      /rope_scaling .*"llama3".* is not supported; only plain RoPE/,
    );
    throwsHf(() => parseHuggingFaceModel({ ...llama, attention_bias: true }, file), /attention_bias is true, which is not supported; expected false/);
    throwsHf(() => parseHuggingFaceModel({ ...llama, hidden_act: 'gelu' }, file), /hidden_act "gelu" is not supported; expected "silu"/);
  });

  it('a missing tensor, a wrong shape, an unsupported dtype, unexplained tensors, a missing untied head', function () {
    throwsHf(
      () =>
        parseHuggingFaceModel(
          cfg(),
          goldenFile(this, (t) => t.filter((x) => x.name !== 'transformer.h.1.mlp.c_fc.bias')),
        ),
      /missing tensor "transformer\.h\.1\.mlp\.c_fc\.bias" \(expected shape \[64\] = n_inner\)/,
    );
    throwsHf(
      () => parseHuggingFaceModel(cfg({ n_inner: 48 }), goldenFile(this)),
      /tensor "transformer\.h\.0\.mlp\.c_fc\.weight" has shape \[32, 64\], expected \[32, 48\]/,
    );
    throwsHf(() => parseHuggingFaceModel(cfg({ n_layer: 1 }), goldenFile(this)), /12 tensors config\.json does not account for: "transformer\.h\.1\./);
    throwsHf(
      () => parseHuggingFaceModel(cfg({ tie_word_embeddings: false }), goldenFile(this)),
      /missing tensor "lm_head\.weight": config\.json sets tie_word_embeddings false/,
    );
    throwsHf(
      () =>
        parseHuggingFaceModel(
          cfg(),
          goldenFile(this, (t) => t.filter((x) => !x.name.includes('wte'))),
        ),
      /missing tensor "transformer\.wte\.weight"/,
    );
    // An I32 tensor where a weight should be
    const bytes = writeSafetensors(tensorsOf(goldenBytes(this)), 'F32');
    // latin1 keeps every byte (a UTF-8 round trip would turn the weights' invalid sequences into U+FFFD, i.e. NaNs).
    const text = Buffer.from(bytes).toString('latin1');
    const patched = new Uint8Array(
      Buffer.from(text.replace('"transformer.h.0.ln_1.weight":{"dtype":"F32"', '"transformer.h.0.ln_1.weight":{"dtype":"I32"'), 'latin1'),
    );
    throwsHf(
      () => parseHuggingFaceModel(cfg(), parseSafetensors(patched)),
      /tensor "transformer\.h\.0\.ln_1\.weight" has dtype I32; supported: F32, F16, BF16/,
    );
  });
});
