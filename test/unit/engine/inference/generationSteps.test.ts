/**
 * Generation with attention: every step's token, probability, alternatives and attention row
 * against independent paths — llama2.c's greedy tokens for stories260K, and one full forward
 * (no cache) over the final ids, read row by row, with a float64 softmax written in the test.
 */

import assert from 'node:assert/strict';
import { generate } from '../../../../src/engine/inference/generate';
import { generationSteps, type GenerationStep } from '../../../../src/engine/inference/generationSteps';
import type { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { perturbedModel, reducedConfig, refLogSoftmax, storiesModel } from '../../../helpers/analysisModels';
import { readFixtureJson, requireFixture } from '../../../helpers/fixtures';

interface GreedyCase {
  readonly prompt: string;
  readonly steps: number;
  readonly prompt_token_ids: number[];
  readonly generated_token_ids: number[];
}

/** Every step of a generation, and the ids (prompt + generated). */
function run(
  model: Transformer,
  prompt: Int32Array,
  options: Parameters<typeof generationSteps>[2],
): { steps: GenerationStep[]; ids: Int32Array; end: string } {
  const steps: GenerationStep[] = [];
  const it = generationSteps(model, prompt, options);
  for (;;) {
    const n = it.next();
    if (n.done) return { steps, ids: Int32Array.from([...prompt, ...steps.map((s) => s.id)]), end: n.value };
    steps.push(n.value);
  }
}

/** Each step against one full forward over the final ids: attention row, probability, top-k. */
function checkAgainstFullForward(model: Transformer, ids: Int32Array, steps: readonly GenerationStep[], promptLength: number, k: number): void {
  const { nLayers: L, nHeads: H, vocabSize: V } = model.config;
  const T = ids.length;
  const full = model.forward(null, ids, 1, T, { capture: { attention: true } });
  let worst = 0;
  for (const s of steps) {
    const t = promptLength - 1 + s.step;
    assert.equal(s.position, t);
    assert.equal(ids[t + 1], s.id);
    assert.equal(s.attention.length, L * H * (t + 1));
    for (let l = 0; l < L; l++) {
      const a = full.layers[l]!.attention!;
      for (let h = 0; h < H; h++) {
        for (let j = 0; j <= t; j++) worst = Math.max(worst, Math.abs(s.attention[(l * H + h) * (t + 1) + j]! - a[(h * T + t) * T + j]!));
      }
    }
    const lp = refLogSoftmax(full.logits.data, t * V, V);
    assert.ok(Math.abs(s.prob - Math.exp(lp[s.id]!)) < 1e-5, `step ${s.step}: p ${s.prob} vs ${Math.exp(lp[s.id]!)}`);
    const order = lp.map((x, v) => [x, v] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    assert.equal(s.topIds.length, k);
    for (let j = 0; j < k; j++) assert.ok(Math.abs(s.topProbs[j]! - Math.exp(order[j]![0])) < 1e-5, `step ${s.step} alternative ${j}`);
  }
  assert.ok(worst < 1e-5, `max |Δattention| between the cached steps and the full forward = ${worst}`);
}

describe('inference/generationSteps', () => {
  it("stories260K greedy: llama2.c's tokens, and every step's row, p and top-5 equal one full forward over the final ids", function () {
    this.timeout(60_000);
    const model = storiesModel(this);
    const ref = readFixtureJson<{ cases: GreedyCase[] }>(requireFixture(this, 'stories260K', 'greedy_generations.json'));
    for (const c of ref.cases.slice(0, 2)) {
      const prompt = Int32Array.from(c.prompt_token_ids);
      const maxTokens = Math.min(40, c.steps - prompt.length + 1);
      const r = run(model, prompt, { maxTokens, temperature: 0, rng: new Rng(0), stopIds: [1], topK: 5 });
      assert.deepEqual(
        r.steps.map((s) => s.id),
        c.generated_token_ids.slice(0, maxTokens),
        `prompt ${JSON.stringify(c.prompt)}`,
      );
      checkAgainstFullForward(model, r.ids, r.steps, prompt.length, 5);
      // Greedy: each token is the top alternative of its own step.
      for (const s of r.steps) assert.equal(s.topIds[0], s.id);
    }
  });

  it('a sampled run of a small-shaped model: rows equal the full forward, and the tokens equal generate() with the same seed', () => {
    const model = perturbedModel(reducedConfig('small', 23), 5);
    const prompt = Int32Array.of(3, 1, 4, 1, 5);
    const r = run(model, prompt, { maxTokens: 12, temperature: 0.9, rng: new Rng(42), topK: 3 });
    assert.equal(r.steps.length, 12);
    checkAgainstFullForward(model, r.ids, r.steps, prompt.length, 3);
    const plain = generate(model, prompt, { maxTokens: 12, temperature: 0.9, rng: new Rng(42) });
    assert.deepEqual(
      r.steps.map((s) => s.id),
      [...plain],
    );
  });

  it('top-p keeps only the nucleus: a tiny p is greedy, and every sampled token lies inside its step’s nucleus', () => {
    const model = perturbedModel(reducedConfig('small', 23), 6);
    const prompt = Int32Array.of(2, 7);
    const greedy = run(model, prompt, { maxTokens: 10, temperature: 0, rng: new Rng(1) });
    const tiny = run(model, prompt, { maxTokens: 10, temperature: 1, topP: 1e-6, rng: new Rng(1) });
    assert.deepEqual(
      tiny.steps.map((s) => s.id),
      greedy.steps.map((s) => s.id),
    );
    const topP = 0.5;
    const { vocabSize: V } = model.config;
    for (const seed of [1, 2, 3]) {
      const r = run(model, prompt, { maxTokens: 10, temperature: 1, topP, rng: new Rng(seed) });
      const full = model.forward(null, r.ids, 1, r.ids.length);
      for (const s of r.steps) {
        const lp = refLogSoftmax(full.logits.data, s.position * V, V);
        // The nucleus: tokens by descending p until the mass reaches topP.
        const order = lp.map((x, v) => [Math.exp(x), v] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        const nucleus = new Set<number>();
        let mass = 0;
        for (const [p, v] of order) {
          if (mass >= topP) break;
          nucleus.add(v);
          mass += p;
        }
        assert.ok(nucleus.has(s.id), `seed ${seed} step ${s.step}: token ${s.id} outside the nucleus ${[...nucleus]}`);
      }
    }
  });

  it('ends at a stop id, at maxTokens and at the end of the context, saying which; refuses a bad top-p', () => {
    const model = perturbedModel(reducedConfig('small', 23), 7);
    const ctx = model.config.contextLength;
    const greedy = run(model, Int32Array.of(1), { maxTokens: 6, temperature: 0, rng: new Rng(1) });
    assert.equal(greedy.end, 'length');
    const stopAt = greedy.steps[3]!.id;
    const stopped = run(model, Int32Array.of(1), { maxTokens: 6, temperature: 0, rng: new Rng(1), stopIds: [stopAt] });
    assert.equal(stopped.end, 'stop-token');
    assert.ok(stopped.steps.every((s) => s.id !== stopAt));
    const long = run(model, new Int32Array(ctx - 3), { maxTokens: 50, temperature: 0, rng: new Rng(1) });
    assert.equal(long.end, 'context');
    // As generate() and run.c: the last token is predicted at position ctx − 1 and lands past the context.
    assert.equal(long.ids.length, ctx + 1);
    assert.deepEqual(
      Array.from(long.ids.subarray(ctx - 3)),
      Array.from(generate(model, new Int32Array(ctx - 3), { maxTokens: 50, temperature: 0, rng: new Rng(1) })),
    );
    assert.throws(() => run(model, Int32Array.of(1), { maxTokens: 1, temperature: 1, topP: 0, rng: new Rng(1) }), /top-p must be in \(0, 1\]/);
  });
});
