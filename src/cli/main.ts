/**
 * The `attention-lens` command line: the engine from a terminal, for scripts, CI and
 * people without VS Code. Each subcommand lives in commands/; this file dispatches and
 * turns every failure into one readable line (or `{"error": {code, message}}` with --json)
 * and a non-zero exit code.
 */

import { CheckpointError, SUPPORTED_MODEL_TYPES } from '../engine';
import { CHECKPOINT_FORMATS, listFormats } from '../protocol/checkpointFormats';
import { UsageError } from './args';
import { ablateCommand } from './commands/ablate';
import { attentionCommand } from './commands/attention';
import { attributeCommand } from './commands/attribute';
import { generateCommand } from './commands/generate';
import { headsCommand } from './commands/heads';
import { infoCommand } from './commands/info';
import { lensCommand } from './commands/lens';
import { surprisalCommand } from './commands/surprisal';
import { tokenizeCommand } from './commands/tokenize';
import { trainCommand, TrainingDivergedError } from './commands/train';
import { enableRelaxedSimd } from '../node/relaxedSimd';
import { createOutput, jsonAscii, printable } from './output';
import { startThreads, takeThreads, THREADED_COMMANDS } from './threads';

const USAGE = `attention-lens — train small transformers and look at their attention

  attention-lens train <file...> [--preset seed|tiny|small] [--steps N] [--batch B] [--seed S] [--lr LR] [--out CKPT.safetensors] [--best-out BEST.safetensors] [--max-memory MB] [--attention soft|hard] [--until K] [--resume CKPT] [--snapshot-every N] [--json]
  attention-lens attention --checkpoint CKPT [--tokenizer TOK] (--text STR | --file PATH | --ids 3,1,4) [--token-types 0,0,1] [--logits] [--stride S] [--out FILE.safetensors] [--json]
  attention-lens generate --checkpoint CKPT [--tokenizer TOK] (--prompt STR | --ids 3,1,4) --max-tokens N [--temperature T] [--top-p P] [--seed S] [--attention [--top K]] [--json]
  attention-lens heads --checkpoint CKPT [--tokenizer TOK] (--text STR | --file PATH | --ids 3,1,4) [--token-types 0,0,1] [--stride S] [--rule offset:K|copy:K|match:REGEX|position:P [--method mul|abs]] [--json]
  attention-lens info --checkpoint CKPT [--tokenizer TOK] [--json]
  attention-lens tokenize --tokenizer TOK (--text STR | --file PATH | --ids 3,1,4) [--json]
  attention-lens surprisal --checkpoint CKPT [--tokenizer TOK] (--text STR | --file PATH | --ids 3,1,4) [--stride S] [--top K] [--json]
  attention-lens lens --checkpoint CKPT [--tokenizer TOK] (--text STR | --file PATH | --ids 3,1,4) [--stride S] --position I [--top K] [--json]
  attention-lens ablate --checkpoint CKPT [--tokenizer TOK] (--text STR | --file PATH | --ids 3,1,4) [--stride S] (--heads L.H[,L.H…] [--mode zero|mean] | --sweep --position I) [--json]
  attention-lens attribute --checkpoint CKPT [--tokenizer TOK] (--text STR | --file PATH | --ids 3,1,4) [--stride S] --position I [--method ig|grad] [--steps N] [--target ID] [--json]

Every command that runs the model takes --threads N: compute threads (1: one; default: the machine's cores, at most 4).
A text longer than the model's context is read in sliding windows (--stride S, default half the context); heads then gives each
head the mean of its scores in the windows, weighted by the number of query positions (tokens) each window scores.
CKPT is ${listFormats(CHECKPOINT_FORMATS, true)};
Hugging Face model types: ${SUPPORTED_MODEL_TYPES.join(', ')}. A folder without a tokenizer takes token ids: --ids.
TOK is a llama2.c tokenizer .bin, a Hugging Face tokenizer.json (or vocab.json + merges.txt), or a model folder.`;

/** A command returns its exit code when that is not 0 (an interrupted run: 130). */
type Command = (argv: readonly string[], out: ReturnType<typeof createOutput>) => void | number | Promise<void | number>;

const COMMANDS: Record<string, Command> = {
  train: trainCommand,
  attention: attentionCommand,
  generate: generateCommand,
  heads: headsCommand,
  info: infoCommand,
  tokenize: tokenizeCommand,
  surprisal: surprisalCommand,
  lens: lensCommand,
  ablate: ablateCommand,
  attribute: attributeCommand,
};

/** A stable, coarse error code for the JSON contract. */
export function errorCode(e: unknown): string {
  if (e instanceof UsageError) return 'usage';
  if (e instanceof CheckpointError) return 'checkpoint';
  if (e instanceof TrainingDivergedError) return 'diverged';
  const name = e instanceof Error ? e.name : '';
  if (/SaveFailed|AtomicWrite|FileRead|FileTooLarge|OutputWrite/.test(name)) return 'io';
  if (/Tokenizer/.test(name)) return 'tokenizer';
  if (/ModelFile|InputText/.test(name)) return 'input';
  if (/Config|Shape|Range|Dataset|TrainOptions|Preset|Generate|TextTooLong|TokenId|Position|HeadRef|AttributionTarget|NoLmHead|Memory|Resume/.test(name))
    return 'invalid';
  return 'internal';
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json');
  const out = createOutput(json);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out.line(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  try {
    if (!command || !Object.prototype.hasOwnProperty.call(COMMANDS, name))
      throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    if (!THREADED_COMMANDS.has(name)) return (await command(rest, out)) ?? 0;
    const { threads, rest: args } = takeThreads(rest);
    const stopThreads = startThreads(threads, (line) => process.stderr.write(`attention-lens ${name}: ${line}\n`));
    try {
      return (await command(args, out)) ?? 0;
    } finally {
      stopThreads();
    }
  } catch (e) {
    const code = errorCode(e);
    const message = e instanceof Error ? e.message : String(e);
    // Messages quote file names, tokenizer patterns and other untrusted text: control
    // characters in them are escaped so they cannot drive the terminal or split the line.
    if (json) process.stderr.write(jsonAscii(JSON.stringify({ error: { code, message } })) + '\n');
    else process.stderr.write(`attention-lens ${name}: ${printable(message)}${code === 'internal' && e instanceof Error && e.stack ? `\n${e.stack}` : ''}\n`);
    return code === 'usage' ? 2 : 1;
  }
}

/** A failed write of the output itself (a full disk behind `> file`): one line and exit 1. */
function onStdoutError(e: NodeJS.ErrnoException): never {
  // `attention-lens … | head`: a reader that stops reading is not an error.
  if (e.code === 'EPIPE') process.exit(0);
  const reason = e.code === 'ENOSPC' ? 'no space left on the device (ENOSPC)' : printable(e.message);
  try {
    process.stderr.write(`attention-lens: cannot write the output: ${reason}\n`);
  } catch {
    // stderr is gone too: the exit code is all that is left.
  }
  process.exit(1);
}

if (require.main === module) {
  enableRelaxedSimd();
  process.stdout.on('error', onStdoutError);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (
        e !== null &&
        typeof e === 'object' &&
        typeof (e as NodeJS.ErrnoException).syscall === 'string' &&
        /write/.test(String((e as NodeJS.ErrnoException).syscall))
      )
        onStdoutError(e as NodeJS.ErrnoException);
      process.stderr.write(`attention-lens: ${printable(String(e))}\n`);
      process.exitCode = 1;
    },
  );
}
