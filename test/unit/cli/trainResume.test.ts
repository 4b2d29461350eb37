/**
 * `train --until K` and `train --resume CKPT` as a user runs them: a run of 2N steps and a run
 * stopped at N then resumed give bit-identical losses, weights and optimizer moments; and what
 * cannot be resumed (a complete run, a foreign format, another text, another configuration) is
 * refused before any step, with a message saying why.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCheckpoint, serializeCheckpoint } from '../../../src/engine/checkpoint/native';
import { parseSafetensors } from '../../../src/engine/checkpoint/safetensors';
import { cli, jsonError, jsonLines } from '../../helpers/cli';
import { engineSourceText } from '../../helpers/corpus';

describe('cli: train --until / --resume', function () {
  this.timeout(240_000);
  let dir: string;
  let text: string;
  let full: string;
  let half: string;
  const common = ['--preset', 'tiny', '--batch', '2', '--eval-interval', '3', '--seed', '7', '--json'];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-resume-'));
    text = path.join(dir, 'corpus.txt');
    fs.writeFileSync(text, engineSourceText(40_000));
    full = path.join(dir, 'full.safetensors');
    half = path.join(dir, 'half.safetensors');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const losses = (lines: Record<string, unknown>[]): [number, number][] => lines.filter((l) => 'loss' in l).map((l) => [l.step as number, l.loss as number]);

  it('8 steps straight = --until 4, then --resume: bit-identical losses, weights and optimizer state', () => {
    const straight = jsonLines(cli('train', text, ...common, '--steps', '8', '--out', full));
    const first = jsonLines(cli('train', text, ...common, '--steps', '8', '--until', '4', '--out', half));
    // Stopped past its best evaluation (step 3 here), the run keeps that model beside its checkpoint, as the editor's Stop Training does.
    const { best: keptBest, ...last } = first.at(-1) as Record<string, unknown>;
    assert.deepEqual(last, { done: true, stopped: 'until', step: 4, steps: 8, checkpoint: half });
    assert.ok(keptBest === undefined || (keptBest as { step: number }).step < 4);
    const paused = parseCheckpoint(fs.readFileSync(half));
    assert.equal(paused.training!.state.step, 4);
    assert.equal(paused.training!.options.steps, 8, 'the schedule is that of --steps, not of --until');

    // No options but the text: the run's own come from the checkpoint, and it goes on in its own file.
    const second = jsonLines(cli('train', text, '--resume', half, '--json'));
    assert.deepEqual(second.at(-1), { done: true, checkpoint: half });
    assert.deepEqual(
      losses(second).map(([s]) => s),
      [5, 6, 7, 8],
    );
    assert.deepEqual([...losses(first), ...losses(second)], losses(straight));
    // Evaluations land on the same steps too (3 and 6 by the interval, 8 at the end).
    const evals = (ls: Record<string, unknown>[]): unknown[] => ls.filter((l) => 'val_loss' in l).map((l) => [l.step, l.val_loss]);
    assert.deepEqual([...evals(first), ...evals(second)], evals(straight));

    const a = parseSafetensors(fs.readFileSync(full));
    const b = parseSafetensors(fs.readFileSync(half));
    assert.deepEqual([...a.tensors.keys()].sort(), [...b.tensors.keys()].sort());
    assert.ok([...a.tensors.keys()].some((n) => n.startsWith('optimizer.v.')));
    for (const name of a.tensors.keys()) {
      const x = a.tensors.get(name)!.dataOffsets;
      const y = b.tensors.get(name)!.dataOffsets;
      const bytesA = Buffer.from(a.bytes.subarray(a.dataStart + x[0], a.dataStart + x[1]));
      const bytesB = Buffer.from(b.bytes.subarray(b.dataStart + y[0], b.dataStart + y[1]));
      assert.ok(bytesA.length > 0 && bytesA.equals(bytesB), `tensor ${name} differs`);
    }
    const ta = parseCheckpoint(fs.readFileSync(full)).training!;
    const tb = parseCheckpoint(fs.readFileSync(half)).training!;
    assert.deepEqual(tb.state.rng, ta.state.rng);
    assert.equal(tb.state.optimizer.t, ta.state.optimizer.t);
    assert.deepEqual(
      tb.state.history.steps.map((s) => s.loss),
      ta.state.history.steps.map((s) => s.loss),
    );
  });

  it('refuses a complete run, naming its steps', () => {
    const e = jsonError(cli('train', text, '--resume', full, '--out', path.join(dir, 'x.safetensors'), '--json'));
    assert.equal(e.code, 'invalid');
    assert.match(e.message, /is complete: it trained all 8 steps of its run, so there is nothing left to resume/);
  });

  it('refuses another text, and options that contradict the run', () => {
    const other = path.join(dir, 'other.txt');
    fs.writeFileSync(other, fs.readFileSync(text, 'utf8').replace('export', 'EXPORT'));
    const half2 = path.join(dir, 'half2.safetensors');
    jsonLines(cli('train', text, ...common, '--steps', '8', '--until', '2', '--out', half2));
    const e = jsonError(cli('train', other, '--resume', half2, '--json'));
    assert.match(
      e.message,
      /the text differs from the one --resume .*half2\.safetensors was trained on \(\d+ tokens, fingerprint [0-9a-f]{16}; this text gives/,
    );
    const c = jsonError(cli('train', text, '--resume', half2, '--batch', '3', '--steps', '9', '--preset', 'small', '--json'));
    assert.equal(
      c.message,
      "--preset small differs from the run's tiny; --steps 9 differs from the run's 8; --batch 3 differs from the run's 2: a resumed run keeps the configuration it was started with; leave these options out",
    );
    // Repeating the run's own values is fine.
    const ok = jsonLines(cli('train', text, '--resume', half2, '--batch', '2', '--steps', '8', '--preset', 'tiny', '--until', '3', '--json'));
    const { best: _best, ...okLast } = ok.at(-1) as Record<string, unknown>;
    assert.deepEqual(okLast, { done: true, stopped: 'until', step: 3, steps: 8, checkpoint: half2 });
    assert.match(jsonError(cli('train', text, '--resume', half2, '--until', '3', '--json')).message, /--until 3: the run is already at step 3/);
    assert.match(jsonError(cli('train', text, '--steps', '5', '--until', '6', '--json')).message, /--until 6 is beyond the run's 5 steps/);
  });

  it("keeps the run's snapshot interval: a different --snapshot-every is refused; a run without snapshots resumes without them", () => {
    const every2 = path.join(dir, 'every2.safetensors');
    jsonLines(cli('train', text, ...common, '--steps', '8', '--until', '4', '--snapshot-every', '2', '--out', every2));
    assert.equal(parseCheckpoint(fs.readFileSync(every2)).training!.snapshots!.every, 2);
    const e = jsonError(cli('train', text, '--resume', every2, '--snapshot-every', '1', '--json'));
    assert.match(e.message, /--snapshot-every 1 differs from the run's own 2: a resumed run keeps its snapshot interval/);
    jsonLines(cli('train', text, '--resume', every2, '--snapshot-every', '2', '--until', '6', '--json'));
    assert.deepEqual(
      parseCheckpoint(fs.readFileSync(every2)).training!.snapshots!.list.map((s) => s.step),
      [2, 4, 6],
    );
    const none = path.join(dir, 'none.safetensors');
    jsonLines(cli('train', text, ...common, '--steps', '8', '--until', '4', '--snapshot-every', '0', '--out', none));
    jsonLines(cli('train', text, '--resume', none, '--json'));
    assert.equal(parseCheckpoint(fs.readFileSync(none)).training!.snapshots ?? null, null);
  });

  it('refuses foreign formats (llama2.c, Hugging Face) and a checkpoint without training state', () => {
    const bin = path.join(dir, 'model.bin');
    fs.writeFileSync(bin, Buffer.alloc(64));
    const out = ['--out', path.join(dir, 'y.safetensors'), '--json'];
    assert.match(
      jsonError(cli('train', text, '--resume', bin, ...out)).message,
      /is a llama2\.c model, which holds weights only; a run can be resumed only from an Attention Lens checkpoint/,
    );
    const hf = path.join(dir, 'hf');
    fs.mkdirSync(hf);
    fs.writeFileSync(path.join(hf, 'config.json'), '{}');
    assert.match(jsonError(cli('train', text, '--resume', hf, ...out)).message, /is a Hugging Face model folder, which holds weights only/);
    // A model saved without its training state (as the editor's Save does for an imported model) has nothing to continue.
    const b = parseCheckpoint(fs.readFileSync(full));
    const bare = path.join(dir, 'bare.safetensors');
    fs.writeFileSync(bare, serializeCheckpoint(b.model, b.tokenizer, null));
    assert.match(jsonError(cli('train', text, '--resume', bare, ...out)).message, /holds no training state .* so there is no run to continue/);
  });
});
