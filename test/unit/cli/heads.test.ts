/**
 * `attention-lens heads` as a script sees it: the JSON contract of ARCHITECTURE.md, scores that
 * agree with the `attention` command's own weights run through the detectors, and the
 * human table. Uses the stories260K fixture (skipped visibly when absent).
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
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

  it('--rule scores every head against a custom detector: "custom" in the JSON, equal to the share of llama2.c attention on the rule\'s keys', function () {
    const fx = JSON.parse(fs.readFileSync(requireFixture(this, 'stories260K', 'attention_logits_lily_park.json'), 'utf8')) as {
      prompt: string;
      T: number;
      token_ids: number[];
      attention: number[][][][];
    };
    const model = ['--checkpoint', requireFixture(this, 'stories260K', 'stories260K.bin'), '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin')];
    const run = cli('heads', ...model, '--text', fx.prompt, '--rule', 'copy:1', '--json');
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { scores: Record<string, number[][]>; custom: { rule: unknown; method: string; scores: number[][] } };
    assert.deepEqual([out.custom.rule, out.custom.method], [{ kind: 'occurrence', offset: 1 }, 'mul']);
    // Keys: the token after each earlier copy of the query's token (the induction pattern), from llama2.c's rows.
    const ids = fx.token_ids;
    fx.attention.forEach((layer, l) =>
      layer.forEach((rows, h) => {
        let on = 0;
        rows.forEach((row, i) => {
          for (let m = 0; m < i; m++) if (ids[m] === ids[i]) on += row[m + 1]!;
        });
        const got = out.custom.scores[l]![h]!;
        assert.ok(Math.abs(got - on / fx.T) < 2e-4, `head ${l}.${h}: ${got} vs llama2.c ${on / fx.T}`);
        assert.equal(got, out.scores.induction![l]![h], 'copy:1 is the induction detector');
      }),
    );
    const table = cli('heads', ...model, '--text', fx.prompt, '--rule', 'offset:2', '--method', 'abs');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /rule: attending to the token 2 back \(TransformerLens "abs"\)\./);
    assert.match(table.stdout, /head +prev +dup +induct +first +self +rule +entropy/);
  });

  it('--rule refuses what the dashboard refuses, before reading the model', () => {
    for (const [rule, reason] of [
      ['match:(a+)+$', /exponential time: nested quantifier/],
      ['offset:99999999', /offset must be an integer in \[-65536, 65536\]/],
      ['offset:1.5', /--rule offset:1\.5: K must be a whole number, got "1\.5"/],
      ['position:', /--rule position:: P must be a whole number, got ""/],
      ['matrix:1,0', /--rule must be offset:K, copy:K, match:REGEX or position:P/],
      [`match:${'x'.repeat(300)}`, /300 characters; at most 200/],
    ] as const) {
      const r = cli('heads', '--checkpoint', '/nonexistent.bin', '--text', 'a b', '--rule', rule);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, reason, rule);
    }
    const m = cli('heads', '--checkpoint', '/nonexistent.bin', '--text', 'a b', '--method', 'abs');
    assert.match(m.stderr, /--method applies to --rule/);
  });

  it('a rule this model cannot satisfy (a key ahead under the causal mask) is a usage error, with no window run', function () {
    const model = ['--checkpoint', requireFixture(this, 'stories260K', 'stories260K.bin'), '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin')];
    const r = cli('heads', ...model, '--text', 'the cat sat on the mat', '--rule', 'offset:-1', '--json');
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(JSON.parse(r.stderr.trim()), {
      error: { code: 'usage', message: '--rule offset:-1: the token 1 ahead is never visible to a causal model (each token sees only the tokens before it)' },
    });
  });
});
