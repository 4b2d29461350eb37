/**
 * Downloads one file of a hub repository into `dest`, resumably and verified: bytes go to
 * `dest.part`, a later attempt continues it with a Range request (re-hashing what is there
 * first), and only when the size and the hash the hub published match is it renamed to `dest`.
 * A wrong hash deletes the part (it can never become right); an interruption keeps it.
 * A dropped connection is retried from where it stopped, a few times, before giving up.
 */

import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { PART_SUFFIX } from '../../protocol/hubModels';
import { hubGet, HubError, networkError, normalizeEtag } from './hubHttp';

/** The hash a hub publishes for a file: sha256 of the content (LFS files), or git's blob sha1 (small files in git). */
export interface ExpectedHash {
  readonly algorithm: 'sha256' | 'git-sha1';
  readonly hex: string;
}

export interface FileDownloadOptions {
  readonly url: string;
  /** Repository path, for messages. */
  readonly name: string;
  readonly dest: string;
  readonly size: number;
  readonly expected: ExpectedHash;
  readonly token: string | null;
  readonly signal: AbortSignal;
  /** Called with bytes of this file on disk so far (resumed part included) as they arrive. */
  readonly onBytes: (fileDone: number, fetchedNow: number) => void;
  /** Attempts after a dropped connection (default 3). */
  readonly retries?: number;
}

export function hashLabel(h: ExpectedHash): string {
  return `${h.algorithm}:${h.hex}`;
}

function newHasher(h: ExpectedHash, size: number): Hash {
  const hasher = createHash(h.algorithm === 'sha256' ? 'sha256' : 'sha1');
  // Git hashes a blob as "blob <size>\0" followed by its bytes.
  if (h.algorithm === 'git-sha1') hasher.update(`blob ${size}\0`);
  return hasher;
}

/** Fetches the file unless `dest` is already there; resolves with the bytes fetched over the network. */
export async function downloadFile(o: FileDownloadOptions): Promise<number> {
  if (await isFile(o.dest)) {
    o.onBytes(o.size, 0); // renamed into place only after verification
    return 0;
  }
  await fsp.mkdir(path.dirname(o.dest), { recursive: true });
  const part = o.dest + PART_SUFFIX;
  let fetched = 0;
  const retries = o.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetchIntoPart(o, part, (n) => (fetched += n));
      break;
    } catch (e) {
      const err = networkError(e, o.signal, o.name);
      // Only a broken transfer is worth another try (from where it stopped); a status, a hash or a cancel is final.
      if (err.kind !== 'interrupted' || attempt >= retries) throw err;
    }
  }
  await verifyPart(o, part);
  await fsp.rename(part, o.dest);
  return fetched;
}

/** Appends the missing bytes to `part`, counting what arrives with `onFetched`. */
async function fetchIntoPart(o: FileDownloadOptions, part: string, onFetched: (n: number) => void): Promise<void> {
  let have = await sizeOf(part);
  if (have > o.size) {
    await fsp.rm(part, { force: true });
    have = 0;
  }
  if (have === o.size) {
    o.onBytes(have, 0);
    return;
  }
  const { response, firstHeaders } = await hubGet(o.url, o.name, {
    token: o.token,
    signal: o.signal,
    headers: have > 0 ? { range: `bytes=${have}-` } : {},
  });
  checkPublishedEtag(o, firstHeaders);
  if (have > 0 && response.status !== 206) {
    // The server ignored the range: start over rather than append a second copy.
    have = 0;
    await fsp.rm(part, { force: true });
  } else if (response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
    if (start === undefined || Number(start) !== have) {
      await response.body?.cancel().catch(() => undefined);
      throw new HubError(
        'http',
        `${o.name}: asked for bytes from ${have}, the server sent ${response.headers.get('content-range') ?? 'no Content-Range'} (HTTP 206)`,
      );
    }
  }
  const handle = await fsp.open(part, have > 0 ? 'a' : 'w');
  try {
    if (!response.body) throw new HubError('http', `${o.name}: the response has no body`);
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (have + chunk.length > o.size) throw new HubError('hash', `${o.name}: the server sent more than the ${o.size} bytes the hub lists`);
      await handle.write(chunk);
      have += chunk.length;
      onFetched(chunk.length);
      o.onBytes(have, chunk.length);
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (have < o.size) throw new HubError('interrupted', `${o.name}: the connection closed after ${have} of ${o.size} bytes`);
}

/** The hub also states the hash on the file's own response; a disagreement with its listing is refused. */
function checkPublishedEtag(o: FileDownloadOptions, headers: Headers): void {
  const linked = normalizeEtag(headers.get('x-linked-etag'));
  const etag = normalizeEtag(headers.get('etag'));
  const stated = o.expected.algorithm === 'sha256' ? linked : (linked ?? etag);
  const shape = o.expected.algorithm === 'sha256' ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/;
  if (stated && shape.test(stated) && stated !== o.expected.hex) {
    throw new HubError('hash', `${o.name}: the hub lists ${hashLabel(o.expected)} but the file's response says ${stated}; refusing an inconsistent download`);
  }
}

/** Hashes the whole part (resumed bytes included) and compares it with what the hub published. */
async function verifyPart(o: FileDownloadOptions, part: string): Promise<void> {
  const size = await sizeOf(part);
  if (size !== o.size) throw new HubError('http', `${o.name}: ${size} bytes on disk, the hub lists ${o.size}`);
  const hasher = newHasher(o.expected, size);
  for await (const chunk of createReadStream(part, { highWaterMark: 1 << 20 })) hasher.update(chunk as Buffer);
  const got = hasher.digest('hex');
  if (got !== o.expected.hex) {
    await fsp.rm(part, { force: true });
    throw new HubError(
      'hash',
      `${o.name}: the downloaded bytes have ${o.expected.algorithm} ${got}, the hub published ${o.expected.hex}; the file was discarded`,
    );
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return 0;
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fsp.stat(file)).isFile();
  } catch {
    return false;
  }
}
