/**
 * `attention-lens generate`: continues a prompt. Temperature 0 is greedy decoding and
 * reproduces llama2.c's `run -t 0` token for token.
 */

import { generate, Rng } from '../../engine';
import { intOption, numberOption, parseArgs, requiredValue } from '../args';
import type { Output } from '../output';
import { openModel, TextTooLongError } from './model';

export const GENERATE_OPTIONS = { values: ['checkpoint', 'tokenizer', 'prompt', 'max-tokens', 'temperature', 'seed'], flags: ['json'] };

export async function generateCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, GENERATE_OPTIONS);
  const prompt = requiredValue(args, 'prompt');
  const maxTokens = intOption(args, 'max-tokens', 0, 1_000_000) ?? 100;
  const temperature = numberOption(args, 'temperature', 0, 100) ?? 1;
  const { model, tokenizer } = await openModel(args, out);
  let promptIds = tokenizer.encode(prompt).ids;
  if (promptIds.length === 0) {
    // Nothing to condition on: start from the tokenizer's BOS, else its end-of-text token
    // (GPT-2 uses <|endoftext|> as both), else its first symbol.
    promptIds = Int32Array.of(tokenizer.bosId ?? tokenizer.eosId ?? 0);
  }
  if (promptIds.length > model.config.contextLength) throw new TextTooLongError(promptIds.length, model.config.contextLength);
  // llama2.c's run.c stops when the model emits BOS (its sequence delimiter); Hugging Face
  // models stop at their end-of-sequence token.
  const stop = tokenizer.kind === 'llama2c' ? tokenizer.bosId : tokenizer.eosId;
  const stopIds = stop !== null ? [stop] : [];
  if (!out.json) process.stdout.write(prompt);
  const generated: number[] = [];
  generate(model, promptIds, {
    maxTokens,
    temperature,
    rng: new Rng(intOption(args, 'seed', 0, 2 ** 32 - 1) ?? 1337),
    stopIds,
    onToken: (id) => {
      if (!out.json) {
        const before = tokenizer.decode(Int32Array.from([...promptIds, ...generated]));
        generated.push(id);
        process.stdout.write(tokenizer.decode(Int32Array.from([...promptIds, ...generated])).slice(before.length));
      } else {
        generated.push(id);
      }
    },
  });
  const all = Int32Array.from([...promptIds, ...generated]);
  if (out.json) out.jsonLine({ prompt_token_ids: Array.from(promptIds), generated_token_ids: generated, text: tokenizer.decode(all) });
  else out.line();
}
