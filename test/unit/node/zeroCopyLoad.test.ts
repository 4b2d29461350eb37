/**
 * Zero-copy loading (issue 14): a llama2.c checkpoint is read once, straight into the memory the
 * kernels use (the WebAssembly memory on that backend), and the model's weights are views of
 * those bytes at their offsets in the file — no second copy of the file. The weights still equal
 * the file's float32 values (read here independently with a DataView), and generation from the
 * loaded model is the same as from a copied one.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseLlama2cCheckpoint } from '../../../src/engine/checkpoint/llama2c';
import { generate } from '../../../src/engine/inference/generate';
import { backend, selectBackend } from '../../../src/engine/kernels/activeBackend';
import { Rng } from '../../../src/engine/random';
import { serializeCheckpoint } from '../../../src/engine/checkpoint/native';
import { presetConfig } from '../../../src/engine/models/presets';
import { Transformer } from '../../../src/engine/nn/transformer';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/node/loadModel';
import { requireFixture } from '../../helpers/fixtures';
import { restoreDefaultBackend } from '../engine/kernels/selectBackend';

describe('node/loadModel: zero-copy llama2.c loading', () => {
  afterEach(restoreDefaultBackend);

  for (const choice of ['wasm', 'js'] as const) {
    it(`stories260K's weights are views of the one buffer the file was read into, at the file's offsets (${choice} backend)`, async function () {
      const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
      const tok = requireFixture(this, 'stories260K', 'tok512.bin');
      selectBackend(choice);
      const { model } = await loadModel(bin, tok);
      const file = fs.readFileSync(bin);
      const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
      const buffers = new Set([...model.params.values()].map((t) => t.data.buffer));
      assert.equal(buffers.size, 1, 'every weight is in the same buffer');
      // v0 layout: 28-byte header, then tok_emb [512, 64], then the 5 layers' norm1 weights.
      const emb = model.p('tok_emb');
      const norm1 = model.p('blocks.0.norm1.weight');
      const fileStart = emb.data.byteOffset - 28;
      assert.equal(norm1.data.byteOffset - fileStart, 28 + 4 * 512 * 64);
      for (const i of [0, 1, 777, emb.size - 1]) assert.equal(emb.data[i], view.getFloat32(28 + 4 * i, true));
      if (choice === 'wasm') {
        const decode = backend().decode;
        assert.ok(decode?.resident(emb.data), 'the weights are in the WebAssembly memory, where the kernels read them');
      } else {
        // The buffer is the file as read, header included: the weights were not copied out of it.
        assert.equal(emb.data.buffer.byteLength, file.length);
        assert.equal(emb.data.byteOffset, 28);
      }
      // The same generation as from a model parsed from a copy.
      const copied = parseLlama2cCheckpoint(new Uint8Array(file));
      const prompt = Int32Array.of(1, 403, 407);
      const opts = { maxTokens: 20, temperature: 0, rng: new Rng(1) };
      assert.deepEqual([...generate(model, prompt, opts)], [...generate(copied, prompt, opts)]);
    });
  }

  for (const choice of ['wasm', 'js'] as const) {
    it(`a native checkpoint's weights are views of the bytes it was read into, equal to the saved ones (${choice} backend)`, async () => {
      selectBackend(choice);
      const tokenizer = CharTokenizer.fromText('hello, attention');
      const saved = Transformer.create(presetConfig('tiny', tokenizer.vocabSize), new Rng(3));
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zero-copy-')), 'model.safetensors');
      const bytes = serializeCheckpoint(saved, tokenizer.toJSON(), null);
      fs.writeFileSync(file, bytes);
      const { model } = await loadModel(file);
      const buffers = new Set([...model.params.values()].map((t) => t.data.buffer));
      assert.equal(buffers.size, 1, 'every weight is in the one buffer the file was read into');
      for (const [name, t] of model.params) assert.deepEqual(t.data, saved.p(name).data, name);
      const emb = model.p('tok_emb');
      if (choice === 'wasm') assert.ok(backend().decode?.resident(emb.data));
      else assert.equal(emb.data.buffer.byteLength, bytes.length);
      fs.rmSync(path.dirname(file), { recursive: true });
    });
  }
});
