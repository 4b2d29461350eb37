/**
 * `train` says when the loss ended above where it started: a real run with a learning rate far
 * too high (the loss climbs to thousands of nats and stays finite, so training does not stop)
 * is a warning and `loss_rose` in the last --json line; the same run at its preset's rate is not.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, jsonLines } from '../../helpers/cli';

describe('cli: train warns when the loss rose', () => {
  it('a learning rate far too high is a warning (and loss_rose in --json); the preset rate is not', function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-rise-'));
    try {
      const text = path.join(dir, 'queue.ts');
      fs.copyFileSync(path.join(__dirname, '../../../samples/priorityQueue.ts'), text);
      const run = ['--preset', 'seed', '--steps', '150', '--seed', '1337', '--out', path.join(dir, 'm.safetensors')];
      const lines = jsonLines(cli('train', text, ...run, '--lr', '1', '--json'));
      const done = lines.at(-1) as { loss_rose?: { start_loss: number; end_loss: number; peak_loss: number } };
      const first = lines.find((l) => 'loss' in l && (l as { step: number }).step === 1) as { loss: number };
      assert.ok(done.loss_rose, JSON.stringify(done));
      assert.equal(done.loss_rose.start_loss, first.loss, 'the start is the first step’s loss as reported');
      assert.ok(done.loss_rose.end_loss > first.loss && done.loss_rose.peak_loss >= done.loss_rose.end_loss);
      const people = cli('train', text, ...run, '--lr', '1');
      assert.equal(people.code, 0, people.stderr);
      assert.match(people.stdout, /Warning: the training loss ended above where it started .*try a lower --lr\./);
      const fine = jsonLines(cli('train', text, ...run, '--json')).at(-1) as object;
      assert.ok(!('loss_rose' in fine), JSON.stringify(fine));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
