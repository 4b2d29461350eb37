/**
 * Fuzz properties of the Hugging Face readers: parseHfConfig (config.json),
 * parseHuggingFaceModel (config.json + safetensors weights), HuggingFaceTokenizer.fromJson
 * (tokenizer.json, then encode and decode random text) and byteLevelBpeJson (vocab.json +
 * merges.txt). Bases: the shared fixtures when present (GPT-2, GPT-NeoX, Qwen2, SmolLM2, BERT
 * and its classifier), and small Llama/GPT-2 folders built with the test helpers
 * (test/helpers/hfExport.ts) and the project's own writers. Options the engine does not
 * implement (RoPE scaling, sliding windows, other activations, relative positions, a BERT
 * decoder) must be refused by a HuggingFaceError naming the option. Tokenizer spans: byte-level
 * tokens through normalizers that rewrite several code points cover the text without holes, and
 * unknown tokens span exactly what they replaced (derived from the text alone).
 */

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { CheckpointError } from '../../../../src/engine/checkpoint/errors';
import { HuggingFaceError, parseHfConfig, parseHuggingFaceModel } from '../../../../src/engine/checkpoint/huggingface';
import { parseSafetensors } from '../../../../src/engine/checkpoint/safetensors';
import type { ModelConfig } from '../../../../src/engine/models/config';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { Llama2cTokenizer } from '../../../../src/engine/tokenizer/llama2cTokenizer';
import { HuggingFaceTokenizer, HuggingFaceTokenizerError } from '../../../../src/node/huggingface/hfTokenizer';
import { byteLevelBpeJson } from '../../../../src/node/huggingface/tokenizerFiles';
import { llamaConfigJson, llamaTensors, llamaTokenizerJson, writeSafetensors } from '../../../helpers/hfExport';
import {
  ReaderProbe,
  adversarialJsonText,
  fieldsOf,
  fixtureBytes,
  hostileValue,
  joinSafetensors,
  jsonMutation,
  mutateJsonText,
  mutatedBytes,
  prop,
  splitSafetensors,
  type FuzzProperty,
  type PropertySet,
} from '../harness';
import { checkValidConfig } from './modelConfig';
import { tokenizerFile } from './llama2c';

export const HF_MODEL_ERRORS = [CheckpointError];

const TINY_HF_LLAMA: ModelConfig = {
  architecture: 'llama',
  vocabSize: 8,
  contextLength: 8,
  dModel: 8,
  nLayers: 1,
  nHeads: 2,
  nKvHeads: 1,
  mlpHidden: 6,
  norm: 'rmsnorm',
  normEps: 1e-5,
  positional: 'rope',
  ropeTheta: 10000,
  ropeStyle: 'half',
  mlp: 'swiglu',
  bias: false,
  tiedEmbeddings: false,
  attentionMode: 'soft',
  dropout: 0,
};

const json = (bytes: Uint8Array | null): unknown => (bytes ? JSON.parse(new TextDecoder().decode(bytes)) : null);

interface HfFolder {
  readonly config: unknown;
  readonly weights: Uint8Array;
}

export function hfFolders(): { built: HfFolder[]; fixtures: HfFolder[] } {
  const model = Transformer.create(TINY_HF_LLAMA, new Rng(5));
  const built: HfFolder[] = [
    { config: llamaConfigJson(model, 'F32'), weights: writeSafetensors(llamaTensors(model), 'F32') },
    { config: llamaConfigJson(model, 'BF16'), weights: writeSafetensors(llamaTensors(model), 'BF16') },
  ];
  const fixtures: HfFolder[] = [];
  for (const dir of ['tiny_gpt2', 'tiny_random_gpt2', 'tiny_gptneox', 'tiny_qwen2', 'tiny_smollm2_sliced', 'tiny_bert', 'tiny_bert/seqcls']) {
    const config = json(fixtureBytes(dir, 'config.json'));
    const weights = fixtureBytes(dir, 'model.safetensors');
    if (config && weights) fixtures.push({ config, weights });
  }
  return { built, fixtures };
}

export function readHfModel(config: unknown, weights: Uint8Array): number {
  const m = parseHuggingFaceModel(config, parseSafetensors(weights));
  checkValidConfig(m.model.config);
  return m.model.spec.length;
}

