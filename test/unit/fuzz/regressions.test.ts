/**
 * Regression cases of the bugs the fuzz tests found, kept two ways:
 * - replays: the fast-check seed and path of a failing run, replayed against the same property
 *   (they reproduce only while the property's arbitraries are unchanged: if you edit an
 *   arbitrary in props/, the replay silently tests another input, so keep the concrete cases);
 * - concrete inputs: the smallest input of each bug, written out, independent of fast-check.
 * Each was found with the fix reverted and passes with it.
 */

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { CheckpointError } from '../../../src/engine/checkpoint/errors';
import { HuggingFaceError, parseHfConfig } from '../../../src/engine/checkpoint/huggingface';
import { SafetensorsError, parseSafetensors } from '../../../src/engine/checkpoint/safetensors';
import { parseCheckpoint } from '../../../src/engine/checkpoint/native';
import { CharTokenizer, CharTokenizerError } from '../../../src/engine/tokenizer/charTokenizer';
import { TokenizerJsonError, tokenizerFromJson } from '../../../src/engine/tokenizer/fromJson';
import { Llama2cTokenizer, Llama2cTokenizerError } from '../../../src/engine/tokenizer/llama2cTokenizer';
import { HuggingFaceTokenizer, HuggingFaceTokenizerError } from '../../../src/node/huggingface/hfTokenizer';
import { parseSettings } from '../../../src/protocol/settings';
import { parseHostMessage } from '../../../src/worker/validate';
import { FIXTURES, MAX_MESSAGE_CHARS, ReaderProbe, joinSafetensors, replay, splitSafetensors, type PropertySet } from './harness';
import { charTokenizerProperties } from './props/charTokenizer';
import { HF_MODEL_ERRORS, hfConfigProperties, hfModelProperties, hfTokenizerBases, hfTokenizerProperties } from './props/huggingface';
import { llama2cTokenizerProperties, tokenizerFile } from './props/llama2c';
import { hostMessageProperties } from './props/messages';
import { NATIVE_ERRORS, TINY_CONFIGS, nativeProperties, tinyCheckpoint } from './props/native';
import { safetensorsProperties } from './props/safetensors';

type ErrorClass = abstract new (...args: never[]) => Error;

interface Replay {
  readonly properties: (probe: ReaderProbe) => PropertySet;
  /** The reader's named errors (anything else fails the replay, as in the fuzz test). */
  readonly errors: readonly ErrorClass[];
  readonly property: string;
  readonly seed: number;
  readonly path: string;
  /** What the run found before the fix. */
  readonly found: string;
  /** The property's inputs depend on the shared fixtures (skipped without them). */
  readonly fixtures?: boolean;
}

const st = (p: ReaderProbe): PropertySet => safetensorsProperties(p);
const ST = [SafetensorsError];
const CHAR = [CharTokenizerError];

