/**
 * Kept runs as they are stored per workspace (VS Code's workspace state, which holds JSON):
 * bounded (at most MAX_KEPT_RUNS runs, each thinned to at most MAX_STORED_STEPS steps, its
 * samples and strings capped), encoded with null for NaN/±Infinity (JSON has neither; a
 * diverged step stays marked as NaN), and decoded as untrusted input: a malformed entry is
 * dropped, never thrown at the user.
 */

import { ColumnStore, EVAL_KEYS, STEP_KEYS } from './metricColumns';
import type { BestCheckpoint, EvalColumns, KeptRun, RunConfig, RunSample, RunStatus, StepColumns } from '../protocol/runs';

export const MAX_KEPT_RUNS = 12;
export const MAX_STORED_STEPS = 2000;
export const MAX_STORED_EVALS = 1000;
export const MAX_SAMPLES = 50;
const MAX_TEXT = 400;
const STATUSES: readonly RunStatus[] = ['idle', 'running', 'completed', 'cancelled', 'diverged', 'failed'];

/**
 * At most `max` steps of a run: evenly spaced, always the first and the last, and every
 * non-finite step (the chart marks those) — so a long run's shape and its end survive.
 */
export function thinSteps(steps: StepColumns, max = MAX_STORED_STEPS): StepColumns {
  const n = steps.step.length;
  if (n <= max) return steps;
  const keep: number[] = [];
  const stride = (n - 1) / (max - 1);
  let next = 0;
  for (let i = 0; i < n; i++) {
    const even = i >= Math.round(next) || i === n - 1;
    if (even) next += stride;
    if (even || !Number.isFinite(steps.loss[i]!)) keep.push(i);
  }
  const out = new ColumnStore(STEP_KEYS, keep.length);
  for (const i of keep) out.push(Object.fromEntries(STEP_KEYS.map((k) => [k, steps[k][i]!])) as Record<(typeof STEP_KEYS)[number], number>);
  return out.snapshot();
}

/** A run within the storage bounds. */
export function boundRun(run: KeptRun): KeptRun {
  const evals = run.evals.step.length > MAX_STORED_EVALS ? sliceColumns(run.evals, EVAL_KEYS, run.evals.step.length - MAX_STORED_EVALS) : run.evals;
  return {
    ...run,
    label: run.label.slice(0, MAX_TEXT),
    message: run.message?.slice(0, MAX_TEXT) ?? null,
    steps: thinSteps(run.steps),
    evals,
    samples: run.samples.slice(-MAX_SAMPLES).map((s) => ({ step: s.step, prompt: s.prompt.slice(-MAX_TEXT), text: s.text.slice(0, MAX_TEXT) })),
  };
}

function sliceColumns<K extends string>(cols: Readonly<Record<K, Float64Array>>, keys: readonly K[], from: number): Record<K, Float64Array> {
  return Object.fromEntries(keys.map((k) => [k, cols[k].slice(from)])) as Record<K, Float64Array>;
}

/** JSON-safe form: columns as arrays with null for non-finite values. */
export function encodeRun(run: KeptRun): unknown {
  const cols = <K extends string>(c: Readonly<Record<K, Float64Array>>, keys: readonly K[]): Record<K, (number | null)[]> =>
    Object.fromEntries(keys.map((k) => [k, Array.from(c[k], (v) => (Number.isFinite(v) ? v : null))])) as Record<K, (number | null)[]>;
  return { ...run, steps: cols(run.steps, STEP_KEYS), evals: cols(run.evals, EVAL_KEYS) };
}

/** The runs in `raw` that are well-formed (newest first, at most MAX_KEPT_RUNS). */
export function decodeRuns(raw: unknown): KeptRun[] {
  if (!Array.isArray(raw)) return [];
  const out: KeptRun[] = [];
  for (const item of raw) {
    const run = decodeRun(item);
    if (run && !out.some((r) => r.id === run.id)) out.push(run);
    if (out.length === MAX_KEPT_RUNS) break;
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown): number | null | undefined => (v === null ? null : isNum(v) ? v : undefined);
const strOrNull = (v: unknown): string | null | undefined => (v === null ? null : typeof v === 'string' ? v : undefined);

export function decodeRun(raw: unknown): KeptRun | null {
  if (!isObj(raw)) return null;
  const { id, label, origin, status, totalSteps } = raw;
  if (typeof id !== 'string' || typeof label !== 'string' || (origin !== 'trained' && origin !== 'checkpoint')) return null;
  if (!STATUSES.includes(status as RunStatus) || !isNum(totalSteps)) return null;
  const message = strOrNull(raw.message);
  const startedAt = numOrNull(raw.startedAt);
  const finishedAt = numOrNull(raw.finishedAt);
  const checkpointPath = strOrNull(raw.checkpointPath);
  if (message === undefined || startedAt === undefined || finishedAt === undefined || checkpointPath === undefined) return null;
  const steps = decodeColumns(raw.steps, STEP_KEYS);
  const evals = decodeColumns(raw.evals, EVAL_KEYS);
  const config = raw.config === null ? null : decodeConfig(raw.config);
  const best = raw.best === null || raw.best === undefined ? null : decodeBest(raw.best);
  if (!steps || !evals || config === undefined || best === undefined || !Array.isArray(raw.samples)) return null;
  const samples: RunSample[] = [];
  for (const s of raw.samples) {
    if (isObj(s) && isNum(s.step) && typeof s.prompt === 'string' && typeof s.text === 'string') samples.push({ step: s.step, prompt: s.prompt, text: s.text });
  }
  return boundRun({
    id,
    label,
    origin,
    status: status as RunStatus,
    message,
    totalSteps,
    startedAt,
    finishedAt,
    config,
    checkpointPath,
    best,
    steps: steps as StepColumns,
    evals: evals as EvalColumns,
    samples,
  });
}

function decodeColumns<K extends string>(raw: unknown, keys: readonly K[]): Record<K, Float64Array> | null {
  if (!isObj(raw)) return null;
  let n = -1;
  const out = {} as Record<K, Float64Array>;
  for (const k of keys) {
    const col = raw[k];
    if (!Array.isArray(col) || (n >= 0 && col.length !== n)) return null;
    n = col.length;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (v === null) values[i] = NaN;
      else if (isNum(v)) values[i] = v;
      else return null;
    }
    out[k] = values;
  }
  return out;
}

function decodeConfig(raw: unknown): RunConfig | undefined {
  if (!isObj(raw) || typeof raw.preset !== 'string' || !isNum(raw.steps) || !isNum(raw.seed) || !isNum(raw.evalInterval)) return undefined;
  const batchSize = numOrNull(raw.batchSize);
  const learningRate = numOrNull(raw.learningRate);
  if (batchSize === undefined || learningRate === undefined) return undefined;
  return { preset: raw.preset, steps: raw.steps, batchSize, learningRate, seed: raw.seed, evalInterval: raw.evalInterval };
}

function decodeBest(raw: unknown): BestCheckpoint | undefined {
  if (!isObj(raw) || typeof raw.path !== 'string' || !isNum(raw.step) || !isNum(raw.valLoss)) return undefined;
  return { path: raw.path, step: raw.step, valLoss: raw.valLoss };
}
