/**
 * The engine's training snapshots (engine/train/snapshots.ts) as the host receives them
 * (protocol/snapshots.ts): the probe with its labels and text, so the host can find it in the
 * editor, and each snapshot's arrays copied out of the recorder (a message is structured-cloned,
 * so the run keeps its own). One snapshot per message while training: the message stays bounded.
 */

import type { HeadSnapshot, SnapshotsRecord, Tokenizer } from '../engine';
import type { RunSnapshot, RunSnapshots, SnapshotProbe } from '../protocol/snapshots';

/** The probe's tokens decoded one by one: labels for the page, the text and each token's span in it. */
export function snapshotProbe(tokenizer: Tokenizer, ids: Int32Array, textOffset: number | null): SnapshotProbe {
  const starts = new Int32Array(ids.length);
  const ends = new Int32Array(ids.length);
  let text = '';
  ids.forEach((id, i) => {
    starts[i] = text.length;
    text += tokenizer.decode([id]);
    ends[i] = text.length;
  });
  return { ids: ids.slice(), labels: Array.from(ids, (id) => tokenizer.tokenLabel(id)), text, starts, ends, textOffset };
}

export function runSnapshot(s: HeadSnapshot): RunSnapshot {
  return { step: s.step, scores: s.scores, entropy: s.entropy, attention: s.attention };
}

/** A run's snapshots as recorded (null when none were taken, or the model is not the recorder's shape). */
export function runSnapshots(
  record: SnapshotsRecord | null | undefined,
  tokenizer: Tokenizer,
  shape: { readonly nLayers: number; readonly nHeads: number },
  textOffset: number | null,
): RunSnapshots | null {
  if (!record) return null;
  return {
    layers: shape.nLayers,
    heads: shape.nHeads,
    probe: snapshotProbe(tokenizer, record.probe, textOffset),
    every: record.every,
    list: record.list.map(runSnapshot),
  };
}
