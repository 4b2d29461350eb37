/**
 * Attention matrices of recently viewed context windows, least recently used first out,
 * bounded by bytes rather than entries: a window of a llama2.c model (5 layers × 8 heads ×
 * 512², weights and scores) is 80 MB while one of the `tiny` preset is 130 kB.
 *
 * Keyed by document, version and the window's first token and length (the same tokens give the
 * same attention whatever the stride that placed the window). Only the version the worker holds is ever
 * asked for; when a document moves to a new version, the windows whose tokens did not change
 * are carried over to it (carryOver) and the rest of the old version's entries are dropped.
 */

/** One context window's forward pass, with what the editor reads from it. */
export interface WindowAttention {
  readonly documentKey: string;
  readonly version: number;
  readonly window: number;
  /** First document token of the window. */
  readonly start: number;
  /** Tokens in the window (the model's context, or fewer for the last window). */
  readonly length: number;
  /** Per layer, post-softmax weights [H, T, T] (row = query, column = key). */
  readonly weights: readonly Float32Array[];
  /** Per layer, raw scores q·k/√hs [H, T, T], −Infinity where masked. */
  readonly scores: readonly Float32Array[];
  /** Per layer ‖α·v·W_O‖ [H, T, T], once the editor asked for value-weighted attention (counted in bytes then). */
  readonly valueWeighted?: readonly Float32Array[];
  readonly bytes: number;
}

export const DEFAULT_ATTENTION_CACHE_BYTES = 256 * 1024 * 1024;

export class AttentionCache {
  private readonly entries = new Map<string, WindowAttention>(); // insertion order = recency
  private total = 0;

  constructor(readonly maxBytes: number = DEFAULT_ATTENTION_CACHE_BYTES) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  get(documentKey: string, version: number, start: number, length: number): WindowAttention | undefined {
    const key = keyOf(documentKey, version, start, length);
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Stores an entry (unless it alone exceeds the budget), evicting the least recently used. */
  set(entry: WindowAttention): void {
    const key = keyOf(entry.documentKey, entry.version, entry.start, entry.length);
    this.remove(key);
    if (entry.bytes > this.maxBytes) return;
    this.entries.set(key, entry);
    this.total += entry.bytes;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
  }

  /**
   * Moves the document's entries of `fromVersion` that `keep` accepts to `toVersion` (which
   * may be the same number, when a version's text was replaced) and drops all its others.
   */
  carryOver(documentKey: string, fromVersion: number, toVersion: number, keep: (e: WindowAttention) => boolean): void {
    for (const [k, e] of [...this.entries]) {
      if (e.documentKey !== documentKey) continue;
      this.remove(k);
      if (e.version === fromVersion && keep(e)) {
        const moved: WindowAttention = { ...e, version: toVersion };
        this.entries.set(keyOf(documentKey, toVersion, e.start, e.length), moved);
        this.total += moved.bytes;
      }
    }
  }

  dropDocument(documentKey: string): void {
    for (const [k, e] of [...this.entries]) if (e.documentKey === documentKey) this.remove(k);
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.total -= e.bytes;
  }
}

function keyOf(documentKey: string, version: number, start: number, length: number): string {
  return `${version}:${start}+${length}:${documentKey}`;
}
