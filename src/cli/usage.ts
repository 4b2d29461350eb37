/**
 * The command line's usage text: one line per command (`attention-lens CMD --help` prints its
 * own with the notes that apply to it), and the whole of it for `attention-lens --help`. A test
 * checks that every option a command accepts is on its line.
 */

import { SUPPORTED_MODEL_TYPES } from '../engine';
import { CHECKPOINT_FORMATS, listFormats } from '../protocol/checkpointFormats';

const INPUT = '(--text STR | --file PATH | --ids 3,1,4) [--allow-special]';

/** Each command's synopsis, in the order `--help` lists them. */
export const COMMAND_LINES: Readonly<Record<string, string>> = {
  train:
    'train <file...> [--preset seed|tiny|small] [--steps N] [--batch B] [--seed S] [--lr LR] [--eval-interval N] [--out CKPT.safetensors] [--best-out BEST.safetensors] [--max-memory MB] [--attention soft|hard] [--until K] [--resume CKPT] [--snapshot-every N] [--json]',
  attention: `attention --checkpoint CKPT [--tokenizer TOK] ${INPUT} [--token-types 0,0,1] [--logits] [--stride S] [--out FILE.safetensors] [--json]`,
  generate:
    'generate --checkpoint CKPT [--tokenizer TOK] (--prompt STR | --ids 3,1,4) --max-tokens N [--temperature T] [--top-p P] [--seed S] [--attention [--top K]] [--json]',
  heads: `heads --checkpoint CKPT [--tokenizer TOK] ${INPUT} [--token-types 0,0,1] [--stride S] [--rule offset:K|copy:K|match:REGEX|position:P [--method mul|abs]] [--json]`,
  info: 'info --checkpoint CKPT [--tokenizer TOK] [--json]',
  tokenize: 'tokenize --tokenizer TOK (--text STR | --file PATH | --ids 3,1,4) [--allow-special] [--json]',
  surprisal: `surprisal --checkpoint CKPT [--tokenizer TOK] ${INPUT} [--stride S] [--top K] [--json]`,
  lens: `lens --checkpoint CKPT [--tokenizer TOK] ${INPUT} [--stride S] --position I [--top K] [--json]`,
  ablate: `ablate --checkpoint CKPT [--tokenizer TOK] ${INPUT} [--stride S] (--heads L.H[,L.H…] [--mode zero|mean] | --sweep --position I) [--json]`,
  attribute: `attribute --checkpoint CKPT [--tokenizer TOK] ${INPUT} [--stride S] --position I [--method ig|grad] [--steps N] [--target ID] [--json]`,
};

const THREADS = "Every command that runs the model takes --threads N: compute threads (1: one; default: the machine's cores, at most 4).";
const WINDOWS = `A text longer than the model's context is read in sliding windows (--stride S, default half the context; at most the context,
and for the commands that read predictions the context less one, so every token is predicted in its window); heads then gives
each head the mean of its scores in the windows, weighted by the number of query positions (tokens) each window scores.`;
const FILES = `CKPT is ${listFormats(CHECKPOINT_FORMATS, true)};
Hugging Face model types: ${SUPPORTED_MODEL_TYPES.join(', ')}. A folder without a tokenizer takes token ids: --ids.
TOK is a llama2.c tokenizer .bin, a Hugging Face tokenizer.json (or vocab.json + merges.txt), or a model folder.`;

export const USAGE = `attention-lens — train small transformers and look at their attention

${Object.values(COMMAND_LINES)
  .map((line) => `  attention-lens ${line}`)
  .join('\n')}

${THREADS}
${WINDOWS}
${FILES}`;

/** `attention-lens NAME --help`: its synopsis and the notes that concern it. */
export function commandUsage(name: string): string {
  const line = COMMAND_LINES[name];
  if (line === undefined) return USAGE;
  const notes =
    name === 'tokenize' || name === 'info' ? [FILES] : name === 'train' ? [THREADS] : name === 'generate' ? [THREADS, FILES] : [THREADS, WINDOWS, FILES];
  return `usage: attention-lens ${line}\n\n${notes.join('\n')}`;
}