export function hfConfigProperties(probe: ReaderProbe): PropertySet {
  const { built, fixtures } = hfFolders();
  const configs = [...built, ...fixtures].map((f) => f.config as Record<string, unknown>);
  const read = (raw: unknown): void => {
    const c = probe.check(0, () => parseHfConfig(raw));
    if (c) checkValidConfig(c.config);
  };
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  const goodish: Record<string, fc.Arbitrary<unknown>> = {};
  for (const k of keys) {
    const samples = configs.map((c) => c[k]).filter((v) => v !== undefined);
    goodish[k] = fc.oneof(
      fc.constantFrom(...samples),
      fc.constantFrom(
        null,
        0,
        -1,
        1,
        3,
        2 ** 31,
        2 ** 53,
        1e308,
        0.5,
        'gelu',
        'relu',
        'silu',
        'gpt2',
        'llama',
        'bert',
        'gpt_neox',
        'qwen2',
        'relative_key',
        true,
        false,
        [],
        {},
        { type: 'linear', factor: 2 },
        { rope_type: 'default' },
        { '0': 'a', '2': 'b' },
      ),
    );
  }
  // Every family's base config with one unimplemented option: refused, and the message names it.
  const byType = new Map(configs.map((c) => [c.model_type as string, c]));
  const unsupported: [string, string, unknown][] = [];
  for (const type of ['llama', 'qwen2', 'gpt_neox']) {
    for (const v of [{ type: 'linear', factor: 2 }, { rope_type: 'yarn', factor: 4 }, { rope_type: 'dynamic' }, { rope_type: 'llama3', factor: 8 }])
      unsupported.push([type, 'rope_scaling', v]);
    unsupported.push([type, 'rope_parameters', { rope_type: 'longrope', rope_theta: 10000 }]);
  }
  unsupported.push(['qwen2', 'use_sliding_window', true], ['qwen2', 'layer_types', ['sliding_attention', 'full_attention']]);
  for (const act of ['relu', 'quick_gelu', 'gelu_10', 'swish'])
    unsupported.push(['gpt_neox', 'hidden_act', act], ['bert', 'hidden_act', act], ['qwen2', 'hidden_act', act]);
  for (const pos of ['relative_key', 'relative_key_query', 'rotary']) unsupported.push(['bert', 'position_embedding_type', pos]);
  unsupported.push(
    ['bert', 'is_decoder', true],
    ['bert', 'add_cross_attention', true],
    ['gpt_neox', 'attention_bias', false],
    ['gpt_neox', 'rotary_pct', 0],
    ['gpt_neox', 'rotary_pct', 0.1],
  );
  const cases = unsupported.filter(([type]) => byType.has(type));
  const refused: Record<string, FuzzProperty> =
    cases.length === 0
      ? {}
      : {
          'unimplemented options are refused by name (RoPE scaling, sliding window, activations, relative positions, decoders)': prop(
            0.1,
            fc.property(fc.constantFrom(...cases), ([type, key, value]) => {
              // Through the probe, so each case counts as an input the reader saw.
              probe.check(0, () => {
                assert.throws(
                  () => parseHfConfig({ ...byType.get(type), [key]: value }),
                  (e: unknown) => e instanceof HuggingFaceError && e.message.includes(key),
                  `${type} ${key}=${JSON.stringify(value)}`,
                );
                return null;
              });
            }),
          ),
        };
  return {
    ...refused,
    'hostile values as config.json': prop(0.15, fc.property(hostileValue, read)),
    'configs with fields replaced, removed or added': prop(
      0.4,
      fc.property(fc.constantFrom(...configs), fieldsOf(goodish), (base, fields) => {
        const raw: Record<string, unknown> = { ...base };
        for (const [k, v] of Object.entries(fields)) Object.defineProperty(raw, k, { value: v, enumerable: true, writable: true, configurable: true });
        read(raw);
      }),
    ),
    'JSON mutations of real and built config.json files': prop(
      0.3,
      fc.property(fc.constantFrom(...configs), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), (base, ms) => {
        let raw: unknown;
        try {
          raw = JSON.parse(ms.reduce(mutateJsonText, JSON.stringify(base)));
        } catch {
          fc.pre(false); // not JSON: skipped, and not counted as a run
        }
        read(raw);
      }),
    ),
    'one field set to each adversarial JSON value': prop(
      0.15,
      fc.property(fc.constantFrom(...configs), fc.constantFrom(...keys), adversarialJsonText, (base, key, raw) => {
        read(JSON.parse(JSON.stringify({ ...base, [key]: '\u0002' }).replace('"\\u0002"', () => raw)));
      }),
    ),
  };
}

