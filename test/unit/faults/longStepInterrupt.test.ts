/**
 * Ctrl-C during one long training step (`train --batch 2048`: 32 micro-batches of 64 windows on
 * `tiny`) is honoured inside the step: the run ends "Interrupted at step 0", exit 130, with a
 * resumable checkpoint of the untouched initial state. The signal is sent once the step is known
 * to be under way (its first part reported on stderr); nothing is timed.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCheckpoint } from '../../../src/engine/checkpoint/native';
import { cliArgv } from '../../helpers/cli';
import { engineSourceText } from '../../helpers/corpus';

describe('faults: Ctrl-C inside a long training step', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-longstep-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stops before the step finishes: step 0, exit 130, the initial state saved resumable', async () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, engineSourceText(30_000));
    const out = path.join(dir, 'long.safetensors');
    // --max-memory: the up-front estimate counts the whole batch's activations (an upper bound).
    const [exe, argv] = cliArgv('train', text, '--preset', 'tiny', '--batch', '2048', '--steps', '10', '--max-memory', '100000', '--out', out);
    const child = spawn(exe, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!signalled && /step 1: part 1\/32 of its batch/.test(stderr)) {
          signalled = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', (c) => resolve(c));
    });
    assert.ok(signalled, `no part of the first step was reported: ${stderr}`);
    assert.equal(code, 130, stderr);
    assert.match(stdout, /Interrupted at step 0 of 10; saved a resumable checkpoint to /);
    assert.doesNotMatch(stderr, /part 32\/32/, 'the step did not run to its end');
    const saved = parseCheckpoint(fs.readFileSync(out)).training!;
    assert.equal(saved.state.step, 0);
    assert.equal(saved.state.optimizer.t, 0);
  });
});
