/**
 * Atomic file replacement, used for checkpoints: a crash, a full disk or a failing write must
 * never leave a half-written file where a good one was.
 *
 * Recipe: write to a fresh temporary file in the target's own directory (rename is only atomic
 * within one file system), fsync it, rename it over the target, then fsync the directory so
 * the rename itself survives a power cut. On any failure the temporary file is removed and an
 * existing target is left exactly as it was.
 */

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** Writing failed; the target (if it existed) is unchanged. `code` is the system error code, if any. */
export class AtomicWriteError extends Error {
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'AtomicWriteError';
    this.code = code;
  }
}

/** The slice of a `fs.promises` FileHandle that writeFileAtomic uses. */
export interface AtomicFileHandle {
  write(data: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file operations writeFileAtomic uses; injectable so tests can make any step fail. */
export interface AtomicWriteFs {
  open(file: string, flags: string, mode?: number): Promise<AtomicFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

export interface WriteFileAtomicOptions {
  /** Permission bits for a new file (before the umask). Default 0o666, as fs.writeFile. */
  readonly mode?: number;
  readonly fs?: AtomicWriteFs;
}

/** Directory fsync is unsupported on some platforms/file systems; that is not a write failure. */
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP', 'EACCES', 'EBADF']);

/** Replaces `target` with `bytes` atomically (see the file header). */
export async function writeFileAtomic(target: string, bytes: Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs: AtomicWriteFs = options.fs ?? fsp;
  const dir = path.dirname(path.resolve(target));
  // Unique per process and call, so concurrent writers never share a temporary file.
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

  let handle: AtomicFileHandle | undefined;
  try {
    // 'wx': never open something already there (a stale temp, a directory, a symlink).
    handle = await fs.open(temp, 'wx', options.mode ?? 0o666);
  } catch (e) {
    throw describeFailure(e, target, dir, 'create a temporary file for');
  }
  try {
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, written);
      if (bytesWritten <= 0) throw new Error(`write stalled after ${written} of ${bytes.length} bytes`);
      written += bytesWritten;
    }
    await handle.sync();
    const closing = handle;
    handle = undefined;
    await closing.close();
    await fs.rename(temp, target);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw describeFailure(e, target, dir, 'write');
  }
  await syncDirectory(fs, dir);
  if (!options.fs) await removeAbandonedTemps(dir, path.basename(target));
}

/** A temporary file this old was left by a writer that died (a killed process or worker). */
const ABANDONED_AFTER_MS = 60_000;

/**
 * Best effort: deletes the temporary files of earlier writes to the same target whose
 * writer died mid-write (nothing else ever would). Fresh ones may belong to a writer still
 * at work, so only old ones go.
 */
async function removeAbandonedTemps(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.`;
  try {
    for (const name of await fsp.readdir(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const file = path.join(dir, name);
      const stat = await fsp.stat(file).catch(() => null);
      if (stat && stat.isFile() && Date.now() - stat.mtimeMs > ABANDONED_AFTER_MS) await fsp.unlink(file).catch(() => undefined);
    }
  } catch {
    // Cleaning up is a courtesy; the write itself succeeded.
  }
}

async function syncDirectory(fs: AtomicWriteFs, dir: string): Promise<void> {
  let handle: AtomicFileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(e) ?? '')) {
      throw new AtomicWriteError(`wrote the file but could not flush directory ${dir}: ${(e as Error).message}`, errorCode(e), e);
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function describeFailure(e: unknown, target: string, dir: string, step: string): AtomicWriteError {
  const code = errorCode(e);
  let reason: string;
  switch (code) {
    case 'ENOENT':
      reason = `directory ${dir} does not exist`;
      break;
    case 'ENOTDIR':
      reason = `${dir} is not a directory`;
      break;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      reason = `directory ${dir} is not writable (${code})`;
      break;
    case 'ENOSPC':
      reason = 'the disk is full (ENOSPC)';
      break;
    case 'EISDIR':
      reason = `${target} is a directory`;
      break;
    default:
      reason = e instanceof Error ? e.message : String(e);
  }
  return new AtomicWriteError(`could not ${step} ${target}: ${reason}; any existing file is unchanged`, code, e);
}

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
