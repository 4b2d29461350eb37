/**
 * `generate --attention --json` as a script reads it: one line per generated token, then the
 * summary; each line's attention row equals the row of the same query in `attention --ids`
 * run on the final ids (another process, one full forward without a cache), on stories260K
 * and on a `small` model trained here.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, jsonError, jsonLines } from '../../helpers/cli';
import { engineSourceText } from '../../helpers/corpus';
import { requireFixture } from '../../helpers/fixtures';

interface StepLine {
  step: number;
  id: number;
  text: string;
  prob: number;
  top: { id: number; text: string; prob: number }[];
  attention: number[][][];
}

/** Generates with attention, runs `attention` on the final ids, and compares every row. */
function checkRows(model: string[], generateArgs: string[], topK: number): { steps: StepLine[]; text: string } {
  const lines = jsonLines(cli('generate', ...model, ...generateArgs, '--attention', '--top', String(topK), '--json'));
  const summary = lines.pop()!;
  const steps = lines as unknown as StepLine[];
  const promptIds = summary.prompt_token_ids as number[];
  const generated = summary.generated_token_ids as number[];
  assert.ok(generated.length > 0, 'something was generated');
  assert.deepEqual(
    steps.map((s) => s.id),
    generated,
  );
  const ids = [...promptIds, ...generated];
  const [full] = jsonLines(cli('attention', ...model, '--ids', ids.join(','), '--json'));
  const att = full!.attention as number[][][][];
  const L = full!.layers as number;
  const H = full!.heads as number;
  let worst = 0;
  steps.forEach((s, i) => {
    assert.deepEqual(Object.keys(s).sort(), ['attention', 'id', 'prob', 'step', 'text', 'top']);
    assert.equal(s.step, i);
    const t = promptIds.length - 1 + i; // the query that predicted token t + 1
    assert.equal(s.attention.length, L);
    for (let l = 0; l < L; l++) {
      assert.equal(s.attention[l]!.length, H);
      for (let h = 0; h < H; h++) {
        const row = s.attention[l]![h]!;
        assert.equal(row.length, t + 1, `step ${i}: a row over positions 0..${t}`);
        for (let j = 0; j <= t; j++) worst = Math.max(worst, Math.abs(row[j]! - att[l]![h]![t]![j]!));
      }
    }
    assert.equal(s.top.length, topK);
    for (let j = 1; j < topK; j++) assert.ok(s.top[j - 1]!.prob >= s.top[j]!.prob, 'alternatives by descending probability');
    assert.ok(s.prob > 0 && s.prob <= s.top[0]!.prob + 1e-12);
    const listed = s.top.find((a) => a.id === s.id);
    if (listed) assert.equal(listed.prob, s.prob);
  });
  assert.ok(worst < 1e-5, `max |Δattention| against \`attention\` on the final ids = ${worst}`);
  assert.equal(steps.map((s) => s.text).join(''), (summary.text as string).slice((summary.text as string).length - steps.map((s) => s.text).join('').length));
  return { steps, text: summary.text as string };
}

describe('cli: generate --attention', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-gen-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stories260K, sampled: every line’s rows equal `attention --ids` on the final ids, and the texts add up to the output', function () {
    const model = ['--checkpoint', requireFixture(this, 'stories260K', 'stories260K.bin'), '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin')];
    const { steps, text } = checkRows(model, ['--prompt', 'Lily saw a', '--max-tokens', '16', '--temperature', '0.8', '--seed', '5'], 4);
    assert.ok(text.startsWith('Lily saw a'));
    assert.equal(text, `Lily saw a${steps.map((s) => s.text).join('')}`);
    // The same seed without --attention generates the same tokens.
    const [plain] = jsonLines(cli('generate', ...model, '--prompt', 'Lily saw a', '--max-tokens', '16', '--temperature', '0.8', '--seed', '5', '--json'));
    assert.deepEqual(
      plain!.generated_token_ids,
      steps.map((s) => s.id),
    );
  });

  it('a small model trained here: the rows equal `attention --ids` on the final ids', () => {
    const corpus = path.join(dir, 'corpus.txt');
    fs.writeFileSync(corpus, engineSourceText(20_000));
    const ckpt = path.join(dir, 'small.safetensors');
    const trained = cli('train', corpus, '--preset', 'small', '--steps', '2', '--batch', '1', '--seed', '4', '--out', ckpt, '--json');
    assert.equal(trained.code, 0, trained.stderr);
    checkRows(['--checkpoint', ckpt], ['--prompt', 'export function ', '--max-tokens', '10', '--temperature', '0.9', '--seed', '2'], 3);
  });

  it('for people, --attention and --top-p print the text the JSON summary has (gathered a frame at a time), then the table with --attention', function () {
    const model = ['--checkpoint', requireFixture(this, 'stories260K', 'stories260K.bin'), '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin')];
    const args = ['--prompt', 'Lily saw a', '--max-tokens', '24', '--temperature', '0.8', '--seed', '5'];
    for (const extra of [['--attention'], ['--top-p', '0.9']]) {
      const lines = jsonLines(cli('generate', ...model, ...args, ...extra, '--json'));
      const want = lines[lines.length - 1]!.text as string;
      const people = cli('generate', ...model, ...args, ...extra);
      assert.equal(people.code, 0, people.stderr);
      assert.ok(people.stdout.startsWith(`${want}\n`), `${extra.join(' ')}: ${JSON.stringify(people.stdout.slice(0, 120))}`);
      if (extra[0] === '--attention') assert.match(people.stdout.slice(want.length), /^\n\nstep +token +p +top 5/);
      else assert.equal(people.stdout, `${want}\n`);
    }
  });

  it('--top without --attention and a top-p outside (0, 1] are refused in one line', function () {
    const model = ['--checkpoint', requireFixture(this, 'stories260K', 'stories260K.bin'), '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin')];
    assert.match(jsonError(cli('generate', ...model, '--prompt', 'a', '--top', '3', '--json')).message, /--top K .* goes with --attention/);
    assert.match(jsonError(cli('generate', ...model, '--prompt', 'a', '--top-p', '0', '--json')).message, /--top-p must be a number/);
    assert.match(jsonError(cli('generate', ...model, '--prompt', 'a', '--top-p', '1.5', '--json')).message, /--top-p must be a number/);
  });
});
