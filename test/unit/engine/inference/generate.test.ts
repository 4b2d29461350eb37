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
    assert.equal(generate(model, new Int32Array(60), { maxTokens: 50, temperature: 0, rng: new Rng(1) }).length, 4);
    assert.throws(() => generate(model, new Int32Array(0), { maxTokens: 5, temperature: 0, rng: new Rng(1) }), GenerateError);
    assert.throws(() => generate(model, Int32Array.of(1), { maxTokens: 5, temperature: -1, rng: new Rng(1) }), /temperature must be ≥ 0/);
  });
});
