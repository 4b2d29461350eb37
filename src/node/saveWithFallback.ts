/**
 * Saving a trained model when the chosen file cannot be written (a full disk, a folder that
 * became read-only): the model exists only in memory, so losing it to a write error throws
 * away the whole run. The write is atomic (the old file stays intact); on failure the bytes
 * go to a fallback folder if one is given, and the error names the path, the reason, the
 * space the checkpoint needs and where it was saved instead.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicWriteError, writeFileAtomic } from './atomicWrite';

/** The checkpoint was not written where asked. `savedTo` is the fallback file, or null when nothing was saved. */
export class SaveFailedError extends Error {
  constructor(
    message: string,
    readonly target: string,
    readonly bytesNeeded: number,
    readonly savedTo: string | null,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SaveFailedError';
  }
}

/** "12.3 MB" for people. */
export function formatSize(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.ceil(n / 1024))} KB`;
}

/** Free bytes for an unprivileged writer in `dir`, or null when the file system does not say. */
export function freeBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/**
 * Writes `bytes` to `target` atomically; when that fails and `fallbackDir` is another folder,
 * writes them there instead. Either way a failure at `target` is a SaveFailedError whose
 * message says what happened and where the bytes are.
 */
export async function saveWithFallback(target: string, bytes: Uint8Array, fallbackDir?: string): Promise<void> {
  try {
    await writeFileAtomic(target, bytes);
    return;
  } catch (e) {
    if (!(e instanceof AtomicWriteError)) throw e;
    const dir = path.dirname(path.resolve(target));
    const free = freeBytes(dir);
    const space = `the checkpoint needs ${formatSize(bytes.length)} (${bytes.length} bytes)${free === null ? '' : `, ${formatSize(free)} free in ${dir}`}`;
    let savedTo: string | null = null;
    if (fallbackDir && path.resolve(fallbackDir) !== dir) {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const candidate = path.join(
        fallbackDir,
        `${path.basename(target, path.extname(target))}-${stamp}-${process.pid}${path.extname(target) || '.safetensors'}`,
      );
      try {
        await writeFileAtomic(candidate, bytes);
        savedTo = candidate;
      } catch {
        savedTo = null;
      }
    }
    const where = savedTo
      ? `; the trained model was saved to ${savedTo} instead`
      : fallbackDir
        ? `; saving it to ${fallbackDir} failed too, so the trained model is lost`
        : '';
    throw new SaveFailedError(`${e.message}; ${space}${where}`, target, bytes.length, savedTo, e.code);
  }
}
