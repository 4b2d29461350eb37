/**
 * `train --resume CKPT`: the run a checkpoint holds, ready to continue. Refused, before any
 * work, when the checkpoint is not ours (llama2.c, Hugging Face: no optimizer state), holds no
 * training state, is already complete, was trained on another text, or when an option given
 * on the command line contradicts the run's own (a resumed run keeps its configuration: a
 * different batch or schedule would not be the same run).
 */

import {
  CharTokenizer,
  checkResumable,
  optionConflicts,
  presetConfig,
  PRESETS,
  ResumeError,
  type TrainingSnapshot,
  type TrainOptions,
  type Transformer,
} from '../../engine';
import { checkpointFormatOf, loadModel } from '../../node/loadModel';
import { CHECKPOINT_FORMATS } from '../../protocol/checkpointFormats';

export interface ResumedRun {
  readonly model: Transformer;
  readonly tokenizer: CharTokenizer;
  readonly training: TrainingSnapshot;
  readonly options: TrainOptions;
  /** The preset the model's config is, or its architecture when it is none of them. */
  readonly label: string;
  /** Said to the user before training (e.g. the text could not be checked), or null. */
  readonly note: string | null;
}

/** The CLI's names for the options a user may repeat on a resume. */
const FLAG_NAMES: Partial<Record<keyof TrainOptions, string>> = {
  steps: '--steps',
  batchSize: '--batch',
  seed: '--seed',
  learningRate: '--lr',
  evalInterval: '--eval-interval',
};

export async function loadResumable(
  checkpoint: string,
  text: string,
  encode: (tokenizer: CharTokenizer, text: string) => Int32Array,
  given: { readonly options: Partial<TrainOptions>; readonly preset?: string; readonly attention?: 'soft' | 'hard' },
): Promise<ResumedRun> {
  const what = `--resume ${checkpoint}`;
  // Told apart before reading: a llama2.c file would otherwise be refused for want of --tokenizer.
  const format = checkpointFormatOf(checkpoint);
  if (format !== null && format !== 'native') {
    const name = CHECKPOINT_FORMATS.find((f) => f.id === format)?.name ?? format;
    throw new ResumeError(`${what} is a ${name}, which holds weights only; a run can be resumed only from an Attention Lens checkpoint written by train`);
  }
  const loaded = await loadModel(checkpoint);
  if (!(loaded.tokenizer instanceof CharTokenizer)) {
    throw new ResumeError(`${what} uses a ${loaded.tokenizer.kind} tokenizer; train resumes runs of its own character tokenizer only`);
  }
  const ids = encode(loaded.tokenizer, text);
  const { training, note } = checkResumable(loaded.training, ids, what);
  const conflicts = optionConflicts(training.options, given.options, FLAG_NAMES);
  const label = presetOf(loaded.model);
  const mode = loaded.model.config.attentionMode;
  if (given.attention !== undefined && given.attention !== mode) conflicts.unshift(`--attention ${given.attention} differs from the run's ${mode}`);
  if (given.preset !== undefined && given.preset !== label) conflicts.unshift(`--preset ${given.preset} differs from the run's ${label}`);
  if (conflicts.length > 0) {
    throw new ResumeError(`${conflicts.join('; ')}: a resumed run keeps the configuration it was started with; leave these options out`);
  }
  return { model: loaded.model, tokenizer: loaded.tokenizer, training, options: training.options, label, note };
}

/** The preset whose shape the model has (attention mode aside), else its architecture. */
function presetOf(model: Transformer): string {
  const c = model.config;
  for (const p of Object.values(PRESETS)) {
    const expected = { ...presetConfig(p.name, c.vocabSize), attentionMode: c.attentionMode };
    if (JSON.stringify(Object.entries(expected).sort()) === JSON.stringify(Object.entries({ ...c }).sort())) return p.name;
  }
  return c.architecture;
}
