/**
 * `attention-lens heads` as a script sees it: the JSON contract of ARCHITECTURE.md, scores that
 * agree with the `attention` command's own weights run through the detectors, and the
 * human table. Uses the stories260K fixture (skipped visibly when absent).
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { headKindScores } from '../../../src/engine/analysis/headScores';
import { HEAD_KINDS } from '../../../src/engine/analysis/patterns';
import { REPO_ROOT } from '../../helpers/corpus';
import { requireFixture } from '../../helpers/fixtures';

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const TEXT = 'Lily saw a cat. The cat was big. Lily saw a cat. The cat was big.';

describe('cli: attention-lens heads', function () {
  this.timeout(60_000);

  it("--json prints {layers, heads, scores: {kind: [L][H]}} matching the detectors on `attention`'s weights", function () {
    const model = ['--checkpoint', requireFixture(this, 'stories260K', 'stories260K.bin'), '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin')];
    const heads = cli('heads', ...model, '--text', TEXT, '--json');
    assert.equal(heads.code, 0, heads.stderr);
    const out = JSON.parse(heads.stdout) as { layers: number; heads: number; scores: Record<string, number[][]> };
    assert.deepEqual(Object.keys(out).sort(), ['causal', 'heads', 'layers', 'scores']);
    assert.deepEqual(Object.keys(out.scores).sort(), [...HEAD_KINDS].sort());
    assert.equal(out.layers, 5);
    assert.equal(out.heads, 8);
    for (const k of HEAD_KINDS) {
      assert.equal(out.scores[k]!.length, 5);
      for (const row of out.scores[k]!) {
        assert.equal(row.length, 8);
        for (const v of row) assert.ok(v >= 0 && v <= 1 + 1e-9, `${k} score ${v} outside [0, 1]`);
      }
    }
    const att = cli('attention', ...model, '--text', TEXT, '--json');
    assert.equal(att.code, 0, att.stderr);
    const a = JSON.parse(att.stdout) as { token_ids: number[]; attention: number[][][][] };
    const layers = a.attention.map((l) => Float64Array.from(l.flat(2)));
    const expected = headKindScores({ layers, heads: 8, tokens: a.token_ids }, HEAD_KINDS);
    for (const k of HEAD_KINDS) {
      const got = out.scores[k]!.flat();
      got.forEach((v, i) => assert.ok(Math.abs(v - expected[k][i]!) < 1e-5, `${k}[${i}]: ${v} vs ${expected[k][i]}`));
    }
    // A repeated sentence: some head must find the induction pattern better than chance.
    assert.ok(Math.max(...out.scores.induction!.flat()) > 0.05);
  });

  it('prints a table for people, and refuses texts too short to score', function () {
    const model = ['--checkpoint', requireFixture(this, 'stories260K', 'stories260K.bin'), '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin')];
    const table = cli('heads', ...model, '--text', TEXT);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /head\s+prev\s+dup\s+induct\s+first\s+self\s+entropy\s+keys@90%\s+strongest/);
    assert.equal(table.stdout.split('\n').filter((l) => /^\d\.\d\s/.test(l)).length, 40);
    const empty = cli('heads', ...model, '--text', '', '--json');
    assert.notEqual(empty.code, 0);
    assert.match(JSON.parse(empty.stderr).error.message, /at least 2/);
  });
});
