/**
 * The llama2.c tokenizer (`tokenizer.bin`): reads the file, encodes exactly as run.c's
 * `encode(text, bos, eos=0)` and decodes/prints exactly as run.c's `decode` + `safe_printf`.
 *
 * File: `i32 max_token_length` (positive), then `vocabSize` records `f32 score, i32 len, len bytes`
 * (vocabSize is not in the file; it comes from the checkpoint header). Ids 1/2 are BOS/EOS and
 * ids 3..258 the byte-fallback pieces `<0x00>`..`<0xFF>` (run.c hard-codes both conventions).
 *
 * Spans (tokenizer.ts rules): BOS and the dummy-prefix space (which stands for no character
 * of the input) get the empty span [0, 0]; a piece found for a code point spans that code point;
 * the byte-fallback tokens of one character each span the whole character; a merged token
 * spans the union of its parts (a merge with the dummy prefix therefore starts at 0).
 *
 * Deliberate extensions over run.c, which never sees these inputs: text containing U+0000 is
 * encoded like any other character (byte fallback `<0x00>`), and a lone surrogate is encoded
 * as U+FFFD, as TextEncoder would write it. Vocabulary pieces containing a NUL byte are
 * rejected because run.c would silently cut them short at that byte — except the byte token
 * 0x00 of the older format.
 *
 * The older format (llama2.c before August 2023, still shipped with many ports) stores the byte
 * tokens as the raw bytes themselves (id 3 is the one byte 0x00) instead of `<0xNN>`. run.c's
 * build_tokenizer reads either (it only copies bytes); here a raw byte piece is read as its
 * `<0xNN>` name, so both formats encode, decode and label alike.
 */

import type { EncodeOptions, Encoding, Tokenizer, TokenSpan } from './tokenizer';
import { PairHeap } from './pairHeap';
import { PieceIndex } from './pieceIndex';
import { byteString, decodeUtf8Lossy, forEachCodePoint, readableLabel, utf8BytesOfCodePoint } from './utf8';

/** The tokenizer file is malformed, does not match the vocab size, or an id is out of range. */
export class Llama2cTokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Llama2cTokenizerError';
  }
}

const BOS_ID = 1;
const EOS_ID = 2;
const BYTE_FALLBACK_OFFSET = 3;
const MIN_VOCAB_SIZE = BYTE_FALLBACK_OFFSET + 256;
/** run.c starts its best-score search at -1e10, so a pair scoring ≤ -1e10 never merges. */
const NO_MERGE_SCORE = -1e10;

export class Llama2cTokenizer implements Tokenizer {
  readonly kind = 'llama2c' as const;
  readonly bosId = BOS_ID;
  readonly eosId = EOS_ID;
  readonly vocabSize: number;
  readonly maxTokenLength: number;
  /**
   * Every piece's bytes, one after another: piece i is bytes[offsets[i]..offsets[i + 1]). One
   * array rather than one per piece: 32,000 small arrays took megabytes and most of the load.
   */
  private readonly bytes: Uint8Array;
  private readonly offsets: Int32Array;
  /** pieces as text for TokenSpan.text (lossy UTF-8), made when first asked for. */
  private readonly texts: (string | undefined)[];
  private readonly scores: Float32Array;
  /** First id of each distinct piece (run.c's bsearch would pick an arbitrary duplicate). */
  private readonly index: PieceIndex;
  /** Id of the `" "` piece used as the dummy prefix, or -1 when the vocabulary has none. */
  private readonly spaceId: number;

  private constructor(maxTokenLength: number, bytes: Uint8Array, offsets: Int32Array, scores: Float32Array) {
    this.vocabSize = offsets.length - 1;
    this.maxTokenLength = maxTokenLength;
    this.bytes = bytes;
    this.offsets = offsets;
    this.texts = new Array<string | undefined>(this.vocabSize);
    this.scores = scores;
    this.index = new PieceIndex(bytes, offsets);
    this.spaceId = this.index.find(Uint8Array.of(0x20));
  }

