/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1, for the downloader's tests (unit and
 * in-host). It serves folders of files (the shared fixtures, read in place) with the hub's URL
 * layout and headers, computed here independently of the code under test:
 *
 *   GET  /api/models/{owner}/{name}/revision/{rev}?blobs=true → {id, sha, siblings: [{rfilename,
 *        size, blobId, lfs?: {sha256, size, pointerSize}}]}  (404 + X-Error-Code: RepoNotFound /
 *        RevisionNotFound)
 *   GET  /{owner}/{name}/resolve/{rev}/{path} → small files: 200 with ETag = git blob sha1;
 *        LFS files (.safetensors, .bin): 302 to /cdn/{sha256} with X-Linked-Etag = sha256,
 *        X-Linked-Size, X-Repo-Commit; gated repositories: 401 + X-Error-Code: GatedRepo
 *   GET  /cdn/{sha256} → the bytes, with Range support (206 + Content-Range)
 *
 * and faults on request: drop the connection after N bytes of a file (once), serve corrupted
 * bytes, trickle slowly. Every request is recorded (method, path, Range) for assertions.
 */

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface HubRepo {
  /** Repository path → bytes. */
  readonly files: Map<string, Buffer>;
  readonly commit: string;
  readonly gated?: boolean;
}

export interface HubFaults {
  /** Close the connection after this many body bytes of the file, the first time only. */
  dropAfter?: Map<string, number>;
  /** Serve these files with one byte flipped (the listing keeps the true hash). */
  corrupt?: Set<string>;
  /** Send bodies in 1 kB pieces every `slowMs` (a slow server). */
  slowMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly authorization: string | null;
}

const LFS = /\.(safetensors|bin)$/;

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export function gitBlobSha1(b: Buffer): string {
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
}

/** A repository from a folder's files (recursively; README.md and reference JSON outputs included: a hub repo has extras too). */
export function repoFromFolder(dir: string, extra: Record<string, Buffer> = {}): HubRepo {
  const files = new Map<string, Buffer>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    files.set(path.relative(dir, full).split(path.sep).join('/'), fs.readFileSync(full));
  }
  for (const [k, v] of Object.entries(extra)) files.set(k, v);
  return { files, commit: createHash('sha1').update(dir).digest('hex') };
}

export class LocalHub {
  readonly repos = new Map<string, HubRepo>();
  readonly faults: HubFaults = {};
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly dropped = new Set<string>();
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(): Promise<LocalHub> {
    const hub = new LocalHub();
    await new Promise<void>((resolve) => hub.server.listen(0, '127.0.0.1', resolve));
    return hub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const p = decodeURIComponent(url.pathname);
    this.requests.push({ method: req.method ?? 'GET', path: p, range: req.headers.range ?? null, authorization: req.headers.authorization ?? null });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(p);
    if (api) return this.listing(res, api[1]!, api[2]!);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (resolve) return this.resolve(req, res, resolve[1]!, resolve[2]!, resolve[3]!);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(p);
    if (cdn) {
      for (const repo of this.repos.values()) {
        for (const [name, bytes] of repo.files) if (sha256(bytes) === cdn[1]) return this.body(req, res, name, bytes, {});
      }
    }
    this.error(res, 404, 'EntryNotFound');
  }

  private listing(res: http.ServerResponse, id: string, rev: string): void {
    const repo = this.repos.get(id);
    if (!repo) return this.error(res, 401, 'RepoNotFound'); // the hub answers 401 for a repository it does not show
    if (rev !== 'main' && rev !== repo.commit) return this.error(res, 404, 'RevisionNotFound');
    const siblings = [...repo.files].map(([rfilename, b]) => ({
      rfilename,
      size: LFS.test(rfilename) ? 134 : b.length, // an LFS file's git blob is its pointer
      blobId: gitBlobSha1(LFS.test(rfilename) ? Buffer.from(`pointer ${sha256(b)}`) : b),
      ...(LFS.test(rfilename) ? { lfs: { sha256: sha256(b), size: b.length, pointerSize: 134 } } : {}),
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, modelId: id, sha: repo.commit, gated: repo.gated ? 'manual' : false, private: false, siblings }));
  }

  private resolve(req: http.IncomingMessage, res: http.ServerResponse, id: string, rev: string, file: string): void {
    const repo = this.repos.get(id);
    if (!repo) return this.error(res, 401, 'RepoNotFound');
    if (repo.gated && !req.headers.authorization) return this.error(res, 401, 'GatedRepo', `Access to model ${id} is restricted.`);
    if (rev !== 'main' && rev !== repo.commit) return this.error(res, 404, 'RevisionNotFound');
    const bytes = repo.files.get(file);
    if (!bytes) return this.error(res, 404, 'EntryNotFound');
    const common = { 'x-repo-commit': repo.commit };
    if (LFS.test(file)) {
      res.writeHead(302, { ...common, location: `/cdn/${sha256(bytes)}`, 'x-linked-etag': `"${sha256(bytes)}"`, 'x-linked-size': String(bytes.length) });
      res.end();
      return;
    }
    this.body(req, res, file, bytes, { ...common, etag: `"${gitBlobSha1(bytes)}"` });
  }

  private body(req: http.IncomingMessage, res: http.ServerResponse, name: string, original: Buffer, headers: Record<string, string>): void {
    let bytes = original;
    if (this.faults.corrupt?.has(name)) {
      bytes = Buffer.from(original);
      const mid = bytes.length >> 1;
      bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-length': String(bytes.length - start), 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(bytes.length) });
    }
    const drop = this.faults.dropAfter?.get(name);
    if (drop !== undefined && !this.dropped.has(name) && drop > start) {
      this.dropped.add(name);
      res.write(bytes.subarray(start, drop), () => res.socket?.end()); // closes before Content-Length bytes were sent
      return;
    }
    if (this.faults.slowMs) {
      let at = start;
      const tick = (): void => {
        if (res.destroyed) return;
        const next = Math.min(at + 1024, bytes.length);
        res.write(bytes.subarray(at, next));
        at = next;
        if (at >= bytes.length) res.end();
        else setTimeout(tick, this.faults.slowMs);
      };
      tick();
      return;
    }
    res.end(bytes.subarray(start));
  }

  private error(res: http.ServerResponse, status: number, code: string, message?: string): void {
    res.writeHead(status, { 'x-error-code': code, ...(message ? { 'x-error-message': message } : {}), 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: message ?? code }));
  }
}
