/**
 * The CLI's progress display (src/cli/output.ts createOutput): on a terminal one line redrawn
 * in place, at most every 100 ms and always at the end (a window can take a millisecond: one
 * redraw each would be thousands of writes); without one, a line per tenth; none in JSON mode.
 */

import assert from 'node:assert/strict';
import { createOutput } from '../../../src/cli/output';

function fakeStream(isTTY: boolean): { isTTY: boolean; written: string[]; write(s: string): boolean } {
  const written: string[] = [];
  return { isTTY, written, write: (s: string) => (written.push(s), true) };
}

describe('CLI progress display', () => {
  it('on a terminal: redrawn in place, throttled, always drawn at the end, ended by a newline', () => {
    const err = fakeStream(true);
    const out = createOutput(false, fakeStream(false) as never, err as never);
    for (let i = 1; i <= 5000; i++) out.progress(i, 5000, 'windows');
    out.endProgress();
    const draws = err.written.filter((s) => s.startsWith('\r'));
    assert.ok(draws.length >= 2 && draws.length < 100, `${draws.length} redraws for 5000 updates`);
    assert.match(draws[0]!, /^\r\[\.+\] 1\/5000 windows\x1b\[K$/);
    assert.match(draws[draws.length - 1]!, /^\r\[#{24}\] 5000\/5000 windows\x1b\[K$/);
    assert.equal(err.written[err.written.length - 1], '\n');
  });

  it('without a terminal: a line per tenth, the last one included; in JSON mode nothing', () => {
    const err = fakeStream(false);
    const out = createOutput(false, fakeStream(false) as never, err as never);
    for (let i = 1; i <= 1000; i++) out.progress(i, 1000, 'windows');
    out.endProgress();
    assert.equal(err.written.length, 11);
    assert.equal(err.written[err.written.length - 1], '1000/1000 windows\n');
    const quiet = fakeStream(true);
    const json = createOutput(true, fakeStream(false) as never, quiet as never);
    for (let i = 1; i <= 10; i++) json.progress(i, 10, 'windows');
    json.endProgress();
    assert.deepEqual(quiet.written, []);
  });
});
