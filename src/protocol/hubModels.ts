/**
 * Models from the Hugging Face Hub, as data both sides of the worker agree on: which repository
 * ids and revisions are well formed, the short curated list the picker offers, the hub address
 * setting, the worker call's request and progress, and the manifest that marks a cached model
 * as complete. The worker (src/node/hub) writes a manifest only after every file of the model
 * was downloaded and verified, so the host lists and loads only folders that have one.
 */

/** `owner/name`: the hub's rules (letters, digits, '-', '_', '.'; no '--' or '..' that would make folder names ambiguous). */
const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
/** A branch, tag or commit: no spaces, no '..', no control characters (it goes into a URL path, percent-encoded). */
const REVISION = /^[A-Za-z0-9._/-]{1,200}$/;

export const DEFAULT_HUB_URL = 'https://huggingface.co';
/** The file in a cached model's folder that says it is complete (written last, atomically). */
export const MANIFEST_NAME = 'attention-lens-model.json';
export const MANIFEST_FORMAT = 'attention-lens-hub-model';
/** Extension of a file still being downloaded (renamed only after its hash was checked). */
export const PART_SUFFIX = '.part';

export interface RepoRef {
  readonly repo: string;
  readonly revision: string;
}

/** `owner/name` or `owner/name@revision` (also a hub URL such as https://huggingface.co/owner/name/tree/rev), or an error message. */
export function parseRepoRef(text: string): RepoRef | string {
  let t = text.trim();
  const url = /^https?:\/\/[^/]+\/(.+)$/.exec(t);
  if (url?.[1]) {
    const parts = url[1].split('/');
    t =
      parts.length >= 4 && (parts[2] === 'tree' || parts[2] === 'resolve')
        ? `${parts[0]}/${parts[1]}@${parts.slice(3).join('/')}`
        : parts.slice(0, 2).join('/');
  }
  const at = t.indexOf('@');
  const repo = at >= 0 ? t.slice(0, at) : t;
  const revision = at >= 0 ? t.slice(at + 1) : 'main';
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => REPO_PART.test(p) && !p.includes('--') && !p.includes('..'))) {
    return `"${text.trim().slice(0, 80)}" is not a Hugging Face model id: expected owner/name (e.g. openai-community/gpt2), optionally @revision`;
  }
  if (!REVISION.test(revision) || revision.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return `"${revision.slice(0, 80)}" is not a revision: a branch, tag or commit id`;
  }
  return { repo, revision };
}

/** The hub address setting: an http(s) URL without a trailing slash, or an error message. */
export function parseHubUrl(raw: unknown): string | { readonly error: string } {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_HUB_URL;
  if (typeof raw !== 'string') return { error: `attentionLens.hub.url must be a URL, got ${typeof raw}` };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { error: `attentionLens.hub.url "${raw}" is not a URL` };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return { error: `attentionLens.hub.url must be http(s), got ${u.protocol}` };
  return raw.replace(/\/+$/, '');
}

/** The cache folder of a repository at a commit, relative to the cache root ('/'-separated). */
export function cacheFolderOf(repo: string, commit: string): string {
  return `${repo.replace('/', '--')}/${commit}`;
}

export interface CuratedModel {
  readonly repo: string;
  readonly label: string;
  readonly detail: string;
  /** Explicit files for repositories that are not Hugging Face model folders (llama2.c), else null. */
  readonly files: readonly string[] | null;
  /** Which of `files` to load, and its tokenizer (llama2.c). */
  readonly load: { readonly path: string; readonly tokenizerPath: string } | null;
}

