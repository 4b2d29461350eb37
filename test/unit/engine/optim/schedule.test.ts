/**
 * The learning-rate schedule against its definition, written out here independently:
 *   warm-up (0-based step s < W):  lr = peak·(s+1)/W            (reaches the peak on step W−1)
 *   decay   (s ≥ W):               lr = min + ½(peak−min)(1 + cos(π·p)),  p = min(1, (s−W)/(N−W))
 * with min = peak·minRatio and N the total number of steps. Key points are also given as
 * literal numbers worked out by hand, so a formula mistaken the same way twice still fails.
 */

import assert from 'node:assert/strict';
import { learningRateAt, type ScheduleOptions } from '../../../../src/engine/optim/schedule';

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`);
}

/** The definition, written from the formula above (not from the implementation). */
function definition(s: number, o: ScheduleOptions): number {
  const W = o.warmupSteps,
    N = o.totalSteps,
    min = o.peak * o.minRatio;
  if (s < W) return (o.peak * (s + 1)) / W;
  const p = Math.min(1, (s - W) / Math.max(1, N - W));
  return min + 0.5 * (o.peak - min) * (1 + Math.cos(Math.PI * p));
}

describe('optim/schedule: linear warm-up then cosine decay', () => {
  // peak 1e-3, 10 warm-up steps, 110 steps in all: 100 decay steps, floor 1e-4.
  const o: ScheduleOptions = { peak: 1e-3, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };

  it('warm-up: step 0 is peak/W, it grows linearly, the last warm-up step is the peak', () => {
    close(learningRateAt(0, o), 1e-4, 'step 0');
    close(learningRateAt(4, o), 5e-4, 'step 4');
    close(learningRateAt(8, o), 9e-4, 'step 8');
    close(learningRateAt(9, o), 1e-3, 'step 9 (last warm-up step)');
    for (let s = 1; s < 10; s++) close(learningRateAt(s, o) - learningRateAt(s - 1, o), 1e-4, `increment at step ${s}`);
  });

  it('decay: the first decay step is the peak, the middle is halfway to the floor, a quarter in is on the cosine', () => {
    close(learningRateAt(10, o), 1e-3, 'step 10 (first decay step)');
    close(learningRateAt(60, o), 5.5e-4, 'step 60 (middle of the decay)');
    // p = 1/4: 1e-4 + 0.5·9e-4·(1 + cos(π/4)) = 1e-4 + 4.5e-4·(1 + 0.70710678…)
    close(learningRateAt(35, o), 1e-4 + 4.5e-4 * (1 + Math.SQRT1_2), 'step 35 (quarter)');
    close(learningRateAt(85, o), 1e-4 + 4.5e-4 * (1 - Math.SQRT1_2), 'step 85 (three quarters)');
  });

  it('end: the final step (N−1) is one decay step above the floor, step N and beyond stay on the floor', () => {
    close(learningRateAt(109, o), 1e-4 + 4.5e-4 * (1 + Math.cos(Math.PI * 0.99)), 'step 109 (final step)');
    assert.ok(learningRateAt(109, o) > 1e-4 && learningRateAt(109, o) < 1e-4 + 1e-6, `final step ${learningRateAt(109, o)} should be just above the floor`);
    close(learningRateAt(110, o), 1e-4, 'step 110');
    close(learningRateAt(111, o), 1e-4, 'step 111 (beyond)');
    close(learningRateAt(10_000, o), 1e-4, 'step 10000 (far beyond)');
  });

  it('every step of several schedules equals the definition; warm-up rises and decay falls monotonically', () => {
    const schedules: ScheduleOptions[] = [
      o,
      { peak: 3e-4, warmupSteps: 20, totalSteps: 500, minRatio: 0.1 }, // the defaults
      { peak: 1e-2, warmupSteps: 0, totalSteps: 37, minRatio: 0 },
      { peak: 5e-3, warmupSteps: 1, totalSteps: 2, minRatio: 0.5 },
      { peak: 1e-3, warmupSteps: 7, totalSteps: 7, minRatio: 0.2 }, // no decay steps at all
      { peak: 2e-3, warmupSteps: 3, totalSteps: 50, minRatio: 1 }, // constant after warm-up
    ];
    for (const sc of schedules) {
      let prev = -Infinity;
      for (let s = 0; s < sc.totalSteps + 5; s++) {
        const lr = learningRateAt(s, sc);
        close(lr, definition(s, sc), `${JSON.stringify(sc)} step ${s}`);
        if (s < sc.warmupSteps) assert.ok(lr > prev, `warm-up must rise at step ${s} of ${JSON.stringify(sc)}`);
        else if (s > sc.warmupSteps) assert.ok(lr <= prev, `decay must not rise at step ${s} of ${JSON.stringify(sc)}`);
        prev = lr;
      }
    }
  });

  it('without warm-up step 0 is the peak; minRatio 0 decays to exactly 0', () => {
    const z: ScheduleOptions = { peak: 1e-2, warmupSteps: 0, totalSteps: 100, minRatio: 0 };
    close(learningRateAt(0, z), 1e-2, 'step 0');
    close(learningRateAt(50, z), 5e-3, 'step 50');
    assert.equal(learningRateAt(100, z), 0);
    assert.equal(learningRateAt(150, z), 0);
  });
});
