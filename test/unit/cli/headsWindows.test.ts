/**
 * `attention-lens heads` on a text longer than the model's context: scored in the sliding windows
 * the other commands read long texts in. Real weights (stories260K cut to a 64-token context); the
 * oracle is each window's token slice (the windows listed by brute force) run through a forward of
 * its own and the engine's summarizeHeads / detectHead, weighted here by the window's tokens.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { detectHead, HEAD_KINDS, Llama2cTokenizer, parseLlama2cCheckpoint, rulePattern, summarizeHeads, type Transformer } from '../../../src/engine';
import { cli, jsonLines } from '../../helpers/cli';
import { expectedWindows, shortContextStories } from '../../helpers/cutContext';

type Window = { start: number; end: number; query_start: number; query_end: number };

describe('CLI heads over a text longer than the context (stories260K cut to a 64-token context)', function () {
  this.timeout(300_000);
  let ckpt: string;
  let tok: string;
  let text: string;
  const stories = shortContextStories('al-heads-windows-');
  before(() => ({ ckpt, tok, text } = stories));

  /** Each window's attention [L] of [H, W, W], from a forward over its slice alone. */
  function windowAttention(m: Transformer, ids: Int32Array, w: Window): Float32Array[] {
    const slice = ids.subarray(w.start, w.end);
    return m.forward(null, slice, 1, slice.length, { capture: { attention: true } }).layers.map((l) => l.attention!);
  }

  /** Σ weight · values / Σ weight, elementwise, and the plain mean beside it. */
  function means(values: readonly Float64Array[], weights: readonly number[]): { weighted: number[]; plain: number[] } {
    const n = values[0]!.length;
    const total = weights.reduce((a, b) => a + b, 0);
    const weighted = Array.from({ length: n }, (_, i) => values.reduce((s, v, j) => s + weights[j]! * v[i]!, 0) / total);
    const plain = Array.from({ length: n }, (_, i) => values.reduce((s, v) => s + v[i]!, 0) / values.length);
    return { weighted, plain };
  }

  it("--json: every head's score is the mean over the windows of summarizeHeads on the window's slice, weighted by its tokens; the windows listed as the other commands list them", () => {
    const [r] = jsonLines(cli('heads', '--checkpoint', ckpt, '--tokenizer', tok, '--text', text, '--rule', 'copy:1', '--threads', '1', '--json'));
    const tokenizer = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(tok)), 512);
    const ids = tokenizer.encode(text).ids;
    const T = ids.length;
    assert.ok(T > 3 * 64, `a text of ${T} tokens spans several windows`);
    const windows = expectedWindows(T, 64, 32);
    assert.deepEqual([r!.stride, r!.windows], [32, windows]);
    const lengths = windows.map((w) => w.end - w.start);
    assert.ok(new Set(lengths).size > 1, `windows of different lengths (${lengths.join(', ')}), so their weights differ`);

    const m = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(ckpt)));
    const H = m.config.nHeads;
    const perWindow = windows.map((w) => {
      const layers = windowAttention(m, ids, w);
      const slice = ids.subarray(w.start, w.end);
      return {
        summary: summarizeHeads(layers, H, slice, { causal: true }),
        copy1: detectHead([{ layers, heads: H, tokens: slice }], rulePattern({ kind: 'occurrence', offset: 1 }, slice, true), { method: 'mul', causal: true })
          .scores,
      };
    });
    const scores = r!.scores as Record<string, number[][]>;
    let widest = 0;
    const check = (what: string, got: number[][], values: Float64Array[]): void => {
      const { weighted, plain } = means(values, lengths);
      // float32 attention: the CLI's kernels (WebAssembly) and this process's may round differently.
      got.flat().forEach((v, i) => assert.ok(Math.abs(v - weighted[i]!) < 1e-6, `${what}[${i}]: ${v} vs ${weighted[i]}`));
      widest = Math.max(widest, ...weighted.map((x, i) => Math.abs(x - plain[i]!)));
    };
    for (const k of HEAD_KINDS)
      check(
        k,
        scores[k]!,
        perWindow.map((p) => p.summary.scores[k]),
      );
    const custom = r!.custom as { rule: unknown; method: string; scores: number[][] };
    assert.deepEqual([custom.rule, custom.method], [{ kind: 'occurrence', offset: 1 }, 'mul']);
    check(
      'custom copy:1',
      custom.scores,
      perWindow.map((p) => p.copy1),
    );
    // The weighting is visible: an unweighted mean would be off by more than the tolerance.
    assert.ok(widest > 1e-3, `weighted and plain means differ by up to ${widest}`);
  });

  it('--stride sets the windows; the table says how the text was read; a text that fits has no windows in the JSON', () => {
    const [r] = jsonLines(cli('heads', '--checkpoint', ckpt, '--tokenizer', tok, '--text', text, '--stride', '48', '--json'));
    const T = (r!.windows as Window[])[(r!.windows as Window[]).length - 1]!.end;
    assert.deepEqual([r!.stride, r!.windows], [48, expectedWindows(T, 64, 48)]);
    const table = cli('heads', '--checkpoint', ckpt, '--tokenizer', tok, '--text', text);
    assert.equal(table.code, 0, table.stderr);
    const windows = expectedWindows(T, 64, 32).length;
    assert.match(table.stderr, new RegExp(`${windows}/${windows} windows\n$`), 'the windows done, on stderr');
    assert.match(
      table.stdout,
      new RegExp(
        `^${T} tokens, read in ${windows} windows of 64 tokens, 32 apart \\(each score: the windows' mean, weighted by their tokens\\), 5 layers × 8 heads\\.`,
      ),
    );
    const [short] = jsonLines(cli('heads', '--checkpoint', ckpt, '--tokenizer', tok, '--text', 'Lily saw a cat. The cat was big.', '--json'));
    assert.deepEqual(Object.keys(short!).sort(), ['causal', 'heads', 'layers', 'scores']);
  });
});
