/**
 * Brings a model from the Hugging Face Hub into the local cache, ready for `load`:
 *
 *  1. asks the hub which commit the revision is and which files it has, with their sizes and
 *     hashes (GET /api/models/{repo}/revision/{rev}?blobs=true: `sha`, and per sibling
 *     `size`, `blobId` — git's sha1 — and for LFS files `lfs.sha256`);
 *  2. fetches config.json first and refuses an architecture the engine cannot run (the engine's
 *     own parseHfConfig), and a repository with only pickle weights, before any large download;
 *  3. fetches the weights (model.safetensors or the shards its index lists), the tokenizer and
 *     the small files beside them from that commit (so a branch moving mid-way cannot mix two
 *     versions), each resumable and verified (fileDownload.ts);
 *  4. writes the manifest last: a folder without one is never offered or loaded.
 */

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parseHfConfig } from '../../engine';
import {
  cacheFolderOf,
  isInside,
  MANIFEST_FORMAT,
  MANIFEST_NAME,
  parseManifest,
  type HubDownloadProgress,
  type HubDownloadRequest,
  type HubDownloadResult,
  type HubManifest,
  type ManifestFile,
} from '../../protocol/hubModels';
import { writeFileAtomic } from '../atomicWrite';
import { downloadFile, hashLabel, type ExpectedHash } from './fileDownload';
import { hubGet, HubError } from './hubHttp';

export interface HubDownloadOptions extends HubDownloadRequest {
  readonly signal: AbortSignal;
  readonly onProgress?: (p: HubDownloadProgress) => void;
  /** Attempts per file after a dropped connection (default 3). */
  readonly retries?: number;
}

interface RemoteFile {
  readonly path: string;
  readonly size: number;
  readonly expected: ExpectedHash;
}

/** Small files of a model folder fetched when present: the tokenizer and its settings. */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'vocab.json',
  'merges.txt',
  'vocab.txt',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
];
const PICKLE_WEIGHTS = ['pytorch_model.bin', 'pytorch_model.bin.index.json'];
const MAX_JSON_BYTES = 16 * 1024 * 1024;

export async function downloadHubModel(o: HubDownloadOptions): Promise<HubDownloadResult> {
  const report = progressReporter(o.onProgress);
  report.phase('listing', null);
  const listing = await fetchListing(o);
  const folder = path.join(o.cacheDir, ...cacheFolderOf(o.repo, listing.commit).split('/'));
  const cached = await readManifest(folder);
  if (cached) return resultOf(folder, cached, 0);

  let fetched = 0;
  const fetch = async (f: RemoteFile): Promise<void> => {
    fetched += await downloadFile({
      url: `${o.baseUrl}/${o.repo}/resolve/${listing.commit}/${f.path.split('/').map(encodeURIComponent).join('/')}`,
      name: `${o.repo}/${f.path}`,
      dest: path.join(folder, ...f.path.split('/')),
      size: f.size,
      expected: f.expected,
      token: o.token,
      signal: o.signal,
      retries: o.retries,
      onBytes: (done, now) => report.bytes(f.path, done, now),
    });
  };

  let files: RemoteFile[];
  let architecture: string;
  let loadPath: string;
  let tokenizerPath: string | null = null;
  if (o.files) {
    files = o.files.map((p) => listing.file(p));
    report.plan(files);
    architecture = 'llama2.c';
    loadPath = o.loadPath ?? files[0]?.path ?? '.';
    tokenizerPath = o.tokenizerPath;
    if (!isInside(loadPath) || (tokenizerPath !== null && !isInside(tokenizerPath))) throw new HubError('not-found', `${o.repo}: bad load path ${loadPath}`);
  } else {
    const config = listing.file('config.json', `${o.repo} has no config.json, so it is not a Transformers model folder`);
    report.phase('config', 'config.json');
    await fetch(config);
    try {
      architecture = checkConfig(await readJson(path.join(folder, 'config.json'), 'config.json'), o.repo);
    } catch (e) {
      await fsp.rm(folder, { recursive: true, force: true }); // nothing of a model the engine cannot run is kept
      throw e;
    }
    files = [config, ...(await weightFiles(o, listing, folder, fetch)), ...TOKENIZER_FILES.filter((n) => listing.has(n)).map((n) => listing.file(n))];
    report.plan(files);
    loadPath = '.';
  }
  report.phase('download', null);
  // Small files first: a tokenizer that is missing or refused should not wait behind a gigabyte.
  for (const f of [...files].sort((a, b) => a.size - b.size)) await fetch(f);
  report.phase('verify', null); // also the last progress: every byte is there
  const manifest: HubManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    baseUrl: o.baseUrl,
    repo: o.repo,
    revision: o.revision,
    commit: listing.commit,
    files: files.map((f): ManifestFile => ({ path: f.path, size: f.size, hash: hashLabel(f.expected) })),
    loadPath,
    tokenizerPath,
    architecture,
    downloadedAt: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(folder, MANIFEST_NAME), new TextEncoder().encode(JSON.stringify(manifest, null, 2)));
  return resultOf(folder, manifest, fetched);
}

