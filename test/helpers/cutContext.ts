/**
 * For tests of sliding context windows on real weights: stories260K with its context cut short,
 * and the windows a causal text is read in, listed by brute force from the definition
 * (src/protocol/contextWindows.ts is what they check).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireFixture } from './fixtures';

/** stories260K.bin with seq_len `ctx` (< 512): the header field and the two legacy [seq_len, hs/2] RoPE tables cut to `ctx` rows. */
export function withContext(bin: Buffer, ctx: number): Buffer {
  const [dim, , , nHeads, , vocab, seqLen] = Array.from({ length: 7 }, (_, i) => bin.readInt32LE(i * 4));
  const half = dim! / nHeads! / 2;
  const tables = 2 * seqLen! * half * 4;
  const wcls = vocab! < 0 ? Math.abs(vocab!) * dim! * 4 : 0;
  const tablesAt = bin.length - wcls - tables;
  const real = bin.subarray(tablesAt, tablesAt + seqLen! * half * 4).subarray(0, ctx * half * 4);
  const imag = bin.subarray(tablesAt + seqLen! * half * 4, tablesAt + tables).subarray(0, ctx * half * 4);
  const header = Buffer.from(bin.subarray(0, 28));
  header.writeInt32LE(ctx, 24);
  return Buffer.concat([header, bin.subarray(28, tablesAt), real, imag, bin.subarray(bin.length - wcls)]);
}

/** Causal: windows [s, s + C) for s = 0, S, 2S, … until one reaches T; each query read in the earliest window that holds it. */
export function expectedWindows(T: number, C: number, S: number): { start: number; end: number; query_start: number; query_end: number }[] {
  const out: { start: number; end: number; query_start: number; query_end: number }[] = [];
  for (let s = 0; ; s += S) {
    out.push({ start: s, end: Math.min(s + C, T), query_start: 0, query_end: 0 });
    if (s + C >= T) break;
  }
  const owner = (q: number): number => out.findIndex((w) => q >= w.start && q < w.end);
  out.forEach((w, i) => {
    const queries = Array.from({ length: T }, (_, q) => q).filter((q) => owner(q) === i);
    w.query_start = queries[0] ?? 0;
    w.query_end = queries.length > 0 ? queries[queries.length - 1]! + 1 : 0;
  });
  return out;
}

/** What shortContextStories() fills in its `before` hook. */
export interface ShortContextStories {
  /** The temporary folder (removed after the suite): tests may write their outputs there. */
  dir: string;
  /** stories260K.bin with a 64-token context, in a temporary folder. */
  ckpt: string;
  /** Its tokenizer (tok512.bin, in the fixtures). */
  tok: string;
  /** A text several contexts long: the fixture's greedy generations, joined. */
  text: string;
}

/**
 * Registers, in the calling describe, a `before` hook that writes stories260K cut to a 64-token
 * context (skipping the suite where the fixtures are absent) and an `after` hook that removes it.
 * The returned object's fields are set once the hook has run.
 */
export function shortContextStories(tempPrefix: string): ShortContextStories {
  const m: ShortContextStories = { dir: '', ckpt: '', tok: '', text: '' };
  before(function () {
    const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
    m.tok = requireFixture(this, 'stories260K', 'tok512.bin');
    m.dir = fs.mkdtempSync(path.join(os.tmpdir(), tempPrefix));
    m.ckpt = path.join(m.dir, 'stories260K-ctx64.bin');
    fs.writeFileSync(m.ckpt, withContext(fs.readFileSync(bin), 64));
    const greedy = JSON.parse(fs.readFileSync(path.join(path.dirname(bin), 'greedy_generations.json'), 'utf8')) as { cases: { text: string }[] };
    m.text = greedy.cases.map((c) => c.text).join(' ');
  });
  after(() => m.dir && fs.rmSync(m.dir, { recursive: true, force: true }));
  return m;
}
