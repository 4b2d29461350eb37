/**
 * The llama2.c tokenizer's merge queue (llama2cTokenizer.ts, mergeAll): every adjacent pair that
 * ever formed, best first, so encoding takes O(n log n) instead of run.c's rescans.
 */

export interface PairEntry {
  readonly score: number;
  readonly left: number;
  readonly right: number;
  readonly merged: number;
  readonly leftVersion: number;
  readonly rightVersion: number;
}

/** Binary max-heap of candidate merges: higher score first, then the smaller (leftmost) index. */
export class PairHeap {
  private readonly items: PairEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(score: number, left: number, right: number, merged: number, leftVersion: number, rightVersion: number): void {
    const items = this.items;
    items.push({ score, left, right, merged, leftVersion, rightVersion });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): PairEntry {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && before(items[l]!, items[best]!)) best = l;
        if (r < items.length && before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

function before(a: PairEntry, b: PairEntry): boolean {
  return a.score > b.score || (a.score === b.score && a.left < b.left);
}