export function hfModelProperties(probe: ReaderProbe): PropertySet {
  const { built, fixtures } = hfFolders();
  const folders = [...built, ...fixtures];
  const read = (config: unknown, weights: Uint8Array): void => {
    probe.check(weights.length, () => readHfModel(config, weights));
  };
  return {
    'byte mutations of the weights (built Llama F32/BF16, GPT-2 fixtures)': prop(
      0.35,
      fc.property(
        fc.nat(folders.length - 1).chain((i) => fc.tuple(fc.constant(i), mutatedBytes([folders[i]!.weights], [0, 8]))),
        ([i, bytes]) => read(folders[i]!.config, bytes),
      ),
    ),
    'JSON mutations of the weights header (renamed, reshaped, retyped, extra and missing tensors)': prop(
      0.35,
      fc.property(fc.nat(folders.length - 1), fc.array(jsonMutation, { minLength: 1, maxLength: 2 }), (i, ms) => {
        const { headerText, data } = splitSafetensors(folders[i]!.weights);
        read(folders[i]!.config, joinSafetensors(ms.reduce(mutateJsonText, headerText), data));
      }),
    ),
    'JSON mutations of config.json against intact weights': prop(
      0.3,
      fc.property(fc.nat(folders.length - 1), fc.array(jsonMutation, { minLength: 1, maxLength: 2 }), (i, ms) => {
        let config: unknown;
        try {
          config = JSON.parse(ms.reduce(mutateJsonText, JSON.stringify(folders[i]!.config)));
        } catch {
          fc.pre(false); // not JSON: skipped, and not counted as a run
        }
        read(config, folders[i]!.weights);
      }),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Tokenizers

interface TokenizerBase {
  readonly json: Record<string, unknown>;
  readonly config: Record<string, unknown>;
}

export function hfTokenizerBases(): TokenizerBase[] {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const llama2c = Llama2cTokenizer.fromBytes(
    tokenizerFile([
      [enc(' '), -1],
      [enc('a'), -2],
      [enc('b'), -3],
      [enc('ab'), -0.5],
      [enc(' ab'), 0.25],
      [enc('é'), -4],
    ]),
  );
  const byteVocab: Record<string, number> = {};
  const chars = byteLevelChars();
  chars.forEach((c, i) => (byteVocab[c] = i));
  byteVocab['Ġt'] = 256;
  byteVocab['he'] = 257;
  byteVocab['Ġthe'] = 258;
  byteVocab['<|endoftext|>'] = 259;
  const bases: TokenizerBase[] = [
    { json: llamaTokenizerJson(llama2c), config: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' } },
    {
      json: byteLevelBpeJson(byteVocab, '#version: 0.2\nĠ t\nh e\nĠt he\n', { eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' }),
      config: { eos_token: '<|endoftext|>' },
    },
  ];
  const fixture = json(fixtureBytes('tiny_random_gpt2', 'tokenizer.json'));
  if (fixture)
    bases.push({
      json: fixture as Record<string, unknown>,
      config: (json(fixtureBytes('tiny_random_gpt2', 'tokenizer_config.json')) ?? {}) as Record<string, unknown>,
    });
  return bases;
}

/** GPT-2's byte → printable character table, written out independently of the reader. */
function byteLevelChars(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i]!)));
  return out;
}

export function useHfTokenizer(tokenizerJson: unknown, config: unknown, text: string, allowSpecial: boolean, bos: boolean | undefined): number {
  const tok = HuggingFaceTokenizer.fromJson(tokenizerJson, config);
  const enc = tok.encode(text, { allowSpecial, ...(bos === undefined ? {} : { bos }) });
  for (const t of enc.tokens) {
    assert.ok(Number.isInteger(t.id) && t.id >= 0 && t.id < tok.vocabSize, `id ${t.id} of ${tok.vocabSize}`);
    assert.ok(t.start >= 0 && t.start <= t.end && t.end <= text.length, `span [${t.start}, ${t.end}) of ${text.length}`);
  }
  tok.decode(enc.ids);
  for (let id = 0; id < Math.min(tok.vocabSize, 4); id++) tok.tokenLabel(id);
  return enc.ids.length;
}

export function hfTokenizerProperties(probe: ReaderProbe): PropertySet {
  const bases = hfTokenizerBases();
  const text = fc.oneof(
    fc.string({ maxLength: 16 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.constantFrom('', 'the ab', '<|endoftext|>x', '<s> é', '\ud800 \u0000'),
  );
  const read = (j: unknown, config: unknown, t: string, allowSpecial: boolean, bos: boolean | undefined): void => {
    probe.check(0, () => useHfTokenizer(j, config, t, allowSpecial, bos));
  };
  const texts = bases.map((b) => JSON.stringify(b.json)); // serialised once: the fixture's is 31 KB
  // Built once: the byte-level base under normalizers that act on more than one code point at a time.
  const normalized = NORMALIZERS.map((normalizer) => HuggingFaceTokenizer.fromJson({ ...bases[1]!.json, normalizer }, bases[1]!.config));
  const spanText = fc.string({ unit: fc.constantFrom(...SPAN_ALPHABET), maxLength: 12 });
  const unknownTokenizers = { wordPiece: HuggingFaceTokenizer.fromJson(UNKNOWN_WORDPIECE), bpe: HuggingFaceTokenizer.fromJson(UNKNOWN_BPE) };
  const unknownText = fc.string({ unit: fc.constantFrom('a', 'b', 'x', '☃', '😀', '.', ' ', ' '), maxLength: 14 });
  const bos = fc.constantFrom(undefined, true, false);
  // The fixture (31 KB, ~1000 merges) costs ten times a built one to load: a sixth of the inputs.
  const base = fc.oneof({ weight: 5, arbitrary: fc.nat(1) }, { weight: bases.length > 2 ? 1 : 0, arbitrary: fc.constant(bases.length - 1) });
  return {
    'hostile values as tokenizer.json and tokenizer_config.json': prop(
      0.1,
      fc.property(hostileValue, fc.oneof(hostileValue, fc.constant({})), text, fc.boolean(), bos, read),
    ),
    'JSON mutations of tokenizer.json (model, vocab, merges, added tokens, normalizer, templates)': prop(
      0.55,
      fc.property(base, fc.array(jsonMutation, { minLength: 1, maxLength: 2 }), text, fc.boolean(), bos, (i, ms, t, special, b) => {
        let j: unknown;
        try {
          j = JSON.parse(ms.reduce(mutateJsonText, texts[i]!));
        } catch {
          fc.pre(false); // not JSON: skipped, and not counted as a run
        }
        read(j, bases[i]!.config, t, special, b);
      }),
    ),
    'JSON mutations of tokenizer_config.json': prop(
      0.15,
      fc.property(base, fc.array(jsonMutation, { minLength: 1, maxLength: 2 }), text, (i, ms, t) => {
        let c: unknown;
        try {
          c = JSON.parse(
            ms.reduce(mutateJsonText, JSON.stringify({ bos_token: '<s>', eos_token: { content: '</s>' }, unk_token: '<unk>', add_bos_token: true })),
          );
        } catch {
          fc.pre(false); // not JSON: skipped, and not counted as a run
        }
        read(bases[i]!.json, c, t, false, undefined);
      }),
    ),
    'spans through normalizers that rewrite code points together (NFC, NFD, lowercase, Replace, StripAccents): byte-level tokens cover the text without holes':
      prop(
        0.05,
        fc.property(fc.nat(normalized.length - 1), spanText, (i, t) => {
          probe.check(0, () => checkByteLevelCover(normalized[i]!, t));
        }),
      ),
    'unknown tokens span what they replaced: a WordPiece [UNK] its word, a BPE <unk> its character': prop(
      0.05,
      fc.property(fc.boolean(), unknownText, (wordPiece, t) => {
        probe.check(0, () => checkUnknownSpans(wordPiece ? unknownTokenizers.wordPiece : unknownTokenizers.bpe, wordPiece, t));
      }),
    ),
    'vocab.json + merges.txt: random merges lines and vocabularies': prop(
      0.2,
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('Ġ', 't', 'h', 'Ġt', 'he', 'th', '<|endoftext|>', '__proto__')),
          fc.oneof(fc.nat(40), fc.constantFrom(-1, 0.5, 2 ** 22, NaN as unknown as number)),
          { maxKeys: 12 },
        ),
        fc.array(fc.oneof(fc.constantFrom('#version: 0.2', '', 'Ġ t', 't h', 'a', 'a b c', ' t', 'Ġt he', 'h e'), fc.string({ maxLength: 6 })), {
          maxLength: 6,
        }),
        fc.oneof(fc.constant({}), fc.constant({ unk_token: '<|endoftext|>', add_prefix_space: true }), hostileValue),
        text,
        (vocab, lines, config, t) => {
          probe.check(0, () => {
            const cfg = typeof config === 'object' && config !== null && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
            const j = byteLevelBpeJson(vocab, lines.join('\n'), cfg);
            return useHfTokenizer(j, cfg, t, false, undefined);
          });
        },
      ),
    ),
  };
}

const NORMALIZERS: unknown[] = [
  { type: 'NFC' },
  { type: 'NFD' },
  { type: 'NFKC' },
  { type: 'Lowercase' },
  { type: 'Replace', pattern: { String: "''" }, content: '"' },
  { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }] },
];
/** Base letters, combining marks, Hangul jamo, a final-sigma candidate, expanding lowercase, a ligature, a surrogate pair. */
const SPAN_ALPHABET = ['a', 'e', 't', ' ', "'", '\u0301', '\u0308', '\u0323', '\u1100', '\u1161', '\u11a8', 'Σ', 'Ο', 'İ', 'é', 'ﬁ', '😀'];

