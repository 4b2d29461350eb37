/**
 * The workspace's kept runs: newest first, replaced by id, bounded, and read back by a new
 * RunHistory over the same storage (what a window reload does), found by either checkpoint.
 */

import assert from 'node:assert/strict';
import { MAX_KEPT_RUNS } from '../../../src/presentation/keptRuns';
import { evalColumns, stepColumns } from '../../../src/presentation/metricColumns';
import type { KeptRun } from '../../../src/protocol/runs';
import { RunHistory, RUNS_KEY, type RunMemento } from '../../../src/host/runHistory';

class Memory implements RunMemento {
  readonly data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    // What VS Code stores is JSON.
    this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
}

function run(id: string, loss: number[]): KeptRun {
  return {
    id,
    label: id,
    origin: 'trained',
    status: 'completed',
    message: null,
    totalSteps: loss.length,
    startedAt: 1,
    finishedAt: 2,
    config: null,
    checkpointPath: `/m/${id}.safetensors`,
    best: { path: `/m/${id}.best.safetensors`, step: 1, valLoss: 3 },
    steps: stepColumns(loss.map((l, i) => ({ step: i + 1, loss: l, lr: 0, gradNorm: 0, tokensPerSecond: 0, elapsedMs: i }))),
    evals: evalColumns([]),
    samples: [],
  };
}

describe('host/runHistory', () => {
  it('keeps runs newest first across a reload, replaces by id, drops the oldest past the bound', async () => {
    const memento = new Memory();
    const h = new RunHistory(memento);
    let changes = 0;
    h.onDidChange(() => changes++);
    h.add(run('one', [3, 2]));
    h.add(run('two', [4, NaN, 1]));
    await h.flushed();
    assert.equal(changes, 2);
    assert.ok(Array.isArray(memento.get(RUNS_KEY)));

    const reloaded = new RunHistory(memento);
    assert.deepEqual(
      reloaded.list().map((r) => r.id),
      ['two', 'one'],
    );
    assert.deepEqual([...reloaded.list()[0]!.steps.loss].map(String), ['4', 'NaN', '1']);
    assert.equal(reloaded.byCheckpoint('/m/one.safetensors')?.id, 'one');
    assert.equal(reloaded.byCheckpoint('/m/two.best.safetensors')?.id, 'two');
    assert.equal(reloaded.byCheckpoint('/m/three.safetensors'), undefined);

    reloaded.add({ ...run('one', [9]), label: 'one again' });
    assert.deepEqual(
      reloaded.list().map((r) => `${r.id}:${r.label}`),
      ['one:one again', 'two:two'],
    );
    for (let i = 0; i < MAX_KEPT_RUNS + 3; i++) reloaded.add(run(`r${i}`, [1]));
    assert.equal(reloaded.list().length, MAX_KEPT_RUNS);
    assert.equal(reloaded.list()[0]!.id, `r${MAX_KEPT_RUNS + 2}`);
    assert.equal(reloaded.get('two'), undefined, 'the oldest went first');
    reloaded.remove(`r${MAX_KEPT_RUNS + 2}`);
    await reloaded.flushed();
    assert.equal(new RunHistory(memento).list().length, MAX_KEPT_RUNS - 1);
  });

  it('starts empty on storage it cannot read', () => {
    const memento = new Memory();
    memento.data.set(RUNS_KEY, { broken: true });
    assert.deepEqual(new RunHistory(memento).list(), []);
  });
});
