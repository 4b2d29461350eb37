/**
 * `generate` at the end of the model's context, against llama2.c's run.c: run.c runs a forward
 * at every position pos = 0 … steps − 1 (steps capped at seq_len) and prints the token each one
 * predicts, so after a P-token prompt it prints seq_len − P + 1 tokens — the last one predicted
 * at position seq_len − 1 and never fed back. The run.c text below was printed by
 * `run stories260K.bin -z tok512.bin -t 0 -n 0 -i PROMPT` (../shared/peers/llama2c/run.c, gcc -O2).
 * A cut at the context is said: `"stopped": "context"` with --json, a note on stderr otherwise.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseLlama2cCheckpoint, Llama2cTokenizer } from '../../../src/engine';
import { argmax } from '../../../src/engine/inference/generate';
import { cli } from '../../helpers/cli';
import { requireFixture } from '../../helpers/fixtures';

/** 36 times this sentence is 505 tokens of stories260K's 512-token context. */
const PROMPT = Array(36).fill('Lily saw a big red ball in the park.').join(' ');
/** What run.c printed after the prompt (8 tokens, the last from position 511), before its closing newline. */
const RUN_C_CONTINUATION = ' She wanted to play with it,';

interface GenerateJson {
  prompt_token_ids: number[];
  generated_token_ids: number[];
  text: string;
  stopped?: string;
}

describe('CLI generate at the context limit (stories260K, run.c)', () => {
  let ckpt: string;
  let tok: string;
  before(function () {
    ckpt = requireFixture(this, 'stories260K', 'stories260K.bin');
    tok = requireFixture(this, 'stories260K', 'tok512.bin');
  });

  it('prints exactly what run.c printed, and says on stderr that the context cut it', () => {
    const r = cli('generate', '--checkpoint', ckpt, '--tokenizer', tok, '--prompt', PROMPT, '--max-tokens', '100', '--temperature', '0');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${PROMPT}${RUN_C_CONTINUATION}\n`);
    assert.match(r.stderr, /stopped at the model's context of 512 tokens: 8 tokens generated after the 505-token prompt, 100 asked/);
  });

  it('--json: seq_len − P + 1 tokens, each the argmax of a forward over exactly the tokens before it, and "stopped": "context"', () => {
    const r = cli('generate', '--checkpoint', ckpt, '--tokenizer', tok, '--prompt', PROMPT, '--max-tokens', '100', '--temperature', '0', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as GenerateJson;
    assert.equal(j.prompt_token_ids.length, 505);
    assert.equal(j.generated_token_ids.length, 512 - 505 + 1);
    assert.equal(j.stopped, 'context');
    // Teacher-forced: one forward over the prompt and all generated tokens but the last (512 = the whole context).
    const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(ckpt)));
    const seq = Int32Array.from([...j.prompt_token_ids, ...j.generated_token_ids.slice(0, -1)]);
    assert.equal(seq.length, 512);
    const logits = model.forward(null, seq, 1, seq.length).logits.data;
    j.generated_token_ids.forEach((id, i) => {
      const pos = 504 + i;
      assert.equal(id, argmax(logits.subarray(pos * 512, (pos + 1) * 512)), `token ${i} (predicted at position ${pos})`);
    });
    const t = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(tok)), 512);
    assert.equal(t.decode(j.generated_token_ids), RUN_C_CONTINUATION);
  });

  it('--attention (and --top-p) stop where plain generate stops, with the same tokens, and say so', () => {
    const base = ['generate', '--checkpoint', ckpt, '--tokenizer', tok, '--prompt', PROMPT, '--max-tokens', '100', '--temperature', '0'];
    for (const extra of [['--attention'], ['--top-p', '0.9']]) {
      const r = cli(...base, ...extra, '--json');
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      const j = JSON.parse(lines[lines.length - 1]!) as GenerateJson;
      assert.equal(j.generated_token_ids.length, 512 - 505 + 1, extra.join(' '));
      assert.equal(j.stopped, 'context');
      assert.equal(Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(tok)), 512).decode(j.generated_token_ids), RUN_C_CONTINUATION);
      const people = cli(...base, ...extra);
      assert.match(people.stderr, /stopped at the model's context of 512 tokens: 8 tokens generated/);
    }
  });

  it('says nothing when the tokens asked for fit (or exactly fill the context)', () => {
    for (const n of ['3', '8']) {
      const r = cli('generate', '--checkpoint', ckpt, '--tokenizer', tok, '--prompt', PROMPT, '--max-tokens', n, '--temperature', '0', '--json');
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as GenerateJson;
      assert.equal(j.generated_token_ids.length, Number(n));
      assert.equal(j.stopped, undefined);
      const people = cli('generate', '--checkpoint', ckpt, '--tokenizer', tok, '--prompt', PROMPT, '--max-tokens', n, '--temperature', '0');
      assert.doesNotMatch(people.stderr, /context/);
    }
  });
});
