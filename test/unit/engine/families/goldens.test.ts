/**
 * GPT-NeoX (Pythia layout), Qwen2, SmolLM2 (Llama, real BF16 weights), distilgpt2 (real weights)
 * and BERT (encoder, pooler, classifier, reranker) against PyTorch transformers' float64
 * outputs in the shared fixtures: every logit / hidden value within 1e-4. The GPT-NeoX
 * sequential-residual pair (config_sequential.json) is checked when present.
 */

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseHuggingFaceModel, type HfModel } from '../../../../src/engine/checkpoint/huggingface';
import { parseSafetensors } from '../../../../src/engine/checkpoint/safetensors';
import { classifySequence, pooledOutput } from '../../../../src/engine/nn/classifier';
import { KvCache } from '../../../../src/engine/nn/transformer';
import { FIXTURES_DIR, readFixtureJson, requireFixture } from '../../../helpers/fixtures';

const TOL = 1e-4;

export function loadFixtureModel(ctx: Mocha.Context, dir: string, configJson?: unknown): HfModel {
  const config = configJson ?? readFixtureJson(requireFixture(ctx, dir, 'config.json'));
  return parseHuggingFaceModel(config, parseSafetensors(new Uint8Array(fs.readFileSync(requireFixture(ctx, dir, 'model.safetensors')))));
}

interface LogitsGolden {
  sequences: number[][];
  logits: number[][][];
}

/** Max |Δ| between the model's logits and transformers' for every sequence and position. */
function maxLogitError(m: HfModel, g: LogitsGolden): number {
  let worst = 0;
  g.sequences.forEach((seq, s) => {
    const V = m.model.config.vocabSize;
    const r = m.model.forward(null, Int32Array.from(seq), 1, seq.length);
    seq.forEach((_, t) => {
      for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(r.logits.data[t * V + v]! - g.logits[s]![t]![v]!));
    });
  });
  return worst;
}

describe('families: decoders against transformers float64 logits', function () {
  const cases: [string, string, string][] = [
    ['tiny_gptneox', 'GPT-NeoX: fused interleaved qkv, rotary_pct 0.25, parallel residual, exact GELU, untied embed_out', 'F32'],
    ['tiny_qwen2', 'Qwen2: q/k/v biases, GQA 2:1, untied lm_head', 'F32'],
    ['tiny_smollm2_sliced', 'SmolLM2 (Llama): real BF16 weights, GQA, tied embeddings, rope_theta 1e5', 'BF16'],
  ];
  for (const [dir, what, dtype] of cases) {
    it(`${dir} — ${what}`, function () {
      const m = loadFixtureModel(this, dir);
      assert.deepEqual(m.dtypes, [dtype]);
      const err = maxLogitError(m, readFixtureJson<LogitsGolden>(requireFixture(this, dir, 'logits.json')));
      assert.ok(err < TOL, `max |Δ| ${err}`);
    });
  }

  it("decoding token by token with a key/value cache (partial RoPE at each offset, q/k/v biases) gives transformers' logits too", function () {
    for (const dir of ['tiny_gptneox', 'tiny_qwen2']) {
      const m = loadFixtureModel(this, dir);
      const g = readFixtureJson<LogitsGolden>(requireFixture(this, dir, 'logits.json'));
      const V = m.model.config.vocabSize;
      const cache = new KvCache(m.model.config);
      g.sequences[2]!.forEach((id, t) => {
        const r = m.model.forward(null, Int32Array.of(id), 1, 1, { cache });
        for (let v = 0; v < V; v++) assert.ok(Math.abs(r.logits.data[v]! - g.logits[2]![t]![v]!) < TOL, `${dir} position ${t} token ${v}`);
      });
    }
  });

  it('tiny_gptneox with use_parallel_residual false (config_sequential.json) matches logits_sequential.json', function () {
    const config = readFixtureJson(requireFixture(this, 'tiny_gptneox', 'config_sequential.json'));
    const m = loadFixtureModel(this, 'tiny_gptneox', config);
    assert.equal(m.model.config.parallelResidual, false);
    const err = maxLogitError(m, readFixtureJson<LogitsGolden>(requireFixture(this, 'tiny_gptneox', 'logits_sequential.json')));
    assert.ok(err < TOL, `max |Δ| ${err}`);
  });

  it('tiny_gptneox: the wrong residual wiring or full-head RoPE would be caught (each moves the logits > 1e-3)', function () {
    const base = readFixtureJson<Record<string, unknown>>(requireFixture(this, 'tiny_gptneox', 'config.json'));
    const g = readFixtureJson<LogitsGolden>(requireFixture(this, 'tiny_gptneox', 'logits.json'));
    assert.ok(maxLogitError(loadFixtureModel(this, 'tiny_gptneox', { ...base, use_parallel_residual: false }), g) > 1e-3);
    assert.ok(maxLogitError(loadFixtureModel(this, 'tiny_gptneox', { ...base, rotary_pct: 1 }), g) > 1e-3);
  });

  it("tiny_distilgpt2_sliced — real distilgpt2 weights (no config.json upstream: the generator's GPT2Config)", function () {
    const config = {
      model_type: 'gpt2',
      vocab_size: 12,
      n_positions: 16,
      n_embd: 8,
      n_layer: 2,
      n_head: 2,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
    };
    const m = loadFixtureModel(this, 'tiny_distilgpt2_sliced', config);
    const err = maxLogitError(m, readFixtureJson<LogitsGolden>(requireFixture(this, 'tiny_distilgpt2_sliced', 'logits.json')));
    assert.ok(err < TOL, `max |Δ| ${err}`);
  });
});