/** A byte-level tokenizer drops nothing: its tokens' spans go forward and cover every UTF-16 unit of the text. */
function checkByteLevelCover(tok: HuggingFaceTokenizer, text: string): number {
  const enc = tok.encode(text, { bos: false });
  if (enc.tokens.length === 0) return 0; // everything was removed (StripAccents of marks alone)
  let reach = 0;
  enc.tokens.forEach((t, k) => {
    const prev = enc.tokens[k - 1];
    assert.ok(!prev || (t.start >= prev.start && t.end >= prev.end), `spans go forward at token ${k} in ${JSON.stringify(text)}`);
    assert.ok(t.start <= reach && t.start < t.end, `token ${k} [${t.start}, ${t.end}) leaves a hole after ${reach} in ${JSON.stringify(text)}`);
    reach = Math.max(reach, t.end);
  });
  assert.equal(reach, text.length, `the tokens of ${JSON.stringify(text)} end at ${reach}`);
  return enc.ids.length;
}

// Tokenizers that know only "a" and "b": everything else is unknown.
const UNKNOWN_WORDPIECE = {
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: { '[UNK]': 0, a: 1, b: 2, '##a': 3, '##b': 4 },
  },
  pre_tokenizer: { type: 'BertPreTokenizer' },
};
const UNKNOWN_BPE = {
  model: { type: 'BPE', unk_token: '<unk>', fuse_unk: false, vocab: { '<unk>': 0, a: 1, b: 2, ab: 3 }, merges: ['a b'] },
  pre_tokenizer: { type: 'WhitespaceSplit' },
};

/**
 * Where the unknown tokens must be, derived from the text alone: for WordPiece every word (a run
 * of non-space, non-punctuation characters, or one punctuation character) holding anything but
 * a/b is one [UNK] spanning it; for BPE every such character is one <unk> spanning it.
 */
function checkUnknownSpans(tok: HuggingFaceTokenizer, wordPiece: boolean, text: string): number {
  const pattern = wordPiece ? /[^\s.]+|\./gu : /[^\sab]/gu;
  const want = [...text.matchAll(pattern)].filter((m) => !wordPiece || /[^ab]/.test(m[0])).map((m) => [m.index, m.index + m[0].length]);
  const enc = tok.encode(text, { bos: false });
  assert.deepEqual(
    enc.tokens.filter((t) => t.id === 0).map((t) => [t.start, t.end]),
    want,
    JSON.stringify(text),
  );
  return enc.ids.length;
}

export { HuggingFaceTokenizerError };