/** The picker's short list: models of the families the engine reads, small enough for a laptop. */
export const CURATED_MODELS: readonly CuratedModel[] = [
  {
    repo: 'karpathy/tinyllamas',
    label: 'llama2.c TinyStories 260K',
    detail: 'llama2.c .bin + tok512.bin, 1 MB: the model the tests check against llama2.c',
    files: ['stories260K/stories260K.bin', 'stories260K/tok512.bin'],
    load: { path: 'stories260K/stories260K.bin', tokenizerPath: 'stories260K/tok512.bin' },
  },
  { repo: 'openai-community/gpt2', label: 'GPT-2 (124M)', detail: 'gpt2: 12 layers × 12 heads', files: null, load: null },
  { repo: 'distilbert/distilgpt2', label: 'DistilGPT-2 (82M)', detail: 'gpt2: 6 layers × 12 heads', files: null, load: null },
  { repo: 'HuggingFaceTB/SmolLM2-135M', label: 'SmolLM2 135M', detail: 'llama: 30 layers × 9 heads (3 key/value heads), BF16', files: null, load: null },
  { repo: 'EleutherAI/pythia-70m', label: 'Pythia 70M', detail: 'gpt_neox: 6 layers × 8 heads', files: null, load: null },
  { repo: 'Qwen/Qwen2-0.5B', label: 'Qwen2 0.5B', detail: 'qwen2: 24 layers × 14 heads (2 key/value heads), BF16', files: null, load: null },
];

// ---------------------------------------------------------------- the worker call

export interface HubDownloadRequest {
  readonly baseUrl: string;
  readonly repo: string;
  readonly revision: string;
  /** Absolute folder that holds every cached model. */
  readonly cacheDir: string;
  /** A Hugging Face access token for gated or private models, or null. */
  readonly token: string | null;
  /** Explicit files (llama2.c repositories), or null for a Hugging Face model folder. */
  readonly files: readonly string[] | null;
  /** With `files`: which one to load and its tokenizer. */
  readonly loadPath: string | null;
  readonly tokenizerPath: string | null;
}

export interface HubDownloadProgress {
  readonly phase: 'listing' | 'config' | 'download' | 'verify';
  /** The file being fetched (repository path), or null. */
  readonly file: string | null;
  /** Bytes of all the files to fetch: done (including what was already there) and in total. */
  readonly done: number;
  readonly total: number;
  /** Mean rate of this session's transfer, bytes per second (0 before the first bytes). */
  readonly bytesPerSecond: number;
}

export interface HubDownloadResult {
  /** Absolute path of the model's folder in the cache. */
  readonly folder: string;
  /** What to pass to `load`: the folder (Hugging Face) or the model file, and its tokenizer file (llama2.c). */
  readonly loadPath: string;
  readonly tokenizerPath: string | null;
  readonly commit: string;
  /** Bytes fetched over the network this time (0 when everything was cached). */
  readonly fetchedBytes: number;
}

// ---------------------------------------------------------------- the manifest

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  /** 'sha256:…' (LFS files) or 'git-sha1:…' (small files kept in git), as published by the hub. */
  readonly hash: string;
}

export interface HubManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: 1;
  readonly baseUrl: string;
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly files: readonly ManifestFile[];
  /** Relative to the folder: '.' for a Hugging Face model folder. */
  readonly loadPath: string;
  readonly tokenizerPath: string | null;
  /** The config's model_type, or the format ('llama2.c'). */
  readonly architecture: string;
  readonly downloadedAt: string;
}

/** A manifest read from disk (untrusted: a user may edit the folder), or null if it is not one. */
export function parseManifest(raw: unknown): HubManifest | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const m = raw as Record<string, unknown>;
  const strs = ['baseUrl', 'repo', 'revision', 'commit', 'loadPath', 'architecture', 'downloadedAt'];
  if (m.format !== MANIFEST_FORMAT || m.version !== 1 || !strs.every((k) => typeof m[k] === 'string')) return null;
  if (m.tokenizerPath !== null && typeof m.tokenizerPath !== 'string') return null;
  if (!Array.isArray(m.files)) return null;
  const files: ManifestFile[] = [];
  for (const f of m.files as unknown[]) {
    const r = f as Record<string, unknown> | null;
    if (!r || typeof r.path !== 'string' || typeof r.hash !== 'string' || typeof r.size !== 'number' || !Number.isSafeInteger(r.size)) return null;
    files.push({ path: r.path, size: r.size, hash: r.hash });
  }
  if (!isInside(m.loadPath as string) || (typeof m.tokenizerPath === 'string' && !isInside(m.tokenizerPath))) return null;
  return { ...(m as unknown as HubManifest), files };
}

/** A relative path that stays inside its folder. */
export function isInside(rel: string): boolean {
  if (rel === '.') return true;
  if (rel === '' || rel.startsWith('/') || rel.includes('\\') || /^[A-Za-z]:/.test(rel)) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** "12.3 MB" for a byte count (decimal units, as the hub shows sizes). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
