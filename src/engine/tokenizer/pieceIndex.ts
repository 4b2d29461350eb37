/**
 * Exact lookup from a byte sequence to the first vocabulary id whose piece is those bytes, over
 * a tokenizer's packed pieces (one byte array and offsets), for the llama2.c tokenizer's encode
 * and merges. An open-addressing table of ids keyed by an FNV-1a hash of the bytes: no string
 * per piece and no Map, so a 32,000-piece vocabulary costs one Int32Array rather than tens of
 * thousands of heap objects at load. A merge asks for the concatenation of two pieces; `pair`
 * hashes and compares the two parts in place instead of building the joined bytes.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const EMPTY = -1;

export class PieceIndex {
  /** Slot → id, or EMPTY; a power of two at least twice the vocabulary. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly offsets: Int32Array,
  ) {
    const n = offsets.length - 1;
    let size = 16;
    while (size < 2 * n) size *= 2;
    this.slots = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    for (let id = 0; id < n; id++) {
      const start = offsets[id]!,
        end = offsets[id + 1]!;
      let slot = hashRange(FNV_OFFSET, bytes, start, end) & this.mask;
      // A repeated piece keeps its first id (run.c's bsearch would pick an arbitrary duplicate).
      for (; this.slots[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
        if (this.equalsRange(this.slots[slot]!, bytes, start, end)) break;
      }
      if (this.slots[slot] === EMPTY) this.slots[slot] = id;
    }
  }

  /** The id of the piece that is exactly the bytes `key`, or -1. */
  find(key: ArrayLike<number>): number {
    for (let slot = hashRange(FNV_OFFSET, key, 0, key.length) & this.mask; ; slot = (slot + 1) & this.mask) {
      const id = this.slots[slot]!;
      if (id === EMPTY || this.equalsRange(id, key, 0, key.length)) return id;
    }
  }

  /** The id of the piece that is piece `a` followed by piece `b`, or -1. */
  pair(a: number, b: number): number {
    const { bytes, offsets } = this;
    const a0 = offsets[a]!,
      a1 = offsets[a + 1]!,
      b0 = offsets[b]!,
      b1 = offsets[b + 1]!;
    const h = hashRange(hashRange(FNV_OFFSET, bytes, a0, a1), bytes, b0, b1);
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const id = this.slots[slot]!;
      if (id === EMPTY) return EMPTY;
      const s = offsets[id]!;
      const la = a1 - a0;
      if (offsets[id + 1]! - s === la + (b1 - b0) && this.sameBytes(s, a0, la) && this.sameBytes(s + la, b0, b1 - b0)) return id;
    }
  }

  /** Whether piece `id` is exactly key[start, end). */
  private equalsRange(id: number, key: ArrayLike<number>, start: number, end: number): boolean {
    const s = this.offsets[id]!;
    if (this.offsets[id + 1]! - s !== end - start) return false;
    for (let i = 0; i < end - start; i++) if (this.bytes[s + i] !== key[start + i]) return false;
    return true;
  }

  /** Whether bytes[x, x + n) equals bytes[y, y + n). */
  private sameBytes(x: number, y: number, n: number): boolean {
    for (let i = 0; i < n; i++) if (this.bytes[x + i] !== this.bytes[y + i]) return false;
    return true;
  }
}

/** FNV-1a over bytes[start, end), continuing from hash `h`. */
function hashRange(h: number, bytes: ArrayLike<number>, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}
