/**
 * Tokenizers of the new families through the @huggingface/tokenizers adapter: the real
 * GPT-NeoX (Pythia) tokenizer against pythia-160m's encodings, and the toy byte-level BPE,
 * Metaspace BPE, WordPiece (BERT) and Qwen2-split BPE tokenizers against HF `tokenizers` cases —
 * ids, decoded text, and spans, including WordPiece "##" continuation pieces, [UNK] spanning
 * the word it replaced, GPT-NeoX's NFC, and the empty spans of [CLS]/[SEP] from a BERT
 * post-processor.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { HuggingFaceTokenizer } from '../../../src/node/huggingface/hfTokenizer';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';

interface Case {
  text: string;
  ids: number[];
  decoded: string;
}
const SPECIAL = /<\|endoftext\|>|<\|im_end\|>|<s>|<\/s>|\[CLS\]|\[SEP\]/;

describe('node/huggingface: family tokenizers against HF tokenizers', function () {
  it('GPT-NeoX (pythia-160m): every reference encoding and decode', function () {
    const file = requireFixture(this, 'gpt_neox_tokenizer', 'tokenizer.json');
    const ref = readFixtureJson<{ tokenizer: Case[] }>(requireFixture(this, 'gpt_neox_tokenizer', 'pythia-160m.reference.json'));
    const tok = HuggingFaceTokenizer.fromJson(readFixtureJson(file), {});
    assert.ok(ref.tokenizer.length >= 10);
    for (const c of ref.tokenizer) {
      // transformers' AutoTokenizer treats <|endoftext|> in the text as the special token.
      const enc = tok.encode(c.text, { allowSpecial: true });
      assert.deepEqual(Array.from(enc.ids), c.ids, JSON.stringify(c.text));
      assert.equal(tok.decode(enc.ids), c.decoded);
      let end = 0;
      for (const t of enc.tokens) {
        assert.ok(t.start >= end - 1 && t.start <= t.end && t.end <= c.text.length, `span [${t.start}, ${t.end}) in ${JSON.stringify(c.text)}`);
        end = Math.max(end, t.end);
      }
    }
  });

  const groups = ['byte_level', 'metaspace', 'wordpiece', 'split_qwen2'];
  for (const group of groups) {
    it(`toy ${group} tokenizer.json: ids (special strings as specials) and decoded text`, function () {
      const cases = readFixtureJson<Record<string, { tokenizer: string; cases: Case[] }>>(
        requireFixture(this, 'neural_api_tokenizers', 'hf_tokenizer_cases.json'),
      );
      const g = cases[group]!;
      const tok = HuggingFaceTokenizer.fromJson(readFixtureJson(requireFixture(this, 'neural_api_tokenizers', g.tokenizer)), {});
      for (const c of g.cases) {
        const enc = tok.encode(c.text, { bos: false, allowSpecial: true });
        assert.deepEqual(Array.from(enc.ids), c.ids, JSON.stringify(c.text));
        // decoded = skip_special_tokens: compare where the text has no special token.
        if (!SPECIAL.test(c.text)) assert.equal(tok.decode(enc.ids), c.decoded, JSON.stringify(c.text));
      }
    });
  }

  it('an unknown token spans the characters it replaced: a WordPiece [UNK] its whole word, without the spaces around it', function () {
    const g = readFixtureJson<Record<string, { tokenizer: string; cases: Case[] }>>(
      requireFixture(this, 'neural_api_tokenizers', 'hf_tokenizer_cases.json'),
    ).wordpiece!;
    const tok = HuggingFaceTokenizer.fromJson(readFixtureJson(requireFixture(this, 'neural_api_tokenizers', g.tokenizer)), {});
    const unk = 1;
    // HF WordPiece gives an [UNK] the offsets of its pre-tokenizer word (BertPreTokenizer: split at
    // whitespace and punctuation, each CJK character alone). The first texts are HF's cases, with its ids.
    const want: [string, [number, number][]][] = [
      [
        'emoji 😀 test',
        [
          [0, 5],
          [6, 8],
        ],
      ],
      [
        'مرحبا بالعالم',
        [
          [0, 5],
          [6, 13],
        ],
      ],
      [
        '你好，世界！',
        [
          [0, 1],
          [1, 2],
          [2, 3],
          [3, 4],
          [4, 5],
          [5, 6],
        ],
      ],
      [
        'Привет, мир: 多语言 café',
        [
          [0, 6],
          [8, 11],
          [11, 12],
          [13, 14],
          [14, 15],
          [15, 16],
        ],
      ],
      [
        'hi ☃ ☃ the',
        [
          [3, 4],
          [5, 6],
        ],
      ],
      ['hello ☃ world', [[6, 7]]],
      ['a☃b c', [[0, 3]]],
      [
        '☃☃ ☃',
        [
          [0, 2],
          [3, 4],
        ],
      ],
      [`x ${'a'.repeat(120)} y`, [[2, 122]]], // longer than max_input_chars_per_word (100)
    ];
    for (const [text, spans] of want) {
      const enc = tok.encode(text, { bos: false });
      const ref = g.cases.find((c) => c.text === text);
      if (ref) assert.deepEqual(Array.from(enc.ids), ref.ids, JSON.stringify(text));
      assert.deepEqual(
        enc.tokens.filter((t) => t.id === unk).map((t) => [t.start, t.end]),
        spans,
        JSON.stringify(text),
      );
    }
  });

  it('GPT-NeoX normalizes to NFC: a token holding a composed character spans the code points it was composed from', function () {
    const tok = HuggingFaceTokenizer.fromJson(readFixtureJson(requireFixture(this, 'gpt_neox_tokenizer', 'tokenizer.json')), {});
    const text = 'x e\u0301 y \u1100\u1161\u11a8 z'; // e + combining acute; the jamo of 각
    const enc = tok.encode(text);
    assert.deepEqual(Array.from(enc.ids), Array.from(tok.encode('x \u00e9 y \uac01 z').ids));
    assert.deepEqual(
      enc.tokens.slice(0, 3).map((t) => [t.text, t.start, t.end]),
      [
        ['x', 0, 1],
        [' é', 1, 4],
        [' y', 4, 6],
      ],
    );
    // Every character belongs to a token, and the jamo to the tokens of 각 only.
    const covered = new Set(enc.tokens.flatMap((t) => Array.from({ length: t.end - t.start }, (_, i) => t.start + i)));
    assert.equal(covered.size, text.length);
    assert.ok(enc.tokens.every((t) => (t.start < 10 && t.end > 7 ? t.start >= 6 && t.end === 10 : true)));
  });

  it('WordPiece spans: "##" pieces cover only their characters; [CLS]/[SEP] of a BERT template cover no text', function () {
    const json = readFixtureJson<{ model: { vocab: Record<string, number> }; post_processor: unknown }>(
      requireFixture(this, 'neural_api_tokenizers', 'tiny_wordpiece_tokenizer.json'),
    );
    const text = 'Hello, world!';
    const plain = HuggingFaceTokenizer.fromJson(json, {}).encode(text);
    for (const t of plain.tokens) assert.equal(text.slice(t.start, t.end).toLowerCase(), t.text.replace(/^##/, ''), `${t.text} at [${t.start}, ${t.end})`);
    const v = json.model.vocab;
    const cls = v['[CLS]']!,
      sep = v['[SEP]']!;
    json.post_processor = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] } },
    };
    const enc = HuggingFaceTokenizer.fromJson(json, {}).encode(text);
    const first = enc.tokens[0]!,
      last = enc.tokens[enc.tokens.length - 1]!;
    assert.deepEqual([first.id, first.start, first.end], [cls, 0, 0]);
    assert.deepEqual([last.id, last.start, last.end], [sep, text.length, text.length]);
    assert.deepEqual(
      enc.tokens.slice(1, -1).map((t) => [t.id, t.start, t.end]),
      plain.tokens.map((t) => [t.id, t.start, t.end]),
    );
  });
});

void path;
