/**
 * The Hugging Face tokenizer adapter against encodings made by other tokenizers: HF's own
 * (Rust `tokenizers`, transformers via llama.cpp and swift-transformers), gpt-tokenizer, and
 * llama2.c's run.c algorithm for a Llama-style tokenizer.json built from tok512.bin. Spans are
 * checked against byte offsets computed here from the vocabulary, and by hand where normalizers
 * rewrite characters or <unk> replaces them; files Rust `tokenizers` refuses are refused.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Llama2cTokenizer } from '../../../src/engine/tokenizer/llama2cTokenizer';
import type { Encoding } from '../../../src/engine/tokenizer/tokenizer';
import { HuggingFaceTokenizer, HuggingFaceTokenizerError } from '../../../src/node/huggingface/hfTokenizer';
import { loadHfTokenizer } from '../../../src/node/huggingface/tokenizerFiles';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';
import { llamaTokenizerJson } from '../../helpers/hfExport';

interface Cases {
  cases: { text: string; token_ids: number[]; allowed_special?: 'all' | 'none' }[];
}

const gpt2 = async (ctx: Mocha.Context): Promise<HuggingFaceTokenizer> => loadHfTokenizer(requireFixture(ctx, 'gpt2_tokenizer', 'tokenizer.json'));

/**
 * The spans the rules demand for a byte-level encoding with no special tokens: each token's
 * bytes, located in the text's UTF-8, widened to whole code points.
 */
function expectedByteLevelSpans(text: string, enc: Encoding, vocab: Map<number, string>): [number, number][] {
  const charOfByte: [number, number][] = [];
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const n = new TextEncoder().encode(text.slice(i, i + w)).length;
    for (let k = 0; k < n; k++) charOfByte.push([i, i + w]);
    i += w;
  }
  let at = 0;
  return Array.from(enc.ids, (id) => {
    const bytes = [...vocab.get(id)!].length; // one byte-level symbol per byte
    const span: [number, number] = [charOfByte[at]![0], charOfByte[at + bytes - 1]![1]];
    at += bytes;
    return span;
  });
}

function checkSpanRules(text: string, enc: Encoding): void {
  let prevStart = 0;
  for (const t of enc.tokens) {
    assert.ok(
      t.start >= prevStart && t.start <= t.end && t.end <= text.length,
      `span [${t.start}, ${t.end}) of ${JSON.stringify(t.text)} in ${JSON.stringify(text)}`,
    );
    for (const edge of [t.start, t.end]) {
      const low = text.charCodeAt(edge);
      assert.ok(
        !(edge > 0 && low >= 0xdc00 && low <= 0xdfff && text.charCodeAt(edge - 1) >= 0xd800 && text.charCodeAt(edge - 1) <= 0xdbff),
        `span edge ${edge} splits a surrogate pair`,
      );
    }
    prevStart = t.start;
  }
}

