/**
 * The command line as a user and a script see it: real processes, the JSON contract of
 * ARCHITECTURE.md, exit codes, and the reference outputs of llama2.c for stories260K.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, jsonLines, maxAbsDiff } from '../../helpers/cli';
import { engineSourceText } from '../../helpers/corpus';
import { readFixtureJson, requireFixture } from '../../helpers/fixtures';

describe('cli: attention-lens', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('train → attention → generate on a 100 KB text', () => {
    let ckpt: string;
    const corpus = (): string => {
      const f = path.join(dir, 'corpus.txt');
      if (!fs.existsSync(f)) fs.writeFileSync(f, engineSourceText(100_000));
      return f;
    };

    it('train --json streams step and evaluation lines, then {"done": true, "checkpoint"}', () => {
      ckpt = path.join(dir, 'model.safetensors');
      const lines = jsonLines(
        cli('train', corpus(), '--preset', 'tiny', '--steps', '6', '--batch', '2', '--eval-interval', '3', '--seed', '3', '--out', ckpt, '--json'),
      );
      const steps = lines.filter((l) => 'loss' in l);
      const evals = lines.filter((l) => 'val_loss' in l);
      assert.deepEqual(
        steps.map((s) => s.step),
        [1, 2, 3, 4, 5, 6],
      );
      for (const s of steps) assert.deepEqual(Object.keys(s).sort(), ['grad_norm', 'loss', 'lr', 'step', 'tokens_per_s']);
      assert.deepEqual(
        evals.map((e) => e.step),
        [3, 6],
      );
      for (const e of evals) assert.deepEqual(Object.keys(e).sort(), ['step', 'val_accuracy', 'val_loss']);
      assert.deepEqual(lines[lines.length - 1], { done: true, checkpoint: ckpt });
      assert.ok(fs.statSync(ckpt).size > 100_000);
    });

    it('attention --json loads it: tokens with spans, [L][H][T][T] rows summing to 1, logits [T][V]', () => {
      const text = 'let 🙂 = x;';
      const [r] = jsonLines(cli('attention', '--checkpoint', ckpt, '--text', text, '--logits', '--json'));
      const tokens = r!.tokens as { id: number; text: string; start: number; end: number }[];
      assert.equal(tokens.length, [...text].length);
      assert.equal(tokens.map((t) => text.slice(t.start, t.end)).join(''), text);
      assert.equal(tokens[4]!.end - tokens[4]!.start, 2, 'the emoji is one token spanning its surrogate pair');
      assert.deepEqual([r!.layers, r!.heads], [2, 2]);
      const att = r!.attention as number[][][][];
      const T = tokens.length;
      assert.deepEqual([att.length, att[0]!.length, att[0]![0]!.length, att[0]![0]![0]!.length], [2, 2, T, T]);
      for (const row of att[1]![1]!) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal((r!.logits as number[][]).length, T);
    });

    it('generate --json loads it and continues the prompt', () => {
      const [r] = jsonLines(cli('generate', '--checkpoint', ckpt, '--prompt', 'export ', '--max-tokens', '12', '--temperature', '0.7', '--json'));
      assert.equal((r!.prompt_token_ids as number[]).length, 7);
      assert.equal((r!.generated_token_ids as number[]).length, 12);
      assert.ok((r!.text as string).startsWith('export '));
      // A character the model never saw: the JSON text is what people see, the prompt as typed.
      const prompt = 'ǂ export ';
      const [u] = jsonLines(cli('generate', '--checkpoint', ckpt, '--prompt', prompt, '--max-tokens', '6', '--temperature', '0', '--json'));
      const people = cli('generate', '--checkpoint', ckpt, '--prompt', prompt, '--max-tokens', '6', '--temperature', '0');
      assert.equal(people.code, 0, people.stderr);
      assert.equal(`${u!.text as string}\n`, people.stdout);
      assert.ok((u!.text as string).startsWith(prompt));
    });

    it('info --json describes the model', () => {
      const [r] = jsonLines(cli('info', '--checkpoint', ckpt, '--json'));
      assert.deepEqual(Object.keys(r!).sort(), [
        'architecture',
        'causal',
        'context',
        'd_model',
        'heads',
        'kv_heads',
        'layers',
        'lm_head',
        'parameters',
        'tokenizer',
        'vocab_size',
        'weights_bytes',
        'weights_dtype',
      ]);
      assert.equal(r!.architecture, 'gpt');
      assert.equal(r!.weights_dtype, 'f32');
      assert.equal(r!.weights_bytes, (r!.parameters as number) * 4);
    });

    it('people get a progress display and readable lines, not JSON', () => {
      const run = cli('train', corpus(), '--steps', '2', '--batch', '1', '--out', path.join(dir, 'h.safetensors'));
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Training tiny .* characters/);
      assert.match(run.stdout, /test loss .* test accuracy/);
      assert.match(run.stderr, /2\/2 loss/);
    });
  });

  describe('bad input: a clear message, a non-zero exit, nothing good overwritten', () => {
    it('unknown preset, unknown option, missing folder for --out', () => {
      const f = path.join(dir, 'short.txt');
      fs.writeFileSync(f, 'hello world, hello attention');
      const preset = cli('train', f, '--preset', 'gigantic');
      assert.equal(preset.code, 2, 'a usage error, like every other bad option value');
      assert.match(preset.stderr, /--preset: unknown preset "gigantic"; choose one of: seed, tiny, small/);
      const bad = cli('train', f, '--step', '3');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown option --step/);
      assert.match(cli('train', f, '--out', path.join(dir, 'no/such/dir/m.safetensors')).stderr, /the folder .* does not exist/);
    });

    it('an empty file, a binary file and a too-short text are refused; the existing checkpoint is untouched', () => {
      const good = path.join(dir, 'good.safetensors');
      const src = path.join(dir, 'good.txt');
      fs.writeFileSync(src, 'abcabcabcabc');
      assert.equal(cli('train', src, '--steps', '1', '--batch', '1', '--out', good).code, 0);
      const before = fs.readFileSync(good);
      const empty = path.join(dir, 'empty.txt');
      fs.writeFileSync(empty, '');
      const bin = path.join(dir, 'blob.bin');
      fs.writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
      const two = path.join(dir, 'two.txt');
      fs.writeFileSync(two, 'ab');
      assert.match(cli('train', empty, '--out', good).stderr, /input files are empty/);
      assert.match(cli('train', empty, empty, '--out', good).stderr, /input files are empty/, 'two empty files are no text either');
      // Characters are counted as people count them: an emoji is one.
      const emoji = path.join(dir, 'emoji.txt');
      fs.writeFileSync(emoji, '🙂a🙂b🙂a🙂b🙂a🙂b');
      const counted = cli('train', emoji, '--steps', '1', '--batch', '1', '--out', path.join(dir, 'emoji.safetensors'));
      assert.equal(counted.code, 0, counted.stderr);
      assert.match(counted.stdout, / on 12 characters, /);
      assert.match(cli('train', bin, '--out', good).stderr, /looks like a binary file/);
      const short = cli('train', two, '--out', good, '--json');
      assert.equal(short.code, 1);
      assert.deepEqual(JSON.parse(short.stderr), { error: { code: 'invalid', message: 'the text has 2 tokens; training needs at least 3' } });
      assert.deepEqual(fs.readFileSync(good), before);
    });

    it('a text with lone surrogates and a single repeated character train fine', () => {
      const odd = path.join(dir, 'odd.txt');
      fs.writeFileSync(odd, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
      assert.equal(cli('train', odd, '--steps', '2', '--batch', '1', '--out', path.join(dir, 'odd.safetensors')).code, 0);
      const r = cli('attention', '--checkpoint', path.join(dir, 'odd.safetensors'), '--text', 'a\ud800a', '--json');
      assert.equal(r.code, 0, r.stderr);
    });

    it('a checkpoint that is not one names what it found', () => {
      const fake = path.join(dir, 'fake.safetensors');
      fs.writeFileSync(fake, 'this is a text file, not a checkpoint');
      const r = cli('info', '--checkpoint', fake, '--json');
      assert.equal(r.code, 1);
      const err = JSON.parse(r.stderr).error;
      assert.equal(err.code, 'checkpoint');
      assert.match(err.message, /header/);
      assert.match(cli('info', '--checkpoint', path.join(dir, 'missing.safetensors')).stderr, /no such file/);
      assert.match(cli('info', '--checkpoint', dir).stderr, /is a folder/);
    });
  });

  describe('stories260K through the CLI contract (llama2.c reference outputs)', () => {
    for (const name of ['lily_park', 'tom_dog_newline']) {
      it(`attention --logits --json: same token ids, attention within 1e-4, logits within 1e-3 (${name})`, function () {
        const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
        const tok = requireFixture(this, 'stories260K', 'tok512.bin');
        const ref = readFixtureJson<{ prompt: string; token_ids: number[]; attention: number[][][][]; logits: number[][] }>(
          requireFixture(this, 'stories260K', `attention_logits_${name}.json`),
        );
        const [r] = jsonLines(cli('attention', '--checkpoint', bin, '--tokenizer', tok, '--text', ref.prompt, '--logits', '--json'));
        assert.deepEqual(r!.token_ids, ref.token_ids);
        assert.ok(maxAbsDiff((r!.attention as number[][][][]).flat(3), ref.attention.flat(3)) <= 1e-4);
        assert.ok(maxAbsDiff((r!.logits as number[][]).flat(), ref.logits.flat()) <= 1e-3);
      });
    }

    it('generate --temperature 0 --json gives every greedy reference (the empty prompt included)', function () {
      const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
      const tok = requireFixture(this, 'stories260K', 'tok512.bin');
      const ref = readFixtureJson<{ cases: { prompt: string; steps: number; prompt_token_ids: number[]; generated_token_ids: number[]; text: string }[] }>(
        requireFixture(this, 'stories260K', 'greedy_generations.json'),
      );
      for (const c of ref.cases) {
        const maxTokens = String(c.steps - c.prompt_token_ids.length + 1);
        const [r] = jsonLines(
          cli('generate', '--checkpoint', bin, '--tokenizer', tok, '--prompt', c.prompt, '--max-tokens', maxTokens, '--temperature', '0', '--json'),
        );
        assert.deepEqual(r!.prompt_token_ids, c.prompt_token_ids, c.prompt);
        assert.deepEqual(r!.generated_token_ids, c.generated_token_ids, c.prompt);
        assert.equal(r!.text, c.text, c.prompt);
      }
    });

    it('tokenize --json encodes every reference case identically', function () {
      const tok = requireFixture(this, 'stories260K', 'tok512.bin');
      const ref = readFixtureJson<{ cases: { text: string; token_ids: number[] }[] }>(requireFixture(this, 'stories260K', 'tokenizer_encode.json'));
      for (const c of ref.cases) {
        const [r] = jsonLines(cli('tokenize', '--tokenizer', tok, '--text', c.text, '--json'));
        assert.deepEqual(r!.token_ids, c.token_ids, JSON.stringify(c.text));
      }
    });

    it('the model and the tokenizer given the wrong way round are recognised as such, in one line', function () {
      const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
      const tok = requireFixture(this, 'stories260K', 'tok512.bin');
      const asModel = cli('info', '--checkpoint', tok, '--tokenizer', tok, '--json');
      assert.notEqual(asModel.code, 0);
      const m = JSON.parse(asModel.stderr.trim()) as { error: { message: string } };
      assert.match(m.error.message, /tok512\.bin looks like a llama2\.c tokenizer \(512 tokens\), not a model/);
      // Without --tokenizer too: the file is named for what it is, not asked for a tokenizer.
      const alone = cli('info', '--checkpoint', tok, '--json');
      assert.match(JSON.parse(alone.stderr.trim()).error.message, /tok512\.bin looks like a llama2\.c tokenizer \(512 tokens\), not a model/);
      assert.match(JSON.parse(cli('info', '--checkpoint', bin, '--json').stderr.trim()).error.message, /a llama2\.c checkpoint needs its tokenizer/);
      const asTokenizer = cli('info', '--checkpoint', bin, '--tokenizer', bin);
      assert.notEqual(asTokenizer.code, 0);
      assert.match(asTokenizer.stderr, /stories260K\.bin looks like a llama2\.c model \(5 layers × 8 heads, vocabulary 512\), not a tokenizer/);
      assert.equal(asTokenizer.stderr.trim().split('\n').length, 1);
      // A checkpoint of ours (or any .safetensors) given as a model's tokenizer.
      const weights = path.join(dir, 'as-tokenizer.safetensors');
      fs.writeFileSync(weights, Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('{}      ')]));
      const e = JSON.parse(cli('surprisal', '--checkpoint', bin, '--tokenizer', weights, '--text', 'hi', '--json').stderr.trim()).error;
      assert.match(e.message, /as-tokenizer\.safetensors is a \.safetensors file \(weights\), not a tokenizer/);
      const tokenize = cli('tokenize', '--tokenizer', bin, '--text', 'hi');
      assert.match(tokenize.stderr, /looks like a llama2\.c model .*, not a tokenizer/);
    });

    it('info names the llama architecture and its 260,032 parameters; a wrong tokenizer is refused', function () {
      const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
      const tok = requireFixture(this, 'stories260K', 'tok512.bin');
      const [r] = jsonLines(cli('info', '--checkpoint', bin, '--tokenizer', tok, '--json'));
      assert.deepEqual(r, {
        architecture: 'llama',
        layers: 5,
        heads: 8,
        kv_heads: 4,
        d_model: 64,
        context: 512,
        vocab_size: 512,
        parameters: 260032,
        tokenizer: 'llama2c (512 tokens)',
        causal: true,
        lm_head: true,
        // A llama2.c file is float32: 4 bytes for each of the 260,032 parameters run.c counts.
        weights_dtype: 'f32',
        weights_bytes: 4 * 260032,
      });
      assert.match(cli('info', '--checkpoint', bin).stderr, /needs its tokenizer: add --tokenizer/);
    });
  });
});
