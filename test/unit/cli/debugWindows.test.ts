/**
 * `surprisal`, `lens`, `ablate` and `attribute` on a text longer than the model's context: read
 * in the sliding windows `attention` and the editor use. Real weights (stories260K cut to a
 * 64-token context); the oracles are the windows listed by brute force, a forward over exactly
 * the slice of the text a token is read in (−log softmax written here), and each command run as
 * its own process on that slice alone (`--ids`), where the text fits in one window.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseLlama2cCheckpoint } from '../../../src/engine';
import { cli, jsonLines } from '../../helpers/cli';
import { expectedWindows, shortContextStories, withContext } from '../../helpers/cutContext';

type Window = { start: number; end: number; query_start: number; query_end: number };
type Prediction = { id: number; text: string; prob: number };

function logSoftmax(row: ArrayLike<number>): number[] {
  const xs = Array.from(row);
  const m = Math.max(...xs);
  const lse = m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  return xs.map((x) => x - lse);
}

describe('CLI debugging commands over a text longer than the context (stories260K cut to a 64-token context)', function () {
  this.timeout(300_000);
  let ckpt: string;
  let tok: string;
  let text: string;
  let ids: number[];
  let windows: Window[];
  const stories = shortContextStories('al-debug-windows-');
  before(() => ({ ckpt, tok, text } = stories));

  const model = (): string[] => ['--checkpoint', ckpt, '--tokenizer', tok];
  /** The window that reads token t as a query. */
  const readerOf = (t: number): Window => windows.find((w) => t >= w.query_start && t < w.query_end)!;
  /** The window the prediction at position i (of token i+1) is read in. */
  const predictionWindowOf = (i: number): Window => readerOf(Math.min(i + 1, ids.length - 1));

  it('surprisal: each token from a forward over the window that reads it, the top-k from the window of the token it predicts; the windows listed as attention lists them', () => {
    const run = cli('surprisal', ...model(), '--text', text, '--top', '3', '--json');
    assert.equal(run.stderr, '', 'no progress in JSON mode');
    const [r] = jsonLines(run);
    ids = r!.token_ids as number[];
    const T = ids.length;
    assert.ok(T > 3 * 64, `a text of ${T} tokens spans several windows`);
    windows = expectedWindows(T, 64, 32);
    assert.deepEqual([r!.stride, r!.windows], [32, windows]);
    const m = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(ckpt)));
    const V = m.config.vocabSize;
    const logits = new Map<number, Float32Array>();
    const rowOf = (w: Window, i: number): number[] => {
      if (!logits.has(w.start)) logits.set(w.start, m.forward(null, Int32Array.from(ids.slice(w.start, w.end)), 1, w.end - w.start).logits.data);
      return logSoftmax(logits.get(w.start)!.subarray((i - w.start) * V, (i - w.start + 1) * V));
    };
    const s = r!.surprisal as (number | null)[];
    const top = r!.top as Prediction[][];
    assert.equal(s[0], null);
    let worst = 0;
    for (let t = 1; t < T; t++) {
      const w = readerOf(t);
      assert.ok(t - 1 >= w.start, `token ${t}'s predecessor is in its window`);
      worst = Math.max(worst, Math.abs(s[t]! + rowOf(w, t - 1)[ids[t]!]!));
    }
    assert.ok(worst < 1e-4, `largest surprisal difference ${worst}`);
    for (let i = 0; i < T; i++) {
      const lp = rowOf(predictionWindowOf(i), i);
      const want = lp
        .map((x, v) => [x, v] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, 3)
        .map(([, v]) => v);
      assert.deepEqual(
        top[i]!.map((p) => p.id),
        want,
        `row ${i}`,
      );
    }
    const people = cli('surprisal', ...model(), '--text', text);
    assert.equal(people.code, 0, people.stderr);
    assert.match(people.stdout, /read in \d+ windows of 64 tokens, 32 apart/);
    // For people, the windows done on stderr (without a terminal, a line per tenth), to the last.
    const n = windows.length;
    assert.match(people.stderr, new RegExp(`^1/${n} windows\n(.*\n)*${n}/${n} windows\n$`));
  });

  it('ablate --heads: each token as the same command gives it on its window alone; the losses are the means over the text', function () {
    if (!ids) return this.skip();
    const [r] = jsonLines(cli('ablate', ...model(), '--text', text, '--heads', '1.2,3.0', '--json'));
    assert.deepEqual(r!.windows, windows);
    const people = cli('ablate', ...model(), '--text', text, '--heads', '1.2,3.0');
    assert.equal(people.code, 0, people.stderr);
    assert.match(people.stderr, new RegExp(`${windows.length}/${windows.length} windows\n$`));
    const before = r!.surprisal_before as (number | null)[];
    const after = r!.surprisal_after as (number | null)[];
    for (const w of windows) {
      const [alone] = jsonLines(cli('ablate', ...model(), '--ids', ids.slice(w.start, w.end).join(','), '--heads', '1.2,3.0', '--json'));
      for (let t = Math.max(1, w.query_start); t < w.query_end; t++) {
        assert.ok(Math.abs(before[t]! - (alone!.surprisal_before as number[])[t - w.start]!) < 1e-5, `token ${t} before`);
        assert.ok(Math.abs(after[t]! - (alone!.surprisal_after as number[])[t - w.start]!) < 1e-5, `token ${t} after`);
      }
    }
    const mean = (xs: (number | null)[]): number => xs.slice(1).reduce<number>((a, b) => a + b!, 0) / (xs.length - 1);
    assert.ok(Math.abs((r!.loss_before as number) - mean(before)) < 1e-9);
    assert.ok(Math.abs((r!.loss_after as number) - mean(after)) < 1e-9);
    assert.ok((r!.loss_after as number) !== (r!.loss_before as number), 'the heads matter somewhere');
  });

  it('lens, ablate --sweep and attribute at a position far past the context, at a window boundary: as on the window its prediction is read in, which they name', function () {
    if (!ids) return this.skip();
    // The last token of the window that reads it: its prediction is read in the next window.
    const position = windows[3]!.query_end - 1;
    const w = predictionWindowOf(position);
    assert.ok(w !== readerOf(position) && w.start > 0 && position + 1 < w.end);
    const slice = ids.slice(w.start, w.end).join(',');
    const local = String(position - w.start);
    const strip = (o: Record<string, unknown>): Record<string, unknown> => {
      const { position: _p, window: _w, ...rest } = o;
      return rest;
    };
    for (const [command, extra] of [
      ['lens', ['--top', '4']],
      ['ablate', ['--sweep']],
      ['attribute', ['--method', 'grad']],
    ] as const) {
      const [long] = jsonLines(cli(command, ...model(), '--text', text, '--position', String(position), ...extra, '--json'));
      const [alone] = jsonLines(cli(command, ...model(), '--ids', slice, '--position', local, ...extra, '--json'));
      assert.equal(long!.position, position, command);
      assert.deepEqual(long!.window, { start: w.start, end: w.end }, command);
      assert.equal(alone!.window, undefined, `${command}: a text in one window names none`);
      if (command === 'attribute') {
        const a = long!.attributions as (number | null)[];
        assert.equal(a.length, position + 1);
        assert.ok(
          a.slice(0, w.start).every((x) => x === null),
          'tokens before the window are not read',
        );
        assert.deepEqual(a.slice(w.start), alone!.attributions);
        assert.deepEqual(strip({ ...long!, attributions: null }), strip({ ...alone!, attributions: null }));
      } else {
        assert.deepEqual(strip(long!), strip(alone!), command);
      }
    }
  });

  it('a position outside the text is named in text positions, not window ones', function () {
    if (!ids) return this.skip();
    const r = cli('lens', ...model(), '--text', text, '--position', String(ids.length), '--json');
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, new RegExp(`position ${ids.length} is outside the text's ${ids.length} tokens`));
    const last = cli('ablate', ...model(), '--text', text, '--sweep', '--position', String(ids.length - 1), '--json');
    assert.match(last.stdout + last.stderr, /is the last token/);
    // A long text times a large --top is refused up front rather than held in memory.
    const big = cli('surprisal', ...model(), '--text', text.repeat(60), '--top', '1000', '--json');
    assert.equal(big.code, 2, big.stderr);
    assert.match(big.stdout + big.stderr, /--top 1000 over \d+ tokens would list \d+ predictions; at most 5000000/);
  });

  it('--stride must leave windows overlapping (each token is predicted in its window): the context is refused, the context less one reads every token', function () {
    if (!ids) return this.skip();
    for (const command of [['surprisal'], ['lens', '--position', '64'], ['ablate', '--heads', '0.0'], ['attribute', '--position', '64'], ['heads']]) {
      const r = cli(...command, ...model(), '--text', text, '--stride', '64', '--json');
      assert.equal(r.code, 2, `${command[0]}: ${r.stdout}${r.stderr}`);
      assert.match(JSON.parse(r.stderr.trim()).error.message, /^--stride must be an integer from 1 to 63 \(the context less one/);
    }
    const [r] = jsonLines(cli('surprisal', ...model(), '--text', text, '--stride', '63', '--json'));
    const surprisal = r!.surprisal as (number | null)[];
    assert.equal(surprisal[0], null);
    assert.ok(
      surprisal.slice(1).every((x) => typeof x === 'number' && Number.isFinite(x)),
      'every token after the first has a surprisal',
    );
    for (const top of r!.top as Prediction[][]) assert.ok(top.every((p) => Number.isInteger(p.id) && p.prob >= 0));
  });

  it('a model whose context is one token: the debugging commands say there is nothing to predict from; attention still reads it', function () {
    const one = ckpt.replace(/\.bin$/, '-ctx1.bin');
    fs.writeFileSync(one, withContext(fs.readFileSync(ckpt), 1));
    for (const command of [['surprisal'], ['heads'], ['ablate', '--heads', '0.0'], ['lens', '--position', '1']]) {
      const r = cli(...command, '--checkpoint', one, '--tokenizer', tok, '--ids', '1,2,3', '--json');
      assert.equal(r.code, 2, `${command[0]}: ${r.stdout}${r.stderr}`);
      assert.match(JSON.parse(r.stderr.trim()).error.message, /this model reads at most 1 token at once \(its context\): there is no earlier token/);
    }
    const [a] = jsonLines(cli('attention', '--checkpoint', one, '--tokenizer', tok, '--ids', '1,2,3', '--json'));
    // Each token is its own window: it can attend only to itself.
    for (const layer of a!.attention as number[][][][])
      for (const head of layer)
        assert.deepEqual(head, [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ]);
  });

  it('attribute on a one-token text says the text is too short, not a range', () => {
    const r = cli('attribute', ...model(), '--ids', '1', '--position', '0', '--json');
    assert.notEqual(r.code, 0);
    assert.match(JSON.parse(r.stderr.trim()).error.message, /the text is 1 token, so there is no next token to predict/);
  });
});
