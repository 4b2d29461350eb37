/**
 * BERT's masked-LM head (BertForMaskedLM): the tiny_bert encoder weights under `bert.` plus a
 * `cls.predictions` head with seeded values. There is no transformers golden for this head, so
 * the oracle is written here, in float64, from BertLMPredictionHead's equations on top of
 * transformers' own last hidden state (hidden.json): LayerNorm(GELU_erf(W·h + b))·Eᵀ + bias,
 * with erf by Simpson integration (independent of the engine's series).
 */

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { parseHuggingFaceModel } from '../../../../src/engine/checkpoint/huggingface';
import { parseSafetensors, readTensorF32 } from '../../../../src/engine/checkpoint/safetensors';
import { writeSafetensors, type NamedTensor } from '../../../helpers/hfExport';
import { readFixtureJson, requireFixture } from '../../../helpers/fixtures';

function erfSimpson(x: number): number {
  const n = 4000,
    h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * (s * h)) / 3;
}

describe('families: BERT masked-LM head (BertForMaskedLM)', function () {
  it("logits = LayerNorm(GELU(dense(h)))·Eᵀ + bias on transformers' hidden states (1e-4), tied to the word embeddings", function () {
    const file = parseSafetensors(new Uint8Array(fs.readFileSync(requireFixture(this, 'tiny_bert', 'model.safetensors'))));
    const g = readFixtureJson<{ sequences: number[][]; token_types: number[][]; hidden: number[][][] }>(requireFixture(this, 'tiny_bert', 'hidden.json'));
    const base = readFixtureJson<Record<string, unknown>>(requireFixture(this, 'tiny_bert', 'config.json'));
    const tensors: NamedTensor[] = [...file.tensors.keys()]
      .filter((n) => !n.startsWith('pooler.'))
      .map((name) => {
        const t = readTensorF32(file, name);
        return { name: `bert.${name}`, shape: t.shape, data: Float32Array.from(t.data) };
      });
    const C = 8,
      V = 11;
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const head = {
      dense: Float32Array.from({ length: C * C }, () => rand() * 0.8),
      denseB: Float32Array.from({ length: C }, () => rand() * 0.2),
      gamma: Float32Array.from({ length: C }, () => 1 + rand() * 0.3),
      beta: Float32Array.from({ length: C }, () => rand() * 0.2),
      bias: Float32Array.from({ length: V }, () => rand() * 0.5),
    };
    tensors.push(
      { name: 'cls.predictions.transform.dense.weight', shape: [C, C], data: head.dense },
      { name: 'cls.predictions.transform.dense.bias', shape: [C], data: head.denseB },
      { name: 'cls.predictions.transform.LayerNorm.weight', shape: [C], data: head.gamma },
      { name: 'cls.predictions.transform.LayerNorm.bias', shape: [C], data: head.beta },
      { name: 'cls.predictions.bias', shape: [V], data: head.bias },
    );
    const emb = tensors.find((t) => t.name === 'bert.embeddings.word_embeddings.weight')!.data;
    const m = parseHuggingFaceModel({ ...base, architectures: ['BertForMaskedLM'] }, parseSafetensors(writeSafetensors(tensors, 'F32')));
    assert.equal(m.model.config.mlmHead, true);
    g.sequences.forEach((seq, s) => {
      const r = m.model.forward(null, Int32Array.from(seq), 1, seq.length, { tokenTypes: Int32Array.from(g.token_types[s]!) });
      assert.deepEqual(r.logits.shape, [1, seq.length, V]);
      seq.forEach((_, t) => {
        const h = g.hidden[s]![t]!;
        const a = Array.from({ length: C }, (_, o) => {
          let z = head.denseB[o]!;
          for (let i = 0; i < C; i++) z += head.dense[o * C + i]! * h[i]!;
          return 0.5 * z * (1 + erfSimpson(z / Math.SQRT2));
        });
        const mean = a.reduce((x, y) => x + y, 0) / C;
        const variance = a.reduce((x, y) => x + (y - mean) ** 2, 0) / C;
        const n = a.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-12)) * head.gamma[i]! + head.beta[i]!);
        for (let v = 0; v < V; v++) {
          let want = head.bias[v]!;
          for (let i = 0; i < C; i++) want += n[i]! * emb[v * C + i]!;
          const got = r.logits.data[t * V + v]!;
          assert.ok(Math.abs(got - want) < 1e-4, `seq ${s} pos ${t} token ${v}: ${got} vs ${want}`);
        }
      });
    });
  });

  it('TensorFlow-converted names (LayerNorm.gamma / .beta) read as weight / bias: the same hidden states', function () {
    const file = parseSafetensors(new Uint8Array(fs.readFileSync(requireFixture(this, 'tiny_bert', 'model.safetensors'))));
    const base = readFixtureJson<Record<string, unknown>>(requireFixture(this, 'tiny_bert', 'config.json'));
    const renamed: NamedTensor[] = [...file.tensors.keys()].map((name) => {
      const t = readTensorF32(file, name);
      return {
        name: name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
        shape: t.shape,
        data: Float32Array.from(t.data),
      };
    });
    assert.ok(renamed.some((t) => t.name.endsWith('.gamma')));
    const ids = Int32Array.from([3, 1, 4, 1, 5]);
    const run = (f: ReturnType<typeof parseSafetensors>): number[] =>
      Array.from(parseHuggingFaceModel(base, f).model.forward(null, ids, 1, 5, { capture: { hidden: true } }).hidden[2]!);
    assert.deepEqual(run(parseSafetensors(writeSafetensors(renamed, 'F32'))), run(file));
  });
});
