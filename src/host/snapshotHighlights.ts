/**
 * The editor's highlights at a scrubbed training step: the snapshot holds the probe window's
 * whole attention [L, H, T, T] at that step, so the highlights of the probe's tokens are its
 * rows, with no engine call. The probe is found in the document it was trained on (at the
 * offset the run recorded), or, for a loaded checkpoint, wherever its text occurs; elsewhere the
 * editor shows the live model as usual.
 *
 * The query is the cursor's token when it lies in the probe, otherwise the probe's last token
 * (so scrubbing always shows something on the probe). Scores (q·k/√d) are not recorded by
 * snapshots: they are −∞, which the hover reads as "no score".
 */

import type { CharRange } from '../protocol/workerProtocol';
import type { RunSnapshot, RunSnapshots } from '../protocol/snapshots';
import type { AttentionRows } from './attentionService';
import type { RunSnapshotStore } from './runSnapshots';

/** The scrubbed snapshot and where its probe lies in one document's text. */
export interface LocatedProbe {
  readonly snapshots: RunSnapshots;
  readonly snapshot: RunSnapshot;
  /** Document offset of the probe text's first character. */
  readonly at: number;
  /** The probe's characters in the document. */
  readonly range: CharRange;
}

/** The scrubbed snapshot's probe in this document, or null (live, no snapshots, or the probe is not in it). */
export function locateProbe(store: RunSnapshotStore, documentKey: string, text: () => string): LocatedProbe | null {
  const snapshot = store.scrubbed();
  const snapshots = store.snapshots;
  if (!snapshot || !snapshots) return null;
  const probe = snapshots.probe;
  const full = text();
  const source = store.source;
  let at = -1;
  if (source && source.documentKey === documentKey && probe.textOffset !== null) {
    const recorded = source.textStart + probe.textOffset;
    if (full.startsWith(probe.text, recorded)) at = recorded;
  }
  // A loaded checkpoint (or an edited document): wherever the probe's text is.
  if (at < 0 && (!source || source.documentKey === documentKey || probe.textOffset === null)) at = full.indexOf(probe.text);
  if (at < 0) return null;
  return { snapshots, snapshot, at, range: { start: at, end: at + probe.text.length } };
}

/**
 * The attention rows the highlighter draws for the located probe: window = the probe's tokens,
 * whose first is document token `firstToken`; `cursorToken` is the cursor's document token
 * (−1: none). Null when the probe's tokens are not where the document's are.
 */
export function snapshotRows(p: LocatedProbe, documentKey: string, version: number, firstToken: number, cursorToken: number): AttentionRows | null {
  const { layers: L, heads: H, probe } = p.snapshots;
  const T = probe.ids.length;
  if (firstToken < 0) return null;
  const inProbe = cursorToken >= firstToken && cursorToken < firstToken + T;
  const q = inProbe ? cursorToken - firstToken : T - 1;
  const a = p.snapshot.attention;
  const rows = new Float32Array(L * H * T);
  const columns = new Float32Array(L * H * T);
  for (let lh = 0; lh < L * H; lh++) {
    const base = lh * T * T;
    for (let k = 0; k < T; k++) {
      rows[lh * T + k] = a[base + q * T + k]!;
      columns[lh * T + k] = a[base + k * T + q]!;
    }
  }
  return {
    type: 'attentionRows',
    id: -1,
    documentKey,
    version,
    from: firstToken + q,
    to: firstToken + q + 1,
    windowStart: firstToken,
    windowLength: T,
    window: {
      first: firstToken,
      ids: probe.ids.slice(),
      starts: Int32Array.from(probe.starts, (s) => s + p.at),
      ends: Int32Array.from(probe.ends, (e) => e + p.at),
      labels: [...probe.labels],
    },
    layers: L,
    heads: H,
    rows,
    columns,
    scores: new Float32Array(L * H * T).fill(-Infinity),
    weighting: 'attention',
  };
}
