/**
 * F16/BF16 checkpoints run with their weights 16-bit in memory (Tensor.half) and give what the
 * same forward gives on their float32 conversion: real fixtures (GPT-2, Qwen2, SmolLM2 and
 * llama2.c's stories260K in the HF Llama layout) are rounded to f16/bf16 here, written with
 * the engine's safetensors writer, and compared against an F32 file of the rounded values
 * decoded by this test's own scalar decoders (test/helpers/halfFloats.ts) — on both backends,
 * one and two compute threads: logits and attention of the full forward, greedy generations
 * (the one-token decoder and the prefill path); for BERT encoders, the hidden states, attention
 * and a sequence classifier's pooled vector and logits. Also: the weights take half the kernel memory
 * and generation never widens them.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseHuggingFaceModel } from '../../../../src/engine/checkpoint/huggingface';
import { parseLlama2cCheckpoint } from '../../../../src/engine/checkpoint/llama2c';
import { parseSafetensors, readTensorF32 } from '../../../../src/engine/checkpoint/safetensors';
import { serializeSafetensors } from '../../../../src/engine/checkpoint/safetensorsWriter';
import { Decoder } from '../../../../src/engine/inference/decoder';
import { generate } from '../../../../src/engine/inference/generate';
import { backend, selectBackend, setComputeThreads } from '../../../../src/engine/kernels/activeBackend';
import type { WasmBackend } from '../../../../src/engine/kernels/wasmBackend';
import type { Transformer } from '../../../../src/engine/nn/transformer';
import { classifySequence } from '../../../../src/engine/nn/classifier';
import { Rng } from '../../../../src/engine/random';
import { nodeThreadSpawner } from '../../../../src/node/computeThreads';
import { bf16Value, f16Value, toBf16Bits, toF16Bits } from '../../../helpers/halfFloats';
import { readFixtureJson, requireFixture } from '../../../helpers/fixtures';
import { llamaConfigJson, llamaTensors } from '../../../helpers/hfExport';
import { restoreDefaultBackend } from '../kernels/selectBackend';

interface Source {
  config: Record<string, unknown>;
  tensors: { name: string; shape: number[]; data: Float32Array }[];
}

function fromFolder(ctx: Mocha.Context, name: string): Source {
  const config = readFixtureJson<Record<string, unknown>>(requireFixture(ctx, name, 'config.json'));
  const file = parseSafetensors(new Uint8Array(fs.readFileSync(requireFixture(ctx, name, 'model.safetensors'))));
  const tensors = [...file.tensors.keys()].map((n) => {
    const t = readTensorF32(file, n);
    return { name: n, shape: t.shape, data: Float32Array.from(t.data) };
  });
  return { config, tensors };
}

function fromStories260K(ctx: Mocha.Context): Source {
  const src = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'stories260K.bin'))));
  return {
    config: llamaConfigJson(src, 'F32'),
    tensors: llamaTensors(src).map((t) => ({ name: t.name, shape: [...t.shape], data: Float32Array.from(t.data) })),
  };
}

type Half = 'F16' | 'BF16';

/** The file in `dtype`, and an F32 file of the same rounded values, decoded by the test's own scalar code. */
function convert(src: Source, dtype: Half): { half: Uint8Array; reference: Uint8Array } {
  const enc = dtype === 'F16' ? toF16Bits : toBf16Bits;
  const dec = dtype === 'F16' ? f16Value : bf16Value;
  const halves = src.tensors.map((t) => ({ name: t.name, shape: t.shape, dtype, data: Uint16Array.from(t.data, enc) }));
  const reference = halves.map((t) => ({ name: t.name, shape: t.shape, data: Float32Array.from(t.data, dec) }));
  return { half: serializeSafetensors(halves), reference: serializeSafetensors(reference) };
}

function load(src: Source, bytes: Uint8Array): Transformer {
  return parseHuggingFaceModel(src.config, parseSafetensors(bytes)).model;
}

/** The model's matrices (every 2-D parameter). */
function matrices(m: Transformer): [string, ReturnType<Transformer['p']>][] {
  return [...m.params].filter(([, t]) => t.shape.length === 2);
}

