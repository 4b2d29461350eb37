/**
 * TokenTextStream against the whole-sequence decode it replaces: for real tokenizers of every
 * decoder kind (llama2.c byte tokens, byte-level BPE, Metaspace, WordPiece, Qwen2's split), the
 * pieces it returns, joined, are exactly decode(prompt + generated) minus decode(prompt), and a
 * piece never shows U+FFFD for a character that the following tokens complete. (llama2.c's
 * decode, like run.c, prints no lone byte token at all.)
 */

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Llama2cTokenizer } from '../../../../src/engine/tokenizer/llama2cTokenizer';
import { TokenTextStream } from '../../../../src/engine/tokenizer/textStream';
import type { Tokenizer } from '../../../../src/engine/tokenizer/tokenizer';
import { loadHfTokenizer } from '../../../../src/node/huggingface/tokenizerFiles';
import { requireFixture } from '../../../helpers/fixtures';

const TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  '中文的注意力 — attention över tokens ✨🙂 and "quotes", don\'t stop.\n\tdef f(x): return x ** 2',
  '  leading spaces, ## hashes, <s> specials and trailing space ',
];

/** A small deterministic generator (xorshift), so failures reproduce. */
function randomIds(seed: number, n: number, vocab: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % vocab;
  });
}

function streamed(tokenizer: Tokenizer, prompt: number[], generated: number[]): string[] {
  const stream = new TokenTextStream(tokenizer, prompt);
  const pieces = generated.map((id) => stream.push(id));
  pieces.push(stream.flush());
  return pieces;
}

function checkAgainstDecode(tokenizer: Tokenizer, prompt: number[], generated: number[]): string[] {
  const pieces = streamed(tokenizer, prompt, generated);
  const whole = tokenizer.decode([...prompt, ...generated]);
  const before = tokenizer.decode(prompt);
  assert.ok(whole.startsWith(before), 'the decode itself rewrote the prompt');
  assert.equal(pieces.join(''), whole.slice(before.length), `prompt ${JSON.stringify(prompt)} generated ${JSON.stringify(generated)}`);
  return pieces;
}

const tokenizers: [string, (ctx: Mocha.Context) => Promise<Tokenizer>][] = [
  [
    'llama2.c (stories260K, byte tokens)',
    async (ctx) => Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'tok512.bin'))), 512),
  ],
  ['GPT-2 byte-level BPE', (ctx) => loadHfTokenizer(requireFixture(ctx, 'gpt2_tokenizer', 'tokenizer.json'))],
  ['Metaspace BPE', (ctx) => loadHfTokenizer(requireFixture(ctx, 'neural_api_tokenizers', 'tiny_bpe_metaspace_tokenizer.json'))],
  ['WordPiece', (ctx) => loadHfTokenizer(requireFixture(ctx, 'neural_api_tokenizers', 'tiny_wordpiece_tokenizer.json'))],
  ['Qwen2 split BPE', (ctx) => loadHfTokenizer(requireFixture(ctx, 'neural_api_tokenizers', 'tiny_bpe_split_qwen2_tokenizer.json'))],
];

describe('TokenTextStream: the text each generated token adds', () => {
  for (const [name, load] of tokenizers) {
    describe(name, () => {
      it('gives the whole decode, piece by piece, for real texts split at every point', async function () {
        const tokenizer = await load(this);
        for (const text of TEXTS) {
          const ids = Array.from(tokenizer.encode(text).ids);
          for (let cut = 0; cut < ids.length; cut++) {
            // A prompt comes from text, so it ends at a character's end.
            if (tokenizer.decode(ids.slice(0, cut)).endsWith('\uFFFD')) continue;
            const pieces = checkAgainstDecode(tokenizer, ids.slice(0, cut), ids.slice(cut));
            // Valid text: a character split across tokens arrives whole, never as U+FFFD first.
            if (!tokenizer.decode(ids).includes('\uFFFD')) assert.ok(!pieces.some((p) => p.includes('\uFFFD')), `U+FFFD in ${JSON.stringify(pieces)}`);
          }
        }
      });

      it('gives the whole decode for random ids, byte tokens and specials included', async function () {
        const tokenizer = await load(this);
        const prompt = Array.from(tokenizer.encode(TEXTS[0]!).ids);
        for (let seed = 1; seed <= 40; seed++) {
          checkAgainstDecode(tokenizer, prompt.slice(0, seed % 7), randomIds(seed, 60, tokenizer.vocabSize));
        }
      });
    });
  }

  it('holds a byte-level token until its character is complete', async function () {
    const tokenizer = await loadHfTokenizer(requireFixture(this, 'gpt2_tokenizer', 'tokenizer.json'));
    const ids = Array.from(tokenizer.encode('🙂').ids); // four bytes, in more than one token
    assert.ok(ids.length > 1 && tokenizer.decode(ids.slice(0, 1)).endsWith('\uFFFD'), `🙂 is ${JSON.stringify(ids)}`);
    assert.deepEqual(streamed(tokenizer, [], ids), [...ids.slice(1).map(() => ''), '🙂', '']);
    // Cut off mid-character, the end says what is there.
    assert.deepEqual(streamed(tokenizer, [], ids.slice(0, 1)), ['', '\uFFFD']);
  });
});