const REPLAYS: readonly Replay[] = [
  {
    properties: st,
    errors: ST,
    property: 'JSON mutations of valid headers (adversarial values, __proto__ keys, deep nesting), exact or hostile length prefix',
    seed: 1294212613,
    path: '72:0:0',
    found: 'RangeError (Maximum call stack size exceeded) from a deeply nested header value',
  },
  {
    properties: st,
    errors: ST,
    property: 'adversarial JSON values in each field of a one-tensor file',
    seed: -1740027037,
    path: '25:0:0',
    found: 'RangeError (Maximum call stack size exceeded) from a deeply nested header value',
  },
  {
    properties: st,
    errors: ST,
    property: 'byte and JSON mutations of the Hugging Face fixtures (skipped without ../shared/fixtures)',
    seed: -35762748,
    path: '75:0:1:2:1:1:1:1:1:1:1:1:1:1:1:1:1:1:2:1:1:1:1:1:1:1:1:1:1:1:1:1:1:3:3:4:3:3:4:3:3:3:3:6:3:3',
    found: 'a 4,003-character SafetensorsError (whole dtype value printed)',
    fixtures: true,
  },
  {
    properties: nativeProperties,
    errors: NATIVE_ERRORS,
    property: 'JSON mutations inside the metadata strings (model config, training state, tokenizer, format)',
    seed: -430315232,
    path: '6:1:1',
    found: 'a 192,070-character CheckpointError (whole format_version printed)',
  },
  {
    properties: nativeProperties,
    errors: NATIVE_ERRORS,
    property: 'one model-config field or training field set to an adversarial value',
    seed: 21298551,
    path: '27:0',
    found: 'RangeError (Maximum call stack size exceeded) printing a deeply nested training field',
  },
  {
    properties: nativeProperties,
    errors: NATIVE_ERRORS,
    property: 'one model-config field or training field set to an adversarial value',
    seed: -320472273,
    path: '6:0:1:0:0:2:0:1:0:1:0',
    found: 'a 4,001-character CheckpointError (whole training.step printed)',
  },
  {
    properties: nativeProperties,
    errors: NATIVE_ERRORS,
    property: 'JSON mutations of the safetensors header',
    seed: -342980114,
    path: '9:0:0',
    found: 'RangeError (Maximum call stack size exceeded) from a deeply nested header value',
  },
  {
    properties: charTokenizerProperties,
    errors: CHAR,
    property: 'descriptions with fields replaced (sparse, unsorted, out-of-range, huge code point lists)',
    seed: 518527842,
    path: '0:3:3:3:3:3:3',
    found: 'RangeError (Invalid code point NaN): a sparse codePoints array passed validation',
  },
  {
    properties: charTokenizerProperties,
    errors: CHAR,
    property: 'one field set to each adversarial JSON value',
    seed: -61445294,
    path: '1:0:0:0',
    found: 'RangeError (Maximum call stack size exceeded) printing a deeply nested kind',
  },
  {
    properties: charTokenizerProperties,
    errors: CHAR,
    property: 'JSON mutations of valid descriptions',
    seed: 1403427563,
    path: '5:5:3:3:2:2:3:2:7:2:2:3:4:4:2:15:15:15:15',
    found: 'a 4,001-character CharTokenizerError (whole kind printed)',
  },
  {
    properties: llama2cTokenizerProperties,
    errors: [Llama2cTokenizerError],
    property: 'byte mutations of small tokenizer files (record lengths, max_token_length, pieces)',
    seed: -335735619,
    path: '425:1:1:1:1:1:1:1',
    found: 'a 4,966-character Llama2cTokenizerError (whole piece with a NUL byte printed)',
  },
  {
    properties: hostMessageProperties,
    errors: [],
    property: 'every message type with fields by turns valid, hostile, missing or extra',
    seed: -53049051,
    path: '179:2:3:4:4:4',
    found: 'a "tokens" message with sparse ranges accepted with holes',
  },
  {
    properties: hfConfigProperties,
    errors: [HuggingFaceError],
    property: 'hostile values as config.json',
    seed: -105967595,
    path: '4:4:3:4:3:3:4:4:4:3',
    found: 'TypeError (Do not know how to serialize a BigInt) describing a value',
  },
  {
    properties: hfConfigProperties,
    errors: [HuggingFaceError],
    property: 'one field set to each adversarial JSON value',
    seed: -246684602,
    path: '76:2',
    found: 'RangeError (Maximum call stack size exceeded) describing a deeply nested value',
    fixtures: true,
  },
  {
    properties: hfConfigProperties,
    errors: [HuggingFaceError],
    property: 'JSON mutations of real and built config.json files',
    seed: 306894283,
    path: '30:3:3:3:3:29:29:28:28:30:35:28',
    found: 'a 4,001-character HuggingFaceError (whole activation_function printed)',
    fixtures: true,
  },
  {
    properties: hfConfigProperties,
    errors: [HuggingFaceError],
    property: 'JSON mutations of real and built config.json files',
    seed: -739858325,
    path: '408:3:2:4:35:42:36:36:36:36:50',
    found: 'RangeError (Invalid array length): a classifier with num_labels 4294967296 and no id2label',
    fixtures: true,
  },
  {
    properties: hfModelProperties,
    errors: HF_MODEL_ERRORS,
    property: 'JSON mutations of config.json against intact weights',
    seed: 1428481611,
    path: '0:0:0:0',
    found: 'RangeError (Maximum call stack size exceeded) describing a deeply nested config value',
    fixtures: true,
  },
  {
    properties: hfTokenizerProperties,
    errors: [HuggingFaceTokenizerError],
    property: 'JSON mutations of tokenizer.json (model, vocab, merges, added tokens, normalizer, templates)',
    seed: 855157479,
    path: '192:25:23:21:16:25:16:16:19:18:18:20:19:19:19:20:19:19:20:20',
    found: 'TypeError (Cannot convert object to primitive value) from a mutated tokenizer.json',
    fixtures: true,
  },
  {
    properties: hfTokenizerProperties,
    errors: [HuggingFaceTokenizerError],
    property: 'JSON mutations of tokenizer.json (model, vocab, merges, added tokens, normalizer, templates)',
    seed: 1075203472,
    path: '4198:12:15:3:3:3:3:3:3:15:31:33:42:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:41:44:43:43:44:43:43:49:49:49',
    found: 'an encoding with id 5e-324 (not a whole number) from a mutated tokenizer.json, which Int32Array truncated to 0',
    fixtures: true,
  },
  {
    properties: hfTokenizerProperties,
    errors: [HuggingFaceTokenizerError],
    property: 'JSON mutations of tokenizer.json (model, vocab, merges, added tokens, normalizer, templates)',
    seed: -2017027335,
    path: '3151:38:35:38:35:35:35:35:35:37:35:35:38:35:36:35:43:45:42:44:42:43:44:43:42:42:42:45:42:46:56:49:44:44:50:50:50',
    found: "RangeError (Maximum call stack size exceeded) in the library's Replace normalizer, whose content was an array nested thousands deep",
    fixtures: true,
  },
  {
    properties: hfTokenizerProperties,
    errors: [HuggingFaceTokenizerError],
    property: 'JSON mutations of tokenizer.json (model, vocab, merges, added tokens, normalizer, templates)',
    seed: -1416364636,
    path: '2032:0:28:11:12:10:10:12:11:10:10:10:15:11:11:15:14:14:16:16:15:14:15:14:15:15:14:14:14:14:14:14:14:14:14:19:18:18:18:18:18:18:20:18:22:27:22:25:22:24:22:23:25:22:23:23',
    found: 'SyntaxError (Invalid regular expression: too large) from the normalizer run for token spans, the one library call not wrapped as the others are',
    fixtures: true,
  },
];

