/**
 * What-if comparisons in the worker: a document compared with another document (Compare with
 * Edit: the scratch copy and its original) or with the same text under a second model (Compare
 * with Checkpoint…). Holds which document is compared with what, and finds "the other side" of
 * a window: the other document's window under the active model, or this text's tokens under
 * the second model, with each token of this window aligned to one of the other's (a token-level
 * diff of the ids for an edit, equal character spans for a second model) — what the `compare`
 * view (comparisonView.ts) is computed from.
 */

import type { LoadedModel } from '../node/loadModel';
import type { CallRequest } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import { WorkerError } from './errors';
import { alignBySpans, alignTokens } from './tokenAlignment';
import { encodeToArrays, type TokenArrays } from './tokenArrays';

/** What a document is compared with. */
export type ComparisonTarget =
  | { readonly kind: 'edit'; readonly documentKey: string; readonly token: number; readonly label: string }
  | { readonly kind: 'checkpoint'; readonly model: ActiveModel; readonly label: string };

/** The other side of a window, ready for the view. */
export interface OtherSide {
  readonly kind: 'edit' | 'checkpoint';
  readonly label: string;
  /** The model the other side is read by (the active one for an edit). */
  readonly model: ActiveModel;
  /** Its tokens (the window the comparison reads). */
  readonly ids: Int32Array;
  /** Per layer [H, Wo, Wo]: its attention. */
  readonly weights: readonly Float32Array[];
  /** [W]: for each token of this window, the index of its counterpart in `ids`, or −1. */
  readonly aligned: Int32Array;
}

/** How the worker reaches another document's window under the active model (DocumentWindows). */
export interface OtherWindowSource {
  active(): ActiveModel;
  heldVersion(documentKey: string): number | null;
  window(
    documentKey: string,
    version: number,
    token: number,
  ): { readonly tokens: TokenArrays; readonly start: number; readonly length: number; readonly weights: readonly Float32Array[] };
  text(documentKey: string, version: number): string;
}

export class Comparisons {
  private readonly byDocument = new Map<string, ComparisonTarget>();
  /** The second model's encoding of a document version: re-encoded only when the text changed. */
  private readonly encodings = new Map<string, { readonly version: number; readonly model: ActiveModel; readonly tokens: TokenArrays }>();

  /**
   * Applies a `compare` request (a checkpoint is read by `load`, which reports its progress, and
   * checked for the active model's shape); returns the label set.
   */
  async setFor(
    r: CallRequest<'compare'>,
    requireModel: () => ActiveModel,
    load: (path: string, tokenizerPath: string | null) => Promise<LoadedModel>,
  ): Promise<string | null> {
    const w = r.with;
    if (w?.kind !== 'checkpoint') {
      this.set(r.documentKey, w);
      return w?.label ?? null;
    }
    const active = requireModel();
    const loaded = await load(w.path, w.tokenizerPath ?? null);
    const a = active.model.config;
    const b = loaded.model.config;
    if (a.nLayers !== b.nLayers || a.nHeads !== b.nHeads) {
      throw new WorkerError(
        'bad-input',
        `${w.label} has ${b.nLayers} layers × ${b.nHeads} heads, the active model ${a.nLayers} × ${a.nHeads}: heads can only be compared between models of one shape`,
      );
    }
    const model = { model: loaded.model, tokenizer: loaded.tokenizer, tokenizerJson: loaded.tokenizerJson ?? null, training: loaded.training, source: w.path };
    this.set(r.documentKey, { kind: 'checkpoint', model, label: w.label });
    return w.label;
  }

  set(documentKey: string, target: ComparisonTarget | null): void {
    if (target) this.byDocument.set(documentKey, target);
    else this.byDocument.delete(documentKey);
    this.encodings.delete(documentKey);
  }

  get(documentKey: string): ComparisonTarget | undefined {
    return this.byDocument.get(documentKey);
  }

  /** A closed document is compared with nothing, and nothing is compared with it. */
  forgetDocument(documentKey: string): void {
    this.byDocument.delete(documentKey);
    this.encodings.delete(documentKey);
    for (const [key, t] of this.byDocument) if (t.kind === 'edit' && t.documentKey === documentKey) this.byDocument.delete(key);
  }

  /**
   * The other side for the window [start, start + length) of `documentKey` version `version`
   * (its tokens `tokens`), or null when the document is compared with nothing.
   */
  otherSide(documentKey: string, version: number, tokens: TokenArrays, start: number, length: number, source: OtherWindowSource): OtherSide | null {
    const target = this.byDocument.get(documentKey);
    if (!target) return null;
    const ids = tokens.ids.subarray(start, start + length);
    if (target.kind === 'edit') {
      const otherVersion = source.heldVersion(target.documentKey);
      if (otherVersion === null) throw new WorkerError('stale', `the document compared with (${target.label}) is not held by the worker; show it once`);
      const w = source.window(target.documentKey, otherVersion, target.token);
      const otherIds = w.tokens.ids.subarray(w.start, w.start + w.length);
      return { kind: 'edit', label: target.label, model: source.active(), ids: otherIds, weights: w.weights, aligned: alignTokens(ids, otherIds) };
    }
    const m2 = target.model;
    const a = source.active().model.config;
    if (a.nLayers !== m2.model.config.nLayers || a.nHeads !== m2.model.config.nHeads)
      throw new WorkerError('bad-input', `the active model changed shape since ${target.label} was chosen for comparison; choose it again`);
    let enc = this.encodings.get(documentKey);
    if (!enc || enc.version !== version || enc.model !== m2) {
      enc = { version, model: m2, tokens: encodeToArrays(m2.tokenizer, source.text(documentKey, version)) };
      this.encodings.set(documentKey, enc);
    }
    // The second model's tokens inside this window's characters, at most its context.
    const from = tokens.starts[start] ?? 0;
    const to = tokens.ends[start + length - 1] ?? from;
    const t2 = enc.tokens;
    let first = 0;
    while (first < t2.ids.length && (t2.starts[first] ?? 0) < from) first++;
    let last = first;
    const ctx = m2.model.config.contextLength;
    while (last < t2.ids.length && (t2.ends[last] ?? 0) <= to && last - first < ctx) last++;
    if (last === first) throw new WorkerError('bad-input', `the second model (${target.label}) reads no token in this window`);
    const otherIds = t2.ids.slice(first, last);
    const r = m2.model.forward(null, otherIds, 1, otherIds.length, { capture: { attention: true } });
    const weights = r.layers.map((l) => l.attention ?? new Float32Array(0));
    const aligned = alignBySpans(
      tokens.starts.subarray(start, start + length),
      tokens.ends.subarray(start, start + length),
      t2.starts.subarray(first, last),
      t2.ends.subarray(first, last),
    );
    return { kind: 'checkpoint', label: target.label, model: m2, ids: otherIds, weights, aligned };
  }
}
