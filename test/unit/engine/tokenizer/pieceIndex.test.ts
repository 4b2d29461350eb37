/**
 * Tests for PieceIndex (the llama2.c tokenizer's piece lookup) against the plainest reference:
 * a Map from each piece's bytes, joined into a string, to its first id.
 */
import { strict as assert } from 'node:assert';
import { PieceIndex } from '../../../../src/engine/tokenizer/pieceIndex';
import { Rng } from '../../../../src/engine/random';

function pack(pieces: readonly number[][]): { bytes: Uint8Array; offsets: Int32Array } {
  const offsets = new Int32Array(pieces.length + 1);
  pieces.forEach((p, i) => (offsets[i + 1] = offsets[i]! + p.length));
  const bytes = new Uint8Array(offsets[pieces.length]!);
  pieces.forEach((p, i) => bytes.set(p, offsets[i]!));
  return { bytes, offsets };
}

describe('tokenizer/pieceIndex', () => {
  it('finds the first id of every piece and of every joined pair, and -1 for anything else (random vocabularies with repeats and an empty piece)', () => {
    const rng = new Rng(5);
    for (const [n, alphabet] of [
      [40, 3],
      [700, 5],
      [3000, 256],
    ] as const) {
      // Short pieces over a small alphabet repeat often and join into other pieces.
      const pieces: number[][] = [[]];
      for (let i = 1; i < n; i++) pieces.push(Array.from({ length: 1 + rng.int(4) }, () => rng.int(alphabet)));
      const key = (p: readonly number[]): string => p.join(',');
      const first = new Map<string, number>();
      pieces.forEach((p, id) => {
        if (!first.has(key(p))) first.set(key(p), id);
      });
      const { bytes, offsets } = pack(pieces);
      const index = new PieceIndex(bytes, offsets);
      pieces.forEach((p) => assert.equal(index.find(p), first.get(key(p))));
      assert.equal(index.find(Uint8Array.of(...pieces[5]!)), first.get(key(pieces[5]!)), 'a Uint8Array key');
      for (let k = 0; k < 2000; k++) {
        const a = rng.int(n),
          b = rng.int(n);
        const joined = [...pieces[a]!, ...pieces[b]!];
        assert.equal(index.pair(a, b), first.get(key(joined)) ?? -1, `pair ${a} + ${b}`);
        assert.equal(index.find(joined), first.get(key(joined)) ?? -1);
      }
      assert.equal(index.find(Array(9).fill(alphabet - 1)), first.get(key(Array(9).fill(alphabet - 1))) ?? -1);
    }
  });
});
