/**
 * Turns what the host holds into what the dashboard is sent: the worker's attentionRows reply
 * into a QueryAttention (typed arrays copied, so a post never drags along a larger buffer
 * they might view), and the training run into info + columns. Pure, for the host's panel.
 */

import type { EvalPoint, StepPoint } from '../protocol/common';
import type { QueryAttention, RunInfo, RunStatus, WindowRef } from '../protocol/webviewProtocol';
import type { WorkerToHost } from '../protocol/workerProtocol';
import { evalColumns, stepColumns } from './metricColumns';

export type AttentionRowsReply = Extract<WorkerToHost, { type: 'attentionRows' }>;

export function toQueryAttention(r: AttentionRowsReply, documentName: string): QueryAttention {
  return {
    documentKey: r.documentKey,
    documentName,
    version: r.version,
    from: r.from,
    to: r.to,
    windowStart: r.windowStart,
    windowLength: r.windowLength,
    tokens: { first: r.window.first, ids: r.window.ids.slice(), starts: r.window.starts.slice(), ends: r.window.ends.slice(), labels: [...r.window.labels] },
    layers: r.layers,
    heads: r.heads,
    rows: r.rows.slice(),
    columns: r.columns.slice(),
    scores: r.scores.slice(),
  };
}

export function windowOf(a: WindowRef): WindowRef {
  return { documentKey: a.documentKey, version: a.version, windowStart: a.windowStart, windowLength: a.windowLength };
}

export function sameWindow(a: WindowRef | null, b: WindowRef | null): boolean {
  return !!a && !!b && a.documentKey === b.documentKey && a.version === b.version && a.windowStart === b.windowStart && a.windowLength === b.windowLength;
}

export interface RunLike {
  readonly status: RunStatus;
  readonly label: string;
  readonly totalSteps: number;
  readonly message: string | null;
  readonly steps: readonly StepPoint[];
  readonly evals: readonly EvalPoint[];
}

export function runInfo(s: RunLike): RunInfo {
  return { status: s.status, label: s.label, totalSteps: s.totalSteps, message: s.message };
}

export function runPayload(s: RunLike): { run: RunInfo; steps: ReturnType<typeof stepColumns>; evals: ReturnType<typeof evalColumns> } {
  return { run: runInfo(s), steps: stepColumns(s.steps), evals: evalColumns(s.evals) };
}
