/**
 * `train` keeps the validation-best model as the editor does: a run that overfits (random
 * letters, many steps) saves, beside its checkpoint (or at --best-out), the weights of its
 * lowest-validation-loss evaluation — bit for bit those of the same run stopped there with
 * --until, head snapshots included — and says so in the last JSON line (`best`, `overfitting`, present only when there is one); a run whose best
 * evaluation is its last writes no second file. The path is checked before training.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCheckpoint } from '../../../src/engine/checkpoint/native';
import { Rng } from '../../../src/engine';
import { cli, jsonError, jsonLines } from '../../helpers/cli';

function randomLetters(n: number, seed: number): string {
  const rng = new Rng(seed);
  let s = '';
  for (let i = 0; i < n; i++) s += 'abcdefghijklmnop'[rng.int(16)];
  return s;
}

describe('cli: train keeps the validation-best checkpoint', function () {
  this.timeout(300_000);
  let dir: string;
  let text: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-cli-best-'));
    text = path.join(dir, 'letters.txt');
    fs.writeFileSync(text, randomLetters(400, 11));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = ['--preset', 'tiny', '--steps', '240', '--batch', '8', '--lr', '3e-3', '--seed', '3', '--eval-interval', '20', '--json'];

  it('an overfitting run saves its best evaluation beside the checkpoint, equal to the run stopped there', () => {
    const out = path.join(dir, 'overfit.safetensors');
    const lines = jsonLines(cli('train', text, ...run, '--out', out));
    const evals = lines.filter((l) => 'val_loss' in l && !('done' in l)) as { step: number; val_loss: number }[];
    // The lowest validation loss, found here from the reported evaluations.
    const best = evals.reduce((b, e) => (e.val_loss < b.val_loss ? e : b));
    assert.ok(best.step < 240, `the run overfits: best at step ${best.step}`);
    const done = lines.at(-1) as {
      done: boolean;
      checkpoint: string;
      best: { checkpoint: string; step: number; val_loss: number };
      overfitting: { best_step: number } | null;
    };
    assert.equal(done.checkpoint, out);
    assert.deepEqual(done.best, { checkpoint: path.join(dir, 'overfit.best.safetensors'), step: best.step, val_loss: best.val_loss });
    assert.equal(done.overfitting?.best_step, best.step, 'the editor’s overfitting rule finds it too');

    const stopped = path.join(dir, 'stopped.safetensors');
    jsonLines(cli('train', text, ...run, '--until', String(best.step), '--out', stopped));
    const a = parseCheckpoint(fs.readFileSync(done.best.checkpoint));
    const b = parseCheckpoint(fs.readFileSync(stopped));
    assert.equal(a.training!.state.step, best.step);
    for (const [name, t] of b.model.params) assert.deepEqual(a.model.params.get(name)!.data, t.data, `${name} at step ${best.step}`);
    // Its head snapshots are those of the run stopped there (a snapshot draws nothing from the generator).
    const snapshotsOf = (c: typeof a) => c.training!.snapshots!.list.map((s) => ({ step: s.step, attention: s.attention, entropy: s.entropy }));
    assert.ok(b.training!.snapshots!.list.length > 1, 'the stopped run recorded snapshots');
    assert.equal(a.training!.snapshots!.every, b.training!.snapshots!.every);
    assert.deepEqual(snapshotsOf(a), snapshotsOf(b));

    const people = cli('train', text, ...run.slice(0, -1), '--out', path.join(dir, 'again.safetensors'), '--best-out', path.join(dir, 'chosen.safetensors'));
    assert.equal(people.code, 0, people.stderr);
    assert.match(people.stdout, new RegExp(`Validation-best model \\(step ${best.step}, validation loss [0-9.]+\\) saved to .*chosen\\.safetensors`));
    assert.match(people.stdout, /Note: the model is overfitting: validation loss has not improved since step/);
    assert.ok(fs.existsSync(path.join(dir, 'chosen.safetensors')));

    // The best model resumes as a run's checkpoint does: on its own text only.
    const other = path.join(dir, 'other.txt');
    fs.writeFileSync(other, randomLetters(400, 12));
    const wrong = cli('train', other, '--resume', done.best.checkpoint, '--out', path.join(dir, 'wrong.safetensors'), '--json');
    assert.equal(wrong.code, 1, wrong.stdout);
    assert.match(jsonError(wrong).message, /the text differs from the one .* was trained on/);
    const resumed = jsonLines(
      cli('train', text, '--resume', done.best.checkpoint, '--out', path.join(dir, 'from-best.safetensors'), '--until', String(best.step + 1), '--json'),
    );
    assert.equal((resumed.at(-1) as { step: number }).step, best.step + 1);
    // --best-out may not replace the checkpoint a run resumes from.
    const e = jsonError(cli('train', text, '--resume', stopped, '--out', path.join(dir, 'elsewhere.safetensors'), '--best-out', stopped, '--json'));
    assert.match(e.message, /--best-out .*stopped\.safetensors is the input file/);
  });

  it('a run still improving at its end writes no second file; a --best-out that is the checkpoint is refused before training', () => {
    const out = path.join(dir, 'short.safetensors');
    const lines = jsonLines(cli('train', text, '--preset', 'tiny', '--steps', '20', '--batch', '8', '--eval-interval', '10', '--json', '--out', out));
    assert.deepEqual(lines.at(-1), { done: true, checkpoint: out }, 'nothing to add: the last line is as before');
    assert.equal(fs.existsSync(path.join(dir, 'short.best.safetensors')), false);
    const e = jsonError(cli('train', text, '--steps', '5', '--json', '--out', out, '--best-out', out));
    assert.match(e.message, /--best-out .* is the --out checkpoint/);
  });
});
