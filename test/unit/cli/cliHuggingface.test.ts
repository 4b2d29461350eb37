/**
 * The command line on Hugging Face files, as a user and a script see it: real processes, the
 * JSON contract of ARCHITECTURE.md, exit codes. Oracles: HF tokenizers' reference encodings,
 * and llama2.c's run.c outputs for stories260K exported into an HF Llama folder.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseLlama2cCheckpoint } from '../../../src/engine/checkpoint/llama2c';
import { Llama2cTokenizer } from '../../../src/engine/tokenizer/llama2cTokenizer';
import { cli, jsonError, jsonLines, maxAbsDiff } from '../../helpers/cli';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';
import { writeLlamaFolder } from '../../helpers/hfExport';

interface Cases {
  cases: { text: string; token_ids: number[]; allowed_special?: 'all' | 'none' }[];
}
type TokenJson = { id: number; text: string; start: number; end: number };

describe('cli: attention-lens on Hugging Face files', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-cli-hf-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('tokenize', () => {
    it('tokenizer.json, vocab.json (+ merges.txt) and the folder encode the reference cases with spans; special tokens only with --allow-special', function () {
      const folder = requireFixture(this, 'gpt2_tokenizer');
      const ref = readFixtureJson<Cases>(path.join(folder, 'reference_encodings.json'));
      const picked = ref.cases.filter((c) => c.allowed_special || /注意力|🏳|DON'T|\r\n|return x/.test(c.text));
      assert.ok(picked.length >= 6);
      picked.forEach((c, i) => {
        const tok = [path.join(folder, 'tokenizer.json'), path.join(folder, 'vocab.json'), folder][i % 3]!;
        const [r] = jsonLines(cli('tokenize', '--tokenizer', tok, '--text', c.text, ...(c.allowed_special === 'all' ? ['--allow-special'] : []), '--json'));
        assert.deepEqual(r!.token_ids, c.token_ids, JSON.stringify(c.text));
        const tokens = r!.tokens as TokenJson[];
        assert.deepEqual(
          tokens.map((t) => t.id),
          c.token_ids,
        );
        for (const t of tokens) assert.ok(t.start <= t.end && t.end <= c.text.length);
      });
    });

    it('the tiny_random_gpt2 folder (its own vocabulary) encodes as HF tokenizers does', function () {
      const folder = requireFixture(this, 'tiny_random_gpt2');
      const ref = readFixtureJson<Cases>(path.join(folder, 'reference_encodings.json'));
      for (const c of ref.cases.slice(1, 4)) {
        const [r] = jsonLines(cli('tokenize', '--tokenizer', folder, '--text', c.text, '--json'));
        assert.deepEqual(r!.token_ids, c.token_ids, JSON.stringify(c.text));
      }
    });

    it('for people: a table with each token and its span', function () {
      const r = cli('tokenize', '--tokenizer', requireFixture(this, 'gpt2_tokenizer', 'tokenizer.json'), '--text', 'Hello 🙂');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /15496\s+Hello\s+0–5/);
      assert.match(r.stdout, /␣🙂\s+5–8/);
    });
  });

  describe('info, attention and generate on a Hugging Face model folder', () => {
    it('info --json on tiny_random_gpt2; for people it names the format and notes a bare GPT2Model', function () {
      const [r] = jsonLines(cli('info', '--checkpoint', requireFixture(this, 'tiny_random_gpt2'), '--json'));
      assert.deepEqual(r, {
        architecture: 'gpt',
        layers: 5,
        heads: 4,
        kv_heads: 4,
        d_model: 32,
        context: 512,
        vocab_size: 1000,
        parameters: 111968,
        weights_dtype: 'f32',
        weights_bytes: 111968 * 4,
        tokenizer: 'huggingface (1000 tokens)',
        causal: true,
        lm_head: true,
      });
      const people = cli('info', '--checkpoint', requireFixture(this, 'tiny_gpt2'));
      assert.equal(people.code, 0, people.stderr);
      assert.match(people.stdout, /huggingface: gpt2 \(GPT2Model\), F32 weights/);
      assert.match(people.stdout, /note\s+a bare GPT2Model/);
      assert.match(people.stdout, /weights dtype\s+f32\n.*weights bytes\s+\d+\.\d kB/);
    });

    it('attention --json on tiny_random_gpt2: [5][4][T][T] rows summing to 1, tokens with spans', function () {
      const text = 'attention is all you need';
      const [r] = jsonLines(cli('attention', '--checkpoint', requireFixture(this, 'tiny_random_gpt2'), '--text', text, '--json'));
      assert.deepEqual(r!.token_ids, [668, 242, 233, 301, 610, 407, 235, 707, 204]);
      const tokens = r!.tokens as TokenJson[];
      assert.equal(tokens.map((t) => text.slice(t.start, t.end)).join(''), text);
      const att = r!.attention as number[][][][];
      assert.deepEqual([att.length, att[0]!.length, att[0]![0]!.length], [5, 4, 9]);
      for (const row of att[4]![3]!) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    });

    describe('stories260K exported to a Hugging Face Llama folder', () => {
      let folder: string;
      const exported = (ctx: Mocha.Context): string => {
        if (!folder) {
          folder = path.join(dir, 'stories260K-hf');
          const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'stories260K.bin'))));
          const tok = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(requireFixture(ctx, 'stories260K', 'tok512.bin'))), 512);
          writeLlamaFolder(folder, model, 'F32', tok);
        }
        return folder;
      };

      it("attention --logits --json gives run.c's token ids, attention within 1e-4 and logits within 1e-3, and llama2.c's spans", function () {
        const hf = exported(this);
        const ref = readFixtureJson<{ prompt: string; token_ids: number[]; attention: number[][][][]; logits: number[][] }>(
          requireFixture(this, 'stories260K', 'attention_logits_tom_dog_newline.json'),
        );
        const [r] = jsonLines(cli('attention', '--checkpoint', hf, '--text', ref.prompt, '--logits', '--json'));
        assert.deepEqual(r!.token_ids, ref.token_ids);
        assert.ok(maxAbsDiff((r!.attention as number[][][][]).flat(3), ref.attention.flat(3)) <= 1e-4);
        assert.ok(maxAbsDiff((r!.logits as number[][]).flat(), ref.logits.flat()) <= 1e-3);
        const [l] = jsonLines(cli('tokenize', '--tokenizer', requireFixture(this, 'stories260K', 'tok512.bin'), '--text', ref.prompt, '--json'));
        const spans = (x: unknown): number[][] => (x as TokenJson[]).map((t) => [t.id, t.start, t.end]);
        assert.deepEqual(spans(r!.tokens), spans(l!.tokens));
      });

      it("generate --temperature 0 --json gives run.c's greedy token ids (the empty prompt included)", function () {
        const hf = exported(this);
        const ref = readFixtureJson<{ cases: { prompt: string; steps: number; prompt_token_ids: number[]; generated_token_ids: number[]; text: string }[] }>(
          requireFixture(this, 'stories260K', 'greedy_generations.json'),
        );
        for (const c of ref.cases) {
          const maxTokens = String(c.steps - c.prompt_token_ids.length + 1);
          const [r] = jsonLines(cli('generate', '--checkpoint', hf, '--prompt', c.prompt, '--max-tokens', maxTokens, '--temperature', '0', '--json'));
          assert.deepEqual(r!.prompt_token_ids, c.prompt_token_ids, c.prompt);
          assert.deepEqual(r!.generated_token_ids, c.generated_token_ids, c.prompt);
          assert.equal(r!.text, c.text, c.prompt);
        }
      });

      it('info --json: the llama architecture, GQA and 260,032 parameters', function () {
        const [r] = jsonLines(cli('info', '--checkpoint', path.join(exported(this), 'config.json'), '--json'));
        assert.deepEqual(r, {
          architecture: 'llama',
          layers: 5,
          heads: 8,
          kv_heads: 4,
          d_model: 64,
          context: 512,
          vocab_size: 512,
          parameters: 260032,
          weights_dtype: 'f32',
          weights_bytes: 260032 * 4,
          tokenizer: 'huggingface (512 tokens)',
          causal: true,
          lm_head: true,
        });
      });

      it('info --json of its BF16 and F16 copies: the matrices held 16-bit (2 bytes each), the norm vectors float32', function () {
        const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(requireFixture(this, 'stories260K', 'stories260K.bin'))));
        const tok = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(requireFixture(this, 'stories260K', 'tok512.bin'))), 512);
        // Five layers' two RMSNorm weights and the final one, 64 values each; every other parameter is in a matrix.
        const vectors = (2 * 5 + 1) * 64;
        for (const [dtype, name] of [
          ['BF16', 'bf16'],
          ['F16', 'f16'],
        ] as const) {
          const half = path.join(dir, `stories260K-hf-${name}`);
          writeLlamaFolder(half, model, dtype, tok);
          const [r] = jsonLines(cli('info', '--checkpoint', half, '--json'));
          assert.equal(r!.weights_dtype, `${name}+f32`);
          assert.equal(r!.weights_bytes, 2 * (260032 - vectors) + 4 * vectors);
        }
      });
    });
  });

  describe('errors: one readable line, {"error": {code, message}} with --json, non-zero exit', () => {
    it('attention --out never writes over a file of the model folder it reads (by name, through a symlink, or a hard link of one)', function () {
      const source = requireFixture(this, 'tiny_random_gpt2');
      const folder = path.join(dir, 'own-gpt2');
      fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
      for (const f of fs.readdirSync(source)) fs.copyFileSync(path.join(source, f), path.join(folder, f));
      const weights = path.join(folder, 'model.safetensors');
      const before = fs.readFileSync(weights);
      fs.symlinkSync(weights, path.join(dir, 'weights-link.safetensors'));
      fs.linkSync(weights, path.join(dir, 'weights-hard.safetensors'));
      fs.copyFileSync(weights, path.join(folder, 'sub', 'shard.safetensors'));
      for (const out of [
        weights,
        path.join(dir, 'weights-link.safetensors'),
        path.join(dir, 'weights-hard.safetensors'),
        path.join(folder, 'sub', 'shard.safetensors'),
      ]) {
        const r = cli('attention', '--checkpoint', folder, '--text', 'hi', '--json', '--out', out);
        assert.equal(r.code, 2, `${out}: ${r.stdout}${r.stderr}`);
        assert.match(jsonError(r).message, /is the file .+ of the input folder .+own-gpt2; writing it would destroy the input/);
      }
      assert.deepEqual(fs.readFileSync(weights), before);
      // A new file in the folder destroys nothing.
      const fresh = path.join(folder, 'attention.safetensors');
      assert.equal(cli('attention', '--checkpoint', folder, '--text', 'hi', '--json', '--out', fresh).code, 0);
      assert.ok(fs.statSync(fresh).size > 0);
    });

    it('PyTorch weights, an unsupported architecture, a tokenizer of another vocabulary, an unknown tokenizer file', function () {
      const pt = path.join(dir, 'pytorch');
      fs.mkdirSync(pt);
      fs.copyFileSync(requireFixture(this, 'tiny_random_gpt2', 'config.json'), path.join(pt, 'config.json'));
      fs.writeFileSync(path.join(pt, 'pytorch_model.bin'), Buffer.from('PK\x03\x04'));
      let e = jsonError(cli('info', '--checkpoint', pt, '--json'));
      assert.equal(e.code, 'checkpoint');
      assert.match(e.message, /pytorch_model\.bin holds PyTorch pickle weights, which are not supported .*model\.safetensors/);

      const neox = path.join(dir, 'neox');
      fs.mkdirSync(neox);
      fs.writeFileSync(path.join(neox, 'config.json'), JSON.stringify({ model_type: 't5', architectures: ['T5ForConditionalGeneration'] }));
      fs.copyFileSync(requireFixture(this, 'tiny_random_gpt2', 'model.safetensors'), path.join(neox, 'model.safetensors'));
      e = jsonError(cli('attention', '--checkpoint', neox, '--tokenizer', requireFixture(this, 'tiny_random_gpt2'), '--text', 'hi', '--json'));
      assert.match(
        e.message,
        /model_type string "t5" \(architectures T5ForConditionalGeneration\) is not supported; supported: "gpt2", "llama", "gpt_neox", "qwen2", "bert"/,
      );

      e = jsonError(
        cli(
          'info',
          '--checkpoint',
          requireFixture(this, 'tiny_random_gpt2'),
          '--tokenizer',
          requireFixture(this, 'gpt2_tokenizer', 'tokenizer.json'),
          '--json',
        ),
      );
      assert.match(e.message, /the tokenizer has 50257 tokens but the model's vocabulary \(config\.json vocab_size\) is 1000/);

      const r = cli('tokenize', '--tokenizer', requireFixture(this, 'tiny_gpt2_golden', 'model.safetensors'), '--text', 'x');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^attention-lens tokenize: .+\n$/);
      e = jsonError(cli('tokenize', '--tokenizer', path.join(dir, 'missing.json'), '--text', 'x', '--json'));
      assert.match(e.message, /missing\.json: no such file/);
    });
  });
});
