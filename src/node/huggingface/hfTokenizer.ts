/**
 * A Hugging Face `tokenizer.json` as an engine Tokenizer, through the `@huggingface/tokenizers`
 * library (pure JS, reads local JSON; the engine itself imports no npm packages, so the adapter
 * lives on the node side). The library decides the ids; this adapter adds what it lacks:
 *
 * - character spans for every token (spans.ts aligns token surfaces with the text);
 * - the checks Rust `tokenizers` makes and the library does not (tokenizerJsonChecks.ts: merges
 *   of vocabulary tokens, ids without holes);
 * - special-token strings written in the text are plain text unless `allowSpecial` (an
 *   instance built without the special added tokens, as Rust `tokenizers`' `encode_special_tokens`);
 * - the post-processor's BOS/EOS only when asked (`bos`, default: the tokenizer's own template);
 * - GPT-2's pre-tokenizer regex uses Unicode White_Space for `\s`, as the Rust library does:
 *   JavaScript's `\s` also matches U+FEFF, which would split `" \uFEFF"` differently.
 */

import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import { quote, readableLabel, type EncodeOptions, type Encoding, type Tokenizer, type TokenSpan } from '../../engine';
import { byteLevelBytes, readableBytes, utf8 } from './byteLevel';
import { recordPieces, withPieces, type PieceModel } from './modelPieces';
import { alignSpans, type SpanSource } from './spans';
import { MAX_ID, idGapProblem, mergesProblem, nestingProblem, patternProblem, vocabIdProblem } from './tokenizerJsonChecks';

export class HuggingFaceTokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HuggingFaceTokenizerError';
  }
}

type Json = Record<string, unknown>;

interface AddedTokenJson {
  readonly id: number;
  readonly content: string;
  readonly special?: boolean;
}

/** The library's callable components (typed loosely: they are functions with extra fields). */
interface LibInternals {
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: unknown;
  post_processor: ((a: string[], b: string[] | null, addSpecial: boolean) => { tokens: string[] }) | null;
  model: LibModel;
}

interface LibModel extends PieceModel {
  vocab: (string | undefined)[];
  unk_token?: string;
  clear_cache?: () => void;
}

const GPT2_PATTERN_SOURCE = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
const GPT2_PATTERN_UNICODE_WS =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;
/** The tokenizer.json models the library implements. */
const MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram'];

export class HuggingFaceTokenizer implements Tokenizer {
  readonly kind = 'huggingface' as const;
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  /** Where the tokenizer came from (for messages and `info`). */
  readonly source: string;
  private readonly full: HfLibTokenizer;
  private readonly plain: HfLibTokenizer;
  private readonly added: ReadonlyMap<string, AddedTokenJson>;
  private readonly specialIds: ReadonlySet<number>;
  private readonly byteLevel: boolean;
  private readonly byteFallback: boolean;
  private readonly metaspace: string | null;
  private readonly spanSource: SpanSource;

  private constructor(json: Json, tokenizerConfig: Json, source: string) {
    this.source = source;
    const added = readAddedTokens(json);
    this.added = new Map(added.map((t) => [t.content, t]));
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    const libConfig = {
      clean_up_tokenization_spaces: false,
      ...(typeof tokenizerConfig.eos_token === 'string' ? { eos_token: tokenizerConfig.eos_token } : {}),
    };
    this.full = build(json, libConfig, source);
    this.plain = added.some((t) => t.special) ? withoutSpecialTokens(this.full, json, added, libConfig, source) : this.full;
    const model = json.model as Json;
    this.byteLevel = hasComponent(json.pre_tokenizer, 'ByteLevel') || hasComponent(json.decoder, 'ByteLevel');
    this.byteFallback = model.byte_fallback === true;
    this.metaspace = metaspaceChar(json);
    const vocab = internals(this.full).model.vocab;
    // The library sizes the array by token count: two tokens sharing an id leave empty slots at its end.
    let size = vocab.length;
    while (size > 0 && vocab[size - 1] === undefined) size--;
    this.vocabSize = size;
    recordPieces(internals(this.full).model);
    this.bosId = this.specialId(tokenizerConfig.bos_token) ?? this.templateBos(json);
    this.eosId = this.specialId(tokenizerConfig.eos_token) ?? this.wellKnownEos();
    this.spanSource = this.makeSpanSource(json);
  }