const haveFixtures = ['tiny_gpt2', 'tiny_random_gpt2', 'tiny_gpt2_golden', 'stories260K'].every((d) => fs.existsSync(`${FIXTURES}/${d}`));

function throwsNamed(fn: () => unknown, cls: abstract new (...args: never[]) => Error): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.ok(e.message.length <= MAX_MESSAGE_CHARS, `message of ${e.message.length} characters`);
    return true;
  });
}

const deepArray = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const long = 'x'.repeat(100_000);

describe('fuzz regressions: recorded seeds replay', function () {
  this.timeout(60_000);
  for (const r of REPLAYS) {
    it(`${r.property} — seed ${r.seed} (was: ${r.found})`, function () {
      if (r.fixtures && !haveFixtures) return this.skip();
      const set = r.properties(new ReaderProbe('replay', r.errors));
      const p = set[r.property];
      assert.ok(p, `no property named ${JSON.stringify(r.property)}`);
      if (p.skip) return this.skip();
      replay(p, r.seed, r.path);
    });
  }
});

describe('fuzz regressions: concrete inputs', () => {
  it('safetensors: a header value nested 20,000 deep is a SafetensorsError, not a stack overflow', () => {
    throwsNamed(
      () => parseSafetensors(joinSafetensors(`{"t":{"dtype":"F32","shape":${deepArray(20_000)},"data_offsets":[0,0]}}`, new Uint8Array(0))),
      SafetensorsError,
    );
    throwsNamed(() => parseSafetensors(joinSafetensors(deepArray(20_000), new Uint8Array(0))), SafetensorsError);
    throwsNamed(() => parseSafetensors(joinSafetensors(`{"__metadata__":{"k":${deepArray(20_000)}}}`, new Uint8Array(0))), SafetensorsError);
  });

  it('safetensors: a 100,000-character dtype or tensor name gives a short message', () => {
    throwsNamed(() => parseSafetensors(joinSafetensors(`{"t":{"dtype":"${long}","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4))), SafetensorsError);
    throwsNamed(() => parseSafetensors(joinSafetensors(`{"${long}":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, new Uint8Array(4))), SafetensorsError);
  });

  it('native checkpoint: a long format_version and a deeply nested training step are short CheckpointErrors', () => {
    const base = tinyCheckpoint(TINY_CONFIGS.gpt, 1, true);
    const withMeta = (edit: (meta: Record<string, string>) => void): Uint8Array => {
      const { headerText, data } = splitSafetensors(base);
      const header = JSON.parse(headerText) as { __metadata__: Record<string, string> };
      edit(header.__metadata__);
      return joinSafetensors(JSON.stringify(header), data);
    };
    throwsNamed(() => parseCheckpoint(withMeta((m) => (m.format_version = long))), CheckpointError);
    throwsNamed(() => parseCheckpoint(withMeta((m) => (m.format = long))), CheckpointError);
    throwsNamed(() => parseCheckpoint(withMeta((m) => (m.training = m.training!.replace(/"step":\d+/, `"step":${deepArray(20_000)}`)))), CheckpointError);
    throwsNamed(
      () => parseCheckpoint(withMeta((m) => (m.training = m.training!.replace(/"options":\{"steps":\d+/, `"options":{"steps":${deepArray(20_000)}`)))),
      CheckpointError,
    );
  });

  it('char tokenizer: a sparse codePoints array is refused; huge or deep kinds give short messages', () => {
    // eslint-disable-next-line no-sparse-arrays
    throwsNamed(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: [65, , 67] }), CharTokenizerError);
    throwsNamed(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: new Array(3) }), CharTokenizerError);
    throwsNamed(() => CharTokenizer.fromJSON({ kind: long, version: 1, codePoints: [] }), CharTokenizerError);
    throwsNamed(() => CharTokenizer.fromJSON({ kind: 'char', version: JSON.parse(deepArray(20_000)), codePoints: [] }), CharTokenizerError);
    throwsNamed(() => tokenizerFromJson({ kind: JSON.parse(deepArray(20_000)) }), TokenizerJsonError);
  });

  it('llama2.c tokenizer: a 100 KB piece with a NUL byte gives a short message', () => {
    const piece = new Uint8Array(100_000).fill(0x61);
    piece[5] = 0;
    throwsNamed(() => Llama2cTokenizer.fromBytes(tokenizerFile([[piece, 0]])), Llama2cTokenizerError);
  });

  it('worker messages: sparse "ranges" are refused, not passed on with holes', () => {
    // eslint-disable-next-line no-sparse-arrays
    for (const ranges of [
      [, , ,],
      [{ start: 0, end: 1 }, , { start: 2, end: 3 }],
    ]) {
      const r = parseHostMessage(structuredClone({ type: 'tokens', id: 1, windowStride: 0, documentKey: 'k', version: 0, text: null, ranges }));
      assert.equal(r.ok, false);
    }
  });

  it('settings: a learning rate or batch size of the wrong type falls back to the default, not the lower bound', () => {
    const s = parseSettings({ training: { batchSize: {}, learningRate: 'fast' } });
    assert.equal(s.training.batchSize, null);
    assert.equal(s.training.learningRate, null);
    assert.equal(parseSettings({ training: { learningRate: Infinity } }).training.learningRate, null);
    assert.equal(parseSettings({ training: { learningRate: 5 } }).training.learningRate, 1);
  });

  it('HF config.json: long or deeply nested values give short HuggingFaceErrors', () => {
    throwsNamed(() => parseHfConfig({ model_type: 'llama', hidden_act: long }), CheckpointError);
    throwsNamed(() => parseHfConfig({ model_type: 'gpt2', activation_function: long }), CheckpointError);
    throwsNamed(() => parseHfConfig({ model_type: JSON.parse(deepArray(20_000)) }), CheckpointError);
    throwsNamed(() => parseHfConfig({ model_type: 't5', architectures: [long] }), CheckpointError);
  });

  it('HF config.json: a classifier with num_labels 2³² and no id2label is a HuggingFaceError, not an array of 2³² labels', () => {
    const bert = { model_type: 'bert', architectures: ['BertForSequenceClassification'], hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2 };
    throwsNamed(() => parseHfConfig({ ...bert, intermediate_size: 16, vocab_size: 11, max_position_embeddings: 16, num_labels: 4294967296 }), HuggingFaceError);
  });

  it('HF tokenizer.json: a deep model type, a broken template and an added token id of 1e21 are HuggingFaceTokenizerErrors', () => {
    const llama = hfTokenizerBases()[0]!;
    throwsNamed(() => HuggingFaceTokenizer.fromJson({ model: { type: JSON.parse(deepArray(20_000)), vocab: {} } }), HuggingFaceTokenizerError);
    const brokenTemplate = { ...llama.json, post_processor: { ...(llama.json.post_processor as object), single: false } };
    throwsNamed(() => HuggingFaceTokenizer.fromJson(brokenTemplate, llama.config).encode('ab'), HuggingFaceTokenizerError);
    const added = (llama.json.added_tokens as Record<string, unknown>[]).map((t, i) => (i === 0 ? { ...t, id: 1e21 } : t));
    throwsNamed(() => HuggingFaceTokenizer.fromJson({ ...llama.json, added_tokens: added }, llama.config).encode('ab'), HuggingFaceTokenizerError);
  });
});
