/**
 * The worker's `generate` call (what Generate from Cursor runs): stories260K continues an
 * empty text with llama2.c's greedy tokens, one `generatedToken` per token whose texts add up
 * to the decoded continuation; a cancel stops it early with reason 'cancelled'; the prompt is
 * the end of a text longer than the context, at least half a context of it; an encoder and bad options are refused.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Llama2cTokenizer } from '../../../src/engine/tokenizer/llama2cTokenizer';
import { loadTokenizerFile } from '../../../src/node/loadModel';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint, type Msg } from './harness';

interface GreedyCase {
  readonly prompt: string;
  readonly prompt_token_ids: number[];
  readonly generated_token_ids: number[];
}

const GENERATE = { type: 'generate', maxTokens: 30, temperature: 0, topP: 1, seed: 1, topK: 4 };

async function loadStories(ctx: Mocha.Context, h: Harness): Promise<void> {
  const bin = requireFixture(ctx, 'stories260K', 'stories260K.bin');
  const tok = requireFixture(ctx, 'stories260K', 'tok512.bin');
  await h.expect(h.request({ type: 'load', path: bin, tokenizerPath: tok }), 'modelLoaded');
}

describe('worker/generation', function () {
  this.timeout(60_000);

  it("stories260K from an empty text: llama2.c's greedy tokens, streamed with their texts, probabilities and alternatives", async function () {
    const h = new Harness();
    await loadStories(this, h);
    const ref = readFixtureJson<{ cases: GreedyCase[] }>(requireFixture(this, 'stories260K', 'greedy_generations.json'));
    const empty = ref.cases.find((c) => c.prompt === '')!;
    const id = h.request({ ...GENERATE, prompt: '' });
    const done = await h.expect(id, 'generationFinished');
    const tokens = h.of('generatedToken', id);
    assert.deepEqual(
      tokens.map((t) => t.tokenId),
      empty.generated_token_ids.slice(0, 30),
    );
    assert.deepEqual([done.reason, done.tokens, done.promptTokens], ['length', 30, 1]);
    const tokenizer = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(requireFixture(this, 'stories260K', 'tok512.bin'))));
    assert.equal(tokens.map((t) => t.text).join(''), tokenizer.decode(Int32Array.from([1, ...empty.generated_token_ids.slice(0, 30)])));
    for (const t of tokens) {
      assert.equal(t.alternatives.length, 4);
      assert.equal(t.alternatives[0]!.id, t.tokenId, 'greedy: the top alternative is the token');
      assert.equal(t.alternatives[0]!.prob, t.prob);
      assert.equal(t.alternatives[0]!.label, tokenizer.tokenLabel(t.tokenId));
    }
  });

  it('a cancel stops it after the token in flight, with reason cancelled and the tokens so far', async function () {
    const h = new Harness();
    await loadStories(this, h);
    const id = h.request({ ...GENERATE, prompt: 'Once upon a time', maxTokens: 200, temperature: 1 });
    await h.waitFor((m): m is Msg<'generatedToken'> => m.type === 'generatedToken' && m.id === id);
    h.send({ type: 'cancel', id: h.id(), target: id });
    const done = await h.expect(id, 'generationFinished');
    assert.equal(done.reason, 'cancelled');
    assert.ok(done.tokens < 200 && done.tokens >= 1, `${done.tokens} tokens`);
    assert.equal(new Set(h.of('generatedToken', id).map((t) => t.step)).size, done.tokens);
  });

  it('a generation that ends inside a character: the held bytes come at the end as U+FFFD, with the last token', async function () {
    // A random byte-level BPE model (tiny_random_gpt2: 1,000 tokens, a quarter of them single
    // bytes) often stops inside a character; the first seed that does is the case.
    const folder = requireFixture(this, 'tiny_random_gpt2');
    const tokenizer = await loadTokenizerFile(path.join(folder, 'tokenizer.json'));
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: folder, tokenizerPath: null }), 'modelLoaded');
    let found = false;
    for (let seed = 1; seed <= 200 && !found; seed++) {
      const id = h.request({ ...GENERATE, prompt: 'The', maxTokens: 4, temperature: 1, seed });
      await h.expect(id, 'generationFinished');
      const tokens = h.of('generatedToken', id);
      const steps = [...new Map(tokens.map((t) => [t.step, t.tokenId])).values()];
      const decoded = tokenizer.decode(Int32Array.from(steps));
      // Every generation's texts add up to its decoded tokens, whole characters or not.
      assert.equal(tokens.map((t) => t.text).join(''), decoded, `seed ${seed}`);
      if (!decoded.endsWith('\uFFFD')) continue;
      found = true;
      const lastTwo = tokens.slice(-2);
      assert.equal(lastTwo[0]!.step, lastTwo[1]!.step, 'the held text comes as the last token again');
      assert.ok(lastTwo[1]!.text.endsWith('\uFFFD'));
    }
    assert.ok(found, 'no seed in 200 ended inside a character');
  });

  it('a text longer than the context: the prompt is its last tokens, leaving room for maxTokens (at least half the context)', async () => {
    const dir = tempDir();
    try {
      const ckpt = path.join(dir, 'tiny.safetensors');
      writeCheckpoint(ckpt, 'tiny', SAMPLE_TEXT); // context 64
      const h = new Harness();
      await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
      const done = await h.expect(h.request({ ...GENERATE, prompt: SAMPLE_TEXT.repeat(3), maxTokens: 10 }), 'generationFinished');
      assert.deepEqual([done.reason, done.tokens, done.promptTokens], ['length', 10, 54]);
      // Asking for a context's worth keeps half the context as the prompt (not its last token),
      // and goes on until the context is full: positions 31 … 63 predict 33 tokens.
      const long = await h.expect(h.request({ ...GENERATE, prompt: SAMPLE_TEXT.repeat(3), maxTokens: 64 }), 'generationFinished');
      assert.deepEqual([long.reason, long.tokens, long.promptTokens], ['context', 33, 32]);
      const short = await h.expect(h.request({ ...GENERATE, prompt: 'the ', maxTokens: 200 }), 'generationFinished');
      assert.deepEqual([short.reason, short.tokens, short.promptTokens], ['context', 61, 4]);
      const bad = h.request({ ...GENERATE, prompt: 'the', topP: 0 });
      assert.match((await h.expectFailure(bad, 'bad-input')).message, /top-p must be in \(0, 1\]/);
      await h.expectFailure(h.request({ ...GENERATE, prompt: 'the', maxTokens: 0 }), 'bad-request');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
