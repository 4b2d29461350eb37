/**
 * The rule that a run's loss blew up without going non-finite (presentation/lossRise.ts), on
 * curves built here (test/unit/cli/trainLossRise.test.ts has a real run).
 */

import assert from 'node:assert/strict';
import { describeLossRise, detectLossRise, RISE_MARGIN } from '../../../src/presentation/lossRise';

const series = (losses: number[], evals: [number, number][] = []) => ({
  steps: { step: losses.map((_, i) => i + 1), loss: losses },
  evals: { step: evals.map((e) => e[0]), valLoss: evals.map((e) => e[1]) },
});

describe('presentation/lossRise', () => {
  it('a falling loss, and an end within the margin of the start, are not a rise', () => {
    const falling = series([4.2, 3.9, 3.1, 2.5, 2.2], [[5, 2.4]]);
    assert.equal(detectLossRise(falling.steps, falling.evals), null);
    const flat = series([4, 4.1, 4.05], [[3, 4 * (1 + RISE_MARGIN) - 1e-9]]);
    assert.equal(detectLossRise(flat.steps, flat.evals), null);
    assert.equal(detectLossRise(series([4]).steps, series([4]).evals), null, 'one step says nothing');
  });

  it('an end above the start: the last validation loss, the start, and the peak (non-finite steps skipped)', () => {
    const s = series(
      [4.2, 9, NaN, 3000, 80, 60],
      [
        [2, 8],
        [6, 59.5],
      ],
    );
    assert.deepEqual(detectLossRise(s.steps, s.evals), { startStep: 1, startLoss: 4.2, endLoss: 59.5, endIsValidation: true, peakStep: 4, peakLoss: 3000 });
    assert.match(
      describeLossRise(detectLossRise(s.steps, s.evals)!),
      /ended above where it started \(4\.200 at step 1, validation loss 59\.500 at the end; highest 3000 at step 4\)/,
    );
  });

  it('without evaluations (or with only a continued run’s earlier ones), the mean of the last steps', () => {
    const losses = [4, ...Array.from({ length: 20 }, (_, i) => (i < 10 ? 100 : 10))];
    const s = series(losses, [[0, 1]]);
    const f = detectLossRise(s.steps, s.evals)!;
    assert.equal(f.endIsValidation, false);
    assert.equal(f.endLoss, 10, 'the last ten steps');
    assert.match(describeLossRise(f), /training loss 10\.000 at the end/);
  });
});
