/**
 * The rule that a run's loss blew up without going non-finite (presentation/lossRise.ts), on
 * curves built here (test/unit/cli/trainLossRise.test.ts has a real run, and trainBest.test.ts an
 * overfitting one, whose validation loss ends above its start, that the rule leaves alone).
 */

import assert from 'node:assert/strict';
import { describeLossRise, detectLossRise, END_STEPS, RISE_MARGIN } from '../../../src/presentation/lossRise';

const steps = (losses: number[]) => ({ step: losses.map((_, i) => i + 1), loss: losses });

describe('presentation/lossRise', () => {
  it('a falling loss, and an end within the margin of the start, are not a rise', () => {
    assert.equal(detectLossRise(steps([4.2, 3.9, 3.1, 2.5, 2.2])), null);
    assert.equal(detectLossRise(steps([4, 4 * (1 + RISE_MARGIN) - 1e-9])), null);
    assert.equal(detectLossRise(steps([4])), null, 'one step says nothing');
  });

  it('an end above the start: the mean of the last steps, the start and the peak (non-finite steps skipped)', () => {
    const losses = [4.2, 9, NaN, 3000, ...Array.from({ length: END_STEPS }, (_, i) => (i % 2 ? 50 : 70))];
    assert.deepEqual(detectLossRise(steps(losses)), { startStep: 1, startLoss: 4.2, endLoss: 60, peakStep: 4, peakLoss: 3000 });
    assert.match(
      describeLossRise(detectLossRise(steps(losses))!),
      /training loss ended above where it started \(4\.200 at step 1, 60\.000 over the last steps; highest 3000 at step 4\)/,
    );
  });

  it('a short run: the steps after the first', () => {
    assert.equal(detectLossRise(steps([4, 30, 10]))?.endLoss, 20);
  });
});
