/**
 * The CLI's one-line progress for a large model load (src/cli/loadLine.ts): what the line says,
 * and that it is drawn only on a terminal, never with --json, only for 50 MB and more, and
 * cleared at the end. A fake stream stands for stderr; the large model is the real 60 MB
 * stories15M read through loadModel.
 */

import { strict as assert } from 'node:assert';
import { formatLoadLine, loadLine, type LineStream } from '../../../src/cli/loadLine';
import { loadModel } from '../../../src/node/loadModel';
import { requireFixture } from '../../helpers/fixtures';

class FakeStream implements LineStream {
  readonly written: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
}

const MB = 1_000_000;

describe('cli/loadLine: progress of a large model load on stderr', () => {
  it('formatLoadLine: the bytes read of the whole, then the phase in words, with the share of the whole load', () => {
    assert.equal(formatLoadLine('stories15M.bin', { phase: 'read', done: 0, total: 60_816_028 }), 'loading stories15M.bin: reading 0 B of 61 MB (0%)');
    assert.equal(formatLoadLine('stories15M.bin', { phase: 'read', done: 24 * MB, total: 60 * MB }), 'loading stories15M.bin: reading 24 MB of 60 MB (30%)');
    assert.equal(formatLoadLine('m.bin', { phase: 'read', done: 60 * MB, total: 60 * MB }), 'loading m.bin: reading 60 MB of 60 MB (75%)');
    assert.equal(formatLoadLine('m.bin', { phase: 'check', done: 1, total: 2 }), 'loading m.bin: checking the weights for non-finite values (82%)');
    assert.equal(formatLoadLine('m.bin', { phase: 'build', done: 1, total: 1 }), 'loading m.bin: building the model (100%)');
    // Cut to the terminal's width (less one column, so the cursor never wraps).
    const cut = formatLoadLine('a-model-with-a-long-name.safetensors', { phase: 'read', done: 5 * MB, total: 60 * MB }, 30);
    assert.equal(cut, 'loading a-model-with-a-long-…');
    assert.equal(cut.length, 29);
  });

  it('on a terminal: one line redrawn with \\r per report that passes the throttle, cleared at the end', () => {
    const tty = new FakeStream(true, 120);
    const line = loadLine('/models/stories15M.bin', tty, false, () => 0);
    assert.ok(line.onProgress);
    for (const done of [0, 16, 32, 48, 60]) line.onProgress({ phase: 'read', done: done * MB, total: 60 * MB });
    line.onProgress({ phase: 'check', done: 0, total: 10 });
    line.onProgress({ phase: 'check', done: 10, total: 10 });
    line.end();
    assert.deepEqual(tty.written, [
      '\rloading stories15M.bin: reading 0 B of 60 MB (0%)\x1b[K',
      '\rloading stories15M.bin: reading 60 MB of 60 MB (75%)\x1b[K',
      '\rloading stories15M.bin: checking the weights for non-finite values (75%)\x1b[K',
      '\rloading stories15M.bin: checking the weights for non-finite values (90%)\x1b[K',
      '\r\x1b[K',
    ]);
    line.end();
    assert.equal(tty.written.length, 5, 'cleared once');
  });

  it('never when stderr is not a terminal, never with --json, and not for a model under 50 MB', () => {
    const report = (l: ReturnType<typeof loadLine>, total: number): void => {
      l.onProgress?.({ phase: 'read', done: 0, total });
      l.onProgress?.({ phase: 'read', done: total, total });
      l.onProgress?.({ phase: 'build', done: 1, total: 1 });
      l.end();
    };
    const pipe = new FakeStream(false);
    const notTty = loadLine('m.bin', pipe, false);
    assert.equal(notTty.onProgress, undefined);
    report(notTty, 60 * MB);
    const json = new FakeStream(true);
    const withJson = loadLine('m.bin', json, true);
    assert.equal(withJson.onProgress, undefined);
    report(withJson, 60 * MB);
    const small = new FakeStream(true);
    report(loadLine('m.bin', small, false), 49 * MB);
    assert.deepEqual([pipe.written, json.written, small.written], [[], [], []]);
    const big = new FakeStream(true);
    report(loadLine('m.bin', big, false), 50 * MB);
    assert.equal(big.written.length, 4);
  });

  it('loading the real stories15M (60 MB) draws reading up to the whole file, then the check and the build, and clears the line', async function () {
    this.timeout(60_000);
    const bin = requireFixture(this, 'stories15M', 'stories15M.bin');
    const tok = requireFixture(this, 'stories15M', 'tokenizer.bin');
    const tty = new FakeStream(true, 200);
    const line = loadLine(bin, tty, false);
    try {
      await loadModel(bin, tok, { onProgress: line.onProgress });
    } finally {
      line.end();
    }
    const text = tty.written.join('');
    assert.ok(text.startsWith('\rloading stories15M.bin: reading 0 B of 61 MB (0%)\x1b[K'), JSON.stringify(text.slice(0, 80)));
    assert.ok(text.includes('\rloading stories15M.bin: reading 61 MB of 61 MB (75%)\x1b[K'));
    assert.ok(text.includes('checking the weights for non-finite values (90%)'));
    assert.ok(text.endsWith('\rloading stories15M.bin: building the model (100%)\x1b[K\r\x1b[K'));
    assert.ok(!text.includes('\n'), 'one line, never a new one');
  });
});
