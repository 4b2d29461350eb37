/**
 * The models downloaded from the Hugging Face Hub, as the host sees them on disk: one folder per
 * repository and commit under the extension's global storage (`hub/owner--name/commit`),
 * complete when the worker wrote its manifest (protocol/hubModels.ts), otherwise an interrupted
 * download that the next open of the same model resumes. Listing and deleting only: the worker
 * writes.
 */

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_NAME, parseManifest, type HubManifest } from '../../protocol/hubModels';

export interface CachedModel {
  /** owner/name */
  readonly repo: string;
  readonly commit: string;
  readonly folder: string;
  /** Bytes on disk, partial files included. */
  readonly bytes: number;
  /** null: an interrupted download (nothing in it is ever loaded). */
  readonly manifest: HubManifest | null;
}

export async function listCachedModels(cacheDir: string): Promise<CachedModel[]> {
  const out: CachedModel[] = [];
  for (const repoDir of await dirs(cacheDir)) {
    const sep = repoDir.indexOf('--');
    if (sep <= 0) continue;
    const repo = `${repoDir.slice(0, sep)}/${repoDir.slice(sep + 2)}`;
    for (const commit of await dirs(path.join(cacheDir, repoDir))) {
      const folder = path.join(cacheDir, repoDir, commit);
      out.push({ repo, commit, folder, bytes: await sizeOf(folder), manifest: await readManifest(folder) });
    }
  }
  return out.sort((a, b) => a.repo.localeCompare(b.repo) || a.commit.localeCompare(b.commit));
}

/** Removes a cached model's folder (and its repository folder once empty); refuses anything outside the cache. */
export async function deleteCachedModel(cacheDir: string, folder: string): Promise<void> {
  const rel = path.relative(path.resolve(cacheDir), path.resolve(folder));
  if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).length !== 2)
    throw new Error(`${folder} is not a model folder of the cache ${cacheDir}`);
  await fsp.rm(folder, { recursive: true, force: true });
  const parent = path.dirname(folder);
  if ((await fsp.readdir(parent).catch(() => ['?'])).length === 0) await fsp.rmdir(parent).catch(() => undefined);
}

/** What to `load` for a complete cached model. */
export function loadSourceOf(m: CachedModel): { path: string; tokenizerPath: string | null } | null {
  if (!m.manifest) return null;
  const abs = (rel: string): string => (rel === '.' ? m.folder : path.join(m.folder, ...rel.split('/')));
  return { path: abs(m.manifest.loadPath), tokenizerPath: m.manifest.tokenizerPath === null ? null : abs(m.manifest.tokenizerPath) };
}

/** The cached model a loaded path belongs to (for showing where the active model came from). */
export async function cachedModelOf(cacheDir: string, loadedPath: string): Promise<HubManifest | null> {
  const rel = path.relative(path.resolve(cacheDir), path.resolve(loadedPath));
  const parts = rel.split(path.sep);
  if (rel.startsWith('..') || path.isAbsolute(rel) || parts.length < 2) return null;
  return readManifest(path.join(cacheDir, parts[0]!, parts[1]!));
}

async function readManifest(folder: string): Promise<HubManifest | null> {
  try {
    return parseManifest(JSON.parse(await fsp.readFile(path.join(folder, MANIFEST_NAME), 'utf8')));
  } catch {
    return null;
  }
}

async function dirs(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) total += (await fsp.stat(path.join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
