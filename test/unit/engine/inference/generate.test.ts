import assert from 'node:assert/strict';
import { argmax, generate, GenerateError } from '../../../../src/engine/inference/generate';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';

describe('inference/generate', () => {
  const model = Transformer.create(presetConfig('tiny', 17), new Rng(8));

  it('greedy decoding picks the argmax of a full forward at every step', () => {
    const prompt = Int32Array.of(3, 1, 4);
    const out = generate(model, prompt, { maxTokens: 6, temperature: 0, rng: new Rng(1) });
    assert.equal(out.length, 6);
    const seq = [...prompt];
    for (const id of out) {
      const r = model.forward(null, Int32Array.from(seq), 1, seq.length);
      assert.equal(id, argmax(r.logits.data.subarray((seq.length - 1) * 17)));
      seq.push(id);
    }
  });

  it('sampling is reproducible with the same seed and stays in the vocabulary', () => {
    const a = generate(model, Int32Array.of(1), { maxTokens: 20, temperature: 1.5, rng: new Rng(9) });
    const b = generate(model, Int32Array.of(1), { maxTokens: 20, temperature: 1.5, rng: new Rng(9) });
    assert.deepEqual(a, b);
    assert.ok(a.every((id) => id >= 0 && id < 17));
  });

  it('stops at a stop id, at the end of the context, and refuses impossible requests', () => {
    const greedy = generate(model, Int32Array.of(2), { maxTokens: 5, temperature: 0, rng: new Rng(1) });
    const stopped = generate(model, Int32Array.of(2), { maxTokens: 5, temperature: 0, rng: new Rng(1), stopIds: [greedy[2]!] });
    assert.deepEqual([...stopped], [...greedy.subarray(0, greedy.indexOf(greedy[2]!))]);
    // Context 64, prompt 60: forwards at positions 59..63 each emit a token (run.c's last step is pos = seq_len − 1).
    assert.equal(generate(model, new Int32Array(60), { maxTokens: 50, temperature: 0, rng: new Rng(1) }).length, 5);
    assert.throws(() => generate(model, new Int32Array(0), { maxTokens: 5, temperature: 0, rng: new Rng(1) }), GenerateError);
    assert.throws(() => generate(model, Int32Array.of(1), { maxTokens: 5, temperature: -1, rng: new Rng(1) }), /temperature must be ≥ 0/);
  });
});

describe('inference/generate with a padded vocabulary (GPT-2: 50257 tokens in 50304 rows)', () => {
  const V = 50304;
  const TOKENS = 50257;
  const config = { ...presetConfig('tiny', V), contextLength: 8, dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 2, mlpHidden: 16 };
  const model = Transformer.create(config, new Rng(4));
  // The padding rows get by far the largest logits: unmasked, they would win every step.
  const bias = model.params.get('lm_head.bias')!.data;
  for (let i = TOKENS; i < V; i++) bias[i] = 50;

  it('unmasked, the padding rows would be picked (what the mask is for)', () => {
    const free = generate(model, Int32Array.of(1), { maxTokens: 3, temperature: 0, rng: new Rng(1) });
    assert.ok([...free].every((id) => id >= TOKENS));
  });

  it('greedy: each id is the argmax of the first 50257 logits of a full forward; never a padding id', () => {
    const prompt = Int32Array.of(5, 9);
    const out = generate(model, prompt, { maxTokens: 6, temperature: 0, rng: new Rng(1), vocabLimit: TOKENS });
    assert.equal(out.length, 6);
    const seq = [...prompt];
    for (const id of out) {
      const r = model.forward(null, Int32Array.from(seq), 1, seq.length);
      const row = r.logits.data.subarray((seq.length - 1) * V, seq.length * V);
      let best = 0;
      for (let i = 1; i < TOKENS; i++) if (row[i]! > row[best]!) best = i;
      assert.equal(id, best);
      seq.push(id);
    }
  });

  it('sampling at any temperature stays below the tokenizer vocabulary; a limit outside 1..V is refused', () => {
    for (const temperature of [0.5, 1, 5, 100]) {
      const out = generate(model, Int32Array.of(1), { maxTokens: 7, temperature, rng: new Rng(temperature), vocabLimit: TOKENS });
      assert.ok(
        [...out].every((id) => id >= 0 && id < TOKENS),
        `temperature ${temperature}: ${[...out]}`,
      );
    }
    assert.throws(
      () => generate(model, Int32Array.of(1), { maxTokens: 1, temperature: 0, rng: new Rng(1), vocabLimit: V + 1 }),
      /vocabLimit must be an integer from 1 to the model's vocabulary 50304/,
    );
    assert.throws(() => generate(model, Int32Array.of(1), { maxTokens: 1, temperature: 0, rng: new Rng(1), vocabLimit: 0 }), GenerateError);
  });
});