describe('node/huggingface tokenizer: GPT-2 byte-level BPE (gpt2_tokenizer)', function () {
  this.timeout(60_000);

  it('encodes the 27 reference cases exactly (special tokens plain text unless allowed)', async function () {
    const tok = await gpt2(this);
    assert.deepEqual([tok.vocabSize, tok.bosId, tok.eosId, tok.kind], [50257, 50256, 50256, 'huggingface']);
    const ref = readFixtureJson<Cases>(requireFixture(this, 'gpt2_tokenizer', 'reference_encodings.json'));
    assert.equal(ref.cases.length, 27);
    for (const c of ref.cases) {
      const enc = tok.encode(c.text, { allowSpecial: c.allowed_special === 'all' });
      assert.deepEqual(Array.from(enc.ids), c.token_ids, JSON.stringify(c.text));
      checkSpanRules(c.text, enc);
      if (c.allowed_special !== 'all') assert.equal(tok.decode(enc.ids), c.text);
    }
  });

  it("matches transformers' encodings (llama.cpp's 46 inputs, swift-transformers' French paragraph)", async function () {
    const tok = await gpt2(this);
    const inputs = fs
      .readFileSync(requireFixture(this, 'gpt2_tokenizer', 'hf_reference', 'ggml-vocab-gpt-2.gguf.inp'), 'utf8')
      .split('\n__ggml_vocab_test__\n');
    inputs.pop();
    const outputs = fs.readFileSync(requireFixture(this, 'gpt2_tokenizer', 'hf_reference', 'ggml-vocab-gpt-2.gguf.out'), 'utf8').split('\n');
    assert.equal(inputs.length, 46);
    inputs.forEach((text, i) => {
      const want = outputs[i]!.trim() === '' ? [] : outputs[i]!.trim().split(/\s+/).map(Number);
      const enc = tok.encode(text, { allowSpecial: true });
      assert.deepEqual(Array.from(enc.ids), want, JSON.stringify(text));
      checkSpanRules(text, enc);
    });
    const french = readFixtureJson<{ text: string; token_ids: number[] }>(requireFixture(this, 'gpt2_tokenizer', 'hf_reference', 'gpt2_encoded_tokens.json'));
    assert.deepEqual(Array.from(tok.encode(french.text).ids), french.token_ids);
  });

  it("splits whitespace as Hugging Face does, not as JavaScript's \\s: U+FEFF is not a space", async function () {
    const tok = await gpt2(this);
    assert.deepEqual(Array.from(tok.encode('a \uFEFFb').ids), [64, 27332, 119, 123, 65]);
    assert.deepEqual(Array.from(tok.encode('Hello<|endoftext|>World', { allowSpecial: true }).ids), [15496, 50256, 10603]);
    assert.deepEqual(Array.from(tok.encode('Hello<|endoftext|>World').ids), [15496, 27, 91, 437, 1659, 5239, 91, 29, 10603]);
  });

  it('spans: each token covers the code points its bytes come from (byte tokens of one emoji each span the whole emoji)', async function () {
    const tok = await gpt2(this);
    const vocab = new Map(
      Object.entries(JSON.parse(fs.readFileSync(requireFixture(this, 'gpt2_tokenizer', 'vocab.json'), 'utf8')) as Record<string, number>).map(([k, v]) => [
        v,
        k,
      ]),
    );
    const ref = readFixtureJson<Cases>(requireFixture(this, 'gpt2_tokenizer', 'reference_encodings.json'));
    const texts = [...ref.cases.filter((c) => !c.allowed_special).map((c) => c.text), 'a 👨‍👩‍👧 b 🏳️‍🌈 é\u0301 注意力', '\uD83D lone \uDC00 surrogates'];
    for (const text of texts) {
      const enc = tok.encode(text);
      assert.deepEqual(
        enc.tokens.map((t) => [t.start, t.end]),
        expectedByteLevelSpans(text, enc, vocab),
        JSON.stringify(text),
      );
    }
    const emoji = tok.encode('x🙂');
    assert.ok(emoji.tokens.length >= 2);
    assert.deepEqual(emoji.tokens.map((t) => [t.start, t.end]).slice(-1), [[1, 3]]);
    const family = tok.encode('👨‍👩‍👧').tokens;
    assert.ok(family.length > 3 && family.every((t) => t.end - t.start === 1 || t.end - t.start === 2));
  });

  it('the special token spans its text; BOS on request is the empty span at 0; labels are readable', async function () {
    const tok = await gpt2(this);
    const enc = tok.encode('Hi<|endoftext|>', { allowSpecial: true, bos: true });
    assert.deepEqual(
      enc.tokens.map((t) => [t.id, t.text, t.start, t.end]),
      [
        [50256, '<|endoftext|>', 0, 0],
        [17250, 'Hi', 0, 2],
        [50256, '<|endoftext|>', 2, 15],
      ],
    );
    assert.equal(tok.tokenLabel(198), '\\n');
    assert.equal(tok.tokenLabel(995), ' world');
    assert.equal(tok.decode([17250, 50256, 995]), 'Hi world', 'special tokens are left out of decoded text');
    assert.throws(() => tok.decode([50257]), HuggingFaceTokenizerError);
  });

  it('vocab.json + merges.txt encode exactly as tokenizer.json', async function () {
    const slow = await loadHfTokenizer(requireFixture(this, 'gpt2_tokenizer', 'vocab.json'));
    const viaMerges = await loadHfTokenizer(requireFixture(this, 'gpt2_tokenizer', 'merges.txt'));
    const fast = await gpt2(this);
    const ref = readFixtureJson<Cases>(requireFixture(this, 'gpt2_tokenizer', 'reference_encodings.json'));
    for (const c of ref.cases) {
      const opts = { allowSpecial: c.allowed_special === 'all' };
      assert.deepEqual(Array.from(slow.encode(c.text, opts).ids), c.token_ids, JSON.stringify(c.text));
      assert.deepEqual(slow.encode(c.text, opts).tokens, fast.encode(c.text, opts).tokens);
    }
    assert.deepEqual(Array.from(viaMerges.encode('Hello world').ids), [15496, 995]);
  });
});