  /**
   * Reads and validates a tokenizer file. With `vocabSize` (from the checkpoint header, as
   * run.c does) the file must hold exactly that many records; without it (a tokenizer on its
   * own, e.g. `attention-lens tokenize`) the records run to the end of the file.
   */
  static fromBytes(bytes: Uint8Array, vocabSize?: number): Llama2cTokenizer {
    if (vocabSize !== undefined && (!Number.isSafeInteger(vocabSize) || vocabSize < MIN_VOCAB_SIZE)) {
      throw new Llama2cTokenizerError(
        `vocab size ${vocabSize} is too small: llama2.c tokenizers have <unk>, BOS, EOS and 256 byte tokens (at least ${MIN_VOCAB_SIZE})`,
      );
    }
    if (bytes.length < 4) {
      throw new Llama2cTokenizerError(`tokenizer file is ${bytes.length} bytes; it must start with a 4-byte max_token_length`);
    }
    // Each record takes at least 8 bytes: refuse an impossible vocab size before reading on.
    if (vocabSize !== undefined && vocabSize > (bytes.length - 4) / 8) {
      throw new Llama2cTokenizerError(
        `tokenizer file of ${bytes.length} bytes cannot hold ${vocabSize} records (at least 8 bytes each); wrong vocab size or truncated file`,
      );
    }
    const { maxTokenLength, starts, lengths, scores } = readRecords(bytes, vocabSize);
    const n = starts.length;
    if (n < MIN_VOCAB_SIZE) {
      throw new Llama2cTokenizerError(
        `tokenizer file holds ${n} records; llama2.c tokenizers have at least ${MIN_VOCAB_SIZE} (<unk>, BOS, EOS, 256 byte tokens)`,
      );
    }
    // The byte tokens' names, with the older format's raw bytes read as their names (see the header).
    const byteNames = new Map<number, Uint8Array>();
    for (let b = 0; b < 256; b++) {
      const id = b + BYTE_FALLBACK_OFFSET;
      const want = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      const raw = bytes.subarray(starts[id]!, starts[id]! + lengths[id]!);
      if (raw.length === 1 && raw[0] === b) byteNames.set(id, new TextEncoder().encode(want));
      const got = byteString(byteNames.get(id) ?? raw);
      if (got !== want) {
        throw new Llama2cTokenizerError(
          `id ${id} is ${JSON.stringify(got.slice(0, 40))}${got.length > 40 ? '…' : ''}, expected the byte-fallback piece ${JSON.stringify(want)}: not a llama2.c sentencepiece tokenizer`,
        );
      }
    }
    const offsets = new Int32Array(n + 1);
    for (let id = 0; id < n; id++) offsets[id + 1] = offsets[id]! + (byteNames.get(id)?.length ?? lengths[id]!);
    const packed = new Uint8Array(offsets[n]!);
    for (let id = 0; id < n; id++) {
      const name = byteNames.get(id);
      if (name) packed.set(name, offsets[id]!);
      // A byte loop, not a view per piece: pieces are a few bytes each, and tens of thousands.
      else for (let i = 0, from = starts[id]!, to = offsets[id]!; i < lengths[id]!; i++) packed[to + i] = bytes[from + i]!;
    }
    return new Llama2cTokenizer(maxTokenLength, packed, offsets, Float32Array.from(scores));
  }

  /** The raw bytes of a vocabulary piece (a copy). */
  piece(id: number): Uint8Array {
    return this.pieceView(this.checkId(id)).slice();
  }

  /** The bytes of piece `id` (a view: not to be written or kept). */
  private pieceView(id: number): Uint8Array {
    return this.bytes.subarray(this.offsets[id]!, this.offsets[id + 1]!);
  }

  /** Piece `id` as text (lossy UTF-8). */
  private text(id: number): string {
    return (this.texts[id] ??= decodeUtf8Lossy(this.pieceView(id)));
  }

  score(id: number): number {
    return this.scores[this.checkId(id)]!;
  }

  /**
   * run.c's encode: BOS (default on), the dummy-prefix `" "` when the text is non-empty, one
   * piece per code point or its UTF-8 bytes as byte tokens, then merges by best score, leftmost
   * first. The merge loop uses a heap over a linked list: O(n log n) instead of run.c's O(n²),
   * with the same result (see mergeAll).
   */
  encode(text: string, options?: EncodeOptions): Encoding {
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const push = (id: number, start: number, end: number): void => {
      ids.push(id);
      starts.push(start);
      ends.push(end);
    };
    if (options?.bos ?? true) push(BOS_ID, 0, 0);
    if (text.length > 0 && this.spaceId >= 0) push(this.spaceId, 0, 0);
    forEachCodePoint(text, (cp, start, end) => {
      const bytes = utf8BytesOfCodePoint(cp);
      const id = this.index.find(bytes);
      if (id >= 0) push(id, start, end);
      else for (const b of bytes) push(b + BYTE_FALLBACK_OFFSET, start, end);
    });
    const order = this.mergeAll(ids, starts, ends);
    const tokens: TokenSpan[] = order.map((i) => ({ id: ids[i]!, text: this.text(ids[i]!), start: starts[i]!, end: ends[i]! }));
    return { ids: Int32Array.from(tokens, (t) => t.id), tokens };
  }

