/**
 * The documents the host has shown the worker: for each, the latest version's text and one
 * cached encoding (the most recent; older versions are never asked for — a request for
 * anything but the held version is 'stale').
 *
 * Encodings are made lazily by the active model's tokenizer and kept until the text or the
 * tokenizer changes; a new version of a document with a character tokenizer is re-encoded
 * incrementally from the previous encoding (see tokenArrays.ts). A model change drops every
 * encoding (forgetEncodings) but keeps the texts, so requests with `text: null` still work.
 */

import type { Tokenizer } from '../engine';
import { WorkerError } from './errors';
import { encodeToArrays, reencodeToArrays, type TokenArrays } from './tokenArrays';

interface Encoded {
  readonly text: string;
  readonly version: number;
  readonly tokenizer: Tokenizer;
  readonly tokens: TokenArrays;
}

interface DocumentState {
  version: number;
  text: string;
  encoded: Encoded | null;
}

export interface DocumentTokens {
  readonly tokens: TokenArrays;
  /** False when the tokens are the cached encoding of this very version and text. */
  readonly changed: boolean;
  /**
   * When these tokens replace an earlier encoding under the same tokenizer: that encoding's
   * version and how many leading tokens the two share (attention computed for them can be kept).
   */
  readonly previous: { readonly version: number; readonly unchangedPrefix: number } | null;
}

export class DocumentStore {
  private readonly docs = new Map<string, DocumentState>();

  get size(): number {
    return this.docs.size;
  }

  /**
   * Sets the text of `version`; null reuses the text held for exactly that version. A text
   * for the version already held replaces it (a host that reuses version numbers, e.g. for a
   * reopened document, still gets answers about the text it sent last).
   */
  setText(documentKey: string, version: number, text: string | null): void {
    const doc = this.docs.get(documentKey);
    if (text === null) {
      this.require(documentKey, version);
      return;
    }
    if (!doc) this.docs.set(documentKey, { version, text, encoded: null });
    else {
      doc.version = version;
      doc.text = text;
    }
  }

  /** The tokens of the held `version` under `tokenizer`, encoding only when needed. */
  tokens(documentKey: string, version: number, tokenizer: Tokenizer): DocumentTokens {
    const doc = this.require(documentKey, version);
    const enc = doc.encoded;
    let tokens: TokenArrays;
    let previous: DocumentTokens['previous'] = null;
    if (enc && enc.tokenizer === tokenizer && enc.text === doc.text) {
      if (enc.version === version) return { tokens: enc.tokens, changed: false, previous: null };
      tokens = enc.tokens;
      previous = { version: enc.version, unchangedPrefix: tokens.ids.length };
    } else if (enc && enc.tokenizer === tokenizer) {
      const r = reencodeToArrays(tokenizer, enc.text, enc.tokens, doc.text);
      tokens = r.tokens;
      previous = { version: enc.version, unchangedPrefix: r.unchangedPrefix };
    } else {
      doc.encoded = null; // let the old arrays go before allocating new ones
      tokens = encodeToArrays(tokenizer, doc.text);
    }
    doc.encoded = { text: doc.text, version, tokenizer, tokens };
    return { tokens, changed: true, previous };
  }

  /** The version held for a document, or null. */
  heldVersion(documentKey: string): number | null {
    return this.docs.get(documentKey)?.version ?? null;
  }

  /** The text of the held `version` ('stale' otherwise). */
  text(documentKey: string, version: number): string {
    return this.require(documentKey, version).text;
  }

  close(documentKey: string): boolean {
    return this.docs.delete(documentKey);
  }

  forgetEncodings(): void {
    for (const doc of this.docs.values()) doc.encoded = null;
  }

  private require(documentKey: string, version: number): DocumentState {
    const doc = this.docs.get(documentKey);
    if (!doc) throw new WorkerError('stale', `the worker holds no text for ${documentKey}; send its text with a tokens request first`);
    if (doc.version !== version) throw new WorkerError('stale', `${documentKey} version ${version} is not the one the worker holds (${doc.version})`);
    return doc;
  }
}
