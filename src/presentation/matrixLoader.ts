/**
 * Fills a MatrixAssembly by asking for one query row at a time — the host's way to get a
 * window's full pattern out of the worker's per-query `attention` request. A few requests are
 * kept in flight (so the worker is never idle, yet the editor's own requests still get
 * through between ours), progress is reported, and a newer window cancels an older load.
 * The fetch is injected, so this stays free of VS Code and testable.
 */

import type { WindowRef } from '../protocol/webviewProtocol';
import { MatrixAssembly } from './matrixAssembly';

/** Returns the [L, H, W] row block of window query q (document token windowStart + q). */
export type RowFetcher = (q: number) => Promise<ArrayLike<number>>;

export interface LoadOptions {
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Rows already known (e.g. the cursor token's, which the editor just fetched). */
  readonly seed?: ReadonlyMap<number, ArrayLike<number>>;
}

export class LoadCancelledError extends Error {
  constructor() {
    super('the matrix load was superseded');
    this.name = 'LoadCancelledError';
  }
}

export class MatrixLoader {
  private cancelled = false;

  constructor(readonly window: WindowRef, readonly layers: number, readonly heads: number) {}

  cancel(): void {
    this.cancelled = true;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** Resolves with the complete assembly; rejects with LoadCancelledError or the fetch's error. */
  async load(fetch: RowFetcher, o: LoadOptions = {}): Promise<MatrixAssembly> {
    const m = new MatrixAssembly(this.window, this.layers, this.heads);
    const W = this.window.windowLength;
    for (const [q, rows] of o.seed ?? []) if (q >= 0 && q < W) m.setRow(q, rows);
    const queue: number[] = [];
    for (let q = 0; q < W; q++) if (m.needs(q)) queue.push(q);
    o.onProgress?.(m.done, W);
    const worker = async (): Promise<void> => {
      for (let q = queue.shift(); q !== undefined; q = queue.shift()) {
        if (this.cancelled) throw new LoadCancelledError();
        const rows = await fetch(q);
        if (this.cancelled) throw new LoadCancelledError();
        m.setRow(q, rows);
        o.onProgress?.(m.done, W);
      }
    };
    const lanes = Math.max(1, Math.min(o.concurrency ?? 4, queue.length));
    await Promise.all(Array.from({ length: lanes }, worker));
    if (this.cancelled) throw new LoadCancelledError();
    return m;
  }
}
