/**
 * Training runs as they are kept and compared: what one run was (its configuration, its
 * curves, when it ran, how it ended, the checkpoints it left) and the text samples generated
 * at its evaluation points. The host keeps a bounded list of them per workspace and posts it
 * to the dashboard, whose loss panel draws the runs side by side. Plain data only.
 */

import type { EvalPoint, StepPoint } from './common';

export type RunStatus = 'idle' | 'running' | 'completed' | 'cancelled' | 'diverged' | 'failed';

/** Training steps as columns: index i of every column is one StepPoint. */
export type StepColumns = { readonly [K in keyof StepPoint]: Float64Array };

/** Evaluations as columns: index i of every column is one EvalPoint. */
export type EvalColumns = { readonly [K in keyof EvalPoint]: Float64Array };

/** A few tokens the model generated from the probe text at an evaluation point. */
export interface RunSample {
  readonly step: number;
  /** The probe the model continued (its last characters). */
  readonly prompt: string;
  /** What it generated (greedy). */
  readonly text: string;
}

/** The settings a run was trained with (null where the preset's default was used). */
export interface RunConfig {
  readonly preset: string;
  readonly steps: number;
  readonly batchSize: number | null;
  readonly learningRate: number | null;
  readonly seed: number;
  readonly evalInterval: number;
}

/** The checkpoint of the evaluation with the lowest validation loss, kept beside the last one. */
export interface BestCheckpoint {
  readonly path: string;
  readonly step: number;
  readonly valLoss: number;
}

/** One kept run. */
export interface KeptRun {
  /** Unique per workspace; a checkpoint's recorded history is `checkpoint:<path>`. */
  readonly id: string;
  readonly label: string;
  /** Trained in this editor, or the history a loaded checkpoint carried. */
  readonly origin: 'trained' | 'checkpoint';
  readonly status: RunStatus;
  readonly message: string | null;
  readonly totalSteps: number;
  /** Wall-clock start and end (ms since the epoch); null when unknown (a checkpoint's history). */
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly config: RunConfig | null;
  /** The checkpoint the run ended with (the model as trained last), if one was written. */
  readonly checkpointPath: string | null;
  readonly best: BestCheckpoint | null;
  readonly steps: StepColumns;
  readonly evals: EvalColumns;
  readonly samples: readonly RunSample[];
}
