/**
 * The throttle between a model load's progress and whoever shows it (the worker's messages to the
 * editor): each phase's start and end always pass, in between at most one message per interval
 * that moved at least the least step. A fake clock stands for time.
 */

import { strict as assert } from 'node:assert';
import { throttleProgress, type LoadProgress } from '../../../src/node/loadProgress';
import { loadFraction } from '../../../src/protocol/loadProgress';

function recorder(): { clock: { t: number }; seen: LoadProgress[]; report: (p: LoadProgress) => void } {
  const clock = { t: 1000 };
  const seen: LoadProgress[] = [];
  return { clock, seen, report: throttleProgress((p) => seen.push(p), { now: () => clock.t }) };
}

describe('node/loadProgress: throttleProgress', () => {
  it('a fast load (a 60 MB read in four pieces at one instant, then a check tensor by tensor) gives each phase only its start and end', () => {
    const { seen, report } = recorder();
    const MB = 1_000_000;
    for (const done of [0, 16, 32, 48, 60]) report({ phase: 'read', done: done * MB, total: 60 * MB });
    for (let done = 0; done <= 57; done++) report({ phase: 'check', done, total: 57 });
    report({ phase: 'build', done: 0, total: 1 });
    report({ phase: 'build', done: 1, total: 1 });
    assert.deepEqual(
      seen.map((p) => `${p.phase} ${p.done}`),
      ['read 0', `read ${60 * MB}`, 'check 0', 'check 57', 'build 0', 'build 1'],
    );
  });

  it('a slow load passes a message at most every 100 ms, and only after at least 1 % more', () => {
    const { clock, seen, report } = recorder();
    const total = 1_000_000;
    // 0.1 % every 20 ms: 1 % takes 200 ms, so the step, not the interval, is what holds it back.
    for (let done = 0; done <= total; done += total / 1000) {
      report({ phase: 'read', done, total });
      clock.t += 20;
    }
    assert.equal(seen[0]!.done, 0);
    assert.equal(seen[seen.length - 1]!.done, total);
    for (let i = 1; i < seen.length - 1; i++) assert.ok(seen[i]!.done - seen[i - 1]!.done >= total / 100, `step ${i}`);
    assert.ok(seen.length <= 102, `${seen.length} messages for 1001 reports`);

    // 1 % every 10 ms: now the interval holds it back, to one in ten.
    const fast = recorder();
    for (let done = 0; done <= 100; done++) {
      fast.report({ phase: 'check', done, total: 100 });
      fast.clock.t += 10;
    }
    assert.deepEqual(
      fast.seen.map((p) => p.done),
      [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    );
  });

  it('drops repeats, and starts afresh for a new phase or a new total', () => {
    const { seen, report } = recorder();
    report({ phase: 'read', done: 0, total: 10 });
    report({ phase: 'read', done: 0, total: 10 });
    report({ phase: 'read', done: 10, total: 10 });
    report({ phase: 'read', done: 10, total: 10 });
    report({ phase: 'read', done: 0, total: 20 });
    assert.deepEqual(
      seen.map((p) => [p.done, p.total]),
      [
        [0, 10],
        [10, 10],
        [0, 20],
      ],
    );
  });

  it('loadFraction: one bar over the phases, never going back from one phase to the next', () => {
    const points: LoadProgress[] = [
      { phase: 'read', done: 0, total: 10 },
      { phase: 'read', done: 10, total: 10 },
      { phase: 'check', done: 0, total: 5 },
      { phase: 'check', done: 5, total: 5 },
      { phase: 'build', done: 0, total: 1 },
      { phase: 'build', done: 1, total: 1 },
    ];
    const f = points.map(loadFraction);
    assert.equal(f[0], 0);
    assert.equal(f[f.length - 1], 1);
    for (let i = 1; i < f.length; i++) assert.ok(f[i]! >= f[i - 1]!, `${f.join(', ')}`);
    assert.equal(loadFraction({ phase: 'read', done: 5, total: 0 }), loadFraction({ phase: 'read', done: 1, total: 1 }), 'an empty phase counts as done');
  });
});
