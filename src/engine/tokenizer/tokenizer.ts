/**
 * The contract every tokenizer meets: text in, token ids out, and for each token the
 * [start, end) span it covers in the source text, in UTF-16 code units (JS string indices,
 * what VS Code's `document.positionAt` takes). Spans are what let the editor light up tokens.
 *
 * Span rules (ARCHITECTURE.md, "attention" contract):
 * - a token never splits a surrogate pair;
 * - byte-fallback tokens that share one character each span that whole character;
 * - BOS (and any token that covers no text) has start = end = 0 when it comes first.
 */

/** One token of an encoding, with the slice of the input text it stands for. */
export interface TokenSpan {
  readonly id: number;
  /** The token as a person should read it (a vocabulary piece, `<0x0A>`, a character…). */
  readonly text: string;
  /** First UTF-16 code unit of the input covered by this token. */
  readonly start: number;
  /** One past the last UTF-16 code unit covered. */
  readonly end: number;
}

export interface Encoding {
  readonly ids: Int32Array;
  readonly tokens: readonly TokenSpan[];
}

export interface EncodeOptions {
  /** Prepend the beginning-of-sequence token where the tokenizer has one (default: its own convention). */
  readonly bos?: boolean;
  /** Treat special-token strings written in the text (`<|endoftext|>`) as special tokens. Default false. */
  readonly allowSpecial?: boolean;
}

/** 'ids': a model without a tokenizer, which takes token ids only (idsOnly.ts). */
export type TokenizerKind = 'char' | 'llama2c' | 'huggingface' | 'ids';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  /** Beginning-of-sequence id, or null when the tokenizer has none. */
  readonly bosId: number | null;
  /** End-of-sequence id, or null when the tokenizer has none. */
  readonly eosId: number | null;
  encode(text: string, options?: EncodeOptions): Encoding;
  /** Text of a sequence of ids, as the original implementation prints it. */
  decode(ids: ArrayLike<number>): string;
  /**
   * The UTF-8 bytes token `id` adds to decode()'s output right after token `prev` (-1: none),
   * for tokenizers whose decode is exactly the concatenation of these (llama2.c's). Lets a
   * generation be printed as it goes without decoding again (TokenTextStream).
   */
  decodeNext?(prev: number, id: number): Uint8Array;
  /** A short human-readable label for one id (for hovers and tables). */
  tokenLabel(id: number): string;
}
