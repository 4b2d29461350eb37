/**
 * Learning-rate schedule: linear warmup from 0, then cosine decay to a floor.
 * Warmup keeps Adam's first, noisy updates small; the cosine tail lets the loss settle.
 */

export interface ScheduleOptions {
  readonly peak: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  /** Final learning rate as a fraction of the peak. */
  readonly minRatio: number;
}

/** Learning rate for 0-based step `step`. */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.peak * (step + 1)) / o.warmupSteps;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / decaySteps);
  const min = o.peak * o.minRatio;
  return min + 0.5 * (o.peak - min) * (1 + Math.cos(Math.PI * progress));
}
