/**
 * Reads a whole file into a Uint8Array for the engine (which takes bytes, never paths), with
 * a size cap so that pointing the tool at a huge or wrong file is a clear error instead of an
 * out-of-memory crash.
 */

import { constants as bufferConstants } from 'node:buffer';
import * as fs from 'node:fs';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { checkNotCancelled, LoadCancelledError } from './loadProgress';

/**
 * Largest single read: one fs read of more than 2^31−1 bytes aborts the process (a native
 * assertion, exit 134), so files from 2 GiB up are read in pieces of this size.
 */
export const READ_CHUNK_BYTES = 1 << 30;

/**
 * Bytes per read: a progress step or a chance to cancel every few ms from a fast disk, and pieces
 * for the page touching in readFileBytes to run beside.
 */
const PIECE_BYTES = 16 * 1024 * 1024;

/** Page size assumed when touching the pages of fresh memory (a larger real page just gets touched more than once). */
const PAGE_BYTES = 4096;

/** The file could not be read. `code` is the system error code, or 'TOO_LARGE' / 'NOT_A_FILE'. */
export class FileReadError extends Error {
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** The file is larger than the caller's `maxBytes`. */
export class FileTooLargeError extends FileReadError {
  constructor(
    readonly file: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`${file} is ${size} bytes, more than the ${maxBytes}-byte limit`, 'TOO_LARGE');
  }
}

export interface ReadFileBytesOptions {
  /** Refuse files larger than this many bytes. Default: the largest buffer Node can allocate. */
  readonly maxBytes?: number;
  /** Bytes per read call (at most READ_CHUNK_BYTES); smaller in tests. */
  readonly chunkBytes?: number;
  /**
   * Where the bytes go: a zeroed array of the file's size (e.g. the engine's residentBytes, so
   * the kernels use the file's weights where they were read). Default: a fresh Uint8Array.
   */
  readonly allocate?: (n: number) => Uint8Array;
  /** Called with the bytes read so far and the file's size: once before the first read, then after each. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Stops the read between two pieces with a LoadCancelledError. */
  readonly signal?: AbortSignal;
}

/**
 * The file's bytes in a fresh ArrayBuffer starting at offset 0, or in options.allocate's array
 * (so 4-byte-aligned data such as safetensors F32 tensors can be viewed without copying). The size is checked before
 * allocating; a file that changes while being read yields the bytes present at the start.
 */
export async function readFileBytes(file: string, options: ReadFileBytesOptions = {}): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? bufferConstants.MAX_LENGTH;
  const chunk = Math.max(1, Math.min(READ_CHUNK_BYTES, options.chunkBytes ?? PIECE_BYTES));
  // Stat before opening: opening a FIFO blocks until a writer appears, forever if none does.
  let before;
  try {
    before = await fsp.stat(file);
  } catch (e) {
    throw describeOpenFailure(e, file);
  }
  if (before.isDirectory()) throw new FileReadError(`could not read ${file}: it is a directory`, 'EISDIR');
  if (!before.isFile()) throw new FileReadError(`${file} is not a regular file (${kindOf(before)})`, 'NOT_A_FILE');
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the stat, opening still returns.
    handle = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw describeOpenFailure(e, file);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FileReadError(`${file} is not a regular file (${kindOf(stat)})`, 'NOT_A_FILE');
    if (stat.size > maxBytes) throw new FileTooLargeError(file, stat.size, maxBytes);
    const out = options.allocate ? options.allocate(stat.size) : new Uint8Array(stat.size);
    let filled = 0;
    options.onProgress?.(0, out.length);
    touchPages(out, 0, chunk);
    while (filled < out.length) {
      checkNotCancelled(options.signal, file);
      const reading = handle.read(out, filled, Math.min(chunk, out.length - filled), filled);
      // A page of fresh memory costs a fault the first time it is touched, which on a VM costs
      // as much as copying the page (measured here: 60 MB read, then scanned, 290 ms, of which
      // the scan's 90 ms). This thread takes the next piece's faults while the I/O thread copies
      // this piece: with a 60 MB checkpoint, loading is ~90 ms faster.
      touchPages(out, filled + chunk, chunk);
      const { bytesRead } = await reading;
      if (bytesRead === 0) break; // truncated while we read: return what is there
      filled += bytesRead;
      options.onProgress?.(filled, out.length);
    }
    checkNotCancelled(options.signal, file);
    return filled === out.length ? out : out.subarray(0, filled);
  } catch (e) {
    if (e instanceof FileReadError || e instanceof LoadCancelledError) throw e;
    throw new FileReadError(`could not read ${file}: ${(e as Error).message}`, errorCode(e), e);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Writes a 0 into every page of out[from, from + n) (before the file's bytes are read into it). */
function touchPages(out: Uint8Array, from: number, n: number): void {
  const end = Math.min(out.length, from + n);
  for (let i = from; i < end; i += PAGE_BYTES) out[i] = 0;
}

/**
 * Up to `n` first bytes of a regular file, synchronously; empty for anything else (a FIFO is
 * never opened, so this cannot block) or when it cannot be read — the full read says why.
 */
export function readFileHead(file: string, n: number): Uint8Array {
  try {
    if (!fs.statSync(file).isFile()) return new Uint8Array(0);
    const fd = fs.openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    try {
      if (!fs.fstatSync(fd).isFile()) return new Uint8Array(0);
      const head = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const got = fs.readSync(fd, head, filled, Math.min(READ_CHUNK_BYTES, n - filled), filled);
        if (got === 0) break;
        filled += got;
      }
      return head.subarray(0, filled);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return new Uint8Array(0);
  }
}

function kindOf(stat: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

function describeOpenFailure(e: unknown, file: string): FileReadError {
  const code = errorCode(e);
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? `permission denied (${code})`
        : code === 'EISDIR'
          ? 'it is a directory'
          : e instanceof Error
            ? e.message
            : String(e);
  return new FileReadError(`could not read ${file}: ${reason}`, code, e);
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
