/**
 * Reads a whole file into a Uint8Array for the engine (which takes bytes, never paths), with
 * a size cap so that pointing the tool at a huge or wrong file is a clear error instead of an
 * out-of-memory crash.
 */

import { constants as bufferConstants } from 'node:buffer';
import { promises as fsp } from 'node:fs';

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
  constructor(readonly file: string, readonly size: number, readonly maxBytes: number) {
    super(`${file} is ${size} bytes, more than the ${maxBytes}-byte limit`, 'TOO_LARGE');
  }
}

export interface ReadFileBytesOptions {
  /** Refuse files larger than this many bytes. Default: the largest buffer Node can allocate. */
  readonly maxBytes?: number;
}

/**
 * The file's bytes in a fresh ArrayBuffer starting at offset 0 (so 4-byte-aligned data such as
 * safetensors F32 tensors can be viewed without copying). The size is checked before
 * allocating; a file that changes while being read yields the bytes present at the start.
 */
export async function readFileBytes(file: string, options: ReadFileBytesOptions = {}): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? bufferConstants.MAX_LENGTH;
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (e) {
    throw describeOpenFailure(e, file);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FileReadError(`${file} is not a regular file`, 'NOT_A_FILE');
    if (stat.size > maxBytes) throw new FileTooLargeError(file, stat.size, maxBytes);
    const out = new Uint8Array(stat.size);
    let filled = 0;
    while (filled < out.length) {
      const { bytesRead } = await handle.read(out, filled, out.length - filled, filled);
      if (bytesRead === 0) break; // truncated while we read: return what is there
      filled += bytesRead;
    }
    return filled === out.length ? out : out.subarray(0, filled);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    throw new FileReadError(`could not read ${file}: ${(e as Error).message}`, errorCode(e), e);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function describeOpenFailure(e: unknown, file: string): FileReadError {
  const code = errorCode(e);
  const reason =
    code === 'ENOENT' ? 'no such file' :
    code === 'EACCES' || code === 'EPERM' ? `permission denied (${code})` :
    code === 'EISDIR' ? 'it is a directory' :
    e instanceof Error ? e.message : String(e);
  return new FileReadError(`could not read ${file}: ${reason}`, code, e);
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
