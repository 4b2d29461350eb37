/**
 * Loading a large checkpoint in the worker as the editor does (a `load` request, or a `compare`
 * with a second model): progress while the file is read and parsed, and a cancel that leaves the
 * previous model active (or nothing compared). The file is
 * the real 60 MB stories15M (llama2.c), the previous model stories260K; a cancel is sent when the
 * session posts a phase's first progress message, as the next macrotask (as a message from the
 * host arrives), so it lands inside that phase: between two pieces of the read, or two tensors
 * of the check.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoadPhase } from '../../../src/protocol/loadProgress';
import type { WorkerToHost } from '../../../src/protocol/workerProtocol';
import { requireFixture } from '../../helpers/fixtures';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint, type Msg } from './harness';

const DOC = 'file:///story.txt';
const PHASES: readonly LoadPhase[] = ['read', 'check', 'build'];

describe('worker: loading a large checkpoint (stories15M, 60 MB): progress and cancel', function () {
  this.timeout(120_000);
  let big: { path: string; tokenizerPath: string };
  let small: { path: string; tokenizerPath: string };

  before(function () {
    big = { path: requireFixture(this, 'stories15M', 'stories15M.bin'), tokenizerPath: requireFixture(this, 'stories15M', 'tokenizer.bin') };
    small = { path: requireFixture(this, 'stories260K', 'stories260K.bin'), tokenizerPath: requireFixture(this, 'stories260K', 'tok512.bin') };
  });

  /** The context of the active model, as a document's tokens reply gives it (stories260K: 512, stories15M: 256). */
  async function activeContext(h: Harness, version: number): Promise<number> {
    return (await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version, text: 'Once upon a time', ranges: [] }), 'tokens'))
      .windowSize;
  }

  it('reports reading (bytes, monotone, ending at the file size), then checking, then building, and few messages', async () => {
    const h = new Harness();
    h.session.start();
    const id = h.request({ type: 'load', ...big });
    const loaded = await h.expect(id, 'modelLoaded');
    assert.deepEqual([loaded.info.layers, loaded.info.heads], [6, 6]);
    const progress = h.of('loadProgress', id);
    const size = fs.statSync(big.path).size;
    // Phases in order, each reported from its start to its end.
    const order = progress.map((p) => PHASES.indexOf(p.phase));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `phases in order: ${progress.map((p) => p.phase).join(' ')}`,
    );
    for (const phase of PHASES) {
      const seen = progress.filter((p) => p.phase === phase);
      assert.ok(seen.length >= 2, `${phase}: at least its start and its end (${seen.length})`);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.done > seen[i - 1]!.done, `${phase} grows: ${seen.map((p) => p.done).join(', ')}`);
      assert.equal(seen[0]!.done, 0);
      assert.equal(seen[seen.length - 1]!.done, seen[0]!.total);
    }
    const read = progress.filter((p) => p.phase === 'read');
    assert.deepEqual(
      read.map((p) => p.total),
      read.map(() => size),
    );
    assert.equal(read[read.length - 1]!.done, size);
    // The check counts every weight: the file's floats less llama2.c's two legacy RoPE tables [seq_len 256, head size 48 / 2].
    const check = progress.filter((p) => p.phase === 'check');
    assert.equal(check[0]!.total, (size - 28) / 4 - 2 * 256 * 24);
    // Rate-limited: not a message per tensor checked (56 tensors; unthrottled that is 57 messages).
    assert.ok(check.length < 57, `${check.length} messages while checking`);
    // All before the reply.
    assert.ok(h.messages.indexOf(loaded) > h.messages.indexOf(progress[progress.length - 1]!));
  });

  it('a native checkpoint reports the same phases: its bytes read, its parameters checked, then building', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'small.safetensors');
      const { model } = writeCheckpoint(file, 'small', SAMPLE_TEXT);
      const h = new Harness();
      const id = h.request({ type: 'load', path: file, tokenizerPath: null });
      await h.expect(id, 'modelLoaded');
      const progress = h.of('loadProgress', id);
      const size = fs.statSync(file).size;
      const weights = [...model.params.values()].reduce((n, t) => n + t.data.length, 0);
      // Each phase from 0 to its total, in order (what passes the throttle in between depends on time).
      const ends = PHASES.flatMap((phase) => {
        const seen = progress.filter((p) => p.phase === phase);
        return [seen[0], seen[seen.length - 1]].map((p) => p && [p.phase, p.done, p.total]);
      });
      assert.deepEqual(ends, [
        ['read', 0, size],
        ['read', size, size],
        ['check', 0, weights],
        ['check', weights, weights],
        ['build', 0, 1],
        ['build', 1, 1],
      ]);
      assert.deepEqual(
        progress.map((p) => PHASES.indexOf(p.phase)),
        progress.map((p) => PHASES.indexOf(p.phase)).sort((a, b) => a - b),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const when of ['read', 'check'] as const) {
    it(`a cancel while ${when === 'read' ? 'reading the file' : 'checking the weights'} fails the load as cancelled; the previous model stays active and a later load works`, async () => {
      let cancelOn: number | null = null;
      const h: Harness = new Harness({}, (m: WorkerToHost) => {
        // At the first progress message of the phase, a cancel arrives as the host's would: as a
        // later message (a macrotask), read while the worker is still in that phase.
        if (m.type === 'loadProgress' && m.id === cancelOn && m.phase === when) {
          cancelOn = null;
          setImmediate(() => h.send({ type: 'cancel', id: h.id(), target: m.id }));
        }
      });
      h.session.start();
      await h.expect(h.request({ type: 'load', ...small }), 'modelLoaded');
      assert.equal(await activeContext(h, 1), 512);

      const id = h.id();
      cancelOn = id;
      h.send({ type: 'load', id, ...big });
      const failed = await h.expectFailure(id, 'cancelled');
      assert.match(failed.message, /stories15M\.bin was cancelled; the active model is unchanged/);
      const progress: Msg<'loadProgress'>[] = h.of('loadProgress', id);
      assert.equal(progress[progress.length - 1]!.phase, when, 'nothing was reported past the phase it was cancelled in');
      if (when === 'read')
        assert.ok(
          progress.every((p) => p.done < p.total),
          'the read stopped before the end of the file',
        );
      assert.equal(h.of('modelLoaded', id).length, 0);
      // stories260K still answers, in its own context (512; stories15M's is 256).
      assert.equal(await activeContext(h, 2), 512);

      const again = await h.expect(h.request({ type: 'load', ...big }), 'modelLoaded');
      assert.deepEqual([again.info.layers, again.info.heads], [6, 6]);
      assert.equal(await activeContext(h, 3), 256);
    });
  }

  it('Compare with Checkpoint reads its model with the same progress; a cancel while reading compares nothing, and a later compare works', async () => {
    let cancelOn: number | null = null;
    const h: Harness = new Harness({}, (m: WorkerToHost) => {
      if (m.type === 'loadProgress' && m.id === cancelOn && m.phase === 'read') {
        cancelOn = null;
        setImmediate(() => h.send({ type: 'cancel', id: h.id(), target: m.id }));
      }
    });
    h.session.start();
    await h.expect(h.request({ type: 'load', ...big }), 'modelLoaded');
    const compare = { type: 'compare' as const, documentKey: DOC, with: { kind: 'checkpoint' as const, ...big, label: 'checkpoint stories15M.bin' } };
    const id = h.id();
    cancelOn = id;
    h.send({ ...compare, id });
    const failed = await h.expectFailure(id, 'cancelled');
    assert.match(failed.message, /stories15M\.bin was cancelled; nothing is compared/);
    const cut = h.of('loadProgress', id);
    assert.ok(cut.length > 0 && cut.every((p) => p.phase === 'read' && p.done < p.total), 'the read stopped before the end of the file');
    assert.equal(h.of('compareSet', id).length, 0);

    const next = h.request(compare);
    const set = await h.expect(next, 'compareSet');
    assert.equal(set.label, 'checkpoint stories15M.bin');
    const phases = h.of('loadProgress', next).map((p) => p.phase);
    assert.deepEqual([...new Set(phases)], PHASES, `every phase reported, in order: ${phases.join(' ')}`);
  });
});