/** Largest |a − b| relative to the largest |b|. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / Math.max(s, 1e-30);
}

function outputs(
  model: Transformer,
  ids: Int32Array,
): { logits: Float32Array; attention: Float32Array[]; steps: Float32Array; short: number[]; long: number[] } {
  const r = model.forward(null, ids, 1, ids.length, { capture: { attention: true } });
  // The one-token decoder's logits at each position (its matrix-vector products read the 16-bit weights).
  const d = new Decoder(model);
  const n = Math.min(ids.length, 16);
  const steps = new Float32Array(n * model.config.vocabSize);
  for (let t = 0; t < n; t++) steps.set(d.step(ids[t]!), t * model.config.vocabSize);
  const greedy = (prompt: Int32Array, n: number): number[] => [...generate(model, prompt, { maxTokens: n, temperature: 0, rng: new Rng(3) })];
  const ctx = model.config.contextLength;
  return {
    logits: r.logits.data.slice(),
    attention: r.layers.map((l) => l.attention!.slice()),
    steps,
    // Up to 16 prompt tokens run one by one through the decoder; longer ones are prefilled by forward().
    short: greedy(ids.subarray(0, 3), Math.min(12, ctx - 3)),
    long: ids.length > 16 ? greedy(ids.subarray(0, 17), Math.min(12, ctx - 17)) : [],
  };
}

const SOURCES: [string, (ctx: Mocha.Context) => Source][] = [
  ['tiny_gpt2', (c) => fromFolder(c, 'tiny_gpt2')],
  ['tiny_qwen2', (c) => fromFolder(c, 'tiny_qwen2')],
  ['tiny_smollm2_sliced', (c) => fromFolder(c, 'tiny_smollm2_sliced')],
  ['tiny_gptneox', (c) => fromFolder(c, 'tiny_gptneox')],
  ['stories260K (HF Llama layout)', fromStories260K],
];

describe('checkpoint: F16/BF16 weights stay 16-bit in memory', function () {
  this.timeout(300_000);
  afterEach(() => {
    setComputeThreads(1, null);
    restoreDefaultBackend();
  });

  for (const [name, source] of SOURCES) {
    for (const dtype of ['F16', 'BF16'] as const) {
      it(`${name} ${dtype}: logits, attention and greedy tokens equal the F32 file of the rounded values (js and wasm, 1 and 2 threads); weights never widened`, function () {
        const src = source(this);
        const { half, reference } = convert(src, dtype);
        const ctx = Number(src.config.n_positions ?? src.config.max_position_embeddings);
        const V = Number(src.config.vocab_size);
        const T = Math.min(ctx, 40);
        const rng = new Rng(7);
        const ids = Int32Array.from({ length: T }, () => rng.int(V));
        for (const [be, threads] of [
          ['js', 1],
          ['wasm', 1],
          ['wasm', 2],
        ] as const) {
          selectBackend(be);
          if (threads > 1) assert.equal(setComputeThreads(threads, nodeThreadSpawner).threads, threads);
          const want = outputs(load(src, reference), ids);
          const model = load(src, half);
          const mats = matrices(model);
          for (const [n, t] of mats) assert.equal(t.half?.dtype, dtype.toLowerCase(), `${n} is held as ${dtype}`);
          const got = outputs(model, ids);
          const where = `${be}, ${threads} thread(s)`;
          assert.ok(relDiff(got.logits, want.logits) <= 1e-5, `logits, ${where}: ${relDiff(got.logits, want.logits)}`);
          assert.ok(relDiff(got.steps, want.steps) <= 1e-5, `decoder logits, ${where}: ${relDiff(got.steps, want.steps)}`);
          got.attention.forEach((a, l) => assert.ok(relDiff(a, want.attention[l]!) <= 1e-5, `attention of layer ${l}, ${where}`));
          assert.deepEqual(got.short, want.short, `greedy tokens from the decoder, ${where}`);
          assert.deepEqual(got.long, want.long, `greedy tokens after a prefill, ${where}`);
          for (const [n, t] of mats) assert.ok(t.half !== null, `${n} was widened to float32 by inference (${where})`);
          setComputeThreads(1, null);
        }
      });
    }
  }

  for (const folder of ['tiny_bert', 'tiny_bert/seqcls']) {
    for (const dtype of ['F16', 'BF16'] as const) {
      it(`${folder} ${dtype} (BERT encoder): hidden states, attention${folder.endsWith('seqcls') ? ', pooled vector and class logits' : ''} equal the F32 file of the rounded values (js and wasm); weights never widened`, function () {
        const src = fromFolder(this, folder);
        const { half, reference } = convert(src, dtype);
        const T = 12;
        const rng = new Rng(11);
        const ids = Int32Array.from({ length: T }, () => rng.int(Number(src.config.vocab_size)));
        const tokenTypes = Int32Array.from({ length: T }, (_, t) => (t < T / 2 ? 0 : 1));
        const run = (model: Transformer): { hidden: Float32Array; attention: Float32Array[]; logits: number[] } => {
          const r = model.forward(null, ids, 1, T, { tokenTypes, capture: { hidden: true, attention: true } });
          const hidden = r.hidden[model.config.nLayers]!.slice();
          const k = model.config.labels ? classifySequence(model, hidden) : null;
          return { hidden, attention: r.layers.map((l) => l.attention!.slice()), logits: k ? [...k.pooled, ...k.logits] : [] };
        };
        for (const be of ['js', 'wasm'] as const) {
          selectBackend(be);
          const want = run(load(src, reference));
          const model = load(src, half);
          const mats = matrices(model);
          assert.equal(mats.length, src.tensors.filter((t) => t.shape.length === 2).length, 'every matrix of the file is a matrix of the model');
          for (const [n, t] of mats) assert.equal(t.half?.dtype, dtype.toLowerCase(), `${n} is held as ${dtype} (${be})`);
          const got = run(model);
          assert.ok(relDiff(got.hidden, want.hidden) <= 1e-5, `hidden states, ${be}: ${relDiff(got.hidden, want.hidden)}`);
          got.attention.forEach((a, l) => assert.ok(relDiff(a, want.attention[l]!) <= 1e-5, `attention of layer ${l}, ${be}`));
          assert.equal(got.logits.length, want.logits.length);
          if (want.logits.length > 0)
            assert.ok(relDiff(got.logits, want.logits) <= 1e-5, `pooled vector and class logits, ${be}: ${relDiff(got.logits, want.logits)}`);
          for (const [n, t] of mats) assert.ok(t.half !== null, `${n} was widened to float32 by inference (${be})`);
        }
      });
    }
  }

  it('the 16-bit weights take half the kernel memory of their float32 values, and widen once read as float32', function () {
    const src = fromStories260K(this);
    const { half, reference } = convert(src, 'F16');
    const s = selectBackend('wasm');
    assert.equal(s.fallbackReason, null);
    const be = backend() as WasmBackend;
    const before = be.residentInUse;
    const model = load(src, half);
    const held = be.residentInUse - before;
    const f32 = load(src, reference);
    const f32MatrixBytes = matrices(f32).reduce((n, [, t]) => n + t.data.byteLength, 0);
    const halfBytes = matrices(model).reduce((n, [, t]) => n + t.half!.bits.byteLength, 0);
    assert.equal(halfBytes * 2, f32MatrixBytes);
    // What the load added to the kernels' resident memory: the 16-bit matrices (64-byte aligned blocks), nothing else.
    assert.ok(held >= halfBytes && held <= halfBytes + 64 * matrices(model).length, `${held} resident bytes for ${halfBytes} bytes of weights`);
    for (const [n, t] of matrices(model)) assert.ok(be.decode.resident(t.half!.bits), `${n} is in the kernels' memory`);
    // Code that needs float32 (training, attribution) still gets it: widened on first read.
    const [, q] = matrices(model).find(([n]) => n === 'blocks.0.attn.q.weight')!;
    assert.deepEqual([...q.data], [...f32.p('blocks.0.attn.q.weight').data]);
    assert.equal(q.half, null);
  });
});