  /** From a parsed tokenizer.json (and tokenizer_config.json when there is one). */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, source = 'tokenizer.json'): HuggingFaceTokenizer {
    if (!isObject(tokenizerJson)) throw new HuggingFaceTokenizerError(`${source} is not a JSON object`);
    const model = tokenizerJson.model;
    if (!isObject(model) || (typeof model.type !== 'string' && model.vocab === undefined)) {
      throw new HuggingFaceTokenizerError(`${source} has no "model" with a "type" (${MODEL_TYPES.join(', ')}): not a Hugging Face tokenizer.json`);
    }
    if (model.type !== undefined && !MODEL_TYPES.includes(model.type as string)) {
      throw new HuggingFaceTokenizerError(`${source}: model type ${quote(model.type)} is not supported; expected ${MODEL_TYPES.join(', ')}`);
    }
    const problem =
      nestingProblem(tokenizerJson, source) ??
      nestingProblem(tokenizerConfig, 'tokenizer_config.json') ??
      vocabIdProblem(model, source) ??
      mergesProblem(model, source) ??
      patternProblem(tokenizerJson, source) ??
      idGapProblem(model, readAddedTokens(tokenizerJson), source);
    if (problem !== null) throw new HuggingFaceTokenizerError(problem);
    return new HuggingFaceTokenizer(tokenizerJson, isObject(tokenizerConfig) ? tokenizerConfig : {}, source);
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    const lib = options.allowSpecial ? this.full : this.plain;
    const { result: enc, pieces } = withPieces(internals(lib).model, () => viaLibrary(this.source, () => lib.encode(text, { add_special_tokens: false })));
    const missing = enc.ids.findIndex((id) => typeof id !== 'number');
    if (missing >= 0)
      throw new HuggingFaceTokenizerError(`${this.source}: token ${quote(enc.tokens[missing], 200)} has no id and the tokenizer has no unk token`);
    const spans = alignSpans(
      text,
      enc.tokens,
      this.spanSource,
      pieces(enc.tokens, (t) => this.spanSource.isUnknown(t)),
    );
    const tokens: TokenSpan[] = enc.tokens.map((t, i) => ({
      id: enc.ids[i]!,
      text: this.pieceText(enc.ids[i]!, t),
      start: spans.start[i]!,
      end: spans.end[i]!,
    }));
    if (options.bos !== false) this.addTemplateTokens(enc.tokens, tokens, text.length, options.bos === true);
    // The library trusts the file's maps (vocabulary, added tokens, templates): an id that is not a
    // whole number inside the vocabulary is the file's fault, named here rather than truncated by Int32Array.
    const bad = tokens.find((t) => !(Number.isInteger(t.id) && t.id >= 0 && t.id < this.vocabSize));
    if (bad)
      throw new HuggingFaceTokenizerError(
        `${this.source}: token ${quote(bad.text, 200)} has id ${quote(bad.id)}, outside the vocabulary 0..${this.vocabSize - 1}`,
      );
    return { ids: Int32Array.from(tokens, (t) => t.id), tokens };
  }

  /** The text these ids stand for, as HF's `decode(ids, skip_special_tokens=True)` gives it. */
  decode(ids: ArrayLike<number>): string {
    const list: number[] = [];
    for (let i = 0; i < ids.length; i++) list.push(this.checkId(ids[i]!));
    const kept = list.filter((id) => !this.specialIds.has(id));
    if (kept.length === 0) return '';
    return viaLibrary(this.source, () => this.full.decode(kept, { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
  }

  tokenLabel(id: number): string {
    return readableLabel(this.pieceText(this.checkId(id), this.idToToken(id)));
  }

  /** The vocabulary piece for an id, as stored (`Ġworld`, `▁the`, `<0x0A>`), or undefined for a hole. */
  idToToken(id: number): string | undefined {
    return internals(this.full).model.vocab[id];
  }

  /** The post-processor's tokens around the text (BOS, EOS): empty spans at the start or the end. */
  private addTemplateTokens(textTokens: readonly string[], out: TokenSpan[], textLength: number, forceBos: boolean): void {
    const processor = internals(this.full).post_processor;
    const processed = processor ? viaLibrary(this.source, () => processor([...textTokens], null, true).tokens) : [...textTokens];
    const at = findRun(processed, textTokens);
    if (at >= 0) {
      const before = processed.slice(0, at).map((t) => this.templateToken(t, 0));
      const after = processed.slice(at + textTokens.length).map((t) => this.templateToken(t, textLength));
      out.unshift(...before);
      out.push(...after);
    }
    if (forceBos && this.bosId !== null && out[0]?.id !== this.bosId)
      out.unshift({ id: this.bosId, text: this.pieceText(this.bosId, this.idToToken(this.bosId)), start: 0, end: 0 });
  }

  private templateToken(token: string, at: number): TokenSpan {
    const id = this.full.token_to_id(token);
    if (id === undefined) throw new HuggingFaceTokenizerError(`${this.source}: the post-processor adds ${quote(token, 200)}, which is not in the vocabulary`);
    return { id, text: token, start: at, end: at };
  }

  /** A token as a person reads it: byte-level pieces decoded, `▁` as a space, byte-fallback pieces as written. */
  private pieceText(id: number, token: string | undefined): string {
    if (token === undefined) return `<id ${id}>`;
    if (this.added.has(token)) return token;
    if (this.byteLevel) return readableBytes(byteLevelBytes(token));
    return this.metaspace ? token.split(this.metaspace).join(' ') : token;
  }

  private makeSpanSource(json: Json): SpanSource {
    const normalizer = textNormalizer(json, this.source);
    const meta = this.metaspace;
    const metaPre = findComponent(json.pre_tokenizer, 'Metaspace');
    const prefix = prefixMarker(json, meta);
    const unk = internals(this.full).model.unk_token;
    const model = json.model as Json;
    const strip = (t: string): string => {
      const cont = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '';
      const suffix = typeof model.end_of_word_suffix === 'string' ? model.end_of_word_suffix : '';
      if (cont && t.startsWith(cont)) t = t.slice(cont.length);
      if (suffix && t.endsWith(suffix)) t = t.slice(0, -suffix.length);
      return t;
    };
    return {
      normalize: (text) => {
        let s = normalizer ? normalizer(text) : text;
        if (metaPre && meta) s = s.split(' ').join(meta);
        return s;
      },
      surface: (token) => {
        const added = this.added.get(token);
        if (added) return utf8(normalizer ? normalizer(added.content) : added.content);
        if (this.byteLevel) return byteLevelBytes(strip(token));
        const byte = this.byteFallback ? BYTE_FALLBACK.exec(token) : null;
        if (byte) return Uint8Array.of(parseInt(byte[1]!, 16));
        return utf8(strip(token));
      },
      pieceSurface: (piece) => (this.byteLevel ? byteLevelBytes(piece) : utf8(piece)),
      prefix,
      isUnknown: (token) => unk !== undefined && token === unk,
    };
  }

  private specialId(value: unknown): number | null {
    const content = typeof value === 'string' ? value : isObject(value) && typeof value.content === 'string' ? value.content : null;
    if (content === null) return null;
    return this.full.token_to_id(content) ?? null;
  }

  private templateBos(json: Json): number | null {
    const pp = json.post_processor;
    const single = isObject(pp) && pp.type === 'TemplateProcessing' && Array.isArray(pp.single) ? pp.single : [];
    const first = single[0];
    if (isObject(first) && isObject(first.SpecialToken) && typeof first.SpecialToken.id === 'string')
      return this.full.token_to_id(first.SpecialToken.id) ?? null;
    return null;
  }

  private wellKnownEos(): number | null {
    for (const name of ['</s>', '<|endoftext|>', '<|end_of_text|>', '<eos>']) {
      const t = this.added.get(name);
      if (t?.special) return t.id;
    }
    return null;
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new HuggingFaceTokenizerError(`token id ${id} is outside the vocabulary 0..${this.vocabSize - 1} of ${this.source}`);
    }
    return id;
  }
}

function build(json: Json, config: Json, source: string): HfLibTokenizer {
  const complete = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
  let lib: HfLibTokenizer;
  try {
    lib = new HfLibTokenizer(complete, config);
  } catch (e) {
    throw new HuggingFaceTokenizerError(`${source} cannot be used: ${String((e as Error)?.message ?? e).slice(0, 500)}`);
  }
  useUnicodeWhitespace(internals(lib).pre_tokenizer);
  return lib;
}

/**
 * The same tokenizer, except that special added tokens are not matched in the text. Built around
 * a placeholder model that is then swapped for `full`'s, so the (large) vocabulary and merges
 * are built and cached once.
 */
function withoutSpecialTokens(full: HfLibTokenizer, json: Json, added: readonly AddedTokenJson[], config: Json, source: string): HfLibTokenizer {
  const plain = build({ ...json, model: { type: 'BPE', vocab: {}, merges: [] }, added_tokens: added.filter((t) => !t.special) }, config, source);
  internals(plain).model = internals(full).model;
  return plain;
}

/** Replaces the library's GPT-2 regex (JS `\s`) by the same pattern over Unicode White_Space, in every ByteLevel pre-tokenizer. */
function useUnicodeWhitespace(pre: unknown): void {
  // Library components are callable objects (functions with fields).
  if ((typeof pre !== 'object' && typeof pre !== 'function') || pre === null) return;
  const p = pre as { pattern?: unknown; tokenizers?: unknown };
  if (p.pattern instanceof RegExp && p.pattern.source === GPT2_PATTERN_SOURCE) p.pattern = new RegExp(GPT2_PATTERN_UNICODE_WS);
  if (Array.isArray(p.tokenizers)) p.tokenizers.forEach(useUnicodeWhitespace);
}

/**
 * A call into the library with a tokenizer.json it accepted: components it built from odd
 * settings can still throw (a TypeError from a malformed template) when they run; that is a
 * problem of the file, reported as one.
 */
function viaLibrary<T>(source: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof HuggingFaceTokenizerError) throw e;
    throw new HuggingFaceTokenizerError(`${source} cannot be used: ${String((e as Error)?.message ?? e).slice(0, 500)}`);
  }
}

