/**
 * Training snapshots: every so many steps, what the heads of the model being trained do on one
 * probe window — the five head-type scores and the mean normalised entropy of every head (the
 * head table's numbers, summarizeHeads) and the probe's attention [L, H, T, T] — so the run can be
 * scrubbed afterwards and heads watched as they form.
 *
 * Bounded in memory: the probe is at most PROBE_TOKENS tokens, and when the list reaches `limit`
 * snapshots every other one is dropped and the interval doubles, so a run of any length keeps at
 * most `limit` evenly spaced snapshots. Recording runs one inference forward of the probe (no
 * dropout, no generator drawn), so it changes nothing in the training itself.
 */

import { summarizeHeads } from '../analysis/headSummary';
import { HEAD_KINDS, type HeadKind } from '../analysis/patterns';
import { isCausal } from '../models/config';
import type { Transformer } from '../nn/transformer';

/** Longest probe window (tokens): the attention of one snapshot is L·H·T² floats. */
export const PROBE_TOKENS = 64;
/** Snapshots kept at most (then thinned to every other one). */
export const SNAPSHOT_LIMIT = 64;

export interface HeadSnapshot {
  readonly step: number;
  /** Per kind, [L·H] (layer-major), as summarizeHeads computes them, stored as float32. */
  readonly scores: Readonly<Record<HeadKind, Float32Array>>;
  /** [L·H] mean normalised entropy of each head's rows. */
  readonly entropy: Float32Array;
  /** [L, H, T, T] the probe's attention (row = query). */
  readonly attention: Float32Array;
}

/** What a checkpoint keeps of a run's snapshots. */
export interface SnapshotsRecord {
  readonly probe: Int32Array;
  /** The current interval in steps (the setting, doubled by each thinning). */
  readonly every: number;
  readonly list: readonly HeadSnapshot[];
}

/** One snapshot of `model` on `probe` (what a fresh analysis of the model at that step gives). */
export function headSnapshot(model: Transformer, probe: Int32Array, step: number): HeadSnapshot {
  const T = probe.length;
  const c = model.config;
  const r = model.forward(null, probe, 1, T, { capture: { attention: true } });
  const layers = r.layers.map((l) => l.attention!);
  const summary = summarizeHeads(layers, c.nHeads, probe, { causal: isCausal(c) });
  const attention = new Float32Array(c.nLayers * c.nHeads * T * T);
  layers.forEach((a, l) => attention.set(a.subarray(0, c.nHeads * T * T), l * c.nHeads * T * T));
  const scores = Object.fromEntries(HEAD_KINDS.map((k) => [k, Float32Array.from(summary.scores[k])])) as Record<HeadKind, Float32Array>;
  return { step, scores, entropy: Float32Array.from(summary.entropy), attention };
}

export class SnapshotRecorder {
  private readonly snapshots: HeadSnapshot[];
  private interval: number;

  constructor(
    readonly probe: Int32Array,
    every: number,
    readonly limit = SNAPSHOT_LIMIT,
    from: SnapshotsRecord | null = null,
  ) {
    if (probe.length < 1 || probe.length > PROBE_TOKENS) throw new RangeError(`a snapshot probe has 1 to ${PROBE_TOKENS} tokens, got ${probe.length}`);
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`snapshots are taken every whole number of steps (≥ 1), got ${every}`);
    this.interval = from?.every ?? every;
    this.snapshots = from ? [...from.list] : [];
  }

  /** The interval a run of `steps` steps gets by default: about 50 snapshots. */
  static defaultEvery(steps: number): number {
    return Math.max(1, Math.round(steps / 50));
  }

  get every(): number {
    return this.interval;
  }

  get list(): readonly HeadSnapshot[] {
    return this.snapshots;
  }

  /** Bytes the snapshots hold. */
  get bytes(): number {
    return this.snapshots.reduce((n, s) => n + 4 * (s.attention.length + s.entropy.length + HEAD_KINDS.length * s.entropy.length), 0);
  }

  /** Records a snapshot after `step` when it is due (a multiple of the interval). */
  afterStep(model: Transformer, step: number): HeadSnapshot | null {
    if (step % this.interval !== 0) return null;
    if (this.snapshots.length >= this.limit) {
      this.interval *= 2;
      for (let i = this.snapshots.length - 1; i >= 0; i--) if (this.snapshots[i]!.step % this.interval !== 0) this.snapshots.splice(i, 1);
      if (step % this.interval !== 0) return null;
    }
    const s = headSnapshot(model, this.probe, step);
    this.snapshots.push(s);
    return s;
  }

  record(): SnapshotsRecord {
    return { probe: this.probe, every: this.interval, list: [...this.snapshots] };
  }
}
