/**
 * The checkpoint-format table (src/protocol/checkpointFormats.ts) and the loader that reads it
 * (src/node/loadModel.ts): each format in the table loads a real example of itself and reports
 * its id, the look-alikes go to the right reader, and what nobody reads is refused with a
 * message listing every format.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serializeCheckpoint } from '../../../src/engine/checkpoint/native';
import { presetConfig } from '../../../src/engine/models/presets';
import { Transformer } from '../../../src/engine/nn/transformer';
import { Rng } from '../../../src/engine/random';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import { loadModel } from '../../../src/node/loadModel';
import { CHECKPOINT_FORMATS, fileFormatByExtension, listFormats, type CheckpointFormatId } from '../../../src/protocol/checkpointFormats';
import { requireFixture } from '../../helpers/fixtures';

describe('checkpoint formats: one table, read by the loader', function () {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-formats-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A native checkpoint of a fresh `seed` model on a character tokenizer. */
  function nativeFile(name: string): string {
    const tok = CharTokenizer.fromText('abc def');
    const model = Transformer.create(presetConfig('seed', tok.vocabSize), new Rng(1));
    const file = path.join(dir, name);
    fs.writeFileSync(file, serializeCheckpoint(model, tok.toJSON(), null));
    return file;
  }

  function copyFolder(from: string, to: string): string {
    fs.cpSync(from, to, { recursive: true });
    return to;
  }

  it('lists the formats in one sentence, in the order they are tried', () => {
    assert.deepEqual(
      CHECKPOINT_FORMATS.map((f) => f.id),
      ['native', 'llama2c', 'huggingface'],
    );
    assert.equal(
      listFormats(CHECKPOINT_FORMATS),
      'a native .safetensors checkpoint, a llama2.c .bin or a Hugging Face model folder (config.json + model.safetensors)',
    );
    assert.equal(listFormats(CHECKPOINT_FORMATS.slice(1, 2), true), 'a llama2.c .bin (with --tokenizer its tokenizer .bin)');
    assert.equal(fileFormatByExtension('/x/Model.BIN')?.id, 'llama2c');
    assert.equal(fileFormatByExtension('model.safetensors')?.id, 'native');
    assert.equal(fileFormatByExtension('config.json'), null);
  });

  it('each format loads a real example and reports its id', async function () {
    const stories = requireFixture(this, 'stories260K');
    const gpt2 = requireFixture(this, 'tiny_gpt2');
    const cases: [CheckpointFormatId, string, string?][] = [
      ['native', nativeFile('model.safetensors')],
      ['llama2c', path.join(stories, 'stories260K.bin'), path.join(stories, 'tok512.bin')],
      ['huggingface', gpt2],
      ['huggingface', path.join(gpt2, 'config.json')],
      ['huggingface', path.join(gpt2, 'model.safetensors')], // a safetensors file beside config.json, without our tag
      ['huggingface', copyFolder(gpt2, path.join(dir, 'gpt2.bin'))], // a model folder whose name ends in .bin
    ];
    for (const [id, file, tok] of cases) assert.equal((await loadModel(file, tok)).format, id, file);
    assert.deepEqual(new Set(cases.map(([id]) => id)), new Set(CHECKPOINT_FORMATS.map((f) => f.id)), 'every format of the table has an example here');
  });

  it('a native checkpoint saved inside a Hugging Face folder is still read as native', async function () {
    const gpt2 = requireFixture(this, 'tiny_gpt2');
    const folder = path.join(dir, 'hf');
    fs.mkdirSync(folder);
    fs.copyFileSync(path.join(gpt2, 'config.json'), path.join(folder, 'config.json'));
    const file = nativeFile('hf/mine.safetensors');
    assert.equal((await loadModel(file)).format, 'native');
  });

  it('refuses what no format reads, naming every format', async () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    await assert.rejects(loadModel(text), (e: Error) => e.message === `don't know how to read ${text}: expected ${listFormats(CHECKPOINT_FORMATS)}`);
    const binFolder = path.join(dir, 'weights.bin');
    fs.mkdirSync(binFolder);
    await assert.rejects(
      loadModel(binFolder),
      /weights\.bin is a folder without config\.json; give a Hugging Face model folder \(config\.json \+ model\.safetensors\), a native \.safetensors checkpoint or a llama2\.c \.bin$/,
    );
    await assert.rejects(loadModel(path.join(dir, 'missing.safetensors')), /cannot read checkpoint/);
  });
});
