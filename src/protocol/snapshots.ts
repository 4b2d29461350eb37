/**
 * Training snapshots as they travel worker → host → dashboard: what the heads of a model being
 * trained did on one probe window at a step (engine/train/snapshots.ts records them). The worker
 * sends the probe and the snapshots kept so far when a run starts (or a checkpoint is loaded), then
 * one snapshot per message while it trains, so no message grows with the run: one snapshot is
 * L·H·T² + 6·L·H floats with T ≤ 64 (256 KB for `small`).
 *
 * The host keeps them with the run and checks every one on arrival (checkSnapshot below): the page
 * indexes its arrays by the shapes given here, so a reply whose lengths disagree is dropped, not drawn.
 */

import { HEAD_KIND_NAMES, type HeadKindName } from './common';
import { fail } from './validation';

/** Longest probe the worker records (engine/train/snapshots.ts PROBE_TOKENS). */
export const MAX_PROBE_TOKENS = 64;
/** Most snapshots a run keeps (engine/train/snapshots.ts SNAPSHOT_LIMIT). */
export const MAX_SNAPSHOTS = 64;

/** The probe window: its tokens, as the model read them. */
export interface SnapshotProbe {
  /** [T] token ids. */
  readonly ids: Int32Array;
  /** [T] token texts (labels for the matrix and the table). */
  readonly labels: readonly string[];
  /** The probe's text (its tokens decoded, in order): the host finds it in the editor by this. */
  readonly text: string;
  /** [T] [start, end) UTF-16 offsets of each token in `text`. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Where `text` begins in the training text (null: not known, e.g. a loaded checkpoint). */
  readonly textOffset: number | null;
}

/** The heads at one step (layer-major [L·H] like the head table). */
export interface RunSnapshot {
  readonly step: number;
  /** Detector name → TransformerLens "mul" score per head, [L·H]. */
  readonly scores: Readonly<Record<HeadKindName, Float32Array>>;
  /** [L·H] mean normalised row entropy. */
  readonly entropy: Float32Array;
  /** [L, H, T, T] the probe's attention, row = query. */
  readonly attention: Float32Array;
}

/** A run's snapshots: the probe, the interval now (doubled by each thinning) and the list, by step. */
export interface RunSnapshots {
  readonly layers: number;
  readonly heads: number;
  readonly probe: SnapshotProbe;
  readonly every: number;
  readonly list: readonly RunSnapshot[];
}

/** Bytes the snapshots' arrays hold (what the host and the page keep of them). */
export function snapshotBytes(s: RunSnapshots): number {
  return s.list.reduce((n, x) => n + x.attention.byteLength + x.entropy.byteLength + HEAD_KIND_NAMES.reduce((m, k) => m + x.scores[k].byteLength, 0), 0);
}

/** Refuses (InvalidMessage) a snapshot whose arrays do not have the shapes the run's say. */
export function checkSnapshot(s: RunSnapshot, layers: number, heads: number, tokens: number): RunSnapshot {
  if (!Number.isSafeInteger(s.step) || s.step < 0) fail(`a snapshot's step must be a whole number ≥ 0, got ${String(s.step)}`);
  const n = layers * heads;
  for (const k of HEAD_KIND_NAMES) {
    const a = s.scores?.[k];
    if (!(a instanceof Float32Array) || a.length !== n) fail(`snapshot at step ${s.step}: scores.${k} must be ${n} floats (${layers} layers × ${heads} heads)`);
  }
  if (!(s.entropy instanceof Float32Array) || s.entropy.length !== n) fail(`snapshot at step ${s.step}: entropy must be ${n} floats`);
  const cells = n * tokens * tokens;
  if (!(s.attention instanceof Float32Array) || s.attention.length !== cells)
    fail(`snapshot at step ${s.step}: attention must be ${cells} floats ([${layers}, ${heads}, ${tokens}, ${tokens}])`);
  return s;
}

/** Refuses a run's snapshots whose probe or snapshots are malformed, or more than the bounds allow. */
export function checkRunSnapshots(s: RunSnapshots): RunSnapshots {
  const ok = (v: number, max: number): boolean => Number.isSafeInteger(v) && v >= 1 && v <= max;
  if (!ok(s.layers, 4096) || !ok(s.heads, 4096)) fail(`snapshots: layers and heads must be whole numbers ≥ 1, got ${s.layers} × ${s.heads}`);
  if (!ok(s.every, Number.MAX_SAFE_INTEGER)) fail(`snapshots: every must be a whole number ≥ 1, got ${s.every}`);
  const p = s.probe;
  const T = p.ids?.length ?? 0;
  if (!(p.ids instanceof Int32Array) || T < 1 || T > MAX_PROBE_TOKENS) fail(`snapshots: the probe must have 1 to ${MAX_PROBE_TOKENS} token ids`);
  if (!(p.starts instanceof Int32Array) || !(p.ends instanceof Int32Array) || p.starts.length !== T || p.ends.length !== T || p.labels.length !== T)
    fail(`snapshots: the probe's starts, ends and labels must have ${T} entries, one per token`);
  for (let i = 0; i < T; i++)
    if (!(p.starts[i]! >= 0 && p.starts[i]! <= p.ends[i]! && p.ends[i]! <= p.text.length)) fail(`snapshots: probe token ${i} spans outside the probe text`);
  if (p.textOffset !== null && !(Number.isSafeInteger(p.textOffset) && p.textOffset >= 0)) fail(`snapshots: textOffset must be a whole number ≥ 0 or null`);
  if (s.list.length > MAX_SNAPSHOTS) fail(`snapshots: at most ${MAX_SNAPSHOTS}, got ${s.list.length}`);
  let last = -1;
  for (const x of s.list) {
    checkSnapshot(x, s.layers, s.heads, T);
    if (x.step <= last) fail(`snapshots: steps must increase, got ${x.step} after ${last}`);
    last = x.step;
  }
  return s;
}

/**
 * `list` with `next` added as the recorder keeps it: at interval `every` (doubled by a thinning
 * in the worker), a step that is not a multiple of it is dropped; a step already there is replaced.
 * A thinning on a step that takes no snapshot shows here with the next one (until then the list
 * holds a few more snapshots than the worker's, each still a true one).
 */
export function addSnapshot(list: readonly RunSnapshot[], next: RunSnapshot, every: number): RunSnapshot[] {
  return [...list.filter((s) => s.step % every === 0 && s.step < next.step), next];
}
