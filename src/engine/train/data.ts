/**
 * The training text as token windows: the last fraction of the tokens is held out for
 * validation; training batches are random windows of the rest; evaluation uses a fixed,
 * evenly spaced set of validation windows so that its numbers are comparable across steps
 * and never consume the training Rng.
 */

import type { Rng } from '../random';

export class DatasetError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface Batch {
  readonly inputs: Int32Array; // [B·T]
  readonly targets: Int32Array; // [B·T], the inputs shifted by one
  readonly B: number;
  readonly T: number;
}

export class TextDataset {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  /** Window length used for training: the model's context, or less for short texts. */
  readonly T: number;

  constructor(tokens: Int32Array, contextLength: number, validationFraction: number) {
    if (tokens.length < 3) {
      throw new DatasetError(`the text has ${tokens.length} token${tokens.length === 1 ? '' : 's'}; training needs at least 3`);
    }
    let nVal = Math.floor(tokens.length * validationFraction);
    if (nVal > 0 && nVal < 2) nVal = 0; // a 1-token validation set cannot hold a (input, target) pair
    if (tokens.length - nVal < 2) nVal = 0;
    this.train = tokens.subarray(0, tokens.length - nVal);
    this.validation = tokens.subarray(tokens.length - nVal);
    this.T = Math.min(contextLength, this.train.length - 1);
  }

  get hasValidation(): boolean {
    return this.validation.length >= 2;
  }

  /** B random windows of the training tokens. */
  sample(rng: Rng, B: number): Batch {
    const T = this.T;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const maxStart = this.train.length - T - 1;
    for (let b = 0; b < B; b++) {
      const s = maxStart > 0 ? rng.int(maxStart + 1) : 0;
      inputs.set(this.train.subarray(s, s + T), b * T);
      targets.set(this.train.subarray(s + 1, s + T + 1), b * T);
    }
    return { inputs, targets, B, T };
  }

  /** Up to `count` evenly spaced validation windows, grouped into batches of B. */
  validationBatches(count: number, B: number): Batch[] {
    if (!this.hasValidation) return [];
    const T = Math.min(this.T, this.validation.length - 1);
    const maxStart = this.validation.length - T - 1;
    const n = Math.max(1, Math.min(count, maxStart + 1));
    const starts: number[] = [];
    for (let i = 0; i < n; i++) starts.push(n === 1 ? 0 : Math.round((i * maxStart) / (n - 1)));
    const batches: Batch[] = [];
    for (let i = 0; i < starts.length; i += B) {
      const group = starts.slice(i, i + B);
      const inputs = new Int32Array(group.length * T);
      const targets = new Int32Array(group.length * T);
      group.forEach((s, b) => {
        inputs.set(this.validation.subarray(s, s + T), b * T);
        targets.set(this.validation.subarray(s + 1, s + T + 1), b * T);
      });
      batches.push({ inputs, targets, B: group.length, T });
    }
    return batches;
  }
}