describe('node/huggingface tokenizer: other vocabularies and files', function () {
  this.timeout(60_000);

  it('tiny_random_gpt2: its own 1000-token vocabulary with <|endoftext|> = 0, as HF tokenizers encodes it', async function () {
    const tok = await loadHfTokenizer(requireFixture(this, 'tiny_random_gpt2'));
    assert.deepEqual([tok.vocabSize, tok.bosId, tok.eosId], [1000, 0, 0]);
    const ref = readFixtureJson<Cases>(requireFixture(this, 'tiny_random_gpt2', 'reference_encodings.json'));
    for (const c of ref.cases) {
      const enc = tok.encode(c.text, { allowSpecial: c.allowed_special === 'all' });
      assert.deepEqual(Array.from(enc.ids), c.token_ids, JSON.stringify(c.text));
      checkSpanRules(c.text, enc);
    }
  });

  it('tiny_gpt2 (toy vocab.json + merges.txt with <unk>): unknown characters become <unk> spanning their gap', async function () {
    const tok = await loadHfTokenizer(requireFixture(this, 'tiny_gpt2'));
    assert.equal(tok.vocabSize, 21);
    const enc = tok.encode(' lower q');
    assert.deepEqual(
      enc.tokens.map((t) => [t.id, t.start, t.end]),
      [
        [14, 0, 4],
        [15, 4, 6],
        [10, 6, 7],
        [19, 7, 8],
      ],
    );
  });

  it('tiny_gpt2: each <unk> spans the one character it replaced (HF BPE writes one per character)', async function () {
    const tok = await loadHfTokenizer(requireFixture(this, 'tiny_gpt2'));
    assert.deepEqual(
      tok.encode(' lower qq').tokens.map((t) => [t.id, t.start, t.end]),
      [
        [14, 0, 4],
        [15, 4, 6],
        [10, 6, 7],
        [19, 7, 8],
        [19, 8, 9],
      ],
    );
    assert.deepEqual(
      tok.encode('qq q').tokens.map((t) => [t.id, t.start, t.end]),
      [
        [19, 0, 1],
        [19, 1, 2],
        [10, 2, 3],
        [19, 3, 4],
      ],
    );
  });

  it('normalizers that rewrite several code points together: spans still cover the code points each token came from', async function () {
    const gpt2Json = readFixtureJson<Record<string, unknown>>(requireFixture(this, 'gpt2_tokenizer', 'tokenizer.json'));
    const cases: [unknown, string, [string, number, number][]][] = [
      [
        { type: 'NFC' },
        'x e\u0301 y',
        [
          ['x', 0, 1],
          [' é', 1, 4],
          [' y', 4, 6],
        ],
      ],
      [
        { type: 'NFKC' },
        'x e\u0301 y',
        [
          ['x', 0, 1],
          [' é', 1, 4],
          [' y', 4, 6],
        ],
      ],
      [
        { type: 'Replace', pattern: { String: "''" }, content: '"' },
        "say ''hi''",
        [
          ['say', 0, 3],
          [' "', 3, 6],
          ['hi', 6, 8],
          ['"', 8, 10],
        ],
      ],
      [
        { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }] },
        'x e\u0301 \u00e9',
        [
          ['x', 0, 1],
          [' e', 1, 4],
          [' e', 4, 6],
        ],
      ],
      // JavaScript's lowercase writes a final sigma from its context; only the Σ needs it.
      [
        { type: 'Lowercase' },
        'ΟΣ',
        [
          ['ο', 0, 1],
          ['ς', 1, 2],
        ],
      ],
    ];
    for (const [normalizer, text, want] of cases) {
      const enc = HuggingFaceTokenizer.fromJson({ ...gpt2Json, normalizer }).encode(text);
      assert.deepEqual(
        enc.tokens.map((t) => [t.text, t.start, t.end]),
        want,
        `${JSON.stringify(normalizer)} ${JSON.stringify(text)}`,
      );
    }
    // Byte tokens of one rewritten character share its span; no character is left out.
    const nfd = HuggingFaceTokenizer.fromJson({ ...gpt2Json, normalizer: { type: 'NFD' } });
    for (const text of ['café 가', 'ΟΔΟΣ x İz', 'e\u0301\u0301 \u1100\u1161\u11a8']) {
      for (const tok of [nfd, HuggingFaceTokenizer.fromJson({ ...gpt2Json, normalizer: { type: 'Lowercase' } })]) {
        const enc = tok.encode(text);
        checkSpanRules(text, enc);
        const covered = new Set(enc.tokens.flatMap((t) => Array.from({ length: t.end - t.start }, (_, i) => t.start + i)));
        assert.equal(covered.size, text.length, JSON.stringify(text));
      }
    }
    assert.deepEqual(
      nfd.encode('café').tokens.map((t) => [t.start, t.end]),
      [
        [0, 1],
        [1, 4],
        [3, 4],
        [3, 4],
      ],
      'é decomposed: the tokens of e and of U+0301 each span é',
    );
  });

  it('refuses merges Hugging Face tokenizers refuses and ids with holes, naming the merge or the token', function () {
    const base = readFixtureJson<{ model: Record<string, unknown>; added_tokens: unknown[] }>(
      requireFixture(this, 'neural_api_tokenizers', 'tiny_bpe_bytelevel_tokenizer.json'),
    );
    const pairs = base.model.merges as [string, string][];
    const strings = pairs.map((m) => m.join(' '));
    const variant = (model: Record<string, unknown>, added: unknown[] = base.added_tokens): unknown => ({
      ...base,
      model: { ...base.model, ...model },
      added_tokens: added,
    });
    const refused = (json: unknown, pattern: RegExp): void => {
      assert.throws(
        () => HuggingFaceTokenizer.fromJson(json, {}, 'tok.json'),
        (e: unknown) => e instanceof HuggingFaceTokenizerError && pattern.test(e.message) && !e.message.includes('\n'),
        String(pattern),
      );
    };
    refused(variant({ merges: [['h', 'e', 'x'], ...pairs] }), /^tok\.json: merges\[0\] is \["h","e","x"\], expected a pair of two token strings$/);
    refused(variant({ merges: ['h e x', ...strings] }), /^tok\.json: merges\[0\] is "h e x", expected two tokens separated by one space$/);
    refused(variant({ merges: [...pairs, ['qq', 'rr']] }), /merges\[\d+\] \["qq","rr"\] needs "qq", which is not in the vocabulary/);
    refused(variant({ merges: ['qq rr', ...strings] }), /merges\[0\] "qq rr" needs "qq", which is not in the vocabulary/);
    refused(variant({ merges: [['h', 'q']] }), /merges\[0\] \["h","q"\] needs "hq", which is not in the vocabulary/);
    refused(variant({ merges: [strings[0], ...pairs] }), /model\.merges mixes "a b" strings and \["a", "b"\] pairs \(merges\[1\]/);
    const vocab = base.model.vocab as Record<string, number>;
    refused(variant({ vocab: { ...vocab, zzz: 100000 } }), /token "zzz" has id 100000 but ids 380\.\.99999 belong to no token/);
    refused(variant({}, [...base.added_tokens, { id: 381, content: 'world', special: false }]), /token "world" has id 381 but id 380 belongs to no token/);
    // The string form (with merges.txt's #version line) reads as the pairs do.
    const asStrings = HuggingFaceTokenizer.fromJson(variant({ merges: ['#version: 0.2', ...strings] }));
    const asPairs = HuggingFaceTokenizer.fromJson(base);
    assert.deepEqual(asStrings.encode('the cat sat').tokens, asPairs.encode('the cat sat').tokens);
    // Two tokens sharing an id leave no empty id at the end of the vocabulary.
    const shared = HuggingFaceTokenizer.fromJson(variant({ vocab: { ...vocab, zzz: 5 } }));
    assert.equal(shared.vocabSize, 380);
  });

  it("a Llama-style tokenizer.json (Prepend ▁, byte fallback, <s> template) gives run.c's ids and the llama2.c spans", function () {
    const lt = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(requireFixture(this, 'stories260K', 'tok512.bin'))), 512);
    const tok = HuggingFaceTokenizer.fromJson(llamaTokenizerJson(lt), { bos_token: '<s>', eos_token: '</s>' });
    assert.deepEqual([tok.vocabSize, tok.bosId, tok.eosId], [512, 1, 2]);
    const ref = readFixtureJson<{ cases: { text: string; token_ids: number[] }[] }>(requireFixture(this, 'stories260K', 'tokenizer_encode.json'));
    const texts = [...ref.cases.map((c) => c.text), ' Hello', '  two  spaces ', 'a\n\nb\tc', '注意🙂', 'x<s>y', ''];
    for (const text of texts) {
      const a = lt.encode(text);
      const b = tok.encode(text);
      assert.deepEqual(
        b.tokens.map((t) => [t.id, t.start, t.end]),
        a.tokens.map((t) => [t.id, t.start, t.end]),
        JSON.stringify(text),
      );
      assert.equal(tok.decode(b.ids), text);
    }
    for (const c of ref.cases) assert.deepEqual(Array.from(tok.encode(c.text).ids), c.token_ids, JSON.stringify(c.text));
    assert.deepEqual(Array.from(tok.encode('Hi', { bos: false }).ids), Array.from(lt.encode('Hi', { bos: false }).ids));
    assert.deepEqual(
      tok
        .encode('x<s>y', { allowSpecial: true })
        .tokens.filter((t) => t.id === 1)
        .map((t) => [t.start, t.end]),
      [
        [0, 0],
        [1, 4],
      ],
    );
    assert.equal(tok.tokenLabel(3 + 0x0a), '<0x0A>');
  });

  it('other layouts of the same vocabularies give the same ids and spans: Metaspace pre-tokenizer (Llama, legacy false), Split + ByteLevel sequence (Llama 3 style)', async function () {
    const lt = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(requireFixture(this, 'stories260K', 'tok512.bin'))), 512);
    const legacy = llamaTokenizerJson(lt);
    const meta = HuggingFaceTokenizer.fromJson({
      ...legacy,
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false },
    });
    const prepend = HuggingFaceTokenizer.fromJson(legacy);
    for (const text of ['Lily went to the park.', 'a  b\n\nc', '注意🙂 x', 'end ']) {
      assert.deepEqual(meta.encode(text).tokens, prepend.encode(text).tokens, JSON.stringify(text));
    }
    const gpt2Json = JSON.parse(fs.readFileSync(requireFixture(this, 'gpt2_tokenizer', 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    const split = HuggingFaceTokenizer.fromJson({
      ...gpt2Json,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
    });
    const plain = await gpt2(this);
    for (const text of ['Hello world', "DON'T stop 🙂👨‍👩‍👧", '  spaced\r\n\tout  ', '注意力机制 é']) {
      assert.deepEqual(split.encode(text).tokens, plain.encode(text).tokens, JSON.stringify(text));
    }
  });

  it('refuses files that are not tokenizers, naming what was found', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-hftok-'));
    try {
      const write = (name: string, text: string): string => {
        fs.writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
      };
      await assert.rejects(loadHfTokenizer(write('tokenizer.json', '{"model": ')), /tokenizer file .* is not valid JSON/);
      await assert.rejects(loadHfTokenizer(write('t2.json', '{"a": 1}')), /not a tokenizer.json \(no "model"\); as a vocab.json it needs merges.txt beside it/);
      await assert.rejects(
        loadHfTokenizer(write('tokenizer.json', '{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}')),
        /"a" has id -1, expected an integer/,
      );
      await assert.rejects(
        loadHfTokenizer(write('tokenizer.json', '{"model": {"type": "Magic", "vocab": {}}}')),
        /model type "Magic" is not supported; expected BPE, WordPiece, Unigram/,
      );
      write('vocab.json', '{"a": 0, "b": 1}');
      await assert.rejects(loadHfTokenizer(write('merges.txt', '#version: 0.2\na b\n')), /merges.txt line 2 \("a b"\) uses "ab", which is not in vocab.json/);
      // A Replace normalizer whose content is an array nested 5,000 deep: the library would
      // overflow the stack turning it into a string; refused with where it is.
      const deep = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
      const replace = `{"type": "Replace", "pattern": {"String": "a"}, "content": ${deep}}`;
      const bpe = '{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}';
      await assert.rejects(
        loadHfTokenizer(write('tokenizer.json', `{"model": ${bpe}, "normalizer": ${replace}}`)),
        /tokenizer.json: the value at "normalizer\.content(\[0\]){30}" is nested more than 32 levels deep/,
      );
      const fine = `{"model": ${bpe}, "normalizer": {"type": "Sequence", "normalizers": [{"type": "Replace", "pattern": {"String": "a"}, "content": "b"}]}}`;
      assert.deepEqual(Array.from((await loadHfTokenizer(write('tokenizer.json', fine))).encode('ab').ids), [1, 1], 'real nesting is read');
      fs.rmSync(path.join(dir, 'tokenizer.json'));
      fs.rmSync(path.join(dir, 'merges.txt'));
      await assert.rejects(loadHfTokenizer(dir), /has no tokenizer.json and no vocab.json \+ merges.txt/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
