/**
 * The input a command works on: text from --text or --file, checked the way the editor checks
 * documents (a binary file or an oversized one is refused with a reason), or token ids from
 * --ids 3,1,4 — for models that come without a tokenizer, and for feeding exact ids. Exactly
 * one of the three. inputEncoding() turns whichever was given into an Encoding; ids get the
 * tokenizer's label as their text and empty spans (they stand for no text).
 *
 * The file is read in pieces up to the byte limit whatever size it reports: a device
 * (`/dev/zero`, `/dev/urandom`) or a pipe reports 0 bytes and would otherwise be read forever.
 */

import * as fs from 'node:fs';
import type { EncodeOptions, Encoding, Tokenizer } from '../engine';
import { UsageError, type ParsedArgs } from './args';
import { encodeWithinContext } from './commands/model';

/** The value options that choose a command's input. */
export const INPUT_OPTIONS = ['text', 'file', 'ids'] as const;

/** Most ids one --ids accepts (far above any context length the engine runs). */
const MAX_IDS = 1 << 20;

export const MAX_TEXT_BYTES = 64 * 1024 * 1024;

export class InputTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputTextError';
  }
}

export function readTextFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw new InputTextError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (stat.isDirectory()) throw new InputTextError(`${file} is a folder, not a text file`);
  if (stat.size > MAX_TEXT_BYTES) throw new InputTextError(`${file} is ${stat.size} bytes; texts up to ${MAX_TEXT_BYTES} bytes are supported`);
  const bytes = readLimited(file, MAX_TEXT_BYTES);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

const BINARY_PROBE = 8192;

/** Up to `limit` bytes of the file, refused beyond it; a NUL in the first 8 KB refuses it as binary as soon as it is read. */
function readLimited(file: string, limit: number): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new InputTextError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(total < BINARY_PROBE ? BINARY_PROBE : 1 << 20);
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; // a non-blocking pipe with nothing yet
        throw new InputTextError(`cannot read ${file}: ${(e as Error).message}`);
      }
      if (n === 0) break;
      const piece = chunk.subarray(0, n);
      if (total < BINARY_PROBE && piece.subarray(0, BINARY_PROBE - total).includes(0)) {
        throw new InputTextError(`${file} looks like a binary file (it contains NUL bytes), not text`);
      }
      total += n;
      if (total > limit) throw new InputTextError(`${file} is more than ${limit} bytes; texts up to ${limit} bytes are supported`);
      chunks.push(piece);
    }
    return Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}

export function inputText(args: ParsedArgs): string {
  const text = args.values.get('text');
  const file = args.values.get('file');
  if ((text === undefined) === (file === undefined)) throw new UsageError('give exactly one of --text STR or --file PATH');
  return text ?? readTextFile(file!);
}

/** "3,1,4" (commas and/or spaces) → ids, each checked against the vocabulary. */
export function parseIds(raw: string, vocabSize: number, option = '--ids', what = 'token ids'): Int32Array {
  // Commas or spaces between values; an empty item ("3,,4", a trailing comma) is a typo, not a separator.
  const parts = raw.trim() === '' ? [] : raw.trim().split(/\s*,\s*|\s+/);
  if (parts.length === 0) throw new UsageError(`${option} needs at least one value, e.g. ${option} 3,1,4`);
  const empty = parts.indexOf('');
  if (empty >= 0)
    throw new UsageError(
      `${option}: item ${empty + 1} is empty in ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)}; separate the values by one comma`,
    );
  if (parts.length > MAX_IDS) throw new UsageError(`${option} has ${parts.length} values; at most ${MAX_IDS} are accepted`);
  const ids = new Int32Array(parts.length);
  parts.forEach((p, i) => {
    const id = Number(p);
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(id) || id >= vocabSize) {
      throw new UsageError(
        `${option}: ${JSON.stringify(p.length > 20 ? `${p.slice(0, 20)}…` : p)} (item ${i + 1}) is not one of the model's ${what}; they are integers from 0 to ${vocabSize - 1}`,
      );
    }
    ids[i] = id;
  });
  return ids;
}

/**
 * --token-types 0,0,1,1: segment ids for a model with token-type embeddings (BERT: sentence A
 * / B of a cross-encoder pair), one per token; undefined when not given (all 0).
 */
export function inputTokenTypes(args: ParsedArgs, tokens: number, typeCount: number): Int32Array | undefined {
  const raw = args.values.get('token-types');
  if (raw === undefined) return undefined;
  if (typeCount === 0) throw new UsageError('--token-types: this model has no token-type (segment) embeddings');
  const types = parseIds(raw, typeCount, '--token-types', 'token types');
  if (types.length !== tokens) throw new UsageError(`--token-types has ${types.length} values for ${tokens} tokens; give one per token`);
  return types;
}

/**
 * The encoding of --text, --file or --ids (exactly one); ids have the tokenizer's labels and empty
 * spans; `context` bounds a text's length in tokens (checked on prefixes before the whole text is
 * encoded), `reads` names that bound in the message (default: the model's context).
 */
export function inputEncoding(args: ParsedArgs, tokenizer: Tokenizer, options: EncodeOptions = {}, context?: number, reads?: string): Encoding {
  const given = INPUT_OPTIONS.filter((k) => args.values.has(k));
  if (given.length !== 1)
    throw new UsageError(
      `give exactly one of --text STR, --file PATH or --ids 3,1,4${given.length > 1 ? ` (got ${given.map((k) => `--${k}`).join(' and ')})` : ''}`,
    );
  const raw = args.values.get('ids');
  // With the model's context, a text far longer than it is refused from a prefix, not encoded whole.
  if (raw === undefined)
    return context === undefined ? tokenizer.encode(inputText(args), options) : encodeWithinContext(tokenizer, inputText(args), context, options, reads);
  const ids = parseIds(raw, tokenizer.vocabSize);
  return { ids, tokens: Array.from(ids, (id) => ({ id, text: tokenizer.tokenLabel(id), start: 0, end: 0 })) };
}
