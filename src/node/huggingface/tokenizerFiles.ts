/**
 * Finding and reading a Hugging Face tokenizer on disk: a `tokenizer.json` (with the
 * `tokenizer_config.json` beside it when present), the "slow" GPT-2 pair `vocab.json` +
 * `merges.txt` (turned into the equivalent byte-level BPE tokenizer.json, as transformers'
 * GPT2Converter does), or a model folder holding either.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { readFileBytes } from '../readFileBytes';
import { HuggingFaceTokenizer, HuggingFaceTokenizerError } from './hfTokenizer';

type Json = Record<string, unknown>;

/** tokenizer.json files of large vocabularies reach tens of MB; this is far above any real one. */
const MAX_TOKENIZER_BYTES = 512 * 1024 * 1024;

/** True when a folder holds a tokenizer this module can read. */
export function folderHasHfTokenizer(dir: string): boolean {
  return isFile(path.join(dir, 'tokenizer.json')) || (isFile(path.join(dir, 'vocab.json')) && isFile(path.join(dir, 'merges.txt')));
}

/**
 * A tokenizer from `file`: a folder (tokenizer.json preferred, else vocab.json + merges.txt),
 * a tokenizer.json, a vocab.json (merges.txt beside it) or a merges.txt (vocab.json beside it).
 */
export async function loadHfTokenizer(file: string): Promise<HuggingFaceTokenizer> {
  if (isDirectory(file)) {
    if (isFile(path.join(file, 'tokenizer.json'))) return fromTokenizerJson(path.join(file, 'tokenizer.json'));
    if (isFile(path.join(file, 'vocab.json')) && isFile(path.join(file, 'merges.txt')))
      return fromSlowFiles(path.join(file, 'vocab.json'), path.join(file, 'merges.txt'));
    throw new HuggingFaceTokenizerError(`folder ${file} has no tokenizer.json and no vocab.json + merges.txt`);
  }
  const base = path.basename(file).toLowerCase();
  if (base.endsWith('.txt')) return fromSlowFiles(path.join(path.dirname(file), 'vocab.json'), file);
  const json = await readJson(file, 'tokenizer file');
  if (isObject(json) && isObject(json.model)) return build(json, file);
  const merges = path.join(path.dirname(file), 'merges.txt');
  if (!isFile(merges)) {
    throw new HuggingFaceTokenizerError(`${file} is not a tokenizer.json (no "model"); as a vocab.json it needs merges.txt beside it, which is missing`);
  }
  return fromSlowFiles(file, merges, json);
}

async function fromTokenizerJson(file: string): Promise<HuggingFaceTokenizer> {
  return build(await readJson(file, 'tokenizer.json'), file);
}

async function build(json: unknown, file: string): Promise<HuggingFaceTokenizer> {
  return HuggingFaceTokenizer.fromJson(json, await tokenizerConfigBeside(file), file);
}

async function fromSlowFiles(vocabFile: string, mergesFile: string, vocab?: unknown): Promise<HuggingFaceTokenizer> {
  if (!isFile(vocabFile)) throw new HuggingFaceTokenizerError(`${mergesFile} needs vocab.json beside it, which is missing`);
  const vocabJson = vocab ?? (await readJson(vocabFile, 'vocab.json'));
  const merges = new TextDecoder().decode(await read(mergesFile, 'merges.txt'));
  const config = await tokenizerConfigBeside(vocabFile);
  return HuggingFaceTokenizer.fromJson(byteLevelBpeJson(vocabJson, merges, config, vocabFile), config, `${vocabFile} + merges.txt`);
}

/**
 * The tokenizer.json transformers' GPT2Converter makes from vocab.json + merges.txt: byte-level
 * pre-tokenizer and decoder, BPE without dropout. Deliberate difference: when tokenizer_config
 * names an unk token that is in the vocabulary, characters without a token become it, as the
 * slow GPT2Tokenizer does (the converter would drop them silently).
 */
export function byteLevelBpeJson(vocab: unknown, mergesText: string, config: Json, source = 'vocab.json'): Json {
  if (!isObject(vocab)) throw new HuggingFaceTokenizerError(`${source} is not a JSON object of token → id`);
  const lines = mergesText.split(/\r?\n/);
  const merges: string[] = [];
  lines.forEach((line, i) => {
    if ((i === 0 && line.startsWith('#version')) || line.trim() === '') return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new HuggingFaceTokenizerError(`merges.txt line ${i + 1} is ${JSON.stringify(line.slice(0, 60))}, expected two tokens separated by one space`);
    }
    for (const part of [parts[0]!, parts[1]!, parts[0]! + parts[1]!]) {
      if (!Object.prototype.hasOwnProperty.call(vocab, part)) {
        throw new HuggingFaceTokenizerError(
          `merges.txt line ${i + 1} (${JSON.stringify(line.slice(0, 60))}) uses ${JSON.stringify(part.slice(0, 60))}, which is not in ${path.basename(source)}`,
        );
      }
    }
    merges.push(line);
  });
  const added = addedTokens(vocab, config);
  const unk = tokenContent(config.unk_token);
  const bos = tokenContent(config.bos_token);
  const addBos = config.add_bos_token === true && bos !== null && Object.prototype.hasOwnProperty.call(vocab, bos);
  return {
    version: '1.0',
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: config.add_prefix_space === true, trim_offsets: true, use_regex: true },
    post_processor: addBos
      ? { type: 'TemplateProcessing', single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} }
      : { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      unk_token: unk !== null && Object.prototype.hasOwnProperty.call(vocab, unk) ? unk : null,
      vocab,
      merges,
    },
  };
}

/** added_tokens_decoder from tokenizer_config.json, else the named special tokens that are in the vocabulary. */
function addedTokens(vocab: Json, config: Json): Json[] {
  const decoder = config.added_tokens_decoder;
  if (isObject(decoder)) {
    return Object.entries(decoder).flatMap(([id, t]) => {
      if (!isObject(t) || typeof t.content !== 'string' || !/^\d+$/.test(id)) return [];
      return [
        {
          id: Number(id),
          content: t.content,
          single_word: t.single_word === true,
          lstrip: t.lstrip === true,
          rstrip: t.rstrip === true,
          normalized: t.normalized === true,
          special: t.special === true,
        },
      ];
    });
  }
  const names = new Set(['bos_token', 'eos_token', 'unk_token', 'pad_token'].map((k) => tokenContent(config[k])).filter((c): c is string => c !== null));
  return [...names]
    .filter((c) => typeof vocab[c] === 'number')
    .map((c) => ({ id: vocab[c], content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
}

function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return null;
}

async function tokenizerConfigBeside(file: string): Promise<Json> {
  const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
  if (!isFile(configFile)) return {};
  const json = await readJson(configFile, 'tokenizer_config.json');
  return isObject(json) ? json : {};
}

async function readJson(file: string, what: string): Promise<unknown> {
  const text = new TextDecoder().decode(await read(file, what));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HuggingFaceTokenizerError(`${what} ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

async function read(file: string, what: string): Promise<Uint8Array> {
  try {
    return await readFileBytes(file, { maxBytes: MAX_TOKENIZER_BYTES });
  } catch (e) {
    throw new HuggingFaceTokenizerError(`cannot read ${what}: ${(e as Error).message}`);
  }
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
