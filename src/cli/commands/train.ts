/**
 * `attention-lens train <file...>`: trains a preset on the files' text with a character
 * tokenizer and writes a native checkpoint, or continues one (`--resume CKPT`: the run's own
 * options, optimizer state, step and generator, on the same text, to its total); `--until K`
 * stops after step K with a resumable checkpoint, the schedule still that of --steps. Ctrl-C stops after the current step, saves a
 * resumable checkpoint (optimizer state and step included) and says so (`"stopped":
 * "interrupted"`, exit 130); a diverging run saves its last good state and exits non-zero.
 *
 * The validation-best model is kept as the editor keeps it: when training went on past the
 * evaluation with the lowest validation loss, its weights are saved beside the checkpoint
 * (`x.best.safetensors`, or --best-out), and a run that overfits (presentation/overfitting.ts,
 * the editor's rule) says so; --json reports both in the last line.
 *
 * Everything that can refuse the run is checked before the first step: the output is not an
 * input and can be written, and the configuration's estimated memory fits the budget
 * (--max-memory, in MB). A checkpoint that cannot be written (a full disk) is saved to the
 * temporary folder instead, and the error says where.
 */

import * as os from 'node:os';
import * as path from 'node:path';
import {
  CharTokenizer,
  estimateTrainingBytes,
  formatBytes,
  getPreset,
  UnknownPresetError,
  presetConfig,
  resolveTrainOptions,
  Rng,
  serializeCheckpoint,
  Trainer,
  Transformer,
  SnapshotRecorder,
  PROBE_TOKENS,
  ValidationBest,
  bestCheckpointPath,
  type TrainingSnapshot,
  type TrainOptions,
} from '../../engine';
import { loadResumable } from './trainResume';
import { describeLossRise, detectLossRise } from '../../presentation/lossRise';
import { detectOverfitting, describeOverfitting } from '../../presentation/overfitting';
import { defaultTrainingBudgetMb } from '../../node/memoryBudget';
import { saveWithFallback } from '../../node/saveWithFallback';
import { intOption, numberOption, parseArgs, UsageError } from '../args';
import { readTextFile } from '../inputText';
import { checkNotAnInput, checkWritable } from '../outputPath';
import { onOutputLost, type Output } from '../output';

export const TRAIN_OPTIONS = {
  values: ['preset', 'steps', 'batch', 'seed', 'out', 'best-out', 'lr', 'eval-interval', 'max-memory', 'resume', 'until', 'attention', 'snapshot-every'],
  flags: ['json'],
  positional: 'text files',
};

/** Exit codes of a run stopped by Ctrl-C (128 + SIGINT) or SIGTERM (128 + 15), as shells report them. */
export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;
/** A run stopped because its stdout's reader left (as 128 + SIGPIPE, the code a shell shows for that). */
export const EXIT_OUTPUT_CLOSED = 141;

/** The configuration would need more memory than the budget. */
export class TrainingMemoryError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingMemoryError';
  }
}

export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/** The model, tokenizer and options a run starts (or continues) with. */
interface RunSetup {
  readonly model: Transformer;
  readonly tokenizer: CharTokenizer;
  readonly options: TrainOptions;
  readonly resume: TrainingSnapshot | null;
  readonly label: string;
}

