/**
 * The command line on the GPT-NeoX, Qwen2, SmolLM2 and BERT fixtures, which come without a
 * tokenizer: --ids instead of --text, `causal` in the JSON contracts, a classifier's label, and
 * logits checked against PyTorch transformers' float64 outputs (within 1e-4).
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { cli, jsonError, jsonLines } from '../../helpers/cli';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';

interface LogitsGolden {
  sequences: number[][];
  logits: number[][][];
}
type TokenJson = { id: number; text: string; start: number; end: number };

describe('cli: model families without a tokenizer (--ids)', function () {
  this.timeout(180_000);

  for (const dir of ['tiny_gptneox', 'tiny_qwen2', 'tiny_smollm2_sliced']) {
    it(`${dir}: attention --ids --logits gives transformers' logits; tokens are the ids with empty spans; causal true`, function () {
      const folder = requireFixture(this, dir);
      const g = readFixtureJson<LogitsGolden>(path.join(folder, 'logits.json'));
      const seq = g.sequences[1]!;
      const [r] = jsonLines(cli('attention', '--checkpoint', folder, '--ids', seq.join(','), '--logits', '--json'));
      assert.equal(r!.causal, true);
      assert.deepEqual(r!.token_ids, seq);
      const tokens = r!.tokens as TokenJson[];
      assert.deepEqual(
        tokens.map((t) => [t.id, t.start, t.end]),
        seq.map((id) => [id, 0, 0]),
      );
      const logits = r!.logits as number[][];
      let worst = 0;
      logits.forEach((row, t) => row.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - g.logits[1]![t]![i]!)))));
      assert.ok(worst < 1e-4, `max |Δ| ${worst}`);
      // Causal: nothing above the diagonal.
      const a = (r!.attention as number[][][][])[1]![0]!;
      assert.equal(a[0]![1], 0);
    });
  }

  it("tiny_gptneox: info says causal with an LM head; generate --ids greedily continues with transformers' argmax", function () {
    const folder = requireFixture(this, 'tiny_gptneox');
    const [info] = jsonLines(cli('info', '--checkpoint', folder, '--json'));
    assert.equal(info!.causal, true);
    assert.equal(info!.lm_head, true);
    const g = readFixtureJson<LogitsGolden>(path.join(folder, 'logits.json'));
    const prompt = g.sequences[0]!.slice(0, 8);
    const last = g.logits[0]![7]!;
    const argmax = last.indexOf(Math.max(...last));
    const [gen] = jsonLines(cli('generate', '--checkpoint', folder, '--ids', prompt.join(' '), '--max-tokens', '3', '--temperature', '0', '--json'));
    assert.deepEqual(gen!.prompt_token_ids, prompt);
    assert.equal((gen!.generated_token_ids as number[])[0], argmax);
  });

  it('tiny_bert: bidirectional attention (causal false, rows over every key), heads with next_token; no logits, no generate', function () {
    const folder = requireFixture(this, 'tiny_bert');
    const ids = '5,1,8,4,0,7,5,1';
    const [info] = jsonLines(cli('info', '--checkpoint', folder, '--json'));
    assert.equal(info!.causal, false);
    assert.equal(info!.lm_head, false);
    const [r] = jsonLines(cli('attention', '--checkpoint', folder, '--ids', ids, '--json'));
    assert.equal(r!.causal, false);
    for (const layer of r!.attention as number[][][][]) {
      for (const head of layer) {
        for (const row of head) assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5);
        assert.ok(head[0]![7]! > 0, 'the first token attends to the last');
      }
    }
    const [h] = jsonLines(cli('heads', '--checkpoint', folder, '--ids', ids, '--json'));
    assert.equal(h!.causal, false);
    assert.deepEqual(Object.keys(h!.scores as object), ['previous_token', 'duplicate_token', 'induction', 'first_token', 'current_token', 'next_token']);
    assert.match(jsonError(cli('attention', '--checkpoint', folder, '--ids', ids, '--logits', '--json')).message, /no language-model head/);
    assert.match(jsonError(cli('generate', '--checkpoint', folder, '--ids', ids, '--json')).message, /bidirectional encoder/);
  });

  it('tiny_bert and its classifiers (no LM head): every command that reads token predictions refuses by name, exit 1, no null in place of numbers', function () {
    for (const folder of [requireFixture(this, 'tiny_bert'), requireFixture(this, 'tiny_bert', 'seqcls')]) {
      for (const [command, what] of [
        [['surprisal'], /^surprisal reads/],
        [['ablate', '--heads', '0.0'], /^head ablation \(the text's loss\) reads/],
        [['ablate', '--sweep', '--position', '1'], /^the ablation sweep reads/],
        [['attribute', '--position', '1'], /^attribution reads/],
        [['attribute', '--position', '1', '--method', 'grad'], /^attribution reads/],
        [['lens', '--position', '1'], /^the logit lens reads/],
      ] as const) {
        const r = cli(...command, '--checkpoint', folder, '--ids', '1,2,3', '--json');
        assert.equal(r.code, 1, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.equal(r.stdout, '');
        const e = jsonError(r);
        assert.equal(e.code, 'invalid');
        assert.match(e.message, what);
        assert.match(e.message, /this model has no LM head \(a bare encoder or a classifier\)/);
      }
    }
  });

  it("tiny_bert reranker: attention --json carries the classifier's label and probability, with --token-types or all segment 0", function () {
    const folder = requireFixture(this, 'tiny_bert', 'reranker');
    const g = readFixtureJson<{ input_ids: number[]; token_type_ids: number[]; logit: number; prob: number; logit_all_seg0: number }>(
      path.join(folder, 'logits.json'),
    );
    const [r] = jsonLines(cli('attention', '--checkpoint', folder, '--ids', g.input_ids.join(','), '--token-types', g.token_type_ids.join(','), '--json'));
    const c = r!.classification as { label: string; probability: number; logits: number[] };
    assert.equal(c.label, 'relevance');
    assert.ok(Math.abs(c.logits[0]! - g.logit) < 1e-4, `${c.logits[0]} vs ${g.logit}`);
    assert.ok(Math.abs(c.probability - g.prob) < 1e-4);
    const [r0] = jsonLines(cli('attention', '--checkpoint', folder, '--ids', g.input_ids.join(','), '--json'));
    assert.ok(Math.abs((r0!.classification as { logits: number[] }).logits[0]! - g.logit_all_seg0) < 1e-4);
    assert.match(
      jsonError(cli('attention', '--checkpoint', folder, '--ids', '1,2,3', '--token-types', '0,1', '--json')).message,
      /--token-types has 2 values for 3 tokens/,
    );
    assert.match(
      jsonError(cli('attention', '--checkpoint', folder, '--ids', '1,2', '--token-types', '0,2', '--json')).message,
      /--token-types: "2" \(item 2\) is not one of the model's token types; they are integers from 0 to 1/,
    );
  });

  it('input errors: text for a model without a tokenizer, two inputs, an id outside the vocabulary', function () {
    const folder = requireFixture(this, 'tiny_qwen2');
    const noTok = jsonError(cli('attention', '--checkpoint', folder, '--text', 'hello', '--json'));
    assert.equal(noTok.code, 'tokenizer');
    assert.match(noTok.message, /has no tokenizer .* give token ids \(--ids 3,1,4\)/);
    assert.match(
      jsonError(cli('heads', '--checkpoint', folder, '--text', 'a', '--ids', '1,2', '--json')).message,
      /exactly one of --text STR, --file PATH or --ids 3,1,4 \(got --text and --ids\)/,
    );
    const bad = jsonError(cli('attention', '--checkpoint', folder, '--ids', '1,12', '--json'));
    assert.equal(bad.code, 'usage');
    assert.match(bad.message, /--ids: "12" \(item 2\) is not one of the model's token ids; they are integers from 0 to 11/);
  });
});
