/**
 * Character-level tokenizer for models trained from scratch on the user's own text: one token
 * per Unicode code point (an emoji is one token, not two UTF-16 halves).
 *
 * Vocabulary: id 0 is `<unk>`; ids 1..n are the distinct code points of the training text in
 * ascending code-point order. Text unseen in training never fails to encode: each unknown
 * character becomes id 0 (spanning that character), and id 0 decodes to U+FFFD.
 *
 * Lone surrogates (possible in any JS/editor string) are symbols of their own: code points
 * 0xD800–0xDFFF, each spanning one UTF-16 code unit, and they decode back to themselves. (So
 * decoding a lone high surrogate id followed by a lone low surrogate id yields a valid pair,
 * which would re-encode differently; that takes a deliberately odd id sequence.)
 *
 * The vocabulary is stored as code-point numbers rather than a string so that the JSON stays
 * valid UTF-8 even with lone surrogates (safetensors readers reject escaped lone surrogates).
 */

import type { EncodeOptions, Encoding, Tokenizer, TokenSpan } from './tokenizer';
import { forEachCodePoint, readableLabel } from './utf8';

/** A character-tokenizer description that is invalid (untrusted JSON) or an id outside the vocabulary. */
export class CharTokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CharTokenizerError';
  }
}

/** Id of `<unk>`, the token every character absent from the training text maps to. */
export const CHAR_UNK_ID = 0;
const UNK_TEXT = '<unk>';
const REPLACEMENT_CHARACTER = '\uFFFD';
const FORMAT_VERSION = 1;

/** JSON-able form stored in checkpoint metadata. */
export interface CharTokenizerJson {
  /** Same discriminant as Tokenizer.kind, so a loader can dispatch on it. */
  readonly kind: 'char';
  readonly version: 1;
  /** Code points of ids 1..n, strictly increasing. */
  readonly codePoints: readonly number[];
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocabSize: number;
  readonly bosId = null;
  readonly eosId = null;
  /** codePoints[id - 1] is the code point of id. */
  private readonly codePoints: readonly number[];
  private readonly symbols: readonly string[];
  private readonly idOf: ReadonlyMap<number, number>;

  private constructor(codePoints: readonly number[]) {
    this.codePoints = codePoints;
    this.symbols = codePoints.map((cp) => String.fromCodePoint(cp));
    this.idOf = new Map(codePoints.map((cp, i) => [cp, i + 1]));
    this.vocabSize = codePoints.length + 1;
  }

  /** Vocabulary = `<unk>` plus the sorted distinct code points of `text`. */
  static fromText(text: string): CharTokenizer {
    const seen = new Set<number>();
    forEachCodePoint(text, (cp) => seen.add(cp));
    return new CharTokenizer([...seen].sort((a, b) => a - b));
  }

  /** Rebuilds a tokenizer from `toJSON()` output, validating it as untrusted input. */
  static fromJSON(json: unknown): CharTokenizer {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new CharTokenizerError(`char tokenizer description is ${describe(json)}, expected an object`);
    }
    const { kind, version, codePoints } = json as Record<string, unknown>;
    if (kind !== 'char') {
      throw new CharTokenizerError(`tokenizer kind is ${show(kind)}, expected "char"`);
    }
    if (version !== FORMAT_VERSION) {
      throw new CharTokenizerError(`char tokenizer version ${show(version)} is not supported (expected ${FORMAT_VERSION})`);
    }
    if (!Array.isArray(codePoints)) {
      throw new CharTokenizerError(`codePoints is ${describe(codePoints)}, expected an array of code points`);
    }
    // A plain loop, not forEach: forEach skips the holes of a sparse array, which would pass unchecked.
    for (let i = 0; i < codePoints.length; i++) {
      const cp: unknown = codePoints[i];
      if (typeof cp !== 'number' || !Number.isInteger(cp) || cp < 0 || cp > 0x10ffff) {
        throw new CharTokenizerError(`codePoints[${i}] is ${describe(cp)}, expected an integer in 0..0x10FFFF`);
      }
      // Strictly increasing means sorted and unique: ids stay stable and unambiguous.
      if (i > 0 && cp <= (codePoints[i - 1] as number)) {
        throw new CharTokenizerError(`codePoints[${i}] = ${cp} is not greater than codePoints[${i - 1}] = ${codePoints[i - 1]} (must be strictly increasing)`);
      }
    }
    return new CharTokenizer([...(codePoints as number[])]);
  }

  toJSON(): CharTokenizerJson {
    return { kind: 'char', version: FORMAT_VERSION, codePoints: [...this.codePoints] };
  }

  /** One token per code point; `options` change nothing (no BOS, no special tokens). */
  encode(text: string, _options?: EncodeOptions): Encoding {
    const ids: number[] = [];
    const tokens: TokenSpan[] = [];
    forEachCodePoint(text, (cp, start, end) => {
      const id = this.idOf.get(cp) ?? CHAR_UNK_ID;
      ids.push(id);
      tokens.push({ id, text: id === CHAR_UNK_ID ? UNK_TEXT : this.symbols[id - 1]!, start, end });
    });
    return { ids: Int32Array.from(ids), tokens };
  }

  /** Concatenated symbols; `<unk>` becomes U+FFFD since the original character is unknown. */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = this.checkId(ids[i]!);
      out += id === CHAR_UNK_ID ? REPLACEMENT_CHARACTER : this.symbols[id - 1]!;
    }
    return out;
  }

  tokenLabel(id: number): string {
    this.checkId(id);
    return id === CHAR_UNK_ID ? UNK_TEXT : readableLabel(this.symbols[id - 1]!);
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new CharTokenizerError(`token id ${id} is outside the vocabulary 0..${this.vocabSize - 1}`);
    }
    return id;
  }
}

/** A primitive as JSON, anything else as a word; cut short either way (the value is untrusted). */
function show(x: unknown): string {
  return typeof x === 'object' && x !== null ? describe(x) : String(JSON.stringify(x)).slice(0, 40);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'missing';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${String(JSON.stringify(x)).slice(0, 40)}`;
}
