/**
 * Training metrics as growable columns of Float64Array — how the dashboard stores and ships
 * them. 10,000 steps are 6 columns of 80 KB, appended in place (doubling capacity), handed to
 * the chart as subarray views without copying, and posted as typed arrays that keep NaN.
 */

import type { EvalPoint, StepPoint } from '../protocol/common';
import type { EvalColumns, StepColumns } from '../protocol/webviewProtocol';

export const STEP_KEYS = ['step', 'loss', 'lr', 'gradNorm', 'tokensPerSecond', 'elapsedMs'] as const satisfies readonly (keyof StepPoint)[];
export const EVAL_KEYS = ['step', 'valLoss', 'valAccuracy', 'valPerplexity'] as const satisfies readonly (keyof EvalPoint)[];

/** A set of equally long Float64Array columns that grows at the end. */
export class ColumnStore<K extends string> {
  private data: Record<K, Float64Array>;
  private size = 0;

  constructor(
    readonly keys: readonly K[],
    capacity = 256,
  ) {
    this.data = Object.fromEntries(keys.map((k) => [k, new Float64Array(capacity)])) as Record<K, Float64Array>;
  }

  get length(): number {
    return this.size;
  }

  /** A view of the first `length` values (valid until the next append). */
  column(key: K): Float64Array {
    return this.data[key].subarray(0, this.size);
  }

  clear(): void {
    this.size = 0;
  }

  /** Appends equally long columns (missing keys are filled with NaN). */
  append(cols: Partial<Record<K, ArrayLike<number>>>): void {
    const n = columnLength(cols, this.keys);
    if (n === 0) return;
    this.reserve(this.size + n);
    for (const k of this.keys) {
      const src = cols[k];
      if (src) this.data[k].set(src, this.size);
      else this.data[k].fill(NaN, this.size, this.size + n);
    }
    this.size += n;
  }

  /** Appends one row. */
  push(row: Readonly<Record<K, number>>): void {
    this.reserve(this.size + 1);
    for (const k of this.keys) this.data[k][this.size] = row[k];
    this.size++;
  }

  /** Copies of the columns (for posting: a view would ship the whole underlying buffer). */
  snapshot(): Record<K, Float64Array> {
    return Object.fromEntries(this.keys.map((k) => [k, this.data[k].slice(0, this.size)])) as Record<K, Float64Array>;
  }

  private reserve(n: number): void {
    const cap = this.data[this.keys[0]!].length;
    if (n <= cap) return;
    const next = Math.max(n, cap * 2);
    for (const k of this.keys) {
      const grown = new Float64Array(next);
      grown.set(this.data[k].subarray(0, this.size));
      this.data[k] = grown;
    }
  }
}

/** The common length of the given columns; columns of different lengths are a programming error. */
function columnLength<K extends string>(cols: Partial<Record<K, ArrayLike<number>>>, keys: readonly K[]): number {
  let n = -1;
  for (const k of keys) {
    const c = cols[k];
    if (!c) continue;
    if (n >= 0 && c.length !== n) throw new RangeError(`column ${k} has ${c.length} values, the others ${n}`);
    n = c.length;
  }
  return Math.max(0, n);
}

export function stepColumns(points: readonly StepPoint[]): StepColumns {
  const s = new ColumnStore(STEP_KEYS, Math.max(1, points.length));
  for (const p of points) s.push(p);
  return s.snapshot();
}

export function evalColumns(points: readonly EvalPoint[]): EvalColumns {
  const s = new ColumnStore(EVAL_KEYS, Math.max(1, points.length));
  for (const p of points) s.push(p);
  return s.snapshot();
}
