/**
 * CSV and JSON exports of what the dashboard shows: training metrics (with the smoothed curve
 * as drawn) and attention (the query's rows for every head, or one head's matrix). Token text
 * is document content, so CSV cells are quoted and cells a spreadsheet would run as a formula
 * are defused. JSON has no NaN/Infinity, so those become the strings "NaN", "Infinity",
 * "-Infinity" rather than null — a diverged step must stay visible in an export too.
 */

import type { AttentionMatrix } from '../protocol/dashboardViews';
import type { EvalColumns, QueryAttention, StepColumns } from '../protocol/webviewProtocol';

/** A number as text that round-trips (and that pandas and spreadsheets read). */
export function numberText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

/** RFC 4180 quoting, plus a leading ' on text that starts like a formula (= + - @, tab, CR). */
export function csvCell(v: string | number): string {
  if (typeof v === 'number') return numberText(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** JSON.stringify that keeps non-finite numbers as strings and typed arrays as arrays. */
export function exportJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return numberText(v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView))
        return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : numberText(x)));
      return v;
    },
    1,
  );
}

/** One row per step, evaluations joined on their step (evaluations at other steps get their own rows). */
export function metricsCsv(steps: StepColumns, smoothed: ArrayLike<number>, evals: EvalColumns): string {
  const byStep = new Map<number, number>();
  for (let i = 0; i < evals.step.length; i++) byStep.set(evals.step[i]!, i);
  const evalCells = (j: number | undefined): (string | number)[] =>
    j === undefined ? ['', '', ''] : [evals.valLoss[j]!, evals.valAccuracy[j]!, evals.valPerplexity[j]!];
  const rows: (string | number)[][] = [];
  for (let i = 0; i < steps.step.length; i++) {
    const s = steps.step[i]!;
    const j = byStep.get(s);
    byStep.delete(s);
    rows.push([
      s,
      steps.elapsedMs[i]! / 1000,
      steps.loss[i]!,
      smoothed[i] ?? NaN,
      steps.lr[i]!,
      steps.gradNorm[i]!,
      steps.tokensPerSecond[i]!,
      ...evalCells(j),
    ]);
  }
  for (const [s, j] of byStep) rows.push([s, '', '', '', '', '', '', ...evalCells(j)]);
  return csv(['step', 'elapsed_s', 'loss', 'loss_smoothed', 'lr', 'grad_norm', 'tokens_per_s', 'val_loss', 'val_accuracy', 'val_perplexity'], rows);
}

export function metricsJson(steps: StepColumns, smoothed: ArrayLike<number>, smoothing: number, evals: EvalColumns): string {
  return exportJson({
    steps: {
      step: steps.step,
      elapsed_ms: steps.elapsedMs,
      loss: steps.loss,
      loss_smoothed: smoothed,
      lr: steps.lr,
      grad_norm: steps.gradNorm,
      tokens_per_s: steps.tokensPerSecond,
    },
    smoothing: { method: 'tensorboard-classic', weight: smoothing },
    evals: { step: evals.step, val_loss: evals.valLoss, val_accuracy: evals.valAccuracy, val_perplexity: evals.valPerplexity },
  });
}

function tokenRows(a: QueryAttention): { index: number; text: string; start: number; end: number }[] {
  return a.tokens.labels.map((text, k) => ({ index: a.windowStart + k, text, start: a.tokens.starts[k]!, end: a.tokens.ends[k]! }));
}

/** The query's attention row for every layer/head: one line per key token, one column per head. */
export function attentionCsv(a: QueryAttention): string {
  const W = a.windowLength;
  const heads: { name: string; o: number }[] = [];
  for (let l = 0; l < a.layers; l++) for (let h = 0; h < a.heads; h++) heads.push({ name: `L${l}H${h}`, o: (l * a.heads + h) * W });
  const rows = tokenRows(a).map((t, k) => [t.index, t.text, t.start, t.end, ...heads.map((h) => a.rows[h.o + k]!)]);
  return csv(['token_index', 'token', 'start', 'end', ...heads.map((h) => h.name)], rows);
}

export function attentionJson(a: QueryAttention, matrix: AttentionMatrix | null): string {
  const W = a.windowLength;
  const perHead = (block: Float32Array): number[][][] =>
    Array.from({ length: a.layers }, (_, l) =>
      Array.from({ length: a.heads }, (_, h) => Array.from(block.subarray((l * a.heads + h) * W, (l * a.heads + h + 1) * W))),
    );
  return exportJson({
    document: a.documentKey,
    version: a.version,
    window_start: a.windowStart,
    query: { from: a.from, to: a.to },
    tokens: tokenRows(a),
    layers: a.layers,
    heads: a.heads,
    rows: perHead(a.rows),
    columns: perHead(a.columns),
    scores: perHead(a.scores),
    ...(matrix
      ? {
          matrix: {
            layer: matrix.layer,
            head: matrix.head,
            weights: Array.from({ length: matrix.windowLength }, (_, q) => matrix.weights.subarray(q * matrix.windowLength, (q + 1) * matrix.windowLength)),
          },
        }
      : {}),
  });
}

/** One head's matrix: a header of key tokens, then one line per query token. */
export function matrixCsv(m: AttentionMatrix, labels: readonly string[]): string {
  const W = m.windowLength;
  const rows = Array.from({ length: W }, (_, q) => [`${m.windowStart + q}:${labels[q] ?? ''}`, ...Array.from(m.weights.subarray(q * W, (q + 1) * W))]);
  return csv([`query\\key (L${m.layer}H${m.head})`, ...labels.map((t, k) => `${m.windowStart + k}:${t}`)], rows);
}
