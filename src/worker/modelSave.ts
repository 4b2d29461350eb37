/**
 * Saving the active model as a native checkpoint (the `save` request): refused for a model
 * whose tokenizer a native checkpoint cannot store, else serialised and written atomically, so
 * an interrupted save never leaves a half-written file where the old one was.
 */

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { serializeCheckpoint } from '../engine';
import { writeFileAtomic } from '../node/atomicWrite';
import type { ActiveModel } from './activeModel';
import { WorkerError } from './errors';

export async function saveActiveModel(m: ActiveModel, file: string): Promise<void> {
  if (m.tokenizerJson === null || m.tokenizerJson === undefined) {
    throw new WorkerError(
      'checkpoint',
      `the active model (${m.source}) uses a ${m.tokenizer.kind} tokenizer, which a native checkpoint cannot store; it can only be used from its original files`,
    );
  }
  // Serialised before any await, so the file holds the model as it was when asked.
  const bytes = serializeCheckpoint(m.model, m.tokenizerJson, m.training);
  await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomic(file, bytes);
}
