/**
 * The export of the runs shown: one long-format CSV (run id and label in front of the
 * single-run columns, one block per run, labels escaped) and one JSON with every run's columns,
 * the smoothed loss computed with the weight given.
 */

import assert from 'node:assert/strict';
import { evalColumns, stepColumns } from '../../../src/presentation/metricColumns';
import { runsMetricsCsv, runsMetricsJson } from '../../../src/presentation/runsExport';

const steps = (n: number, scale: number) =>
  stepColumns(
    Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: scale / (i + 1), lr: 1e-3, gradNorm: 1, tokensPerSecond: 100, elapsedMs: 10 * (i + 1) })),
  );

describe('presentation: export of the runs shown', () => {
  const runs = [
    {
      id: 'run-a',
      label: 'tiny on a.txt',
      current: true,
      steps: steps(3, 2),
      evals: evalColumns([{ step: 2, valLoss: 1.5, valAccuracy: 0.4, valPerplexity: Math.exp(1.5) }]),
    },
    { id: 'run-b', label: 'small, "quoted"', current: false, steps: steps(2, 4), evals: evalColumns([]) },
  ];

  it('CSV: run and run_label before the single-run columns, a block per run', () => {
    const lines = runsMetricsCsv(runs, 0).trimEnd().split('\r\n');
    assert.equal(lines[0], 'run,run_label,step,elapsed_s,loss,loss_smoothed,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,val_perplexity');
    assert.equal(lines.length, 1 + 3 + 2);
    assert.equal(lines[2], `run-a,tiny on a.txt,2,0.02,1,1,0.001,1,100,1.5,0.4,${Math.exp(1.5)}`);
    assert.equal(lines[4], 'run-b,"small, ""quoted""",1,0.01,4,4,0.001,1,100,,,');
    assert.equal(runsMetricsCsv([], 0), 'run,run_label\r\n');
  });

  it('JSON: every run with its columns and the smoothing used', () => {
    const j = JSON.parse(runsMetricsJson(runs, 0.5)) as {
      smoothing: { weight: number };
      runs: { id: string; current: boolean; steps: { loss: number[]; loss_smoothed: number[] }; evals: { val_loss: number[] } }[];
    };
    assert.equal(j.smoothing.weight, 0.5);
    assert.deepEqual(
      j.runs.map((r) => [r.id, r.current, r.steps.loss.length, r.evals.val_loss.length]),
      [
        ['run-a', true, 3, 1],
        ['run-b', false, 2, 0],
      ],
    );
    // TensorBoard's debiased EMA with weight 0.5 over 4, 2: (0.5·4·0.5 + 0.5·2) / (1 − 0.25).
    assert.ok(Math.abs(j.runs[1]!.steps.loss_smoothed[1]! - (0.5 * 0.5 * 4 + 0.5 * 2) / 0.75) < 1e-12);
  });
});
