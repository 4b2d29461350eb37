/**
 * `--threads N` on the CLI: stories15M (and stories260K) generate llama2.c run.c's greedy ids
 * on 2 compute threads, attention is the same on 1 and 2 threads, the process exits on its own
 * (helper threads never keep it alive), and a bad value or a command that does not run the
 * model refuses the option.
 */

import assert from 'node:assert/strict';
import { cliWith, jsonError, jsonLines, maxAbsDiff, type Run } from '../../helpers/cli';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';

interface GreedyCase {
  readonly prompt: string;
  readonly steps?: number;
  readonly prompt_token_ids: number[];
  readonly generated_token_ids: number[];
}

/** A run that must end by itself: a helper thread keeping the process alive is a timeout (code -1). */
const cli = (...args: string[]): Run => cliWith({ timeoutMs: 120_000 }, ...args);

describe('CLI --threads', function () {
  this.timeout(300_000);

  for (const [model, bin, tok] of [
    ['stories15M', 'stories15M.bin', 'tokenizer.bin'],
    ['stories260K', 'stories260K.bin', 'tok512.bin'],
  ] as const) {
    it(`generate --threads 2 --temperature 0 gives run.c's greedy ids for ${model} (fixture), and exits`, function () {
      const ckpt = requireFixture(this, model, bin);
      const tokenizer = requireFixture(this, model, tok);
      const cases = readFixtureJson<{ cases: GreedyCase[] }>(requireFixture(this, model, 'greedy_generations.json')).cases;
      for (const c of cases.slice(0, 2)) {
        const r = cli(
          'generate',
          '--checkpoint',
          ckpt,
          '--tokenizer',
          tokenizer,
          '--prompt',
          c.prompt,
          '--max-tokens',
          String(c.generated_token_ids.length),
          '--temperature',
          '0',
          '--threads',
          '2',
          '--json',
        );
        assert.notEqual(r.code, -1, 'the CLI did not exit within 2 minutes');
        const [out] = jsonLines(r);
        assert.deepEqual(out!.prompt_token_ids, c.prompt_token_ids, c.prompt);
        assert.deepEqual((out!.generated_token_ids as number[]).slice(0, c.generated_token_ids.length), c.generated_token_ids, c.prompt);
      }
    });
  }

  it('attention --logits: the same weights and logits on 1 and 2 threads (1e-5)', function () {
    const ckpt = requireFixture(this, 'stories260K', 'stories260K.bin');
    const tokenizer = requireFixture(this, 'stories260K', 'tok512.bin');
    const text = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog, who was called Max.';
    const run = (threads: string): Record<string, unknown> =>
      jsonLines(cli('attention', '--checkpoint', ckpt, '--tokenizer', tokenizer, '--text', text, '--logits', '--threads', threads, '--json'))[0]!;
    const one = run('1'),
      two = run('2');
    assert.ok(maxAbsDiff((two.attention as number[][][][]).flat(3), (one.attention as number[][][][]).flat(3)) <= 1e-5);
    assert.ok(maxAbsDiff((two.logits as number[][]).flat(), (one.logits as number[][]).flat()) <= 1e-5);
  });

  it('refuses a bad --threads, and --threads on a command that does not run the model', function () {
    const tokenizer = requireFixture(this, 'stories260K', 'tok512.bin');
    for (const bad of ['0', '2.5', 'two', '65']) {
      const r = cli('generate', '--checkpoint', 'x.bin', '--prompt', 'a', '--max-tokens', '1', '--threads', bad, '--json');
      assert.equal(r.code, 2);
      assert.deepEqual(jsonError(r), { code: 'usage', message: `--threads must be a whole number from 1 to 64, not "${bad}"` });
    }
    const r = cli('tokenize', '--tokenizer', tokenizer, '--text', 'a', '--threads', '2', '--json');
    assert.equal(r.code, 2);
    assert.match(jsonError(r).message, /unknown option --threads/);
  });
});