function resultOf(folder: string, m: HubManifest, fetchedBytes: number): HubDownloadResult {
  const abs = (rel: string): string => (rel === '.' ? folder : path.join(folder, ...rel.split('/')));
  return { folder, loadPath: abs(m.loadPath), tokenizerPath: m.tokenizerPath === null ? null : abs(m.tokenizerPath), commit: m.commit, fetchedBytes };
}

/** The engine's own check: an architecture or option it does not implement is refused here, before the weights. */
function checkConfig(json: unknown, repo: string): string {
  try {
    return parseHfConfig(json).modelType;
  } catch (e) {
    throw new HubError('unsupported', `${repo} cannot be opened: ${(e as Error).message}`);
  }
}

interface Listing {
  readonly commit: string;
  has(p: string): boolean;
  file(p: string, missing?: string): RemoteFile;
  names(): string[];
}

async function fetchListing(o: HubDownloadOptions): Promise<Listing> {
  const url = `${o.baseUrl}/api/models/${o.repo}/revision/${encodeURIComponent(o.revision)}?blobs=true`;
  const { response } = await hubGet(url, `${o.repo}@${o.revision}`, { token: o.token, signal: o.signal });
  let json: unknown;
  try {
    json = await response.json();
  } catch (e) {
    throw new HubError('http', `${o.repo}: the hub's file listing is not JSON (${(e as Error).message})`);
  }
  const info = json as { sha?: unknown; siblings?: unknown } | null;
  if (typeof info?.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha) || !Array.isArray(info.siblings)) {
    throw new HubError('http', `${o.repo}: the hub's answer has no commit id and file list`);
  }
  const byName = new Map<string, Record<string, unknown>>();
  for (const s of info.siblings as unknown[]) {
    const r = s as Record<string, unknown> | null;
    if (r && typeof r.rfilename === 'string') byName.set(r.rfilename, r);
  }
  const commit = info.sha;
  return {
    commit,
    has: (p) => byName.has(p),
    names: () => [...byName.keys()],
    file(p, missing) {
      const s = byName.get(p);
      if (!s) throw new HubError('not-found', missing ?? `${o.repo} has no file ${p} at ${o.revision}`);
      if (!isInside(p)) throw new HubError('not-found', `${o.repo} lists a file outside its folder: ${JSON.stringify(p)}`);
      return remoteFile(o.repo, p, s);
    },
  };
}

