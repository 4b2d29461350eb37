/**
 * The text a command works on, from --text or --file (exactly one), checked the way the
 * editor checks documents: a binary file or an oversized one is refused with a reason.
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
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(0, 8192).includes(0)) throw new InputTextError(`${file} looks like a binary file (it contains NUL bytes), not text`);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

export function inputText(args: ParsedArgs): string {
  const text = args.values.get('text');
  const file = args.values.get('file');
  if ((text === undefined) === (file === undefined)) throw new UsageError('give exactly one of --text STR or --file PATH');
  return text ?? readTextFile(file!);
}
