/**
 * The worker's side of "Generate from Cursor": encodes the text before the cursor as the
 * document store does (tokenArrays.ts), keeps its last tokens (room for the new ones, at least
 * half the context), and runs the engine's generationSteps one token at a time, posting each token (the text it
 * adds, its probability, the top alternatives) and yielding to the event loop in between, so a
 * `cancel` from the host is seen before the next token. A cancelled run is not a failure: it
 * ends with reason 'cancelled' and what was generated stays.
 */

import { generationSteps, hasLmHead, isCausal, Rng, TokenTextStream, type GenerationEnd } from '../engine';
import type { CallProgress, CallRequest, GenerationEndReason, WorkerToHost } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import { WorkerError } from './errors';
import { encodeToArrays } from './tokenArrays';

export type GenerateRequest = CallRequest<'generate'> & { readonly id: number };

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs one generation request to its reply; `isCancelled` is polled between tokens. */
export async function runGeneration(r: GenerateRequest, m: ActiveModel, isCancelled: () => boolean, send: (message: WorkerToHost) => void): Promise<void> {
  const { model, tokenizer } = m;
  const cfg = model.config;
  if (!isCausal(cfg) || !hasLmHead(cfg)) {
    throw new WorkerError(
      'bad-input',
      `the active model (${m.source}) cannot generate text: it is ${isCausal(cfg) ? 'without a language-model head' : 'a bidirectional encoder'}`,
    );
  }
  if (!(r.temperature >= 0 && r.temperature <= 100)) throw new WorkerError('bad-input', `temperature must be from 0 to 100, got ${r.temperature}`);
  if (!(r.topP > 0 && r.topP <= 1)) throw new WorkerError('bad-input', `top-p must be in (0, 1], got ${r.topP}`);
  const ctx = cfg.contextLength;
  if (ctx < 2) throw new WorkerError('bad-input', `the model's context of ${ctx} token leaves no room to generate`);
  let ids = encodeToArrays(tokenizer, r.prompt).ids;
  // Nothing before the cursor: start from BOS (else end-of-text, else the first symbol), as the CLI does.
  if (ids.length === 0) ids = Int32Array.of(tokenizer.bosId ?? tokenizer.eosId ?? 0);
  // The prompt is the text's end: all the room the tokens asked for leave, and never less than
  // half the context (asking for a context's worth must continue the text, not its last
  // character); the generation then ends when the context is full (reason 'context').
  const keep = Math.min(ids.length, Math.max(ctx - r.maxTokens, Math.ceil(ctx / 2)));
  const prompt = ids.subarray(ids.length - keep);
  // llama2.c stops at BOS (its sequence delimiter), Hugging Face models at end-of-sequence.
  const stop = tokenizer.kind === 'llama2c' ? tokenizer.bosId : tokenizer.eosId;
  const steps = generationSteps(model, prompt, {
    maxTokens: r.maxTokens,
    temperature: r.temperature,
    topP: r.topP,
    rng: new Rng(r.seed),
    stopIds: stop !== null ? [stop] : [],
    vocabLimit: Math.min(tokenizer.vocabSize, cfg.vocabSize),
    topK: r.topK,
  });
  const generated: number[] = [];
  const stream = new TokenTextStream(tokenizer, prompt);
  let last: Omit<CallProgress<'generate'>, 'type' | 'id' | 'text'> | null = null;
  let reason: GenerationEndReason | null = null;
  for (;;) {
    if (isCancelled()) {
      reason = 'cancelled';
      break;
    }
    const next = steps.next();
    if (next.done) {
      reason = next.value satisfies GenerationEnd;
      break;
    }
    const s = next.value;
    generated.push(s.id);
    // The text this token adds ('' for a token that ends inside a character: it comes with the next).
    const text = stream.push(s.id);
    const alternatives = Array.from(s.topIds, (id, j) => ({ id, label: label(m, id), prob: s.topProbs[j]! }));
    last = { step: s.step, tokenId: s.id, prob: s.prob, alternatives };
    send({ type: 'generatedToken', id: r.id, ...last, text });
    await yieldToEventLoop();
  }
  // A generation that ends inside a character (its last tokens held their bytes back): that
  // text comes now, as U+FFFD, as the last token's again (the CLI prints it the same way).
  const tail = stream.flush();
  if (last && tail) send({ type: 'generatedToken', id: r.id, ...last, text: tail });
  send({ type: 'generationFinished', id: r.id, reason, tokens: generated.length, promptTokens: prompt.length });
}

function label(m: ActiveModel, id: number): string {
  return id < m.tokenizer.vocabSize ? m.tokenizer.tokenLabel(id) : `<id ${id}>`;
}
