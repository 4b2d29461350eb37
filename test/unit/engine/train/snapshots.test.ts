/**
 * Training snapshots (src/engine/train/snapshots.ts): taken every N steps on a probe window; the
 * one at step k equals a fresh analysis (summarizeHeads of a forward) of the model as saved at
 * step k — the checkpoint written by `--until k`, read back; they travel in the checkpoint and
 * continue through a resume; their number stays bounded by thinning.
 */

import assert from 'node:assert/strict';
import { summarizeHeads } from '../../../../src/engine/analysis/headSummary';
import { HEAD_KINDS } from '../../../../src/engine/analysis/patterns';
import { parseCheckpoint, serializeCheckpoint } from '../../../../src/engine/checkpoint/native';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { CharTokenizer } from '../../../../src/engine/tokenizer/charTokenizer';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import { SnapshotRecorder } from '../../../../src/engine/train/snapshots';
import { Trainer } from '../../../../src/engine/train/trainer';

describe('train/snapshots', function () {
  this.timeout(120_000);
  const text = 'abc abd the cat sat on the mat, the cat sat on the hat. '.repeat(30);
  const tok = CharTokenizer.fromText(text);
  const ids = tok.encode(text).ids;
  const probe = tok.encode('the cat sat on the mat, the cat sat on').ids;
  const options = resolveTrainOptions({ steps: 8, batchSize: 4, evalInterval: 100, seed: 2 });
  const trainer = (): Trainer => {
    const t = new Trainer(Transformer.create(presetConfig('tiny', tok.vocabSize), new Rng(options.seed)), ids, options);
    t.snapshots = new SnapshotRecorder(probe, 2);
    return t;
  };
  const save = (t: Trainer): Uint8Array =>
    serializeCheckpoint(t.model, tok.toJSON(), { options, state: t.snapshot(), data: t.fingerprint, snapshots: t.snapshots!.record() });

  it('the snapshot at step k equals a fresh analysis of the checkpoint saved at step k', async () => {
    const t = trainer();
    await t.run({ until: 6 });
    const saved = parseCheckpoint(save(t));
    const snaps = saved.training!.snapshots!;
    assert.deepEqual(
      snaps.list.map((s) => s.step),
      [2, 4, 6],
    );
    assert.deepEqual([...snaps.probe], [...probe]);
    // Fresh: the saved model's own forward on the probe, analysed.
    const T = probe.length;
    const r = saved.model.forward(null, probe, 1, T, { capture: { attention: true } });
    const fresh = summarizeHeads(
      r.layers.map((l) => l.attention!),
      saved.model.config.nHeads,
      probe,
    );
    const last = snaps.list.at(-1)!;
    for (const k of HEAD_KINDS) assert.deepEqual([...last.scores[k]], [...Float32Array.from(fresh.scores[k])], k);
    assert.deepEqual([...last.entropy], [...Float32Array.from(fresh.entropy)]);
    r.layers.forEach((l, i) => assert.deepEqual(last.attention.subarray(i * l.attention!.length, (i + 1) * l.attention!.length), l.attention!));
    // And the earlier ones differ from it: they are of the model at their own step.
    assert.notDeepEqual([...snaps.list[0]!.scores.previous_token], [...last.scores.previous_token]);
  });

  it('a resumed run keeps its snapshots and goes on taking them; a checkpoint without them still loads', async () => {
    const t = trainer();
    await t.run({ until: 4 });
    const saved = parseCheckpoint(save(t));
    const resumed = new Trainer(saved.model, ids, options, saved.training!.state);
    const kept = saved.training!.snapshots!;
    resumed.snapshots = new SnapshotRecorder(kept.probe, kept.every, undefined, kept);
    await resumed.run();
    assert.deepEqual(
      resumed.snapshots.list.map((s) => s.step),
      [2, 4, 6, 8],
    );
    const straight = trainer();
    await straight.run();
    straight.snapshots!.list.forEach((s, i) => assert.deepEqual(resumed.snapshots!.list[i]!.attention, s.attention, `step ${s.step}`));
    const bare = parseCheckpoint(serializeCheckpoint(t.model, tok.toJSON(), { options, state: t.snapshot() }));
    assert.equal(bare.training!.snapshots, undefined);
  });

  it('stays bounded: at the limit every other snapshot goes and the interval doubles', () => {
    const model = Transformer.create(presetConfig('seed', tok.vocabSize), new Rng(1));
    const r = new SnapshotRecorder(probe.subarray(0, 8), 1, 4);
    for (let step = 1; step <= 20; step++) r.afterStep(model, step);
    assert.ok(r.list.length <= 4);
    assert.deepEqual(
      r.list.map((s) => s.step),
      [8, 16],
    );
    assert.equal(r.every, 8);
    assert.equal(SnapshotRecorder.defaultEvery(5000), 100);
    assert.throws(() => new SnapshotRecorder(new Int32Array(65), 1), /a snapshot probe has 1 to 64 tokens/);
  });

  it('malformed snapshot metadata is refused by name', async () => {
    const t = trainer();
    await t.run({ until: 2 });
    const bytes = save(t);
    const text = Buffer.from(bytes).toString('latin1').replace('\\"every\\":2', '\\"every\\":0');
    assert.throws(() => parseCheckpoint(new Uint8Array(Buffer.from(text, 'latin1'))), /checkpoint snapshots: every must be a positive integer, got number 0/);
  });
});
