/**
 * A look at a checkpoint's first bytes before the whole file is read: a file of gigabytes
 * (a sparse file, a disk image, the wrong download) whose header is already impossible is
 * refused at once, instead of after reading and allocating all of it.
 */

import * as fs from 'node:fs';
import { MAX_HEADER_BYTES, readLlama2cHeader, SafetensorsError } from '../engine';
import { readFileHead } from './readFileBytes';

/** Files below this are read whole at once; the check only pays off for large ones. */
const WORTH_CHECKING = 16 * 1024 * 1024;

/** Throws the reader's own error when the header of a large `.safetensors` or llama2.c `.bin` cannot be valid. */
export function checkCheckpointHead(file: string, ext: string): void {
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return; // the full read says what it is
    size = stat.size;
  } catch {
    return;
  }
  if (size < WORTH_CHECKING) return;
  if (ext === '.bin') {
    readLlama2cHeader(readFileHead(file, 64));
    return;
  }
  if (ext !== '.safetensors') return;
  const head = readFileHead(file, 8);
  if (head.length < 8) return;
  const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER_BYTES || 8 + n > size) {
    throw new SafetensorsError(`header length ${n} bytes is impossible for a ${size}-byte file (corrupt or not a safetensors file)`);
  }
  const text = new TextDecoder().decode(readFileHead(file, 8 + n).subarray(8));
  try {
    JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`the ${n}-byte header is not valid JSON (${(e as Error).message}); corrupt or not a safetensors file`);
  }
}