  /**
   * Merges in place and returns the surviving indices in order. Equivalent to run.c's loop
   * ("merge the adjacent pair with the highest score; on equal scores the leftmost"): the heap
   * holds every adjacent pair that ever formed, ordered by (score desc, left index asc); a
   * merged symbol keeps its left part's index, so index order is list order, and an entry is
   * stale (skipped) once either side has changed since it was pushed.
   */
  private mergeAll(ids: number[], starts: number[], ends: number[]): number[] {
    const n = ids.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const version = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const consider = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const merged = this.index.pair(ids[left]!, ids[right]!);
      if (merged < 0) return;
      const score = this.scores[merged]!;
      // NaN and ≤ -1e10 fail run.c's `score > best_score` test, so such pairs never merge.
      if (!(score > NO_MERGE_SCORE)) return;
      heap.push(score, left, right, merged, version[left]!, version[right]!);
    };
    for (let i = 0; i + 1 < n; i++) consider(i, i + 1);
    while (heap.size > 0) {
      const e = heap.pop();
      if (version[e.left] !== e.leftVersion || version[e.right] !== e.rightVersion) continue;
      const { left, right } = e;
      ids[left] = e.merged;
      starts[left] = Math.min(starts[left]!, starts[right]!);
      ends[left] = Math.max(ends[left]!, ends[right]!);
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      version[left]!++;
      version[right]!++; // `right` is gone: every pending pair that mentions it is now stale
      consider(prev[left]!, left);
      consider(left, after);
    }
    const order: number[] = [];
    for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]!) order.push(i);
    return order;
  }

  /**
   * run.c's `decode(prev, token)`: the piece's bytes, without its leading space right after
   * BOS, and a piece starting `<0x` + 1–2 hex digits becomes that raw byte (like its
   * `sscanf("<0x%02hhX>")`; scanf's sign/whitespace quirks are not reproduced).
   */
  decodePiece(prevToken: number, token: number): Uint8Array {
    let piece = this.pieceView(this.checkId(token));
    if (prevToken === BOS_ID && piece[0] === 0x20) piece = piece.subarray(1);
    // Only a piece starting "<0x" can be a byte: the test runs per generated token, the regex rarely.
    const byte = piece.length >= 4 && piece[0] === 0x3c && piece[1] === 0x30 && piece[2] === 0x78 && /^<0x([0-9A-Fa-f]{1,2})/.exec(byteString(piece));
    return byte ? Uint8Array.of(parseInt(byte[1]!, 16)) : piece.slice();
  }

  /**
   * What run.c prints for these ids: each token decoded against the previous one (none before
   * the first), BOS never printed, and — as safe_printf does — a single-byte piece that is
   * neither printable ASCII nor whitespace is dropped, which drops byte-fallback characters
   * such as emoji. Use `decodeText` to keep them.
   */
  decode(ids: ArrayLike<number>): string {
    return decodeUtf8Lossy(this.decodeBytes(ids, true));
  }

  /** Like `decode` but keeps every byte (no safe_printf filter): the text the tokens stand for. */
  decodeText(ids: ArrayLike<number>): string {
    return decodeUtf8Lossy(this.decodeBytes(ids, false));
  }

  decodeNext(prev: number, id: number): Uint8Array {
    const token = this.checkId(id);
    if (token === BOS_ID) return NO_BYTES;
    const piece = this.decodePiece(prev, token);
    return isPrintedBySafePrintf(piece) ? piece : NO_BYTES;
  }

  private decodeBytes(ids: ArrayLike<number>, printable: boolean): Uint8Array {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let prevToken = -1;
    for (let i = 0; i < ids.length; i++) {
      const token = this.checkId(ids[i]!);
      if (token !== BOS_ID) {
        const piece = this.decodePiece(prevToken, token);
        if (!printable || isPrintedBySafePrintf(piece)) {
          chunks.push(piece);
          total += piece.length;
        }
      }
      prevToken = token;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  tokenLabel(id: number): string {
    const text = this.text(this.checkId(id));
    // llama2.c stores BOS and EOS as "\n<s>\n" and "\n</s>\n": a label shows the marker, not escaped newlines.
    return /^\s*<\/?s>\s*$/.test(text) ? text.trim() : readableLabel(text);
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new Llama2cTokenizerError(`token id ${id} is outside the vocabulary 0..${this.vocabSize - 1}`);
    }
    return id;
  }
}

