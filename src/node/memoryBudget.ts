/**
 * The memory a training run may plan for, for the CLI (--max-memory overrides it) and the
 * editor's worker: 4 GB, or half the machine's memory when that is less. A configuration whose
 * estimate (engine/train/memory.ts) exceeds it is refused before the first step.
 */

import * as os from 'node:os';

export function defaultTrainingBudgetMb(): number {
  return Math.max(256, Math.min(4096, Math.floor(os.totalmem() / 2 / 1024 ** 2)));
}