function internals(lib: HfLibTokenizer): LibInternals {
  return lib as unknown as LibInternals;
}

function readAddedTokens(json: Json): AddedTokenJson[] {
  const raw = json.added_tokens ?? [];
  if (!Array.isArray(raw)) throw new HuggingFaceTokenizerError(`tokenizer.json "added_tokens" is not an array`);
  return raw.map((t, i) => {
    if (!isObject(t) || typeof t.content !== 'string' || typeof t.id !== 'number' || !Number.isInteger(t.id) || t.id < 0 || t.id >= MAX_ID) {
      throw new HuggingFaceTokenizerError(`tokenizer.json added_tokens[${i}] needs an integer "id" in [0, ${MAX_ID}) and a string "content"`);
    }
    return t as unknown as AddedTokenJson;
  });
}

function findRun(hay: readonly string[], needle: readonly string[]): number {
  for (let at = 0; at + needle.length <= hay.length; at++) {
    let ok = true;
    for (let i = 0; i < needle.length && ok; i++) ok = hay[at + i] === needle[i];
    if (ok) return at;
  }
  return -1;
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The first component of a type in a (possibly nested Sequence) normalizer / pre-tokenizer / decoder config. */
function findComponent(cfg: unknown, type: string): Json | null {
  if (!isObject(cfg)) return null;
  if (cfg.type === type) return cfg;
  for (const key of ['normalizers', 'pretokenizers', 'decoders']) {
    const list = cfg[key];
    if (Array.isArray(list)) {
      for (const c of list) {
        const found = findComponent(c, type);
        if (found) return found;
      }
    }
  }
  return null;
}

function hasComponent(cfg: unknown, type: string): boolean {
  return findComponent(cfg, type) !== null;
}

/** Sentencepiece's space marker when the tokenizer writes spaces as one (Metaspace or a Replace → '▁'). */
function metaspaceChar(json: Json): string | null {
  const pre = findComponent(json.pre_tokenizer, 'Metaspace');
  if (pre) return typeof pre.replacement === 'string' ? pre.replacement : '\u2581';
  const replace = findComponent(json.normalizer, 'Replace');
  if (replace && isObject(replace.pattern) && replace.pattern.String === ' ' && typeof replace.content === 'string') return replace.content;
  return null;
}

/** The marker inserted before a text, if any: Prepend normalizer, Metaspace prefix, or byte-level add_prefix_space. */
function prefixMarker(json: Json, meta: string | null): Uint8Array | null {
  const prepend = findComponent(json.normalizer, 'Prepend');
  if (prepend && typeof prepend.prepend === 'string' && prepend.prepend.length > 0) return utf8(prepend.prepend);
  const metaPre = findComponent(json.pre_tokenizer, 'Metaspace');
  if (metaPre && meta && metaPre.prepend_scheme !== 'never' && metaPre.add_prefix_space !== false) return utf8(meta);
  const byteLevel = findComponent(json.pre_tokenizer, 'ByteLevel');
  if (byteLevel && byteLevel.add_prefix_space === true) return Uint8Array.of(0x20);
  return null;
}

/** The tokenizer's normalizer without the steps that insert or drop text at its ends (Prepend, Strip). */
function textNormalizer(json: Json, source: string): ((s: string) => string) | null {
  const strip = (cfg: unknown): unknown => {
    if (!isObject(cfg)) return null;
    if (cfg.type === 'Prepend' || cfg.type === 'Strip') return null;
    if (cfg.type === 'Sequence' && Array.isArray(cfg.normalizers)) return { ...cfg, normalizers: cfg.normalizers.map(strip).filter((c) => c !== null) };
    return cfg;
  };
  const cfg = strip(json.normalizer);
  if (cfg === null) return null;
  const lib = build({ model: { type: 'BPE', vocab: {}, merges: [] }, normalizer: cfg }, {}, source);
  const n = internals(lib).normalizer;
  // Run as every library call is: what it throws on a hostile config (a pattern too large to compile) is the file's error.
  return n ? (s: string) => viaLibrary(source, () => n(s)) : null;
}