/** What decodeNext gives for a token that prints nothing. */
const NO_BYTES = new Uint8Array(0);

/** The records of a tokenizer file: exactly `vocabSize` of them, or up to the end when undefined. */
function readRecords(bytes: Uint8Array, vocabSize: number | undefined): { maxTokenLength: number; starts: number[]; lengths: number[]; scores: number[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // run.c reads it as an int; no piece fits a length of 0 or less (the byte pieces alone take 6).
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength <= 0) throw new Llama2cTokenizerError(`max_token_length is ${maxTokenLength}, expected a positive length (that of the longest piece)`);
  const starts: number[] = [];
  const lengths: number[] = [];
  const scores: number[] = [];
  let at = 4;
  for (let id = 0; vocabSize === undefined ? at < bytes.length : id < vocabSize; id++) {
    if (bytes.length - at < 8) {
      // Without a vocab size, too few bytes for a record after a full vocabulary may be bytes
      // appended to a whole file as well as a cut one: the message says what is there.
      if (vocabSize === undefined && id >= MIN_VOCAB_SIZE) throw new Llama2cTokenizerError(trailingBytes(bytes.length - at, id, at));
      throw new Llama2cTokenizerError(
        `record ${id}${vocabSize === undefined ? '' : ` of ${vocabSize}`} is truncated at byte ${at}: ${bytes.length - at} bytes left, need 8 for score and length` +
          (vocabSize === undefined ? ' (truncated file?)' : ' (wrong vocab size?)'),
      );
    }
    scores.push(view.getFloat32(at, true));
    const len = view.getInt32(at + 4, true);
    at += 8;
    if (len < 0 || len > maxTokenLength) {
      throw new Llama2cTokenizerError(`record ${id} has length ${len}, expected 0..${maxTokenLength} (max_token_length)`);
    }
    if (len > bytes.length - at) {
      throw new Llama2cTokenizerError(`record ${id} claims ${len} bytes at byte ${at}, but only ${bytes.length - at} remain (truncated file?)`);
    }
    starts.push(at);
    lengths.push(len);
    // The older format's byte token 0x00 is the one byte 0 (see the header); any other NUL is refused.
    // (indexOf rather than a view per record, of which there are tens of thousands: the next
    // record's length field, which holds zero bytes, ends the search.)
    const nul = bytes.indexOf(0, at);
    if (nul >= 0 && nul < at + len && !(id === BYTE_FALLBACK_OFFSET && len === 1)) {
      // Show only the start: a piece can be as long as the file.
      throw new Llama2cTokenizerError(
        `record ${id} contains a NUL byte: ${JSON.stringify(decodeUtf8Lossy(bytes.subarray(at, at + Math.min(len, 40))))}${len > 40 ? '…' : ''}`,
      );
    }
    at += len;
  }
  if (at !== bytes.length) {
    const more = wholeRecords(view, at, maxTokenLength);
    throw new Llama2cTokenizerError(
      more > 0
        ? `${bytes.length - at} bytes remain after ${vocabSize} records; the vocab size does not match this tokenizer file (it holds ${more} more)`
        : trailingBytes(bytes.length - at, starts.length, at),
    );
  }
  return { maxTokenLength, starts, lengths, scores };
}

function trailingBytes(count: number, records: number, at: number): string {
  return `tokenizer file has ${count} byte${count > 1 ? 's' : ''} after its last record (record ${records - 1}, ending at byte ${at}), too few for another record (8 bytes of score and length at least)`;
}

/** How many whole records fill the view from `at` to its end; 0 when they do not end exactly there. */
function wholeRecords(view: DataView, at: number, maxTokenLength: number): number {
  let n = 0;
  while (at < view.byteLength) {
    if (view.byteLength - at < 8) return 0;
    const len = view.getInt32(at + 4, true);
    if (len < 0 || len > maxTokenLength || len > view.byteLength - at - 8) return 0;
    at += 8 + len;
    n++;
  }
  return n;
}

/** safe_printf: nothing for an empty piece (or byte 0); a lone byte only if isprint || isspace (C locale). */
function isPrintedBySafePrintf(piece: Uint8Array): boolean {
  if (piece.length === 0 || piece[0] === 0) return false;
  if (piece.length > 1) return true;
  const b = piece[0]!;
  return (b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d);
}
