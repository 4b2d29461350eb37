/**
 * Documents as token arrays: chunked and incremental encodings must equal the tokenizer's own
 * encoding exactly (surrogate pairs across chunk and edit boundaries included), and range
 * lookups select exactly the overlapping tokens.
 */

import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import type { Tokenizer } from '../../../src/engine/tokenizer/tokenizer';
import { loadLlama2cTokenizer } from '../../../src/node/loadModel';
import { encodeToArrays, reencodeToArrays, tokensOverlapping, type TokenArrays } from '../../../src/worker/tokenArrays';
import { requireFixture } from '../../helpers/fixtures';

function reference(tokenizer: Tokenizer, text: string): TokenArrays {
  const enc = tokenizer.encode(text);
  return {
    ids: Int32Array.from(enc.tokens, (t) => t.id),
    starts: Int32Array.from(enc.tokens, (t) => t.start),
    ends: Int32Array.from(enc.tokens, (t) => t.end),
  };
}

function assertSame(actual: TokenArrays, expected: TokenArrays, what: string): void {
  assert.deepEqual(Array.from(actual.ids), Array.from(expected.ids), `${what}: ids`);
  assert.deepEqual(Array.from(actual.starts), Array.from(expected.starts), `${what}: starts`);
  assert.deepEqual(Array.from(actual.ends), Array.from(expected.ends), `${what}: ends`);
}

const ALPHABET = ['a', 'b', ' ', '\n', 'é', '😀', '🐱', '\uD800', '\uDC00', 'z'];

function randomText(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[rng.int(ALPHABET.length)];
  return s;
}

describe('worker/tokenArrays', () => {
  const tokenizer = CharTokenizer.fromText(ALPHABET.join('') + 'xyz');

  it('encodes in chunks exactly as the tokenizer does, with a surrogate pair across a chunk boundary', () => {
    const text = `${'a'.repeat(65_535)}😀${'b'.repeat(70_000)}\uD800${'x'.repeat(65_535 - (70_000 % 65_536))}\uDC00q`;
    assertSame(encodeToArrays(tokenizer, text), reference(tokenizer, text), 'chunked');
    assertSame(encodeToArrays(tokenizer, ''), reference(tokenizer, ''), 'empty');
  });

  it('re-encodes random edits incrementally, equal to a full encode, keeping the unchanged prefix', () => {
    const rng = new Rng(7);
    let text = randomText(rng, 300);
    let tokens = encodeToArrays(tokenizer, text);
    for (let i = 0; i < 400; i++) {
      const at = rng.int(text.length + 1);
      const del = rng.int(4);
      const next = text.slice(0, at) + randomText(rng, rng.int(4)) + text.slice(Math.min(text.length, at + del));
      const r = reencodeToArrays(tokenizer, text, tokens, next);
      const expected = reference(tokenizer, next);
      assertSame(r.tokens, expected, `edit ${i}`);
      // The kept prefix really is shared by the old and new encodings.
      for (let k = 0; k < r.unchangedPrefix; k++) {
        assert.equal(tokens.ids[k], expected.ids[k]);
        assert.equal(tokens.ends[k], expected.ends[k]);
      }
      text = next;
      tokens = r.tokens;
    }
  });

  it('keeps everything before an edit near the end of a long text', () => {
    const text = 'hello world '.repeat(10_000);
    const old = encodeToArrays(tokenizer, text);
    const r = reencodeToArrays(tokenizer, text, old, `${text.slice(0, 100_000)}!${text.slice(100_000)}`);
    assert.equal(r.unchangedPrefix, 100_000);
  });

  it('other tokenizers are always encoded whole (BPE merges are not local)', function () {
    const file = requireFixture(this, 'stories260K', 'tok512.bin');
    return loadLlama2cTokenizer(file, 512).then((tok) => {
      const a = 'Once upon a time, there was a little girl. 😀';
      const b = 'Once upon a time, there was a little boy. 😀';
      const r = reencodeToArrays(tok, a, encodeToArrays(tok, a), b);
      assertSame(r.tokens, reference(tok, b), 'llama2c');
      assert.equal(r.unchangedPrefix, 0);
      assertSame(encodeToArrays(tok, a), reference(tok, a), 'llama2c whole');
    });
  });

  it('selects the tokens overlapping a range; a cursor selects the token it is in', () => {
    const text = 'ab😀c';
    const t = encodeToArrays(tokenizer, text); // spans [0,1) [1,2) [2,4) [4,5)
    assert.deepEqual(tokensOverlapping(t, 0, 2), [0, 2]);
    assert.deepEqual(tokensOverlapping(t, 1, 3), [1, 3]);
    assert.deepEqual(tokensOverlapping(t, 3, 3), [2, 3]); // inside the surrogate pair
    assert.deepEqual(tokensOverlapping(t, 4, 4), [3, 4]);
    assert.deepEqual(tokensOverlapping(t, 5, 5), [4, 4]); // end of text: nothing
    assert.deepEqual(tokensOverlapping(t, 2, 2), [2, 3]);
    assert.deepEqual(tokensOverlapping(t, 0, 100), [0, 4]);
    assert.deepEqual(tokensOverlapping(t, 50, 60), [4, 4]);
  });

  it('includes a token that covers no text (BOS at 0) in ranges starting at 0', () => {
    const t: TokenArrays = { ids: Int32Array.of(1, 5, 6), starts: Int32Array.of(0, 0, 3), ends: Int32Array.of(0, 3, 5) };
    assert.deepEqual(tokensOverlapping(t, 0, 1), [0, 2]);
    assert.deepEqual(tokensOverlapping(t, 0, 0), [0, 2]);
    assert.deepEqual(tokensOverlapping(t, 1, 4), [1, 3]);
  });
});
