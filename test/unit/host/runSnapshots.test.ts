/**
 * The host's copy of a run's head snapshots: it follows the worker's recorder (the engine's
 * SnapshotRecorder is the reference: same steps kept through its thinning), refuses malformed
 * snapshots from the worker, scrubs only to steps it holds, and turns the scrubbed step into the
 * editor's highlights on the probe window. The page's `scrub` message is validated.
 */

import assert from 'node:assert/strict';
import { CharTokenizer, presetConfig, Rng, SnapshotRecorder, Transformer } from '../../../src/engine';
import { RunSnapshotStore } from '../../../src/host/runSnapshots';
import { locateProbe, snapshotRows } from '../../../src/host/snapshotHighlights';
import { validateWebviewMessage } from '../../../src/presentation/webviewValidation';
import type { RunSnapshots } from '../../../src/protocol/snapshots';
import { runSnapshot, runSnapshots } from '../../../src/worker/snapshotMessages';

const TEXT = 'the cat sat on the mat. the dog sat on the log. the cat sat on the mat again. ';

function setup(limit = 64): { store: RunSnapshotStore; warnings: string[]; recorder: SnapshotRecorder; model: Transformer; tok: CharTokenizer } {
  const tok = CharTokenizer.fromText(TEXT);
  const model = Transformer.create(presetConfig('tiny', tok.vocabSize), new Rng(4));
  const recorder = new SnapshotRecorder(tok.encode(TEXT.slice(4, 24)).ids, 1, limit);
  const warnings: string[] = [];
  const store = new RunSnapshotStore({ warn: (m) => warnings.push(m) });
  store.reset(runSnapshots(recorder.record(), tok, model.config, 4), { documentKey: 'file:///t.txt', textStart: 100 });
  return { store, warnings, recorder, model, tok };
}

/** Takes snapshots after steps 1..n as the trainer does, each sent to the store as the worker sends it. */
function record(s: ReturnType<typeof setup>, n: number): void {
  for (let step = 1; step <= n; step++) {
    const snap = s.recorder.afterStep(s.model, step);
    if (snap) s.store.add(s.recorder.every, runSnapshot(snap));
  }
}

describe('host: run snapshots and the scrubber', () => {
  it('keeps the steps the worker keeps, through its thinning (seen with the next snapshot taken)', () => {
    const s = setup(4);
    // At step 10 the recorder thins to every 4 steps and takes none; step 12 is the next it takes.
    record(s, 12);
    assert.deepEqual(
      s.store.snapshots!.list.map((x) => x.step),
      s.recorder.list.map((x) => x.step),
    );
    assert.equal(s.store.snapshots!.every, s.recorder.every);
    assert.ok(s.recorder.every > 1, 'the recorder thinned');
    assert.deepEqual(s.warnings, []);
  });

  it('scrubs only to steps it holds; a thinning that drops the scrubbed step goes back to live', () => {
    const s = setup(4);
    record(s, 4);
    const changes: string[] = [];
    s.store.onDidChange((c) => changes.push(c));
    assert.equal(s.store.scrub(7), false);
    assert.equal(s.store.scrub(3), true);
    assert.equal(s.store.scrubbed()!.step, 3);
    assert.deepEqual(changes, ['scrub']);
    // Steps 5 and 6: at the limit the odd steps go (3 among them).
    for (const step of [5, 6]) {
      const snap = s.recorder.afterStep(s.model, step);
      if (snap) s.store.add(s.recorder.every, runSnapshot(snap));
    }
    assert.equal(s.store.step, null);
    assert.equal(s.store.scrubbed(), null);
    assert.equal(s.store.scrub(null), true);
  });

  it('refuses malformed snapshots from the engine, and a malformed run', () => {
    const s = setup();
    record(s, 1);
    const good = s.store.snapshots!.list[0]!;
    s.store.add(1, { ...good, step: 2, attention: good.attention.subarray(1) });
    s.store.add(1, { ...good, step: 2, scores: { ...good.scores, induction: new Float32Array(3) } });
    assert.equal(s.store.snapshots!.list.length, 1);
    assert.equal(s.warnings.length, 2);
    assert.match(s.warnings[0]!, /attention must be/);
    const bad: RunSnapshots = { ...s.store.snapshots!, probe: { ...s.store.snapshots!.probe, ends: new Int32Array(1) } };
    s.store.reset(bad, null);
    assert.equal(s.store.snapshots, null);
    assert.match(s.warnings[2]!, /one per token/);
  });

  it("the editor's highlights at a scrubbed step are that snapshot's rows, on the probe where it was trained", () => {
    const s = setup();
    record(s, 2);
    s.store.scrub(1);
    const doc = 'x'.repeat(100) + TEXT;
    const at = locateProbe(s.store, 'file:///t.txt', () => doc)!;
    assert.equal(at.at, 104);
    assert.equal(doc.slice(at.range.start, at.range.end), TEXT.slice(4, 24));
    // The recorded offset wins over an earlier copy of the text.
    const twice = 'x'.repeat(100) + TEXT;
    assert.equal(locateProbe(s.store, 'file:///t.txt', () => TEXT.slice(4, 24) + twice.slice(20))!.at, 104);
    // Another document has the probe too: not the run's (it was trained on t.txt).
    assert.equal(
      locateProbe(s.store, 'file:///other.txt', () => doc),
      null,
    );
    const T = 20;
    const snap = s.recorder.list[0]!;
    const L = 2,
      H = 2;
    // Cursor on probe token 6 (document token 110 when the probe's first is 104).
    const rows = snapshotRows(at, 'file:///t.txt', 3, 104, 110)!;
    assert.equal(rows.from, 110);
    assert.equal(rows.windowStart, 104);
    assert.equal(rows.window.starts[0], 104);
    for (let lh = 0; lh < L * H; lh++)
      for (let k = 0; k < T; k++) {
        assert.equal(rows.rows[lh * T + k], snap.attention[lh * T * T + 6 * T + k]);
        assert.equal(rows.columns[lh * T + k], snap.attention[lh * T * T + k * T + 6]);
      }
    // The cursor elsewhere: the probe's last token is the query.
    assert.equal(snapshotRows(at, 'file:///t.txt', 3, 104, 5)!.from, 104 + T - 1);
    s.store.scrub(null);
    assert.equal(
      locateProbe(s.store, 'file:///t.txt', () => doc),
      null,
      'live: the model as it is',
    );
  });

  it('a loaded checkpoint finds its probe wherever its text is', () => {
    const s = setup();
    record(s, 1);
    s.store.reset(runSnapshots(s.recorder.record(), s.tok, s.model.config, null), null);
    s.store.scrub(1);
    assert.equal(locateProbe(s.store, 'file:///any.txt', () => `intro. ${TEXT}`)!.at, 7 + 4);
    assert.equal(
      locateProbe(s.store, 'file:///any.txt', () => 'nothing like it'),
      null,
    );
  });

  it("validates the page's scrub message", () => {
    const v = (raw: unknown): unknown => {
      const r = validateWebviewMessage(raw);
      return r.ok ? r.message : r.reason;
    };
    assert.deepEqual(v({ type: 'scrub', step: 40, x: 1 }), { type: 'scrub', step: 40 });
    assert.deepEqual(v({ type: 'scrub', step: null }), { type: 'scrub', step: null });
    assert.match(String(v({ type: 'scrub' })), /step must be/);
    assert.match(String(v({ type: 'scrub', step: -1 })), /step must be/);
    assert.match(String(v({ type: 'scrub', step: 1.5 })), /step must be/);
    assert.match(String(v({ type: 'scrub', step: '3' })), /step must be/);
  });
});
