/**
 * `attention-lens tokenize`: how a tokenizer splits a text, with each token's span. TOK is a
 * llama2.c tokenizer `.bin`, a Hugging Face `tokenizer.json` (or `vocab.json` + `merges.txt`
 * beside it), a model folder, or a checkpoint whose tokenizer is used.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '../../engine';
import { loadModel, loadTokenizerFile } from '../../node/loadModel';
import { parseArgs, requiredValue, UsageError } from '../args';
import { inputEncoding } from '../inputText';
import { table, visibleToken, type Output } from '../output';
import { tokensJson } from './model';

/**
 * Most tokens one run lists: each token is an object of ~100 bytes in memory and ~50 in the JSON,
 * so a 64 MB text of one-character tokens would take gigabytes. Checked before the whole text is
 * encoded (inputEncoding probes prefixes first).
 */
export const MAX_TOKENIZE_TOKENS = 1 << 20;

export const TOKENIZE_OPTIONS = { values: ['tokenizer', 'text', 'file', 'ids'], flags: ['json', 'allow-special'] };

async function openTokenizer(file: string): Promise<Tokenizer> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.safetensors') return (await loadModel(file)).tokenizer;
  if (ext === '.bin' || ext === '.json' || ext === '.txt') return loadTokenizerFile(file);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return loadTokenizerFile(file);
  throw new UsageError(
    `don't know how to read tokenizer ${file}: expected a llama2.c tokenizer .bin, a Hugging Face tokenizer.json (or vocab.json + merges.txt), a model folder, or a .safetensors checkpoint`,
  );
}

export async function tokenizeCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, TOKENIZE_OPTIONS);
  const tokenizer = await openTokenizer(requiredValue(args, 'tokenizer'));
  const enc = inputEncoding(
    args,
    tokenizer,
    { allowSpecial: args.flags.has('allow-special') },
    MAX_TOKENIZE_TOKENS,
    `tokenize lists at most ${MAX_TOKENIZE_TOKENS} tokens at once: split the text`,
  );
  if (out.json) {
    out.jsonLine({ token_ids: Array.from(enc.ids), tokens: tokensJson(enc) });
    return;
  }
  out.line(
    table(
      ['#', 'id', 'token', 'span'],
      enc.tokens.map((t, i) => [i, t.id, visibleToken(t.text), `${t.start}–${t.end}`]),
    ),
  );
}
