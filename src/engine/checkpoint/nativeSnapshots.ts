/**
 * Training snapshots in the native checkpoint (an additive field: files without it load as
 * before, and readers that predate it would refuse only its extra tensors). Three tensors —
 * `snapshots.scores` [S, K, L, H] (K head kinds in the order `kinds` names), `snapshots.entropy`
 * [S, L, H] and `snapshots.attention` [S, L, H, T, T] — and the metadata entry `snapshots`, JSON
 * `{"probe": [T ids], "every": N, "steps": [S], "kinds": [K]}`. Read as untrusted, like the rest.
 */

import { HEAD_KINDS, type HeadKind } from '../analysis/patterns';
import type { ModelConfig } from '../models/config';
import { PROBE_TOKENS, type HeadSnapshot, type SnapshotsRecord } from '../train/snapshots';
import { CheckpointError, describeValue } from './errors';
import { readTensorF32, type SafetensorsFile } from './safetensors';
import type { TensorToWrite } from './safetensorsWriter';

export const SNAPSHOT_TENSORS = ['snapshots.scores', 'snapshots.entropy', 'snapshots.attention'] as const;

export function snapshotTensors(config: ModelConfig, r: SnapshotsRecord): { tensors: TensorToWrite[]; meta: string } {
  const S = r.list.length;
  const L = config.nLayers;
  const H = config.nHeads;
  const T = r.probe.length;
  const K = HEAD_KINDS.length;
  const scores = new Float32Array(S * K * L * H);
  const entropy = new Float32Array(S * L * H);
  const attention = new Float32Array(S * L * H * T * T);
  r.list.forEach((s, i) => {
    HEAD_KINDS.forEach((k, j) => scores.set(s.scores[k], (i * K + j) * L * H));
    entropy.set(s.entropy, i * L * H);
    attention.set(s.attention, i * L * H * T * T);
  });
  const meta = JSON.stringify({ probe: [...r.probe], every: r.every, steps: r.list.map((s) => s.step), kinds: HEAD_KINDS });
  return {
    tensors: [
      { name: 'snapshots.scores', shape: [S, K, L, H], data: scores },
      { name: 'snapshots.entropy', shape: [S, L, H], data: entropy },
      { name: 'snapshots.attention', shape: [S, L, H, T, T], data: attention },
    ],
    meta,
  };
}

export function parseSnapshots(file: SafetensorsFile, config: ModelConfig): SnapshotsRecord {
  const bad = (what: string): never => {
    throw new CheckpointError(`checkpoint snapshots: ${what}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(file.metadata.snapshots ?? '');
  } catch (e) {
    return bad(`metadata "snapshots" is not valid JSON (${(e as Error).message})`);
  }
  const r = (typeof raw === 'object' && raw !== null ? raw : bad('not an object')) as Record<string, unknown>;
  const probe = r.probe;
  if (!Array.isArray(probe) || probe.length < 1 || probe.length > PROBE_TOKENS || !probe.every((x) => Number.isInteger(x) && x >= 0 && x < config.vocabSize))
    return bad(`probe must hold 1 to ${PROBE_TOKENS} token ids below ${config.vocabSize}`);
  const every = r.every;
  if (typeof every !== 'number' || !Number.isInteger(every) || every < 1) return bad(`every must be a positive integer, got ${describeValue(every)}`);
  const steps = r.steps;
  if (!Array.isArray(steps) || !steps.every((x, i) => Number.isInteger(x) && x >= 1 && (i === 0 || x > (steps[i - 1] as number))))
    return bad('steps must be increasing positive integers');
  const kinds = r.kinds;
  if (!Array.isArray(kinds) || kinds.length !== HEAD_KINDS.length || kinds.some((k, i) => k !== HEAD_KINDS[i]))
    return bad(`kinds must be ${JSON.stringify(HEAD_KINDS)}, got ${describeValue(kinds)}`);
  const S = steps.length;
  const L = config.nLayers;
  const H = config.nHeads;
  const T = probe.length;
  const K = HEAD_KINDS.length;
  const read = (name: string, shape: number[]): Float32Array => {
    if (!file.tensors.has(name)) return bad(`the tensor "${name}" is missing`);
    const t = readTensorF32(file, name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      return bad(`"${name}" is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    if (!t.data.every(Number.isFinite)) return bad(`"${name}" holds a value that is not finite`);
    return Float32Array.from(t.data);
  };
  const scores = read('snapshots.scores', [S, K, L, H]);
  const entropy = read('snapshots.entropy', [S, L, H]);
  const attention = read('snapshots.attention', [S, L, H, T, T]);
  const list: HeadSnapshot[] = (steps as number[]).map((step, i) => ({
    step,
    scores: Object.fromEntries(HEAD_KINDS.map((k, j) => [k, scores.subarray((i * K + j) * L * H, (i * K + j + 1) * L * H)])) as Record<HeadKind, Float32Array>,
    entropy: entropy.subarray(i * L * H, (i + 1) * L * H),
    attention: attention.subarray(i * L * H * T * T, (i + 1) * L * H * T * T),
  }));
  return { probe: Int32Array.from(probe as number[]), every, list };
}
