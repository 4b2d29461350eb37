/**
 * The `attention-lens` command line: the engine from a terminal, for scripts, CI and
 * people without VS Code. Each subcommand lives in commands/; this file dispatches and
 * turns every failure into one readable line (or `{"error": {code, message}}` with --json)
 * and a non-zero exit code.
 */

import { CheckpointError } from '../engine';
import { HelpRequested, UsageError } from './args';
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
import { createOutput, jsonAscii, outputLostHandlerNow, printable } from './output';
import { startThreads, takeThreads, THREADED_COMMANDS } from './threads';
import { commandUsage, USAGE } from './usage';

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
    if (e instanceof HelpRequested) {
      out.line(commandUsage(name));
      return 0;
    }
    const code = errorCode(e);
    const message = e instanceof Error ? e.message : String(e);
    // Messages quote file names, tokenizer patterns and other untrusted text: control
    // characters in them are escaped so they cannot drive the terminal or split the line.
    if (json) process.stderr.write(jsonAscii(JSON.stringify({ error: { code, message } })) + '\n');
    else process.stderr.write(`attention-lens ${name}: ${printable(message)}${code === 'internal' && e instanceof Error && e.stack ? `\n${e.stack}` : ''}\n`);
    return code === 'usage' ? 2 : 1;
  }
}

/** A failed write of the output itself (a full disk behind `> file`): one line and exit 1, unless the command takes it over (output.ts). */
function onStdoutError(e: NodeJS.ErrnoException): void {
  const handler = outputLostHandlerNow();
  if (handler) return handler(e);
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
