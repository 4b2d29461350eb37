/**
 * The pure parts of keeping and comparing runs: the overfitting rule (on curves built here
 * with known means), the step table's values and changes, the shared x of several runs, and
 * the stored form of a kept run (bounded, NaN kept, malformed entries dropped).
 */

import assert from 'node:assert/strict';
import { decodeRun, decodeRuns, encodeRun, MAX_KEPT_RUNS, MAX_STORED_STEPS, thinSteps } from '../../../src/presentation/keptRuns';
import { evalColumns, stepColumns } from '../../../src/presentation/metricColumns';
import { describeOverfitting, detectOverfitting, OVERFIT_PATIENCE } from '../../../src/presentation/overfitting';
import { placeOnX, unionX } from '../../../src/presentation/runAlignment';
import { compareSteps, formatChange, formatPercent } from '../../../src/presentation/stepCompare';
import type { KeptRun } from '../../../src/protocol/runs';

/** Steps 1..n with loss f(step); evaluations every `every` steps with val g(step). */
function curves(n: number, every: number, f: (s: number) => number, g: (s: number) => number) {
  const step: number[] = [];
  const loss: number[] = [];
  const es: number[] = [];
  const vl: number[] = [];
  for (let s = 1; s <= n; s++) {
    step.push(s);
    loss.push(f(s));
    if (s % every === 0) {
      es.push(s);
      vl.push(g(s));
    }
  }
  return { steps: { step, loss }, evals: { step: es, valLoss: vl } };
}

