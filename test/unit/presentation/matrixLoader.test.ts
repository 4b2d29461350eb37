/**
 * The host assembles a window's matrix from one request per query row: every row is asked for
 * once (seeded rows not at all), a few at a time, progress reaches the total, and a newer window
 * cancels the older load.
 */

import assert from 'node:assert/strict';
import { LoadCancelledError, MatrixLoader } from '../../../src/presentation/matrixLoader';

const WINDOW = { documentKey: 'file:///t.txt', version: 1, windowStart: 64, windowLength: 6 };

/** Head 0 of a 1×1 model looking at the previous token. */
function rowOf(q: number): Float32Array {
  const r = new Float32Array(6);
  r[Math.max(0, q - 1)] = 1;
  return r;
}

describe('presentation: matrix loader (rows → full pattern)', () => {
  it('asks for each missing row once, at most `concurrency` at a time, and reports progress to the total', async () => {
    const asked: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const progress: number[] = [];
    const m = await new MatrixLoader(WINDOW, 1, 1).load(async (q) => {
      asked.push(q);
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return rowOf(q);
    }, { concurrency: 2, seed: new Map([[3, rowOf(3)]]), onProgress: (done) => progress.push(done) });
    assert.deepEqual(asked.sort(), [0, 1, 2, 4, 5]);
    assert.equal(peak, 2);
    assert.equal(progress.at(-1), 6);
    assert.equal(progress[0], 1, 'the seeded row counts from the start');
    assert.deepEqual(Array.from(m.headMatrix(0, 0).weights.subarray(4 * 6, 5 * 6)), [0, 0, 0, 1, 0, 0]);
  });

  it('stops when cancelled and when a fetch fails', async () => {
    const loader = new MatrixLoader(WINDOW, 1, 1);
    let calls = 0;
    const run = loader.load(async (q) => {
      if (++calls === 2) loader.cancel();
      return rowOf(q);
    }, { concurrency: 1 });
    await assert.rejects(run, LoadCancelledError);
    assert.ok(calls <= 3);
    await assert.rejects(new MatrixLoader(WINDOW, 1, 1).load(async () => { throw new Error('stale'); }), /stale/);
  });
});
