/**
 * How far the loading of a model is, as the worker reports it to the host and the CLI shows it:
 * the phase (reading the file, checking the weights for non-finite values, building the model)
 * and how much of that phase is done. One bar over the whole load: reading counts for most of
 * it (it is what takes long on a large file), then the check, then building.
 */

export type LoadPhase = 'read' | 'check' | 'build';

export interface LoadProgress {
  readonly phase: LoadPhase;
  /** Done of total in the phase's unit: bytes read of the file's (or files') size; weights checked; tensors built. */
  readonly done: number;
  readonly total: number;
}

/** Where each phase starts and ends on the whole load's bar. */
const SPAN: Record<LoadPhase, readonly [number, number]> = {
  read: [0, 0.75],
  check: [0.75, 0.9],
  build: [0.9, 1],
};

/** The share of the whole load that `p` stands for, 0 … 1 (never decreasing as a load goes on; a phase's end is exactly its span's end). */
export function loadFraction(p: LoadProgress): number {
  const [start, end] = SPAN[p.phase];
  const f = p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : 1;
  return f >= 1 ? end : start + (end - start) * f;
}

/** Files from this size up get a progress line in the CLI (on a terminal). */
export const LARGE_MODEL_BYTES = 50 * 1000 * 1000;
