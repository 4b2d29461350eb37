/**
 * The resume checks of the engine (src/engine/train/resume.ts, fingerprint.ts) and the text
 * fingerprint's place in the native checkpoint: kept through a save, absent in older files
 * (which still load, with a note on resume), refused when malformed.
 */

import assert from 'node:assert/strict';
import { parseCheckpoint, serializeCheckpoint } from '../../../../src/engine/checkpoint/native';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { CharTokenizer } from '../../../../src/engine/tokenizer/charTokenizer';
import { dataFingerprint } from '../../../../src/engine/train/fingerprint';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import { checkResumable, optionConflicts, ResumeError } from '../../../../src/engine/train/resume';
import { Trainer } from '../../../../src/engine/train/trainer';

describe('train/resume', () => {
  const text = 'the cat sat on the mat; the dog sat on the log. '.repeat(20);
  const tok = CharTokenizer.fromText(text);
  const ids = tok.encode(text).ids;
  const options = resolveTrainOptions({ steps: 6, batchSize: 2, evalInterval: 3, evalWindows: 2 });

  async function trained(until: number): Promise<Trainer> {
    const t = new Trainer(Transformer.create(presetConfig('tiny', tok.vocabSize), new Rng(options.seed)), ids, options);
    await t.run({ until });
    return t;
  }

  it('fingerprints tell texts apart by any one token, and by length', () => {
    const a = dataFingerprint(ids);
    assert.equal(a.tokens, ids.length);
    assert.match(a.hash, /^[0-9a-f]{16}$/);
    assert.deepEqual(dataFingerprint(ids.slice()), a);
    for (const i of [0, 1, ids.length >> 1, ids.length - 1]) {
      const b = ids.slice();
      b[i] = (b[i]! + 1) % tok.vocabSize;
      assert.notEqual(dataFingerprint(b).hash, a.hash, `a change at ${i}`);
    }
    assert.notEqual(dataFingerprint(ids.subarray(0, ids.length - 1)).hash, a.hash);
    const zeros = new Int32Array(10);
    assert.notEqual(dataFingerprint(zeros).hash, dataFingerprint(new Int32Array(11)).hash);
  });

  it('the fingerprint goes through a checkpoint; a checkpoint without it loads and resumes with a note', async () => {
    const t = await trained(3);
    const saved = parseCheckpoint(serializeCheckpoint(t.model, tok.toJSON(), { options, state: t.snapshot(), data: t.fingerprint }));
    assert.deepEqual(saved.training!.data, dataFingerprint(ids));
    assert.equal(checkResumable(saved.training, ids, 'ckpt').note, null);
    const old = parseCheckpoint(serializeCheckpoint(t.model, tok.toJSON(), { options, state: t.snapshot() }));
    assert.equal(old.training!.data, null);
    assert.match(checkResumable(old.training, ids, 'ckpt').note!, /ckpt predates text fingerprints/);
  });

  it('refuses no training state, a complete run and another text', async () => {
    assert.throws(() => checkResumable(null, ids, 'x.safetensors'), { name: 'ResumeError', message: /x\.safetensors holds no training state/ });
    const done = await trained(6);
    const complete = { options, state: done.snapshot(), data: done.fingerprint };
    assert.throws(() => checkResumable(complete, ids, 'x'), /x is complete: it trained all 6 steps of its run/);
    const half = await trained(3);
    const paused = { options, state: half.snapshot(), data: half.fingerprint };
    const other = ids.slice();
    other[5] = (other[5]! + 1) % tok.vocabSize;
    assert.throws(() => checkResumable(paused, other, 'x'), ResumeError);
    assert.throws(() => checkResumable(paused, other, 'x'), /the text differs from the one x was trained on/);
  });

  it('a malformed fingerprint in the metadata is refused by name', async () => {
    const t = await trained(2);
    const bytes = serializeCheckpoint(t.model, tok.toJSON(), { options, state: t.snapshot(), data: { tokens: 5, hash: 'nothex!!nothex!!' } });
    assert.throws(() => parseCheckpoint(bytes), /checkpoint training state: data\.hash must be 16 hex digits/);
  });

  it('option conflicts list only what was given and differs', () => {
    assert.deepEqual(optionConflicts(options, { steps: 6, batchSize: 3, seed: undefined }, { batchSize: '--batch' }), ["--batch 3 differs from the run's 2"]);
  });
});