describe('presentation: runs kept and compared', () => {
  describe('the overfitting rule', () => {
    it('finds validation flat from its best evaluation while training loss falls, with the interval means', () => {
      // Train loss 3 − s/100 (steps 1..500); validation falls to step 200, then rises.
      const c = curves(
        500,
        50,
        (s) => 3 - s / 100,
        (s) => (s <= 200 ? 4 - s / 200 : 3 + (s - 200) / 1000),
      );
      const f = detectOverfitting(c.steps, c.evals);
      assert.ok(f);
      assert.equal(f.bestStep, 200);
      assert.equal(f.bestValLoss, 3);
      assert.equal(f.lastStep, 500);
      assert.equal(f.evalsSinceBest, 6);
      // The mean of 3 − s/100 over s = 151..200 is 3 − 175.5/100; over 451..500 it is 3 − 475.5/100.
      assert.ok(Math.abs(f.trainAtBest - (3 - 1.755)) < 1e-12);
      assert.ok(Math.abs(f.trainAtLast - (3 - 4.755)) < 1e-12);
      assert.ok(Math.abs(f.gapAtLast - (3.3 - (3 - 4.755))) < 1e-12);
      assert.match(describeOverfitting(f), /not improved since step 200 \(best 3\.000, 3\.300 at step 500\).*1\.245 → -1\.755/);
    });

    it('says nothing while validation still improves, too soon after the best, or when training loss is flat too', () => {
      const improving = curves(
        500,
        50,
        (s) => 3 - s / 1000,
        (s) => 4 - s / 1000,
      );
      assert.equal(detectOverfitting(improving.steps, improving.evals), null);
      // Best at step 400 of 500 evaluated every 50: two evaluations after it, fewer than the patience of 3.
      const recent = curves(
        500,
        50,
        (s) => 3 - s / 1000,
        (s) => (s <= 400 ? 4 - s / 1000 : 4),
      );
      assert.equal(OVERFIT_PATIENCE, 3);
      assert.equal(detectOverfitting(recent.steps, recent.evals), null);
      assert.ok(detectOverfitting(recent.steps, recent.evals, 2), 'with a patience of 2 it is overfitting');
      // A plateau of both: not overfitting, just done learning.
      const plateau = curves(
        500,
        50,
        () => 2,
        (s) => (s <= 100 ? 3 - s / 1000 : 2.9 + s / 1e6),
      );
      assert.equal(detectOverfitting(plateau.steps, plateau.evals), null);
      // Non-finite validation losses are not evaluations; no evaluations, no finding.
      assert.equal(detectOverfitting(plateau.steps, { step: [100, 200], valLoss: [NaN, NaN] }), null);
    });
  });

  describe('the step table', () => {
    it('reads the last point at or before each step; change and % change', () => {
      const steps = [10, 20, 30, 40];
      const vals = [4, 3, 2.5, 2];
      assert.deepEqual(compareSteps(steps, vals, 20, 40), { stepA: 20, stepB: 40, a: 3, b: 2, change: -1, percent: (-1 / 3) * 100 });
      assert.deepEqual(compareSteps(steps, vals, 25, 100), { stepA: 20, stepB: 40, a: 3, b: 2, change: -1, percent: (-1 / 3) * 100 });
      assert.deepEqual(compareSteps(steps, vals, 5, 30), { stepA: null, stepB: 30, a: null, b: 2.5, change: null, percent: null });
      assert.equal(compareSteps([1, 2], [0, 1], 1, 2).percent, null, 'no percentage of zero');
      assert.equal(formatPercent(-33.333), '−33.3 %');
      assert.equal(formatPercent(12), '+12.0 %');
      assert.equal(formatChange(-1.23456), '−1.235');
      assert.equal(formatChange(null), '–');
    });
  });

  describe('several runs on one x', () => {
    it('unions the x values and places each run at its own', () => {
      const x = unionX([[1, 2, 3, 4], [2, 4, 6], [3.5]]);
      assert.deepEqual([...x], [1, 2, 3, 3.5, 4, 6]);
      assert.deepEqual(placeOnX(x, [2, 4, 6], [20, 40, NaN]), [null, 20, null, null, 40, null]);
    });
  });

  describe('the stored form', () => {
    const run = (id: string, n: number): KeptRun => ({
      id,
      label: `run ${id}`,
      origin: 'trained',
      status: 'completed',
      message: null,
      totalSteps: n,
      startedAt: 1000,
      finishedAt: 2000,
      config: { preset: 'tiny', steps: n, batchSize: null, learningRate: 0.001, seed: 1, evalInterval: 10 },
      checkpointPath: `/m/${id}.safetensors`,
      best: { path: `/m/${id}.best.safetensors`, step: 10, valLoss: 2 },
      steps: stepColumns(
        Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: i === 5 ? NaN : 3 - i / n, lr: 1e-3, gradNorm: 1, tokensPerSecond: 10, elapsedMs: i })),
      ),
      evals: evalColumns([{ step: 10, valLoss: 2, valAccuracy: 0.5, valPerplexity: Math.exp(2) }]),
      samples: [{ step: 10, prompt: 'ab', text: 'cd' }],
    });

    it('survives JSON with its NaN step, and is thinned to the bound keeping the ends and non-finite steps', () => {
      const r = run('a', 50);
      const back = decodeRun(JSON.parse(JSON.stringify(encodeRun(r))));
      assert.ok(back);
      assert.ok(Number.isNaN(back.steps.loss[5]!));
      assert.deepEqual([...back.steps.step], [...r.steps.step]);
      assert.deepEqual(back.samples, r.samples);
      assert.deepEqual(back.best, r.best);
      const long = run('b', 10_000);
      const thin = thinSteps(long.steps);
      assert.ok(thin.step.length <= MAX_STORED_STEPS + 1, `${thin.step.length} steps kept`);
      assert.equal(thin.step[0], 1);
      assert.equal(thin.step[thin.step.length - 1], 10_000);
      assert.ok([...thin.step].includes(6), 'the NaN step stays marked');
      // Evenly spaced: no gap much wider than 10,000 / 2,000.
      let widest = 0;
      for (let i = 1; i < thin.step.length; i++) widest = Math.max(widest, thin.step[i]! - thin.step[i - 1]!);
      assert.ok(widest <= 6, `widest gap ${widest}`);
    });

    it('drops malformed entries and duplicates, keeps at most the bound', () => {
      const good = encodeRun(run('a', 5)) as Record<string, unknown>;
      const list = [
        good,
        { ...good, id: 'a' },
        { ...good, id: 'x', status: 'exploded' },
        { ...good, id: 'y', steps: { step: [1], loss: ['NaN'] } },
        { ...good, id: 'z', config: { preset: 3 } },
        null,
        'run',
        ...Array.from({ length: 20 }, (_, i) => ({ ...good, id: `r${i}` })),
      ];
      const out = decodeRuns(list);
      assert.equal(out.length, MAX_KEPT_RUNS);
      assert.deepEqual(
        out.slice(0, 3).map((r) => r.id),
        ['a', 'r0', 'r1'],
      );
      assert.deepEqual(decodeRuns({ not: 'a list' }), []);
    });
  });
});
