/**
 * Training hyper-parameters, their defaults, and the validation every entry point (CLI,
 * worker) runs on them, so a bad value gets a message naming it rather than NaN losses.
 */

export interface TrainOptions {
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly warmupSteps: number;
  /** Final learning rate of the cosine schedule, as a fraction of the peak. */
  readonly minLrRatio: number;
  readonly weightDecay: number;
  /** Global gradient-norm clip (0 = off). */
  readonly gradClip: number;
  /** Evaluate every this many steps (and after the last). */
  readonly evalInterval: number;
  /** Validation windows per evaluation. */
  readonly evalWindows: number;
  readonly seed: number;
  /** Fraction of the text, taken from its end, held out for validation. */
  readonly validationFraction: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  steps: 500,
  batchSize: 16,
  learningRate: 1e-3,
  warmupSteps: 20,
  minLrRatio: 0.1,
  weightDecay: 0.1,
  gradClip: 1,
  evalInterval: 50,
  evalWindows: 32,
  seed: 1337,
  validationFraction: 0.1,
};

export class TrainOptionsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainOptionsError';
  }
}

const BOUNDS: Record<keyof TrainOptions, [min: number, max: number, integer: boolean]> = {
  steps: [1, 10_000_000, true],
  batchSize: [1, 4096, true],
  learningRate: [0, 10, false],
  warmupSteps: [0, 10_000_000, true],
  minLrRatio: [0, 1, false],
  weightDecay: [0, 10, false],
  gradClip: [0, 1e6, false],
  evalInterval: [1, 10_000_000, true],
  evalWindows: [1, 100_000, true],
  seed: [0, 2 ** 32 - 1, true],
  validationFraction: [0, 0.9, false],
};

/** Defaults overlaid with `partial`; throws TrainOptionsError naming the first bad field. */
export function resolveTrainOptions(partial: Partial<Record<keyof TrainOptions, unknown>> = {}): TrainOptions {
  const out: Record<string, number> = { ...DEFAULT_TRAIN_OPTIONS };
  for (const key of Object.keys(BOUNDS) as (keyof TrainOptions)[]) {
    const raw = partial[key];
    if (raw === undefined) continue;
    const [min, max, integer] = BOUNDS[key];
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < min || raw > max || (integer && !Number.isInteger(raw))) {
      throw new TrainOptionsError(`${key} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(raw)}`);
    }
    out[key] = raw;
  }
  return out as unknown as TrainOptions;
}
