/**
 * `attention-lens train <file...>`: trains a preset on the files' text with a character
 * tokenizer and writes a native checkpoint. Ctrl-C stops after the current step and still
 * saves; a diverging run saves its last good state and exits non-zero.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { serializeCheckpoint, getPreset, presetConfig, Transformer, Rng, CharTokenizer, resolveTrainOptions, Trainer } from '../../engine';
import { writeFileAtomic } from '../../node/atomicWrite';
import { intOption, numberOption, parseArgs, UsageError } from '../args';
import { readTextFile } from '../inputText';
import type { Output } from '../output';

export const TRAIN_OPTIONS = { values: ['preset', 'steps', 'batch', 'seed', 'out', 'lr', 'eval-interval'], flags: ['json'] };

export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

export async function trainCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, TRAIN_OPTIONS);
  if (args.positional.length === 0) throw new UsageError('train needs at least one text file: attention-lens train <file...>');
  const preset = getPreset(args.values.get('preset') ?? 'tiny');
  const outPath = path.resolve(args.values.get('out') ?? 'model.safetensors');
  checkWritable(outPath);

  const text = args.positional.map(readTextFile).join('\n');
  if (text.length === 0) throw new UsageError('the input files are empty: there is nothing to train on');
  const tokenizer = CharTokenizer.fromText(text);
  const options = resolveTrainOptions({
    steps: intOption(args, 'steps', 1, 10_000_000) ?? 500,
    batchSize: intOption(args, 'batch', 1, 4096) ?? preset.batchSize,
    seed: intOption(args, 'seed', 0, 2 ** 32 - 1) ?? 1337,
    learningRate: numberOption(args, 'lr', 0, 10) ?? preset.learningRate,
    evalInterval: intOption(args, 'eval-interval', 1, 10_000_000) ?? 50,
  });
  const model = Transformer.create(presetConfig(preset.name, tokenizer.vocabSize), new Rng(options.seed));
  const trainer = new Trainer(model, tokenizer.encode(text).ids, options);

  if (!out.json) {
    out.line(`Training ${preset.name} (${preset.description}) on ${text.length} characters, ${tokenizer.vocabSize} symbols, ${trainer.data.train.length} training / ${trainer.data.validation.length} validation tokens, window ${trainer.data.T}`);
  }
  const cancellation = { isCancellationRequested: false };
  const onSigint = (): void => {
    cancellation.isCancellationRequested = true;
  };
  process.on('SIGINT', onSigint);
  let result;
  try {
    result = await trainer.run({
      cancellation,
      yieldControl: () => new Promise((resolve) => setImmediate(resolve)),
      onStep: (m) => {
        if (out.json) out.jsonLine({ step: m.step, loss: m.loss, lr: m.lr, grad_norm: m.gradNorm, tokens_per_s: Math.round(m.tokensPerSecond) });
        else out.progress(m.step, options.steps, `loss ${m.loss.toFixed(4)}  ${Math.round(m.tokensPerSecond)} tok/s`);
      },
      onEval: (e) => {
        if (out.json) out.jsonLine({ step: e.step, val_loss: e.valLoss, val_accuracy: e.valAccuracy });
        else {
          out.endProgress();
          out.line(`step ${e.step}: test loss ${e.valLoss.toFixed(4)}, test accuracy ${(100 * e.valAccuracy).toFixed(1)} %, perplexity ${e.valPerplexity.toFixed(2)}`);
        }
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    out.endProgress();
  }
  await writeFileAtomic(outPath, serializeCheckpoint(model, tokenizer.toJSON(), { options, state: trainer.snapshot() }));
  if (result.reason === 'diverged') {
    throw new TrainingDivergedError(`${result.message}; saved the last good state to ${outPath}`);
  }
  if (out.json) out.jsonLine({ done: true, checkpoint: outPath });
  else out.line(`${result.reason === 'cancelled' ? `Stopped at step ${result.step}; saved` : 'Saved'} checkpoint to ${outPath}`);
}

/** Fails before any training when the checkpoint could not be written afterwards. */
function checkWritable(file: string): void {
  const dir = path.dirname(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new UsageError(`cannot write ${file}: the folder ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new UsageError(`cannot write ${file}: ${dir} is not a folder`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${file}: the folder ${dir} is not writable`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`cannot write ${file}: it is a folder`);
}
