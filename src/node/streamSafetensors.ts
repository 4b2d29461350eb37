/**
 * Writes a safetensors file whose tensors are too large to hold whole (an [L,H,T,T] attention
 * tensor of a long text): the header is made from the shapes alone, then each tensor's data is
 * written a chunk at a time, as its producer makes it. The layout is the one serializeSafetensors
 * writes (tensors sorted by name, F32, the header padded with spaces to 8 bytes).
 *
 * Atomic like writeFileAtomic: a temporary file beside the target ('wx', never an existing
 * one), fsync, rename over the target, fsync of the folder; on any failure the temporary file is
 * removed and the target is left as it was.
 */

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StreamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** The tensor's values in row-major order, in chunks; together exactly the product of `shape`. */
  readonly chunks: () => Iterable<Float32Array>;
}

export class OutputWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputWriteError';
  }
}

/** The safetensors header (length prefix, JSON, padding) for F32 tensors of these shapes. */
export function safetensorsHeader(tensors: readonly { name: string; shape: readonly number[] }[], metadata: Readonly<Record<string, string>> = {}): Buffer {
  const parts: string[] = [];
  const meta = Object.entries(metadata);
  if (meta.length > 0) parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  let offset = 0;
  for (const t of tensors) {
    const end = offset + 4 * t.shape.reduce((a, b) => a * b, 1);
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"F32","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

/** Writes `tensors` (any order; stored sorted by name) and `metadata` to `target` atomically. */
export function writeSafetensorsStreamed(target: string, tensors: readonly StreamedTensor[], metadata: Readonly<Record<string, string>> = {}): void {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const dir = path.dirname(path.resolve(target));
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o666);
    writeAll(fd, safetensorsHeader(sorted, metadata));
    for (const t of sorted) {
      const expected = t.shape.reduce((a, b) => a * b, 1);
      let count = 0;
      for (const chunk of t.chunks()) {
        count += chunk.length;
        if (count > expected) throw new Error(`tensor ${t.name} produced more than its ${expected} values`);
        writeAll(fd, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)); // little-endian machines (x86, ARM)
      }
      if (count !== expected) throw new Error(`tensor ${t.name} produced ${count} of its ${expected} values`);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : code === 'ENOENT' ? `folder ${dir} does not exist` : (e as Error).message;
    throw new OutputWriteError(`could not write ${target}: ${reason}`);
  }
  try {
    const d = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch {
    // Folder fsync is unsupported on some file systems; the file itself is complete and renamed.
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += fs.writeSync(fd, bytes, at, bytes.length - at);
}
