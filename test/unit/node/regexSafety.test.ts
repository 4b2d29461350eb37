/**
 * Untrusted tokenizer regexes: patterns that backtrack catastrophically in JavaScript's engine
 * are refused by the static check (naming the pattern) before anything compiles them, and the
 * real tokenizers' patterns (GPT-2, Qwen2's Split, Metaspace's Replace) still load and encode.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { HuggingFaceTokenizer, HuggingFaceTokenizerError } from '../../../src/node/huggingface/hfTokenizer';
import { loadHfTokenizer } from '../../../src/node/huggingface/tokenizerFiles';
import { unsafeRegexReason } from '../../../src/protocol/regexSafety';
import { requireFixture } from '../../helpers/fixtures';

/** The textbook catastrophic patterns (OWASP ReDoS list and variants), each with why it is refused. */
const EVIL: readonly [string, RegExp][] = [
  ['(a+)+$', /nested quantifier "\(a\+\)\+"/],
  ['(a*)*b', /nested quantifier/],
  ['([a-zA-Z]+)*$', /nested quantifier/],
  ['(\\w+\\s?)*$', /nested quantifier/],
  ['(.*a){12}', /nested quantifier/],
  ['(?:x+x+)+y', /nested quantifier/],
  ['(?:a{1,3})*$', /nested quantifier/], // found by the fuzz test: a bounded but variable repetition inside a loop
  ['(?:(?:a|a){5})*$', /nested quantifier/], // found by the fuzz test: overlapping alternatives deeper inside a loop
  ['(a|a)*$', /quantified alternation "\(a\|a\)\*" has branches that can match the same text/],
  ['(a|aa)+$', /quantified alternation/],
  ['(\\d|\\w)+!', /quantified alternation/],
  ['(?:a|)+b', /matches nothing/],
  ['(?i:(a|A)+)$', /quantified alternation/],
  ['\\s*\\s*\\s*\\s*x', /4 unbounded quantifiers in a row/],
  ['(a*)\\1', /backreference/],
  ['x'.repeat(5000), /5000 characters long/],
];

/** Patterns of real tokenizers and harmless shapes, all accepted. */
const GOOD: readonly string[] = [
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ' ',
  '\\s+',
  '(ab|cd)+',
  '[0-9]{1,3}(?:,[0-9]{3})*',
  'a{2,5}b?',
  '(?:\\p{L}+)',
];

/** A ByteLevel-free BPE tokenizer.json whose pre-tokenizer splits on `regex`. */
function splitTokenizer(regex: string, where: 'pre_tokenizer' | 'normalizer' = 'pre_tokenizer'): Record<string, unknown> {
  const vocab: Record<string, number> = { '<unk>': 0, a: 1, b: 2, ' ': 3, x: 4 };
  const component =
    where === 'pre_tokenizer'
      ? { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }] }
      : { type: 'Replace', pattern: { Regex: regex }, content: 'b' };
  return { version: '1.0', model: { type: 'BPE', vocab, merges: [], unk_token: '<unk>' }, [where]: component, added_tokens: [] };
}

describe('node/huggingface/regexSafety: untrusted tokenizer regexes', () => {
  it('refuses the catastrophic patterns, saying why', () => {
    for (const [p, why] of EVIL) {
      const reason = unsafeRegexReason(p);
      assert.ok(reason !== null, `accepted ${p}`);
      assert.match(reason, why, p);
    }
  });

  it('accepts the patterns of real tokenizers and harmless ones', () => {
    for (const p of GOOD) assert.equal(unsafeRegexReason(p), null, p);
  });

  it('a tokenizer.json with such a Split or Replace pattern is refused by name, before it could freeze', () => {
    for (const where of ['pre_tokenizer', 'normalizer'] as const) {
      assert.throws(
        () => HuggingFaceTokenizer.fromJson(splitTokenizer('(a+)+$', where), {}, 'evil.json'),
        (e: unknown) =>
          e instanceof HuggingFaceTokenizerError && /evil\.json: the pattern "\(a\+\)\+\$" of .* is refused: nested quantifier/.test((e as Error).message),
      );
    }
    // The same tokenizer with a safe pattern loads and splits as the pattern says.
    const ok = HuggingFaceTokenizer.fromJson(splitTokenizer('a+'), {}, 'ok.json');
    assert.deepEqual(ok.encode('aab').tokens.map((t) => [t.start, t.end]).length > 0, true);
  });

  it('the real tokenizers in the fixtures still load (GPT-2, GPT-NeoX, Qwen2 Split, Metaspace, WordPiece)', async function () {
    const files = [
      requireFixture(this, 'gpt2_tokenizer', 'tokenizer.json'),
      requireFixture(this, 'gpt_neox_tokenizer', 'tokenizer.json'),
      requireFixture(this, 'neural_api_tokenizers', 'tiny_bpe_split_qwen2_tokenizer.json'),
      requireFixture(this, 'neural_api_tokenizers', 'tiny_bpe_metaspace_tokenizer.json'),
      requireFixture(this, 'neural_api_tokenizers', 'tiny_wordpiece_tokenizer.json'),
    ];
    for (const f of files) {
      assert.ok(fs.existsSync(f));
      const tok = await loadHfTokenizer(f);
      assert.ok(tok.encode('Hello world, 123!').ids.length > 0, f);
    }
  });
});