export async function trainCommand(argv: readonly string[], out: Output): Promise<number> {
  const args = parseArgs(argv, TRAIN_OPTIONS);
  if (args.positional.length === 0) throw new UsageError('train needs at least one text file: attention-lens train <file...>');
  const resumePath = args.values.has('resume') ? path.resolve(args.values.get('resume')!) : null;
  // A resumed run goes on in its own file unless told otherwise (written atomically: a failure keeps the old one).
  const outPath = path.resolve(args.values.get('out') ?? resumePath ?? 'model.safetensors');
  checkNotAnInput(outPath, args.positional);
  // Every reader picks the format by extension: a native checkpoint named .bin would be read as llama2.c.
  if (path.extname(outPath).toLowerCase() !== '.safetensors')
    throw new UsageError(`--out ${outPath}: a checkpoint is written as .safetensors; name the file *.safetensors`);
  checkWritable(outPath);
  const bestPath = path.resolve(args.values.get('best-out') ?? bestCheckpointPath(outPath));
  if (bestPath === outPath) throw new UsageError(`--best-out ${bestPath} is the --out checkpoint; give the validation-best model its own file`);
  if (path.extname(bestPath).toLowerCase() !== '.safetensors') throw new UsageError(`--best-out ${bestPath}: name the file *.safetensors`);
  checkNotAnInput(bestPath, args.positional, '--best-out');
  // The run's own file is --out's to replace (a resume goes on in it), never the best model's.
  if (resumePath) checkNotAnInput(bestPath, [resumePath], '--best-out');
  checkWritable(bestPath);
  const budgetMb = intOption(args, 'max-memory', 64, 1024 * 1024) ?? defaultTrainingBudgetMb();
  const until = intOption(args, 'until', 1, 10_000_000);
  const attention = attentionOption(args.values.get('attention'));
  const presetName = args.values.get('preset');
  // An unknown name is a usage error, found before any file is read.
  if (presetName !== undefined) {
    try {
      getPreset(presetName);
    } catch (e) {
      throw e instanceof UnknownPresetError ? new UsageError(`--preset: ${e.message}`) : e;
    }
  }

  // Empty files add nothing, not even the newline that joins files.
  const text = args.positional
    .map(readTextFile)
    .filter((t) => t.length > 0)
    .join('\n');
  if (text.length === 0) throw new UsageError('the input files are empty: there is nothing to train on');
  // Only what the user typed: on a resume, each must agree with the run's own.
  const given = {
    steps: intOption(args, 'steps', 1, 10_000_000),
    batchSize: intOption(args, 'batch', 1, 4096),
    seed: intOption(args, 'seed', 0, 2 ** 32 - 1),
    learningRate: numberOption(args, 'lr', 0, 10),
    evalInterval: intOption(args, 'eval-interval', 1, 10_000_000),
  };
  const setup = resumePath
    ? await resumedSetup(resumePath, text, given, { preset: presetName, attention }, out)
    : freshSetup(text, given, presetName, attention ?? 'soft');
  const { model, tokenizer, options } = setup;
  const startStep = setup.resume?.state.step ?? 0;
  if (until !== undefined && until > options.steps) throw new UsageError(`--until ${until} is beyond the run's ${options.steps} steps (--steps)`);
  if (until !== undefined && until <= startStep) throw new UsageError(`--until ${until}: the run is already at step ${startStep}`);
  const ids = encodeIds(tokenizer, text);
  const config = model.config;
  const T = Math.min(config.contextLength, Math.max(1, ids.length - Math.floor(ids.length * options.validationFraction) - 1));
  const need = estimateTrainingBytes({ config, batchSize: options.batchSize, T, tokens: ids.length });
  if (need > budgetMb * 1024 ** 2) {
    throw new TrainingMemoryError(
      `training ${setup.label} with batch ${options.batchSize} × window ${T} on ${ids.length} tokens needs about ${formatBytes(need)}, more than the ${formatBytes(budgetMb * 1024 ** 2)} budget; lower --batch, or raise --max-memory (MB) if the machine has the memory`,
    );
  }
  const trainer = new Trainer(model, ids, options, setup.resume?.state);
  // A resumed run's earlier evaluations count: their weights are not here, so only a lower loss makes a new best.
  const earlier = (setup.resume?.state.history.evals ?? []).map((e) => e.valLoss).filter(Number.isFinite);
  const best = new ValidationBest(trainer, Math.min(Infinity, ...earlier));
  // Head snapshots on the text's first window (at most PROBE_TOKENS tokens); a resume keeps the run's.
  // A resumed run keeps its own setting: its record's interval, or none when it kept none (0); a
  // different --snapshot-every is refused as the other run options are.
  const givenEvery = intOption(args, 'snapshot-every', 0, 10_000_000);
  const kept = setup.resume?.snapshots ?? null;
  if (kept && givenEvery !== undefined && givenEvery !== kept.every)
    throw new UsageError(`--snapshot-every ${givenEvery} differs from the run's own ${kept.every}: a resumed run keeps its snapshot interval`);
  const snapshotEvery = givenEvery ?? (setup.resume ? 0 : SnapshotRecorder.defaultEvery(options.steps));
  if (kept) trainer.snapshots = new SnapshotRecorder(kept.probe, kept.every, undefined, kept);
  else if (snapshotEvery > 0) trainer.snapshots = new SnapshotRecorder(ids.slice(0, Math.min(PROBE_TOKENS, ids.length)), snapshotEvery);

  if (!out.json) {
    const what = setup.resume ? `Resuming ${setup.label} at step ${startStep} of ${options.steps}` : `Training ${setup.label}`;
    out.line(
      `${what} on ${characterCount(text)} characters, ${tokenizer.vocabSize} symbols, ${trainer.data.train.length} training / ${trainer.data.validation.length} validation tokens, window ${trainer.data.T}`,
    );
  }
  // Ctrl-C, a SIGTERM (timeout, docker stop, a job scheduler) and an output that cannot be written
  // (a reader that left, a full disk) all stop the run after the step in flight and save it.
  const cancellation = { isCancellationRequested: false };
  let signal: NodeJS.Signals | null = null;
  let outputLost: NodeJS.ErrnoException | null = null;
  const onSignal = (s: NodeJS.Signals): void => {
    signal ??= s;
    cancellation.isCancellationRequested = true;
  };
  const previousHandler = onOutputLost((e) => {
    outputLost ??= e;
    cancellation.isCancellationRequested = true;
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result;
  try {
    result = await trainer.run({
      cancellation,
      until,
      // Also between the micro-batches of a long step: Ctrl-C is seen within one part, not one whole step.
      yieldControl: () => new Promise((resolve) => setImmediate(resolve)),
      onMicroBatch: (step, done, total) => out.progress(step - 1, options.steps, `step ${step}: part ${done}/${total} of its batch`),
      onStep: (m) => {
        if (outputLost) return;
        if (out.json) out.jsonLine({ step: m.step, loss: m.loss, lr: m.lr, grad_norm: m.gradNorm, tokens_per_s: Math.round(m.tokensPerSecond) });
        else out.progress(m.step, options.steps, `loss ${m.loss.toFixed(4)}  ${Math.round(m.tokensPerSecond)} tok/s`);
      },
      onEval: (e) => {
        best.observe(e);
        if (outputLost) return;
        if (out.json) out.jsonLine({ step: e.step, val_loss: e.valLoss, val_accuracy: e.valAccuracy });
        else {
          out.endProgress();
          out.line(
            `step ${e.step}: test loss ${e.valLoss.toFixed(4)}, test accuracy ${(100 * e.valAccuracy).toFixed(1)} %, perplexity ${e.valPerplexity.toFixed(2)}`,
          );
        }
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    out.endProgress();
  }
  // The snapshot holds the optimizer moments, the Rng and the step: an interrupted run resumes exactly.
  await saveWithFallback(
    outPath,
    serializeCheckpoint(model, tokenizer.toJSON(), {
      options,
      state: trainer.snapshot(),
      data: trainer.fingerprint,
      snapshots: trainer.snapshots?.record() ?? null,
    }),
    os.tmpdir(),
  );
  // The validation-best model, when it is not the final one (as the editor keeps it).
  const bestSaved = best.checkpoint(result.step, tokenizer.toJSON());
  if (bestSaved) await saveWithFallback(bestPath, bestSaved.bytes, os.tmpdir());
  const bestJson = bestSaved ? { checkpoint: bestPath, step: bestSaved.step, val_loss: bestSaved.valLoss } : null;
  const { steps, evals } = trainer.history;
  const stepSeries = { step: steps.map((m) => m.step), loss: steps.map((m) => m.loss) };
  const evalSeries = { step: evals.map((e) => e.step), valLoss: evals.map((e) => e.valLoss) };
  const overfit = detectOverfitting(stepSeries, evalSeries);
  // A finite blow-up (the loss ended above where it started) is said as the editor says it.
  const rise = detectLossRise(stepSeries);
  if (result.reason === 'diverged') {
    const also = bestSaved ? `; the validation-best model (step ${bestSaved.step}) is at ${bestPath}` : '';
    throw new TrainingDivergedError(`${result.message}; saved the last good state to ${outPath}${also}`);
  }
  const stopped = result.reason === 'cancelled' ? 'interrupted' : result.reason === 'until' ? 'until' : null;
  if (outputLost !== null) {
    // Nothing more goes to stdout (a write now would fail again); the handler stays, recording.
    const lost: NodeJS.ErrnoException = outputLost;
    const reason = lost.code === 'EPIPE' ? 'its reader closed it' : lost.code === 'ENOSPC' ? 'no space left on the device' : lost.message;
    const where = stopped
      ? `stopped at step ${result.step} of ${options.steps} and saved a resumable checkpoint to ${outPath}`
      : `saved the checkpoint to ${outPath}`;
    process.stderr.write(`attention-lens train: the output could not be written (${reason}); ${where}\n`);
    return lost.code === 'EPIPE' ? EXIT_OUTPUT_CLOSED : 1;
  }
  onOutputLost(previousHandler);
  if (out.json) {
    const overfitting = overfit
      ? {
          best_step: overfit.bestStep,
          best_val_loss: overfit.bestValLoss,
          last_step: overfit.lastStep,
          last_val_loss: overfit.lastValLoss,
          train_loss_at_best: overfit.trainAtBest,
          train_loss_at_last: overfit.trainAtLast,
        }
      : null;
    const lossRose = rise
      ? { start_step: rise.startStep, start_loss: rise.startLoss, end_loss: rise.endLoss, peak_step: rise.peakStep, peak_loss: rise.peakLoss }
      : null;
    // Additive: `best`, `overfitting` and `loss_rose` appear only when there is one (the contract's last line is otherwise as before).
    const tail = {
      checkpoint: outPath,
      ...(bestJson ? { best: bestJson } : {}),
      ...(overfitting ? { overfitting } : {}),
      ...(lossRose ? { loss_rose: lossRose } : {}),
    };
    out.jsonLine(stopped ? { done: true, stopped, step: result.step, steps: options.steps, ...tail } : { done: true, ...tail });
  } else {
    if (stopped) {
      const why = stopped === 'interrupted' ? 'Interrupted' : 'Stopped (--until)';
      out.line(`${why} at step ${result.step} of ${options.steps}; saved a resumable checkpoint to ${outPath} (continue with --resume ${outPath})`);
    } else {
      out.line(`Saved checkpoint to ${outPath}`);
    }
    if (bestSaved) out.line(`Validation-best model (step ${bestSaved.step}, validation loss ${bestSaved.valLoss.toFixed(4)}) saved to ${bestPath}`);
    if (rise) out.line(`Warning: ${describeLossRise(rise)}; try a lower --lr.`);
    else if (overfit) out.line(`Note: ${describeOverfitting(overfit)}.`);
  }
  return stopped !== 'interrupted' ? 0 : signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

/** --attention soft|hard: the attention the model is trained with (hard: the one-hot argmax of each row, straight-through backward). */
function attentionOption(raw: string | undefined): 'soft' | 'hard' | undefined {
  if (raw === undefined || raw === 'soft' || raw === 'hard') return raw;
  throw new UsageError(`--attention must be soft or hard, got "${raw}"`);
}

function freshSetup(text: string, given: Partial<TrainOptions>, presetName: string | undefined, attention: 'soft' | 'hard'): RunSetup {
  const preset = getPreset(presetName ?? 'tiny');
  const tokenizer = CharTokenizer.fromText(text);
  const options = resolveTrainOptions({
    steps: given.steps ?? 500,
    batchSize: given.batchSize ?? preset.batchSize,
    seed: given.seed ?? 1337,
    learningRate: given.learningRate ?? preset.learningRate,
    evalInterval: given.evalInterval ?? 50,
  });
  const model = Transformer.create({ ...presetConfig(preset.name, tokenizer.vocabSize), attentionMode: attention }, new Rng(options.seed));
  const mode = attention === 'hard' ? ', hard attention' : '';
  return { model, tokenizer, options, resume: null, label: `${preset.name} (${preset.description}${mode})` };
}

async function resumedSetup(
  checkpoint: string,
  text: string,
  given: Partial<TrainOptions>,
  model: { readonly preset?: string; readonly attention?: 'soft' | 'hard' },
  out: Output,
): Promise<RunSetup> {
  if (model.preset !== undefined) getPreset(model.preset); // an unknown name is a usage error before the file is read
  const r = await loadResumable(checkpoint, text, encodeIds, { options: given, ...model });
  if (r.note) {
    if (out.json) process.stderr.write(`attention-lens train: note: ${r.note}\n`);
    else out.line(`Note: ${r.note}`);
  }
  return { model: r.model, tokenizer: r.tokenizer, options: r.options, resume: r.training, label: r.label };
}

/**
 * The text's token ids without the tokenizer's span objects (about 100 bytes a character,
 * which on a 60 MB text exhausted the heap): a character tokenizer encodes each piece on its
 * own, so the text is encoded in chunks that never split a surrogate pair.
 */
function encodeIds(tokenizer: CharTokenizer, text: string): Int32Array {
  const CHUNK = 1 << 16;
  const parts: Int32Array[] = [];
  let total = 0;
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + CHUNK);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end++;
    const part = tokenizer.encode(text.slice(i, end)).ids;
    parts.push(part);
    total += part.length;
    i = end;
  }
  const ids = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    ids.set(p, at);
    at += p.length;
  }
  return ids;
}

/** Characters (code points) of a text: a surrogate pair, such as most emoji, is one. */
function characterCount(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff) n--;
  }
  return n;
}
