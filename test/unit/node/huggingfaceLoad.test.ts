/**
 * loadModel on Hugging Face model folders: the fixture folders, stories260K exported into the HF
 * Llama layout (F32/F16/BF16, tokenizer.json), sharded weights, progress, memory, and the
 * errors a person meets (PyTorch pickles, no config.json, no tokenizer (ids only), a mismatched vocabulary).
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { parseLlama2cCheckpoint } from '../../../src/engine/checkpoint/llama2c';
import type { Transformer } from '../../../src/engine/nn/transformer';
import { Llama2cTokenizer } from '../../../src/engine/tokenizer/llama2cTokenizer';
import { loadModel, type LoadProgress } from '../../../src/node/loadModel';
import { requireFixture } from '../../helpers/fixtures';
import { llamaTensors, writeLlamaFolder, writeSafetensors, type NamedTensor } from '../../helpers/hfExport';

/**
 * Full garbage collections, with pauses so freed ArrayBuffer memory is returned (V8 frees backing
 * stores off the main thread). Exposed at run time: mocha is not started with --expose-gc.
 */
function collector(): () => Promise<void> {
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('node/loadModel: Hugging Face model folders', function () {
  this.timeout(120_000);
  let dir: string;
  let stories: Transformer;
  let tok512: Llama2cTokenizer;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-hfload-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const storiesFixture = (ctx: Mocha.Context): void => {
    stories ??= parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'stories260K.bin'))));
    tok512 ??= Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'tok512.bin'))), 512);
  };

  it('opens tiny_random_gpt2 as a folder, through its config.json, and through its model.safetensors', async function () {
    const folder = requireFixture(this, 'tiny_random_gpt2');
    for (const p of [folder, path.join(folder, 'config.json'), path.join(folder, 'model.safetensors')]) {
      const m = await loadModel(p);
      assert.equal(m.format, 'huggingface');
      assert.equal(m.tokenizer.kind, 'huggingface');
      assert.deepEqual([m.model.config.vocabSize, m.tokenizer.vocabSize, m.training, m.tokenizerJson], [1000, 1000, null, null]);
      assert.equal(m.description, 'gpt2 (GPT2LMHeadModel), F32 weights in 1 file');
      assert.deepEqual(Array.from(m.tokenizer.encode('Hello world').ids), [40, 416, 79, 206, 750]);
    }
  });

  it('opens the bare GPT2Model in tiny_gpt2 with its vocab.json + merges.txt, noting the tied head', async function () {
    const m = await loadModel(requireFixture(this, 'tiny_gpt2'));
    assert.equal(m.tokenizer.vocabSize, 21);
    assert.match((m.notes ?? []).join(' '), /bare GPT2Model/);
  });

  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    it(`stories260K exported to an HF Llama folder (${dtype}): same token ids and spans as llama2.c, logits close to the llama2.c path`, async function () {
      storiesFixture(this);
      const folder = path.join(dir, `stories-${dtype}`);
      writeLlamaFolder(folder, stories, dtype, tok512);
      const m = await loadModel(folder);
      assert.equal(m.model.config.architecture, 'llama');
      const text = 'Lily went to the park. She saw a big dog! 🙂';
      const enc = m.tokenizer.encode(text);
      const ref = tok512.encode(text);
      assert.deepEqual(
        enc.tokens.map((t) => [t.id, t.start, t.end]),
        ref.tokens.map((t) => [t.id, t.start, t.end]),
      );
      const T = enc.ids.length;
      const a = m.model.forward(null, enc.ids, 1, T).logits.data;
      const b = stories.forward(null, ref.ids, 1, T).logits.data;
      // F32 is exact up to summation order; F16/BF16 round the weights (checked exactly in the engine tests)
      assert.ok(maxAbsDiff(a, b) <= { F32: 1e-4, F16: 0.05, BF16: 0.5 }[dtype], `max |Δlogit| = ${maxAbsDiff(a, b)}`);
    });
  }

  it('reports progress: reading, then building (converting the tensors), each up to its total', async function () {
    storiesFixture(this);
    const folder = path.join(dir, 'stories-F32');
    if (!fs.existsSync(folder)) writeLlamaFolder(folder, stories, 'F32', tok512);
    const seen: LoadProgress[] = [];
    await loadModel(folder, undefined, { onProgress: (p) => seen.push(p) });
    const size = fs.statSync(path.join(folder, 'model.safetensors')).size;
    const read = seen.filter((p) => p.phase === 'read');
    const convert = seen.filter((p) => p.phase === 'build');
    assert.deepEqual(read[read.length - 1], { phase: 'read', done: size, total: size });
    assert.ok(convert.length > 10 && convert[convert.length - 1]!.done === convert[0]!.total);
    assert.ok(seen.indexOf(read[read.length - 1]!) < seen.indexOf(convert[0]!));
  });

  it('reads shards listed in model.safetensors.index.json, and refuses a shard outside the folder', async function () {
    storiesFixture(this);
    const folder = path.join(dir, 'sharded');
    writeLlamaFolder(folder, stories, 'F32', tok512);
    fs.rmSync(path.join(folder, 'model.safetensors'));
    const tensors = llamaTensors(stories);
    const parts: [string, NamedTensor[]][] = [
      ['model-00001-of-00002.safetensors', tensors.slice(0, 20)],
      ['model-00002-of-00002.safetensors', tensors.slice(20)],
    ];
    const weightMap: Record<string, string> = {};
    for (const [name, list] of parts) {
      fs.writeFileSync(path.join(folder, name), writeSafetensors(list, 'F32'));
      for (const t of list) weightMap[t.name] = name;
    }
    fs.writeFileSync(path.join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const m = await loadModel(folder);
    assert.equal(m.description, 'llama (LlamaForCausalLM), F32 weights in 2 files');
    const ids = Int32Array.from([1, 403, 407]);
    assert.ok(maxAbsDiff(m.model.forward(null, ids, 1, 3).logits.data, stories.forward(null, ids, 1, 3).logits.data) <= 1e-4);
    weightMap[tensors[0]!.name] = '../evil.safetensors';
    fs.writeFileSync(path.join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    await assert.rejects(loadModel(folder), /names the shard "\.\.\/evil\.safetensors", expected a \.safetensors file name in the same folder/);
  });

  it('loading a ~100 MB F32 Llama checkpoint allocates the file once (tensors are views of it)', async function () {
    const folder = path.join(dir, 'big');
    fs.mkdirSync(folder);
    const C = 512,
      F = 1408,
      L = 7,
      V = 8192;
    const cfg = {
      model_type: 'llama',
      hidden_size: C,
      intermediate_size: F,
      num_hidden_layers: L,
      num_attention_heads: 8,
      num_key_value_heads: 8,
      vocab_size: V,
      max_position_embeddings: 64,
      tie_word_embeddings: true,
    };
    const t = (name: string, shape: number[]): NamedTensor => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.01) });
    const tensors = [t('model.embed_tokens.weight', [V, C]), t('model.norm.weight', [C])];
    for (let l = 0; l < L; l++) {
      const h = `model.layers.${l}.`;
      tensors.push(t(`${h}input_layernorm.weight`, [C]), t(`${h}post_attention_layernorm.weight`, [C]));
      for (const x of ['q', 'k', 'v', 'o']) tensors.push(t(`${h}self_attn.${x}_proj.weight`, [C, C]));
      tensors.push(t(`${h}mlp.gate_proj.weight`, [F, C]), t(`${h}mlp.up_proj.weight`, [F, C]), t(`${h}mlp.down_proj.weight`, [C, F]));
    }
    fs.writeFileSync(path.join(folder, 'model.safetensors'), writeSafetensors(tensors, 'F32'));
    tensors.length = 0;
    fs.writeFileSync(path.join(folder, 'config.json'), JSON.stringify(cfg));
    // A byte-level tokenizer with exactly V tokens (256 bytes + placeholders), so the folder is complete.
    const vocab: Record<string, number> = {};
    for (let i = 0; i < V; i++) vocab[i < 256 ? String.fromCodePoint(i < 94 ? 33 + i : 256 + i) : `tok${i}`] = i;
    fs.writeFileSync(
      path.join(folder, 'tokenizer.json'),
      JSON.stringify({ model: { type: 'BPE', vocab, merges: [] }, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false } }),
    );
    const size = fs.statSync(path.join(folder, 'model.safetensors')).size;
    assert.ok(size > 100e6, `${size} bytes`);
    const gc = collector();
    await gc();
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const m = await loadModel(folder, undefined, { onProgress: () => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - before)) });
    await gc();
    const held = process.memoryUsage().arrayBuffers - before;
    assert.equal(m.model.params.get('blocks.6.mlp.down.weight')!.data.length, C * F);
    assert.ok(peak <= size * 1.05 + 8e6, `array buffers peaked ${peak} bytes above the start while loading a ${size}-byte file`);
    assert.ok(held >= size * 0.95 && held <= size * 1.05 + 8e6, `the model holds the file's bytes once (${held} bytes)`);
  });

  it('refuses PyTorch weights, folders without config.json or tokenizer, and a tokenizer of another vocabulary', async function () {
    const bare = path.join(dir, 'pytorch');
    fs.mkdirSync(bare);
    fs.writeFileSync(path.join(bare, 'config.json'), fs.readFileSync(requireFixture(this, 'tiny_random_gpt2', 'config.json')));
    fs.writeFileSync(path.join(bare, 'pytorch_model.bin'), Buffer.from('PK\x03\x04 not really a zip'));
    fs.copyFileSync(requireFixture(this, 'tiny_random_gpt2', 'tokenizer.json'), path.join(bare, 'tokenizer.json'));
    await assert.rejects(loadModel(bare), /pytorch_model\.bin holds PyTorch pickle weights, which are not supported .* use model\.safetensors/);
    await assert.rejects(
      loadModel(path.join(bare, 'pytorch_model.bin')),
      /is a PyTorch pickle\/zip file; PyTorch \.bin weights are not supported — use model\.safetensors/,
    );
    fs.writeFileSync(path.join(bare, 'old.bin'), Buffer.from([0x80, 0x02, 0x8a, 0x0a, 1, 2, 3, 4]));
    await assert.rejects(loadModel(path.join(bare, 'old.bin'), 'tok.bin'), /PyTorch pickle\/zip file/);

    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    await assert.rejects(loadModel(empty), /is a folder without config\.json; give a Hugging Face model folder \(config\.json \+ model\.safetensors\)/);

    const golden = path.join(dir, 'golden');
    fs.mkdirSync(golden);
    fs.copyFileSync(requireFixture(this, 'tiny_gpt2_golden', 'model.safetensors'), path.join(golden, 'model.safetensors'));
    const g = JSON.parse(fs.readFileSync(requireFixture(this, 'tiny_gpt2_golden', 'gpt2_tiny_golden.json'), 'utf8')) as { config: object };
    fs.writeFileSync(path.join(golden, 'config.json'), JSON.stringify({ ...g.config, model_type: 'gpt2' }));
    // Without a tokenizer the model loads and takes token ids only; text is refused by name.
    const idsOnly = await loadModel(golden);
    assert.equal(idsOnly.tokenizer.kind, 'ids');
    assert.throws(
      () => idsOnly.tokenizer.encode('hello'),
      /has no tokenizer \(tokenizer\.json, or vocab\.json \+ merges\.txt\), so text cannot be encoded; give token ids \(--ids 3,1,4\)/,
    );
    await assert.rejects(
      loadModel(golden, requireFixture(this, 'tiny_random_gpt2', 'tokenizer.json')),
      /the tokenizer has 1000 tokens but the model's vocabulary \(config\.json vocab_size\) is 61/,
    );
    await assert.rejects(
      loadModel(golden, requireFixture(this, 'tiny_gpt2')),
      /the tokenizer has 21 tokens but the model's vocabulary \(config\.json vocab_size\) is 61/,
    );
    const tokenizer = requireFixture(this, 'tiny_random_gpt2', 'tokenizer.json');
    fs.writeFileSync(path.join(golden, 'config.json'), '{"model_type": "gpt2",');
    await assert.rejects(loadModel(golden, tokenizer), /config\.json is not valid JSON/);
    fs.writeFileSync(path.join(golden, 'config.json'), JSON.stringify({ ...g.config, model_type: 'gpt2' }));
    const weights = fs.readFileSync(path.join(golden, 'model.safetensors'));
    fs.writeFileSync(path.join(golden, 'model.safetensors'), weights.subarray(0, weights.length - 100));
    await assert.rejects(loadModel(golden, tokenizer), /golden\/model\.safetensors: .*truncated/);
    fs.writeFileSync(path.join(golden, 'model.safetensors'), weights.subarray(0, 6));
    await assert.rejects(loadModel(golden, tokenizer), /golden\/model\.safetensors: .*6 bytes/);
    fs.writeFileSync(path.join(golden, 'model.safetensors'), weights);
    fs.writeFileSync(path.join(golden, 'config.json'), JSON.stringify({ ...g.config, model_type: 't5' }));
    await assert.rejects(
      loadModel(golden, requireFixture(this, 'tiny_random_gpt2')),
      /model_type string "t5" is not supported; supported: "gpt2", "llama", "gpt_neox"/,
    );
  });
});
