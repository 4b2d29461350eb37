/**
 * Native checkpoints whose metadata contradicts their tensors, or whose numbers cannot be
 * right, are refused with a message naming the problem: tensors the config does not use
 * (norm weights with norm "none", position embeddings with RoPE), a step beyond the run's
 * total, the all-zero generator state, non-finite weights or moments, negative second moments.
 * Each file is written by the project's writer and then edited the way a hand-made or corrupt
 * file would differ.
 */

import assert from 'node:assert/strict';
import { CheckpointError } from '../../../../src/engine/checkpoint/errors';
import { parseCheckpoint, serializeCheckpoint } from '../../../../src/engine/checkpoint/native';
import { parseSafetensors, readTensorF32 } from '../../../../src/engine/checkpoint/safetensors';
import { serializeSafetensors, type TensorToWrite } from '../../../../src/engine/checkpoint/safetensorsWriter';
import { TINY_CONFIGS, tinyCheckpoint } from '../../fuzz/props/native';

/** The checkpoint's tensors and metadata, edited by `edit`, written again. */
function rewrite(bytes: Uint8Array, edit: (tensors: TensorToWrite[], meta: Record<string, string>) => void): Uint8Array {
  const file = parseSafetensors(bytes);
  const tensors: TensorToWrite[] = [...file.tensors.keys()].map((name) => {
    const t = readTensorF32(file, name);
    return { name, shape: t.shape, data: Float32Array.from(t.data) };
  });
  const meta = { ...file.metadata } as Record<string, string>;
  edit(tensors, meta);
  return serializeSafetensors(tensors, meta);
}

const refuses = (bytes: Uint8Array, re: RegExp): void => {
  assert.throws(
    () => parseCheckpoint(bytes),
    (e: unknown) => e instanceof CheckpointError && re.test((e as Error).message),
  );
};

describe('checkpoint/native: metadata that contradicts the file', () => {
  it('the unedited files load (GPT with training state, Llama, seed)', () => {
    for (const [c, training] of [
      [TINY_CONFIGS.gpt, true],
      [TINY_CONFIGS.llama, false],
      [TINY_CONFIGS.seed, true],
    ] as const) {
      assert.ok(parseCheckpoint(tinyCheckpoint(c, 1, training)).model);
    }
  });

  it('norm "none" or positional "rope" with norm or position tensors left in the file', () => {
    const gpt = tinyCheckpoint(TINY_CONFIGS.gpt, 1, false);
    // A GPT file relabelled: the config no longer asks for the LayerNorm weights that are still there.
    const noNorm = rewrite(gpt, (_t, meta) => {
      meta.model_config = JSON.stringify({ ...JSON.parse(meta.model_config!), norm: 'none' });
    });
    refuses(noNorm, /checkpoint holds 6 tensors its model config \(norm "none".*does not use: "blocks\.0\.norm1\.bias", "blocks\.0\.norm1\.weight"/);
    const rope = rewrite(gpt, (_t, meta) => {
      meta.model_config = JSON.stringify({ ...JSON.parse(meta.model_config!), positional: 'rope' });
    });
    refuses(rope, /tensor its model config \(norm "layernorm", positional "rope".*does not use: "pos_emb"/);
    // A stray tensor of any name, and optimizer moments without a training state.
    refuses(
      rewrite(gpt, (t) => t.push({ name: 'extra', shape: [1], data: new Float32Array(1) })),
      /does not use: "extra"/,
    );
    const trained = tinyCheckpoint(TINY_CONFIGS.gpt, 1, true);
    refuses(
      rewrite(trained, (_t, meta) => delete meta.training),
      /no training state\) does not use: "optimizer\.m\./,
    );
  });

  it('a training step beyond the total, the all-zero generator state, negative second moments', () => {
    const trained = tinyCheckpoint(TINY_CONFIGS.gpt, 1, true); // step 3 of 10
    const training = (edit: (t: Record<string, unknown>) => void): Uint8Array =>
      rewrite(trained, (_t, meta) => {
        const t = JSON.parse(meta.training!) as Record<string, unknown>;
        edit(t);
        meta.training = JSON.stringify(t);
      });
    refuses(
      training((t) => (t.step = 11)),
      /step 11 is beyond the run's 10 steps/,
    );
    assert.equal(parseCheckpoint(training((t) => (t.step = 10))).training!.state.step, 10, 'a finished run is fine');
    refuses(
      training((t) => (t.rng = { s: [0, 0, 0, 0], spare: null })),
      /rng\.s is all zeros/,
    );
    refuses(
      rewrite(trained, (t) => (t.find((x) => x.name === 'optimizer.v.tok_emb')!.data[4] = -1)),
      /"optimizer\.v\.tok_emb" is negative at index 4/,
    );
  });

  it('NaN and ±Inf in a parameter or an optimizer moment, named with the first position', () => {
    const trained = tinyCheckpoint(TINY_CONFIGS.llama, 1, true);
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      refuses(
        rewrite(trained, (t) => (t.find((x) => x.name === 'blocks.1.mlp.up.weight')!.data[7] = bad)),
        new RegExp(`parameter "blocks\\.1\\.mlp\\.up\\.weight" holds 1 non-finite value of 32 \\(the first, at index 7, is ${String(bad).replace('+', '')}\\)`),
      );
      refuses(
        rewrite(trained, (t) => (t.find((x) => x.name === 'optimizer.m.norm_f.weight')!.data[0] = bad)),
        /optimizer moment "optimizer\.m\.norm_f\.weight" holds 1 non-finite/,
      );
    }
    // Exactly the serialized model otherwise: a finite file round-trips.
    const ok = parseCheckpoint(trained);
    assert.deepEqual(parseCheckpoint(serializeCheckpoint(ok.model, ok.tokenizer, ok.training)).model.config, ok.model.config);
  });
});
