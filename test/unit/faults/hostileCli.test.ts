/**
 * Fault and hostile-input classes of the command line, each run as a user would (a real
 * process): an output that is an input, a full disk while saving, Ctrl-C during training,
 * memory beyond the budget, device files and FIFOs, files of 2 GiB and more (sparse), a stdout
 * that cannot be written, control characters in messages, folders where files should be,
 * texts far longer than the context, non-finite weights, and options that would be ignored.
 * Every case must end in one readable line and a non-zero exit (or the marked interruption),
 * quickly, and leave the user's files as they were.
 */

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCheckpoint, serializeCheckpoint } from '../../../src/engine/checkpoint/native';
import { Transformer } from '../../../src/engine/nn/transformer';
import { Rng } from '../../../src/engine/random';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import { cli, cliArgv, cliWith, jsonError, maxAbsDiff } from '../../helpers/cli';
import { TINY_CONFIGS, tinyCheckpoint } from '../fuzz/props/native';

const TEXT = 'the cat sat on the mat. the dog sat on the log.\n'.repeat(40);

describe('faults: hostile input to the command line', function () {
  this.timeout(60_000);
  let dir: string;
  let notes: string;
  let ckpt: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-hostile-'));
    notes = path.join(dir, 'notes.txt');
    fs.writeFileSync(notes, TEXT);
    ckpt = path.join(dir, 'tiny.safetensors');
    fs.writeFileSync(ckpt, tinyCheckpoint(TINY_CONFIGS.gpt, 1, false));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('data loss', () => {
    it('an --out that is an input (same name, through a symlink, a hard link, the second of several) is refused before training; the input is untouched', () => {
      const other = path.join(dir, 'other.txt');
      fs.writeFileSync(other, 'more text to train on\n');
      const link = path.join(dir, 'link.safetensors');
      fs.symlinkSync(notes, link);
      const hard = path.join(dir, 'hard.safetensors');
      fs.linkSync(notes, hard);
      for (const [inputs, out] of [
        [[notes], notes],
        [[notes], link],
        [[notes], hard],
        [[other, notes], notes],
        [[other, notes], link],
      ] as const) {
        const e = jsonError(cli('train', ...inputs, '--out', out, '--steps', '2', '--json'));
        assert.equal(e.code, 'usage');
        assert.match(e.message, /is the input file .*notes\.txt; writing it would destroy the input/);
        assert.equal(fs.readFileSync(notes, 'utf8'), TEXT);
      }
    });

    it('--out must be .safetensors: a checkpoint named .bin would be read back as llama2.c', () => {
      const e = jsonError(cli('train', notes, '--out', path.join(dir, 'x.bin'), '--steps', '2', '--json'));
      assert.equal(e.code, 'usage');
      assert.match(e.message, /name the file \*\.safetensors/);
      assert.ok(!fs.existsSync(path.join(dir, 'x.bin')));
    });

    it('a full disk while saving: an io error naming the path and the space needed; the model is saved to the temporary folder instead', function () {
      // A 64 KB tmpfs in a private mount namespace (no root needed where user namespaces are allowed).
      const probe = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], { encoding: 'utf8' });
      if (probe.status !== 0) return this.skip();
      const small = path.join(dir, 'small');
      const fallback = path.join(dir, 'fallback');
      fs.mkdirSync(small);
      fs.mkdirSync(fallback);
      const target = path.join(small, 'model.safetensors');
      const [exe, argv] = cliArgv('train', notes, '--steps', '3', '--out', target, '--json');
      const script = `mount -t tmpfs -o size=64k tmpfs "$1" && shift && exec "$@"`;
      const r = spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', small, exe, ...argv], { encoding: 'utf8', env: { ...process.env, TMPDIR: fallback } });
      const e = jsonError({ code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.trim().split('\n').at(-1)! });
      assert.equal(e.code, 'io');
      assert.match(e.message, new RegExp(`could not write ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the disk is full \\(ENOSPC\\)`));
      const saved = fs.readdirSync(fallback).filter((f) => f.endsWith('.safetensors'));
      assert.equal(saved.length, 1);
      const bytes = fs.readFileSync(path.join(fallback, saved[0]!));
      assert.match(
        e.message,
        new RegExp(
          `needs [0-9.]+ [KM]B \\(${bytes.length} bytes\\).*saved to ${path.join(fallback, saved[0]!).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} instead`,
        ),
      );
      assert.equal(parseCheckpoint(bytes).training!.state.step, 3, 'the fallback holds the whole trained state');
    });

    it('Ctrl-C during train: {"done": true, "stopped": "interrupted"}, exit 130, a resumable checkpoint at --out', async () => {
      const out = path.join(dir, 'interrupted.safetensors');
      const [exe, argv] = cliArgv('train', notes, '--steps', '100000', '--out', out, '--json');
      const child = spawn(exe, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let signalled = false;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (!signalled && stdout.split('\n').filter((l) => l.includes('"loss"')).length >= 2) {
            signalled = true;
            child.kill('SIGINT');
          }
        });
        child.on('close', (c) => resolve(c));
      });
      assert.equal(code, 130, stderr);
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const last = lines.at(-1)!;
      const steps = lines.filter((l) => 'loss' in l);
      assert.deepEqual(last, { done: true, stopped: 'interrupted', step: steps.length, steps: 100000, checkpoint: out });
      const saved = parseCheckpoint(fs.readFileSync(out));
      assert.equal(saved.training!.state.step, steps.length);
      assert.equal(saved.training!.state.optimizer.t, steps.length, 'AdamW state saved for a resume');
      assert.equal(saved.training!.options.steps, 100000, 'the total is kept, so the schedule resumes where it was');
    });
  });

  describe('a training run stopped from outside keeps its work', () => {
    /** Runs `train` on notes until two steps are out, then does `stop` to it; resolves with its exit code and output. */
    const stopTraining = async (
      out: string,
      stop: (child: ReturnType<typeof spawn>) => void,
    ): Promise<{ code: number | null; stdout: string; stderr: string }> => {
      const [exe, argv] = cliArgv('train', notes, '--steps', '100000', '--out', out, '--json');
      const child = spawn(exe, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let stopped = false;
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        child.stdout!.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (!stopped && stdout.split('\n').filter((l) => l.includes('"loss"')).length >= 2) {
            stopped = true;
            stop(child);
          }
        });
        child.on('close', (c) => resolve(c));
      });
      return { code, stdout, stderr };
    };

    it('SIGTERM (timeout, docker stop) stops like Ctrl-C: "stopped": "interrupted", exit 143, a resumable checkpoint', async () => {
      const out = path.join(dir, 'terminated.safetensors');
      const r = await stopTraining(out, (child) => child.kill('SIGTERM'));
      assert.equal(r.code, 143, r.stderr);
      const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      assert.equal(last.stopped, 'interrupted');
      assert.equal(parseCheckpoint(fs.readFileSync(out)).training!.state.step, last.step);
    });

    it('a reader that leaves (`| head -1`) stops the run, which is saved resumable and said on stderr (exit 141), not lost with exit 0', async () => {
      const out = path.join(dir, 'reader-left.safetensors');
      const r = await stopTraining(out, (child) => child.stdout!.destroy());
      assert.equal(r.code, 141, r.stderr);
      assert.match(r.stderr, /the output could not be written \(its reader closed it\); stopped at step (\d+) of 100000 and saved a resumable checkpoint to /);
      const step = Number(/stopped at step (\d+)/.exec(r.stderr)![1]);
      const saved = parseCheckpoint(fs.readFileSync(out));
      assert.equal(saved.training!.state.step, step);
      assert.ok(step >= 2);
    });
  });

  describe('aborts, out-of-memory and hangs', () => {
    it('a checkpoint of 2 GiB and more (a sparse file) is refused from its header at once, never read in one call', () => {
      for (const name of ['huge.safetensors', 'huge.bin']) {
        const file = path.join(dir, name);
        fs.closeSync(fs.openSync(file, 'w'));
        fs.truncateSync(file, 2 ** 31 + 4096);
        const r = cli('info', '--checkpoint', file, ...(name.endsWith('.bin') ? ['--tokenizer', path.join(dir, 'tok.bin')] : []), '--json');
        assert.equal(r.code, 1, r.stderr);
        assert.equal(jsonError(r).code, 'checkpoint');
        assert.match(jsonError(r).message, /header length 0 bytes is impossible|header field dim is 0/);
        fs.rmSync(file);
      }
    });

    it('a configuration the memory budget cannot hold is refused before the first step, naming the estimate', () => {
      // 60,000 distinct characters: the logits of one micro-batch are [2,048 rows, 60,001] floats, several times over.
      const wide = path.join(dir, 'wide.txt');
      const symbols = Array.from({ length: 60_000 }, (_, i) => String.fromCodePoint(0x20000 + i)).join('');
      fs.writeFileSync(wide, symbols + symbols);
      const e = jsonError(cli('train', wide, '--preset', 'small', '--max-memory', '4096', '--out', path.join(dir, 'b.safetensors'), '--json'));
      assert.equal(e.code, 'invalid');
      const m = /needs about ([0-9.]+) GB, more than the ([0-9.]+) GB budget; lower --batch, or raise --max-memory/.exec(e.message);
      assert.ok(m, e.message);
      // One copy of those logits, computed here: 16 windows × 128 tokens × 60,001 floats.
      assert.ok(Number(m[1]) * 1024 ** 3 >= 16 * 128 * 60_001 * 4);
      const small = jsonError(
        cli('train', notes, '--max-memory', '64', '--preset', 'small', '--batch', '64', '--out', path.join(dir, 'b.safetensors'), '--json'),
      );
      assert.match(small.message, /more than the 64 MB budget/);
      assert.ok(!fs.existsSync(path.join(dir, 'b.safetensors')));
    });

    it('device files as --file or as a training text end at once (read with a byte limit, whatever size they report)', () => {
      for (const dev of ['/dev/zero', '/dev/urandom']) {
        if (!fs.existsSync(dev)) continue;
        const r = cliWith({ timeoutMs: 30_000 }, 'attention', '--checkpoint', ckpt, '--file', dev, '--json');
        assert.equal(jsonError(r).code, 'input');
        assert.match(jsonError(r).message, /looks like a binary file/);
        const t = cliWith({ timeoutMs: 30_000 }, 'train', dev, '--out', path.join(dir, 'dev.safetensors'), '--json');
        assert.equal(jsonError(t).code, 'input');
      }
    });

    it('a FIFO as a checkpoint or a tokenizer is refused without opening it (opening would wait for a writer forever)', () => {
      for (const name of ['fifo.safetensors', 'fifo.bin']) {
        const fifo = path.join(dir, name);
        if (spawnSync('mkfifo', [fifo]).status !== 0) return;
        const r = cliWith({ timeoutMs: 30_000 }, 'info', '--checkpoint', fifo, ...(name.endsWith('.bin') ? ['--tokenizer', fifo] : []), '--json');
        assert.notEqual(r.code, -1, 'timed out: the FIFO was opened');
        assert.match(jsonError(r).message, /is not a regular file \(a FIFO\)/);
      }
    });

    it('a text whose [L,H,T,T] attention would pass 2 GiB is refused from a prefix, before the whole of it is encoded', () => {
      const big = path.join(dir, 'big.txt');
      fs.writeFileSync(big, 'abcde '.repeat(2_000_000)); // 12 MB
      const e = jsonError(cli('attention', '--checkpoint', ckpt, '--file', big, '--json'));
      assert.equal(e.code, 'invalid');
      // 1 layer × 2 heads: √(2³¹ / (4 · 2)) = 16384 tokens; the first probe is 4 characters per allowed token.
      assert.match(e.message, /its first 65540 characters are already 65540 tokens, and attention writes \[L,H,T,T\] = 1×2×T×T weights, at most 16384 tokens/);
    });

    it('tokenize refuses a text of more tokens than it lists, from a prefix when the text is far longer', () => {
      const over = path.join(dir, 'over.txt');
      fs.writeFileSync(over, 'ab '.repeat(400_000)); // 1.2 M one-character tokens
      const e = jsonError(cli('tokenize', '--tokenizer', ckpt, '--file', over, '--json'));
      assert.equal(e.code, 'invalid');
      assert.match(e.message, /^the text is 1200000 tokens long; tokenize lists at most 1048576 tokens at once: split the text$/);
      const far = path.join(dir, 'far.txt');
      fs.writeFileSync(far, 'ab '.repeat(2_000_000)); // 6 MB: refused from its first 4 × (1048576 + 1) characters
      const f = jsonError(cli('tokenize', '--tokenizer', ckpt, '--file', far, '--json'));
      assert.match(f.message, /its first 4194308 characters are already 4194308 tokens, and tokenize lists at most 1048576 tokens at once/);
      const ok = cli('tokenize', '--tokenizer', ckpt, '--text', 'abcde', '--json');
      assert.equal(JSON.parse(ok.stdout).token_ids.length, 5);
    });

    it("attention --json is streamed a head at a time and is, parsed, the engine's weights and logits", () => {
      const r = cli('attention', '--checkpoint', ckpt, '--text', 'abcd', '--logits', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split('\n').length, 2, 'one JSON line');
      const got = JSON.parse(r.stdout) as { attention: number[][][][]; logits: number[][]; layers: number; heads: number };
      const { model } = parseCheckpoint(fs.readFileSync(ckpt));
      const ids = CharTokenizer.fromText('abcde').encode('abcd').ids;
      const f = model.forward(null, ids, 1, ids.length, { capture: { attention: true } });
      const T = ids.length;
      const H = model.config.nHeads;
      assert.deepEqual([got.layers, got.heads], [model.config.nLayers, H]);
      f.layers.forEach((layer, l) => {
        for (let h = 0; h < H; h++)
          for (let q = 0; q < T; q++)
            assert.ok(maxAbsDiff(got.attention[l]![h]![q]!, Array.from(layer.attention!.subarray((h * T + q) * T, (h * T + q + 1) * T))) <= 1e-6);
      });
      const V = model.config.vocabSize;
      // The CLI may run the WASM kernels and this process the JS ones: equal up to float rounding.
      got.logits.forEach((row, t) => assert.ok(maxAbsDiff(row, Array.from(f.logits.data.subarray(t * V, (t + 1) * V))) <= 1e-6));
    });

    it('stdout that cannot be written (> /dev/full): one line on stderr and exit 1, no stack trace', function () {
      if (!fs.existsSync('/dev/full')) return this.skip();
      const fd = fs.openSync('/dev/full', 'w');
      try {
        for (const json of [[], ['--json']]) {
          const r = cliWith({ stdoutFd: fd }, 'info', '--checkpoint', ckpt, ...json);
          assert.equal(r.code, 1);
          assert.equal(r.stderr, 'attention-lens: cannot write the output: no space left on the device (ENOSPC)\n');
        }
      } finally {
        fs.closeSync(fd);
      }
    });
  });

  describe('accepted when it should not be', () => {
    it('control characters in a path (ESC, BEL, newline) are escaped: the error stays one line and cannot drive the terminal', () => {
      const evil = path.join(dir, 'a\nb\x1b]0;pwned\x07\x9b.safetensors');
      for (const json of [false, true]) {
        const r = cli('info', '--checkpoint', evil, ...(json ? ['--json'] : []));
        assert.equal(r.code, 1);
        assert.equal(r.stderr.split('\n').length, 2, r.stderr);
        assert.doesNotMatch(r.stderr, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
        if (json) assert.ok(jsonError(r).message.includes('a\nb\x1b]0;pwned\x07\x9b'), 'JSON keeps the exact name, escaped');
        else assert.ok(r.stderr.includes('a\\nb\\x1b]0;pwned\\x07\\u009b.safetensors'));
      }
    });

    it('--tokenizer with a native checkpoint (which carries its own) is refused, not silently ignored', () => {
      const e = jsonError(cli('info', '--checkpoint', ckpt, '--tokenizer', notes, '--json'));
      assert.equal(e.code, 'input');
      assert.match(e.message, /is a native checkpoint with its own tokenizer; --tokenizer .*notes\.txt would not be used/);
    });

    it('a folder where config.json or model.safetensors should be is named as such', () => {
      const hf = path.join(dir, 'hf');
      fs.mkdirSync(path.join(hf, 'config.json'), { recursive: true });
      assert.match(jsonError(cli('info', '--checkpoint', hf, '--json')).message, /config\.json.*(is a directory|it is a directory)/);
      fs.rmSync(path.join(hf, 'config.json'), { recursive: true });
      fs.writeFileSync(path.join(hf, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
      fs.mkdirSync(path.join(hf, 'model.safetensors'));
      assert.match(
        jsonError(cli('info', '--checkpoint', hf, '--json')).message,
        /model\.safetensors is a folder; the weights must be a model\.safetensors file/,
      );
    });

    it('NaN or Inf weights are refused at load, naming the tensor', () => {
      const model = Transformer.create(TINY_CONFIGS.gpt, new Rng(3));
      model.params.get('blocks.0.attn.q.weight')!.data[2] = Number.NaN;
      const bad = path.join(dir, 'nan.safetensors');
      fs.writeFileSync(bad, serializeCheckpoint(model, CharTokenizer.fromText('abcde').toJSON(), null));
      const e = jsonError(cli('attention', '--checkpoint', bad, '--text', 'ab', '--json'));
      assert.equal(e.code, 'checkpoint');
      assert.match(e.message, /parameter "blocks\.0\.attn\.q\.weight" holds 1 non-finite value of 16 \(the first, at index 2, is NaN\)/);
    });

    it('a tokenizer.json whose Split regex backtracks catastrophically is refused by name, at once', () => {
      const tok = path.join(dir, 'evil-tokenizer.json');
      const vocab = { '<unk>': 0, a: 1, b: 2 };
      fs.writeFileSync(
        tok,
        JSON.stringify({
          model: { type: 'BPE', vocab, merges: [], unk_token: '<unk>' },
          pre_tokenizer: { type: 'Split', pattern: { Regex: '(a+)+\x1b]0;x\x07$' }, behavior: 'Isolated', invert: false },
        }),
      );
      const r = cliWith({ timeoutMs: 30_000 }, 'tokenize', '--tokenizer', tok, '--text', 'a'.repeat(40) + 'b');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the pattern "\(a\+\)\+\\u001b\]0;x\\u0007\$" of pre_tokenizer \(Split\)\.pattern is refused: nested quantifier/);
      assert.doesNotMatch(r.stderr, /\x1b|\x07/);
    });
  });
});