/** Size and published hash of a listed file: LFS files by sha256, files kept in git by their blob sha1. */
function remoteFile(repo: string, p: string, s: Record<string, unknown>): RemoteFile {
  const lfs = s.lfs as { sha256?: unknown; oid?: unknown; size?: unknown } | undefined;
  const sha256 = lfs ? (lfs.sha256 ?? lfs.oid) : undefined;
  if (lfs && typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) && typeof lfs.size === 'number') {
    return { path: p, size: lfs.size, expected: { algorithm: 'sha256', hex: sha256 } };
  }
  if (!lfs && typeof s.blobId === 'string' && /^[0-9a-f]{40}$/.test(s.blobId) && typeof s.size === 'number') {
    return { path: p, size: s.size, expected: { algorithm: 'git-sha1', hex: s.blobId } };
  }
  throw new HubError('hash', `${repo}/${p}: the hub publishes no size and hash for it, so it cannot be verified; not downloaded`);
}

/** model.safetensors, or the index and the shards it names; a pickle-only repository is refused by name. */
async function weightFiles(o: HubDownloadOptions, listing: Listing, folder: string, fetch: (f: RemoteFile) => Promise<void>): Promise<RemoteFile[]> {
  if (listing.has('model.safetensors')) return [listing.file('model.safetensors')];
  if (listing.has('model.safetensors.index.json')) {
    const index = listing.file('model.safetensors.index.json');
    await fetch(index);
    const json = (await readJson(path.join(folder, index.path), index.path)) as { weight_map?: unknown } | null;
    const map = json?.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new HubError('unsupported', `${o.repo}: ${index.path} has no "weight_map" object`);
    const shards = [...new Set(Object.values(map as Record<string, unknown>))];
    return [
      index,
      ...shards.map((n) => {
        if (typeof n !== 'string' || n.includes('/') || !n.endsWith('.safetensors'))
          throw new HubError('unsupported', `${o.repo}: ${index.path} names the shard ${JSON.stringify(n)}`);
        return listing.file(n, `${o.repo}: shard ${n} listed in ${index.path} is not in the repository`);
      }),
    ];
  }
  const pickle = PICKLE_WEIGHTS.find((n) => listing.has(n));
  throw new HubError(
    'unsupported',
    pickle
      ? `${o.repo} has only PyTorch pickle weights (${pickle}), which are not supported (loading a pickle can run code); look for a revision with model.safetensors`
      : `${o.repo} has no model.safetensors (files: ${listing.names().slice(0, 8).join(', ')})`,
  );
}

async function readJson(file: string, what: string): Promise<unknown> {
  const stat = await fsp.stat(file);
  if (stat.size > MAX_JSON_BYTES) throw new HubError('unsupported', `${what} is ${stat.size} bytes, more than a JSON file of a model should be`);
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new HubError('unsupported', `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

async function readManifest(folder: string): Promise<HubManifest | null> {
  try {
    return parseManifest(JSON.parse(await fsp.readFile(path.join(folder, MANIFEST_NAME), 'utf8')));
  } catch {
    return null;
  }
}

/** Progress in bytes over all planned files, at most every 100 ms (and at every phase change). */
function progressReporter(onProgress: ((p: HubDownloadProgress) => void) | undefined) {
  const perFile = new Map<string, number>();
  let total = 0;
  let fetched = 0;
  let started = 0;
  let last = 0;
  let phase: HubDownloadProgress['phase'] = 'listing';
  let file: string | null = null;
  const emit = (force: boolean): void => {
    const now = Date.now();
    if (!onProgress || (!force && now - last < 100)) return;
    last = now;
    let done = 0;
    for (const v of perFile.values()) done += v;
    const seconds = started ? (now - started) / 1000 : 0;
    onProgress({ phase, file, done, total, bytesPerSecond: seconds > 0 ? fetched / seconds : 0 });
  };
  return {
    phase(p: HubDownloadProgress['phase'], f: string | null): void {
      phase = p;
      file = f;
      emit(true);
    },
    plan(files: readonly RemoteFile[]): void {
      total = files.reduce((a, f) => a + f.size, 0);
    },
    bytes(f: string, done: number, now: number): void {
      if (now > 0 && !started) started = Date.now();
      fetched += now;
      perFile.set(f, done);
      file = f;
      emit(false);
    },
  };
}
