/**
 * HTTP for the Hugging Face Hub: GET with redirects followed by hand (the hub answers a large
 * file's `resolve` URL with a redirect to its CDN, and the hash it publishes, X-Linked-Etag, is
 * on that first response, which fetch's own redirect handling would hide), the access token
 * sent only to the hub's own origin, and every failure turned into a HubError whose kind the
 * host acts on: offline (offer the cache), gated, not found, and the rest.
 */

/** What went wrong, as the user would put it. */
/** `interrupted`: a transfer that broke off (resumable); `http`: the server answered with an error. */
export type HubErrorKind = 'offline' | 'not-found' | 'gated' | 'unsupported' | 'hash' | 'http' | 'interrupted' | 'cancelled';

export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export interface HubResponse {
  /** The final response (after redirects). */
  readonly response: Response;
  /** The headers of the first response: the hub's X-Repo-Commit, X-Linked-Etag, ETag. */
  readonly firstHeaders: Headers;
}

const MAX_REDIRECTS = 5;
/** Network errors that mean "no connection" rather than "the server said no". */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** GETs `url`, following redirects; a non-2xx final status is a HubError naming `what`. */
export async function hubGet(
  url: string,
  what: string,
  init: { token: string | null; signal: AbortSignal; headers?: Record<string, string> },
): Promise<HubResponse> {
  const origin = new URL(url).origin;
  let current = url;
  let firstHeaders: Headers | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { 'user-agent': 'attention-lens', ...init.headers };
    // The token is for the hub; a CDN the hub redirects to gets a signed URL instead.
    if (init.token && new URL(current).origin === origin) headers.authorization = `Bearer ${init.token}`;
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: 'manual', signal: init.signal });
    } catch (e) {
      throw networkError(e, init.signal, `${what} (${current})`);
    }
    firstHeaders ??= response.headers;
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel().catch(() => undefined);
      current = new URL(response.headers.get('location')!, current).toString();
      continue;
    }
    if (!response.ok && response.status !== 206) {
      await response.body?.cancel().catch(() => undefined);
      throw statusError(response, what);
    }
    return { response, firstHeaders };
  }
  throw new HubError('http', `${what}: more than ${MAX_REDIRECTS} redirects`);
}

/** A thrown fetch/stream error as a HubError (cancelled, offline, or a broken transfer). */
export function networkError(e: unknown, signal: AbortSignal, what: string): HubError {
  if (e instanceof HubError) return e;
  if (signal.aborted) return new HubError('cancelled', `${what}: cancelled`);
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : typeof (e as { code?: unknown })?.code === 'string' ? String((e as { code: string }).code) : '';
  const detail = typeof cause?.message === 'string' ? cause.message : e instanceof Error ? e.message : String(e);
  if (OFFLINE_CODES.has(code)) return new HubError('offline', `cannot reach the Hugging Face Hub for ${what}: ${code}${detail ? ` (${detail})` : ''}`);
  return new HubError('interrupted', `${what}: the connection broke off (${[code, detail].filter(Boolean).join(': ')})`);
}

function statusError(r: Response, what: string): HubError {
  const code = r.headers.get('x-error-code') ?? '';
  const message = r.headers.get('x-error-message');
  const said = message ? ` — the hub says: ${message.slice(0, 200)}` : '';
  if (code === 'GatedRepo' || ((r.status === 401 || r.status === 403) && code !== 'RepoNotFound')) {
    return new HubError(
      'gated',
      `${what}: the model is gated or private (HTTP ${r.status}); accept its conditions on the hub and set HF_TOKEN to an access token before starting VS Code${said}`,
    );
  }
  if (r.status === 404 || code === 'RepoNotFound' || code === 'RevisionNotFound' || code === 'EntryNotFound') {
    const which = code === 'RevisionNotFound' ? 'revision' : code === 'EntryNotFound' ? 'file' : 'model';
    return new HubError('not-found', `${what}: no such ${which} on the hub (HTTP ${r.status}${code ? ` ${code}` : ''})${said}`);
  }
  return new HubError('http', `${what}: HTTP ${r.status} ${r.statusText}${said}`);
}

/** An ETag without its weak prefix and quotes. */
export function normalizeEtag(raw: string | null): string | null {
  if (!raw) return null;
  return raw.replace(/^W\//, '').replace(/^"|"$/g, '');
}
