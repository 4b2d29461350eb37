/**
 * `attention` on a text longer than the model's context: sliding windows with overlap, the plan
 * the editor uses. Checked on real weights — stories260K with its context cut to 64 tokens (the
 * header's seq_len and the legacy RoPE tables shortened; run.c computes RoPE itself) — against an
 * independent computation: the windows listed by brute force here, and for each query the
 * forward run on exactly the slice of the text its window covers.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Llama2cTokenizer, parseLlama2cCheckpoint } from '../../../src/engine';
import { cli } from '../../helpers/cli';
import { expectedWindows, shortContextStories } from '../../helpers/cutContext';

interface AttentionJson {
  token_ids: number[];
  layers: number;
  heads: number;
  causal: boolean;
  context: number;
  stride: number;
  windows: { start: number; end: number; query_start: number; query_end: number }[];
  attention: number[][][][];
  logits?: number[][];
}

describe('CLI attention over a text longer than the context (stories260K cut to a 64-token context)', function () {
  this.timeout(300_000);
  let dir: string;
  let ckpt: string;
  let tok: string;
  let text: string;
  const stories = shortContextStories('al-windows-');
  before(() => ({ dir, ckpt, tok, text } = stories));

  function run(...extra: string[]): AttentionJson {
    const r = cli('attention', '--checkpoint', ckpt, '--tokenizer', tok, '--text', text, '--logits', '--json', ...extra);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as AttentionJson;
  }

  it('lists the windows (half a context apart) and reads every query in its window: rows and logits of a forward over exactly that slice', () => {
    const j = run();
    const T = j.token_ids.length;
    assert.ok(T > 3 * 64, `a text of ${T} tokens spans several windows`);
    assert.deepEqual([j.context, j.stride, j.causal], [64, 32, true]);
    assert.deepEqual(j.windows, expectedWindows(T, 64, 32));
    const tokenizer = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(tok)), 512);
    assert.deepEqual(j.token_ids, Array.from(tokenizer.encode(text).ids));
    const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(ckpt)));
    assert.equal(model.config.contextLength, 64);
    let worst = 0;
    let worstLogit = 0;
    for (const w of j.windows) {
      const slice = Int32Array.from(j.token_ids.slice(w.start, w.end));
      const f = model.forward(null, slice, 1, slice.length, { capture: { attention: true } });
      const W = slice.length;
      for (let q = w.query_start; q < w.query_end; q++) {
        assert.ok(q - w.start >= Math.min(q, 32), `query ${q} has at least half a context before it`);
        const local = q - w.start;
        for (let l = 0; l < j.layers; l++)
          for (let h = 0; h < j.heads; h++) {
            const row = j.attention[l]![h]![q]!;
            assert.equal(row.length, T);
            const A = f.layers[l]!.attention!;
            for (let k = 0; k < T; k++) {
              const want = k >= w.start && k < w.end ? A[(h * W + local) * W + (k - w.start)]! : 0;
              worst = Math.max(worst, Math.abs(row[k]! - want));
            }
          }
        const logits = f.logits.data.subarray(local * 512, (local + 1) * 512);
        j.logits![q]!.forEach((x, v) => (worstLogit = Math.max(worstLogit, Math.abs(x - logits[v]!))));
      }
    }
    assert.ok(worst < 1e-5, `largest weight difference ${worst}`);
    assert.ok(worstLogit < 1e-4, `largest logit difference ${worstLogit}`);
  });

  it('--stride 64 gives disjoint windows: the first token of the second window then sees only itself', () => {
    const j = run('--stride', '64');
    const T = j.token_ids.length;
    assert.equal(j.stride, 64);
    assert.deepEqual(j.windows, expectedWindows(T, 64, 64));
    for (let h = 0; h < j.heads; h++) assert.equal(j.attention[0]![h]![64]![64], 1);
  });

  it('refuses a stride beyond the context, and for people says how many windows were read', () => {
    const bad = cli('attention', '--checkpoint', ckpt, '--tokenizer', tok, '--text', text, '--stride', '65', '--json');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /--stride/);
    const people = cli('attention', '--checkpoint', ckpt, '--tokenizer', tok, '--text', text);
    assert.equal(people.code, 0, people.stderr);
    assert.match(people.stdout, /read in \d+ windows of 64 tokens, 32 apart/);
  });

  it('--out writes attention [L,H,T,T] and logits [T,V] to a safetensors file equal to --json, and the JSON stays small', () => {
    const j = run();
    const file = path.join(dir, 'attention.safetensors');
    fs.writeFileSync(file, 'an older file, replaced whole');
    const r = cli('attention', '--checkpoint', ckpt, '--tokenizer', tok, '--text', text, '--logits', '--json', '--out', file);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length < 100_000, `the JSON is ${r.stdout.length} bytes`);
    const summary = JSON.parse(r.stdout) as Omit<AttentionJson, 'attention' | 'logits'> & { out: string; attention?: unknown };
    assert.equal(summary.out, file);
    assert.equal(summary.attention, undefined);
    assert.deepEqual(summary.windows, j.windows);
    assert.deepEqual(summary.token_ids, j.token_ids);
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left',
    );

    // An independent reader: u64 header length, JSON header, little-endian float32 data.
    const bytes = fs.readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
      string,
      { dtype: string; shape: number[]; data_offsets: [number, number] }
    > & {
      __metadata__: Record<string, string>;
    };
    const T = j.token_ids.length;
    assert.deepEqual(header.attention!.shape, [j.layers, j.heads, T, T]);
    assert.deepEqual(header.logits!.shape, [T, 512]);
    assert.equal(header.attention!.dtype, 'F32');
    assert.deepEqual(JSON.parse(header.__metadata__.windows!), j.windows);
    const tensor = (name: string): ((i: number) => number) => {
      const [from, to] = header[name]!.data_offsets;
      const data = bytes.subarray(8 + headerLength + from, 8 + headerLength + to);
      return (i) => data.readFloatLE(4 * i);
    };
    const a = tensor('attention');
    let i = 0;
    for (let l = 0; l < j.layers; l++)
      for (let h = 0; h < j.heads; h++)
        for (let q = 0; q < T; q++)
          for (let k = 0; k < T; k++, i++)
            if (a(i) !== Math.fround(j.attention[l]![h]![q]![k]!)) assert.fail(`attention[${l}][${h}][${q}][${k}]: ${a(i)} vs ${j.attention[l]![h]![q]![k]}`);
    assert.equal(i * 4, header.attention!.data_offsets[1] - header.attention!.data_offsets[0]);
    const g = tensor('logits');
    for (let q = 0; q < T; q++) for (let v = 0; v < 512; v++) if (g(q * 512 + v) !== Math.fround(j.logits![q]![v]!)) assert.fail(`logits[${q}][${v}]`);
  });

  it('--out refuses a name without .safetensors and an output that is an input, before any work', () => {
    const notSt = cli('attention', '--checkpoint', ckpt, '--tokenizer', tok, '--text', 'hi', '--json', '--out', path.join(dir, 'a.json'));
    assert.match(notSt.stdout + notSt.stderr, /name it FILE\.safetensors/);
    const input = path.join(dir, 'in.safetensors');
    fs.writeFileSync(input, text);
    const same = cli('attention', '--checkpoint', ckpt, '--tokenizer', tok, '--file', input, '--json', '--out', input);
    assert.match(same.stdout + same.stderr, /is the input file/);
    assert.equal(fs.readFileSync(input, 'utf8'), text);
  });
});
