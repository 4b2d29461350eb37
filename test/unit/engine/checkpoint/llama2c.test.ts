/**
 * The llama2.c importer against llama2.c itself: stories260K (a real pretrained model) and
 * the attention, logits and greedy generations that run.c computed for it.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Llama2cError, parseLlama2cCheckpoint, readLlama2cHeader } from '../../../../src/engine/checkpoint/llama2c';
import { generate } from '../../../../src/engine/inference/generate';
import { Rng } from '../../../../src/engine/random';
import { readFixtureJson, requireFixture } from '../../../helpers/fixtures';

interface AttentionFixture {
  T: number;
  token_ids: number[];
  attention: number[][][][];
  logits: number[][];
}
interface GreedyFixture {
  cases: { prompt: string; steps: number; prompt_token_ids: number[]; generated_token_ids: number[] }[];
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('checkpoint/llama2c against run.c (stories260K)', function () {
  this.timeout(60_000);

  it('reads the header: dim 64, hidden 172, 5 layers, 8 heads, 4 kv heads, vocab 512 shared, seq_len 512', function () {
    const bytes = fs.readFileSync(requireFixture(this, 'stories260K', 'stories260K.bin'));
    const h = readLlama2cHeader(bytes);
    assert.deepEqual(h, { version: 0, dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, sharedClassifier: true });
  });

  for (const name of ['lily_park', 'tom_dog_newline']) {
    it(`attention within 1e-4 and logits within 1e-3 of run.c (${name})`, function () {
      const model = parseLlama2cCheckpoint(fs.readFileSync(requireFixture(this, 'stories260K', 'stories260K.bin')));
      const ref = readFixtureJson<AttentionFixture>(requireFixture(this, 'stories260K', `attention_logits_${name}.json`));
      const T = ref.T;
      const r = model.forward(null, Int32Array.from(ref.token_ids), 1, T, { capture: { attention: true } });
      const logitDiff = maxAbsDiff(r.logits.data, ref.logits.flat());
      assert.ok(logitDiff <= 1e-3, `max |Δlogit| = ${logitDiff}`);
      r.layers.forEach((layer, l) => {
        const d = maxAbsDiff(layer.attention!, ref.attention[l]!.flat(2));
        assert.ok(d <= 1e-4, `layer ${l}: max |Δattention| = ${d}`);
      });
    });
  }

  it("greedy generation gives run.c's token ids for every reference prompt (steps = forward passes, so steps − prompt + 1 tokens)", function () {
    const model = parseLlama2cCheckpoint(fs.readFileSync(requireFixture(this, 'stories260K', 'stories260K.bin')));
    const ref = readFixtureJson<GreedyFixture>(requireFixture(this, 'stories260K', 'greedy_generations.json'));
    for (const c of ref.cases) {
      const out = generate(model, Int32Array.from(c.prompt_token_ids), {
        maxTokens: c.steps - c.prompt_token_ids.length + 1,
        temperature: 0,
        rng: new Rng(0),
        stopIds: [1],
      });
      assert.deepEqual([...out], c.generated_token_ids, `prompt ${JSON.stringify(c.prompt)}`);
    }
  });

  it('a v1 ("ak42") file with the same weights gives the same logits', function () {
    const v0 = fs.readFileSync(requireFixture(this, 'stories260K', 'stories260K.bin'));
    const a = parseLlama2cCheckpoint(v0);
    // Rebuild the v1 layout from the v0 arrays: norms, final norm, embeddings, attention, MLP.
    const header = Buffer.alloc(256);
    header.writeUInt32LE(0x616b3432, 0);
    header.writeInt32LE(1, 4);
    [64, 172, 5, 8, 4, 512, 512].forEach((v, i) => header.writeInt32LE(v, 8 + 4 * i));
    header[36] = 1;
    const p = (n: string): Float32Array => a.params.get(n)!.data;
    const layers = (n: string): Float32Array[] => [0, 1, 2, 3, 4].map((l) => p(`blocks.${l}.${n}`));
    const arrays = [
      ...layers('norm1.weight'),
      ...layers('norm2.weight'),
      p('norm_f.weight'),
      p('tok_emb'),
      ...layers('attn.q.weight'),
      ...layers('attn.k.weight'),
      ...layers('attn.v.weight'),
      ...layers('attn.o.weight'),
      ...layers('mlp.gate.weight'),
      ...layers('mlp.down.weight'),
      ...layers('mlp.up.weight'),
    ];
    const v1 = Buffer.concat([header, ...arrays.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength))]);
    const b = parseLlama2cCheckpoint(v1);
    const ids = Int32Array.of(1, 403, 407, 261, 378);
    assert.deepEqual(b.forward(null, ids, 1, 5).logits.data, a.forward(null, ids, 1, 5).logits.data);
  });

  it('refuses truncated, padded and foreign files with what was found and expected', function () {
    const bytes = fs.readFileSync(requireFixture(this, 'stories260K', 'stories260K.bin'));
    assert.throws(
      () => parseLlama2cCheckpoint(bytes.subarray(0, bytes.length - 4)),
      /is 1056536 bytes but its header .* implies 1056540 — the file is truncated/,
    );
    assert.throws(() => parseLlama2cCheckpoint(Buffer.concat([bytes, Buffer.alloc(4)])), /implies 1056540/);
    assert.throws(() => parseLlama2cCheckpoint(Buffer.from('not a model at all, just some text.')), Llama2cError);
    assert.throws(() => parseLlama2cCheckpoint(new Uint8Array(10)), /starts with a 28-byte header/);
    const v2 = Buffer.alloc(256);
    v2.writeUInt32LE(0x616b3432, 0);
    v2.writeInt32LE(2, 4);
    assert.throws(() => parseLlama2cCheckpoint(v2), /version 2 is not supported/);
  });
});
