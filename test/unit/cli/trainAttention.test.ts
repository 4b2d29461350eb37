/**
 * `train --attention soft|hard`: a model trained with hard attention records one-hot attention
 * rows (what `attention --json` then prints), keeps its mode through a resume (a contradicting
 * --attention is refused), and a bad value is a usage error.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCheckpoint } from '../../../src/engine/checkpoint/native';
import { cli, jsonError, jsonLines } from '../../helpers/cli';

describe('cli: train --attention', function () {
  this.timeout(120_000);
  let dir: string;
  let text: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-hard-'));
    text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'the cat sat on the mat. the dog sat on the log. '.repeat(30));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hard: the checkpoint says so and every attention row printed is one-hot on a key at or before its query', () => {
    const out = path.join(dir, 'hard.safetensors');
    jsonLines(cli('train', text, '--preset', 'seed', '--steps', '6', '--until', '3', '--batch', '2', '--attention', 'hard', '--out', out, '--json'));
    assert.equal(parseCheckpoint(fs.readFileSync(out)).model.config.attentionMode, 'hard');
    const [r] = jsonLines(cli('attention', '--checkpoint', out, '--text', 'the cat sat', '--json'));
    const att = r!.attention as number[][][][];
    for (const head of att.flat()) {
      head.forEach((row, q) => {
        assert.equal(row.filter((x) => x === 1).length, 1, `row ${q}: ${row}`);
        assert.equal(row.filter((x) => x === 0).length, row.length - 1, `row ${q}: ${row}`);
        assert.ok(row.indexOf(1) <= q, 'causal');
      });
    }
    // A resume keeps the run's mode: the other one is refused, the same one accepted.
    assert.match(jsonError(cli('train', text, '--resume', out, '--attention', 'soft', '--json')).message, /^--attention soft differs from the run's hard/);
    const done = jsonLines(cli('train', text, '--resume', out, '--attention', 'hard', '--json'));
    assert.deepEqual(done.at(-1), { done: true, checkpoint: out });
  });

  it('soft is the default; a value other than soft or hard is a usage error', () => {
    const out = path.join(dir, 'soft.safetensors');
    jsonLines(cli('train', text, '--preset', 'seed', '--steps', '1', '--batch', '1', '--out', out, '--json'));
    assert.equal(parseCheckpoint(fs.readFileSync(out)).model.config.attentionMode, 'soft');
    const e = jsonError(cli('train', text, '--attention', 'medium', '--out', out, '--json'));
    assert.deepEqual(e, { code: 'usage', message: '--attention must be soft or hard, got "medium"' });
  });
});
