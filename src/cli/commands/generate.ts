/**
 * `attention-lens generate`: continues a prompt (--prompt text, or --ids for a model without a
 * tokenizer). Temperature 0 is greedy decoding and reproduces llama2.c's `run -t 0` token for
 * token. Only causal models with an LM head generate; an encoder is refused by name.
 */

import { generate, generationLimit, Rng, hasLmHead, isCausal, TokenTextStream } from '../../engine';
import { intOption, numberOption, parseArgs, UsageError } from '../args';
import { parseIds } from '../inputText';
import { LiveText } from '../liveText';
import { printableText, type Output } from '../output';
import { topOption } from './analysisInput';
import { generateWithAttention } from './generateAttention';
import { encodeWithinContext, openModel, TextTooLongError } from './model';

export const GENERATE_OPTIONS = {
  values: ['checkpoint', 'tokenizer', 'prompt', 'ids', 'max-tokens', 'temperature', 'seed', 'top-p', 'top'],
  flags: ['json', 'attention'],
};

export async function generateCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, GENERATE_OPTIONS);
  const rawIds = args.values.get('ids');
  if ((args.values.get('prompt') === undefined) === (rawIds === undefined)) throw new UsageError('give exactly one of --prompt STR or --ids 3,1,4');
  const maxTokens = intOption(args, 'max-tokens', 0, 1_000_000) ?? 100;
  const temperature = numberOption(args, 'temperature', 0, 100) ?? 1;
  const topP = numberOption(args, 'top-p', Number.MIN_VALUE, 1) ?? 1;
  const withAttention = args.flags.has('attention');
  if (args.values.has('top') && !withAttention) throw new UsageError('--top K lists alternatives per token: it goes with --attention');
  const { model, tokenizer } = await openModel(args, out);
  if (!isCausal(model.config) || !hasLmHead(model.config)) {
    throw new UsageError(
      `this model cannot generate text: ${isCausal(model.config) ? 'it has no language-model head' : 'it is a bidirectional encoder (every token sees every other), not a left-to-right decoder'}`,
    );
  }
  let promptIds =
    rawIds !== undefined
      ? parseIds(rawIds, model.config.vocabSize)
      : encodeWithinContext(tokenizer, args.values.get('prompt') ?? '', model.config.contextLength).ids;
  const prompt = args.values.get('prompt') ?? tokenizer.decode(promptIds);
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
  if (!out.json) process.stdout.write(printableText(prompt));
  const seed = intOption(args, 'seed', 0, 2 ** 32 - 1) ?? 1337;
  const vocabLimit = Math.min(tokenizer.vocabSize, model.config.vocabSize);
  const generated: number[] = [];
  if (withAttention || topP < 1) {
    const topK = topOption(args);
    // Nucleus sampling goes through the step-wise path, which prints per-token lines only when asked.
    const input = { model, tokenizer, promptIds, maxTokens, temperature, topP, seed, stopIds, vocabLimit, topK, trace: withAttention };
    generated.push(...generateWithAttention(input, out));
  } else {
    const stream = new TokenTextStream(tokenizer, promptIds);
    const live = new LiveText();
    generate(model, promptIds, {
      maxTokens,
      temperature,
      rng: new Rng(seed),
      stopIds,
      // A padded model vocabulary (50304 rows for GPT-2's 50257 tokens): never emit a padding id.
      vocabLimit,
      onToken: (id) => {
        generated.push(id);
        if (!out.json) live.add(printableText(stream.push(id)));
      },
    });
    if (!out.json) live.add(printableText(stream.flush()));
    live.flush();
  }
  // The text as people see it: the prompt as given (a character the tokenizer lacks stays itself,
  // not its unknown token's text) and what the generated tokens add to it.
  const continuation = new TokenTextStream(tokenizer, promptIds);
  const text = prompt + generated.map((id) => continuation.push(id)).join('') + continuation.flush();
  // Fewer tokens than asked, cut by the context rather than a stop token: say so.
  const limit = generationLimit(model.config.contextLength, promptIds.length);
  const atContext = maxTokens > limit && generated.length === limit;
  if (out.json)
    out.jsonLine({
      prompt_token_ids: Array.from(promptIds),
      generated_token_ids: generated,
      text,
      ...(atContext ? { stopped: 'context' } : {}),
    });
  else out.line();
  if (atContext && !out.json)
    process.stderr.write(
      `stopped at the model's context of ${model.config.contextLength} tokens: ${generated.length} tokens generated after the ${promptIds.length}-token prompt, ${maxTokens} asked\n`,
    );
}
