/**
 * The text a command works on, from --text or --file (exactly one), checked the way the
 * editor checks documents: a binary file or an oversized one is refused with a reason.
 *
 * The file is read in pieces up to the byte limit whatever size it reports: a device
 * (`/dev/zero`, `/dev/urandom`) or a pipe reports 0 bytes and would otherwise be read forever.
 */

import * as fs from 'node:fs';
import { UsageError, type ParsedArgs } from './args';

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