interface BertGolden {
  sequences: number[][];
  token_types: number[][];
  hidden: number[][][];
  pooler: number[][];
}

describe('families: BERT against transformers float64 (tiny_bert)', function () {
  it('last hidden state and pooler output of BertModel, with token types, no mask, bidirectional', function () {
    const m = loadFixtureModel(this, 'tiny_bert');
    const c = m.model.config;
    assert.equal(c.causal, false);
    assert.equal(c.pooler, true);
    const g = readFixtureJson<BertGolden>(requireFixture(this, 'tiny_bert', 'hidden.json'));
    let worst = 0;
    g.sequences.forEach((seq, s) => {
      const T = seq.length,
        C = c.dModel;
      const r = m.model.forward(null, Int32Array.from(seq), 1, T, { tokenTypes: Int32Array.from(g.token_types[s]!), capture: { hidden: true } });
      assert.deepEqual(r.logits.shape, [1, T, 0], 'a bare encoder has no logits');
      const last = r.hidden[c.nLayers]!;
      for (let t = 0; t < T; t++) for (let i = 0; i < C; i++) worst = Math.max(worst, Math.abs(last[t * C + i]! - g.hidden[s]![t]![i]!));
      const pooled = pooledOutput(m.model, last);
      for (let i = 0; i < C; i++) worst = Math.max(worst, Math.abs(pooled[i]! - g.pooler[s]![i]!));
    });
    assert.ok(worst < TOL, `max |Δ| ${worst}`);
  });

  it('exact (erf) GELU is what matches: the tanh form moves the hidden states by more than 2e-5', function () {
    const base = readFixtureJson<Record<string, unknown>>(requireFixture(this, 'tiny_bert', 'config.json'));
    const g = readFixtureJson<BertGolden>(requireFixture(this, 'tiny_bert', 'hidden.json'));
    const m = loadFixtureModel(this, 'tiny_bert', { ...base, hidden_act: 'gelu_new' });
    const r = m.model.forward(null, Int32Array.from(g.sequences[0]!), 1, 16, { tokenTypes: Int32Array.from(g.token_types[0]!), capture: { hidden: true } });
    const last = r.hidden[2]!;
    let worst = 0;
    for (let i = 0; i < last.length; i++) worst = Math.max(worst, Math.abs(last[i]! - g.hidden[0]![Math.floor(i / 8)]![i % 8]!));
    assert.ok(worst > 2e-5, `tanh GELU only moved ${worst}`);
  });

  it('the outputs depend on later tokens (no causal mask): changing the last token moves position 0', function () {
    const m = loadFixtureModel(this, 'tiny_bert');
    const C = m.model.config.dModel;
    const run = (ids: number[]): Float32Array =>
      m.model.forward(null, Int32Array.from(ids), 1, ids.length, { capture: { hidden: true } }).hidden[2]!.slice(0, C);
    const a = run([1, 2, 3, 4]),
      b = run([1, 2, 3, 9]);
    assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-4));
  });

  it('sequence classification: class logits, the argmax labels from id2label, and a softmax probability', function () {
    const m = loadFixtureModel(this, path.join('tiny_bert', 'seqcls'));
    const g = readFixtureJson<BertGolden & { logits: number[][]; labels: string[] }>(requireFixture(this, 'tiny_bert', 'seqcls', 'logits.json'));
    const c = m.model.config;
    assert.deepEqual(c.labels, ['neg', 'neu', 'pos']);
    g.sequences.forEach((seq, s) => {
      const r = m.model.forward(null, Int32Array.from(seq), 1, seq.length, { tokenTypes: Int32Array.from(g.token_types[s]!), capture: { hidden: true } });
      const k = classifySequence(m.model, r.hidden[c.nLayers]!);
      for (let i = 0; i < 3; i++) assert.ok(Math.abs(k.logits[i]! - g.logits[s]![i]!) < TOL, `seq ${s} logit ${i}: ${k.logits[i]} vs ${g.logits[s]![i]}`);
      assert.equal(k.label, g.labels[s]);
      const z = g.logits[s]!;
      const p = Math.exp(z[k.labelIndex]!) / z.reduce((a, x) => a + Math.exp(x), 0);
      assert.ok(Math.abs(k.probability - p) < TOL);
    });
  });

  it('cross-encoder reranker: one logit and its sigmoid, with and without segment B (pads attended, as recorded)', function () {
    const m = loadFixtureModel(this, path.join('tiny_bert', 'reranker'));
    const g = readFixtureJson<{ input_ids: number[]; token_type_ids: number[]; logit: number; prob: number; logit_all_seg0: number }>(
      requireFixture(this, 'tiny_bert', 'reranker', 'logits.json'),
    );
    const L = m.model.config.nLayers;
    const run = (types: number[]) =>
      classifySequence(
        m.model,
        m.model.forward(null, Int32Array.from(g.input_ids), 1, g.input_ids.length, { tokenTypes: Int32Array.from(types), capture: { hidden: true } }).hidden[
          L
        ]!,
      );
    const k = run(g.token_type_ids);
    assert.equal(k.label, 'relevance');
    assert.ok(Math.abs(k.logits[0]! - g.logit) < TOL, `${k.logits[0]} vs ${g.logit}`);
    assert.ok(Math.abs(k.probability - g.prob) < TOL);
    assert.ok(Math.abs(run(g.input_ids.map(() => 0)).logits[0]! - g.logit_all_seg0) < TOL);
  });
});

// Keep the import used when the fixtures folder is absent (every test above skips then).
void FIXTURES_DIR;
