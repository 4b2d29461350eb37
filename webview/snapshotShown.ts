/**
 * What the matrix, the layers × heads grid and the head table draw: the engine's views of the
 * window around the cursor, or — while the scrubber is on a training step — that step's snapshot
 * of the probe window, in the same shapes (the probe as the window, its last token as the query,
 * its attention as the matrix and thumbnails, its recorded scores and entropy as the head stats).
 * Snapshots record the "mul" scores only: the "abs" column is NaN (shown as —). Keys holding
 * 50 % / 90 % of a row are counted here from the snapshot's attention, as the engine counts them.
 *
 * Derived once per (snapshot, selected head) and cached: dragging redraws at frame rate.
 */

import { HEAD_KIND_NAMES, type HeadKindName } from '../src/protocol/common';
import type { HeadStats, MatrixPayload } from '../src/protocol/dashboardViews';
import type { RunSnapshot, RunSnapshots } from '../src/protocol/snapshots';
import type { QueryAttention } from '../src/protocol/webviewProtocol';
import type { Store } from './store';
import { t } from './l10n';

/** The document key of the probe window (not a document: nothing the page sends names it). */
export const SNAPSHOT_KEY = 'attention-lens:snapshot';

export interface SnapshotShown {
  readonly snapshot: RunSnapshot;
  readonly index: number;
  readonly attention: QueryAttention;
  readonly matrix: MatrixPayload;
  readonly stats: HeadStats;
}

let cache: { snapshots: RunSnapshots; step: number; layer: number; head: number; shown: SnapshotShown } | null = null;

/** The scrubbed snapshot in the views' shapes, or null when the page shows the live model. */
export function snapshotShown(store: Store): SnapshotShown | null {
  const s = store.snapshots;
  const step = store.scrubStep;
  if (!s || step === null) return null;
  const index = s.list.findIndex((x) => x.step === step);
  if (index < 0) return null;
  const L = s.layers;
  const H = s.heads;
  const layer = Math.min(store.selection.layer, L - 1);
  const head = Math.min(store.selection.head, H - 1);
  if (cache && cache.snapshots === s && cache.step === step && cache.layer === layer && cache.head === head) return cache.shown;
  const shown = derive(s, index, layer, head);
  cache = { snapshots: s, step, layer, head, shown };
  return shown;
}

/** The query attention the matrix, grid and table label their tokens with. */
export function shownAttention(store: Store): QueryAttention | null {
  return snapshotShown(store)?.attention ?? store.attention;
}

export function shownMatrix(store: Store): MatrixPayload | null {
  const s = snapshotShown(store);
  return s ? s.matrix : store.view('matrix');
}

export function shownStats(store: Store): HeadStats | null {
  const s = snapshotShown(store);
  return s ? s.stats : store.view('headStats');
}

function derive(s: RunSnapshots, index: number, layer: number, head: number): SnapshotShown {
  const snapshot = s.list[index]!;
  const { layers: L, heads: H, probe } = s;
  const T = probe.ids.length;
  const a = snapshot.attention;
  const ref = { documentKey: SNAPSHOT_KEY, version: snapshot.step, windowStart: 0, windowLength: T };
  const q = T - 1;
  const rows = new Float32Array(L * H * T);
  const columns = new Float32Array(L * H * T);
  let globalMin = Infinity;
  let globalMax = -Infinity;
  for (let lh = 0; lh < L * H; lh++) {
    for (let k = 0; k < T; k++) {
      rows[lh * T + k] = a[lh * T * T + q * T + k]!;
      columns[lh * T + k] = a[lh * T * T + k * T + q]!;
    }
  }
  for (const v of a) {
    if (v < globalMin) globalMin = v;
    if (v > globalMax) globalMax = v;
  }
  const one = (layer * H + head) * T * T;
  const attention: QueryAttention = {
    ...ref,
    documentName: t('probe window at step {0}', snapshot.step),
    from: q,
    to: q + 1,
    tokens: { first: 0, ids: probe.ids, starts: probe.starts, ends: probe.ends, labels: probe.labels },
    layers: L,
    heads: H,
    rows,
    columns,
    scores: new Float32Array(L * H * T).fill(-Infinity),
  };
  const matrix: MatrixPayload = {
    ...ref,
    matrix: { ...ref, layer, head, weights: a.subarray(one, one + T * T), globalMin, globalMax },
    grid: { ...ref, layers: L, heads: H, size: T, thumbnails: a },
  };
  const nan = (): Float32Array => new Float32Array(L * H).fill(NaN);
  const { keys50, keys90 } = keysHolding(a, L * H, T);
  const stats: HeadStats = {
    ...ref,
    layers: L,
    heads: H,
    scores: snapshot.scores,
    absScores: Object.fromEntries(HEAD_KIND_NAMES.map((k) => [k, nan()])) as Record<HeadKindName, Float32Array>,
    entropy: snapshot.entropy,
    keys50,
    keys90,
  };
  return { snapshot, index, attention, matrix, stats };
}

/**
 * Per head, the mean over rows of the fewest keys (largest first) holding 50 % / 90 % of the row's
 * mass, as engine/analysis/concentration.ts counts them (masked keys are 0 and never counted).
 */
export function keysHolding(a: Float32Array, heads: number, T: number): { keys50: Float32Array; keys90: Float32Array } {
  const keys50 = new Float32Array(heads);
  const keys90 = new Float32Array(heads);
  const row = new Float64Array(T);
  for (let h = 0; h < heads; h++) {
    let s50 = 0;
    let s90 = 0;
    for (let r = 0; r < T; r++) {
      let total = 0;
      for (let k = 0; k < T; k++) {
        const v = a[h * T * T + r * T + k]!;
        row[k] = v > 0 ? v : 0;
        total += row[k]!;
      }
      if (!(total > 0)) continue;
      row.sort();
      let acc = 0;
      let n50 = T;
      let n90 = T;
      for (let i = 0; i < T; i++) {
        acc += row[T - 1 - i]!;
        // The engine's hair of tolerance, so rounding in the weights does not demand one more key.
        if (n50 === T && acc >= 0.5 * total * (1 - 1e-9)) n50 = i + 1;
        if (acc >= 0.9 * total * (1 - 1e-9)) {
          n90 = i + 1;
          break;
        }
      }
      s50 += n50;
      s90 += n90;
    }
    keys50[h] = s50 / T;
    keys90[h] = s90 / T;
  }
  return { keys50, keys90 };
}
