/**
 * llama2.c's older tokenizer format (before August 2023, still shipped with many ports): the
 * byte tokens 3..258 are stored as the raw bytes themselves (id 3 is the single byte 0x00)
 * instead of `<0xNN>`. run.c's build_tokenizer only copies bytes, so it reads both. The old
 * file is made here from the fixtures' current-format tokenizers by a record reader and writer
 * written for this test; the two must encode, decode and label every text alike.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Llama2cTokenizer } from '../../../../src/engine/tokenizer/llama2cTokenizer';

const FIXTURES = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../../../../shared/fixtures');

interface TokRecord {
  score: Buffer; // the 4 score bytes, kept as they are
  piece: Buffer;
}

/** The file's max_token_length and records, read independently of the engine. */
function readTokenizerFile(bytes: Buffer): { maxLen: number; records: TokRecord[] } {
  const maxLen = bytes.readUInt32LE(0);
  const records: TokRecord[] = [];
  let at = 4;
  while (at < bytes.length) {
    const len = bytes.readInt32LE(at + 4);
    records.push({ score: bytes.subarray(at, at + 4), piece: bytes.subarray(at + 8, at + 8 + len) });
    at += 8 + len;
  }
  return { maxLen, records };
}

function writeTokenizerFile(maxLen: number, records: readonly TokRecord[]): Uint8Array {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeUInt32LE(maxLen, 0);
  for (const r of records) {
    const len = Buffer.alloc(4);
    len.writeInt32LE(r.piece.length, 0);
    parts.push(r.score, len, r.piece);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The older format of the same vocabulary: every `<0xNN>` piece re-encoded as the raw byte NN. */
function toOldFormat(current: Buffer): Uint8Array {
  const { maxLen, records } = readTokenizerFile(current);
  let rewritten = 0;
  const old = records.map((r) => {
    const m = /^<0x([0-9A-F]{2})>$/.exec(r.piece.toString('latin1'));
    if (!m) return r;
    rewritten++;
    return { score: r.score, piece: Buffer.of(parseInt(m[1]!, 16)) };
  });
  assert.equal(rewritten, 256, 'every byte token rewritten');
  assert.equal(old[3]!.piece[0], 0, 'record 3 is the raw NUL byte, as in the old files');
  return writeTokenizerFile(maxLen, old);
}

const TEXTS = [
  '',
  'Once upon a time, there was a little girl named Lily.',
  'Tom said, “Hello!”\nMia\tsmiled.',
  'emoji 🙂 and 中文 and ü and \u0000 NUL',
  '   leading and trailing spaces   ',
  'A quick brown fox; 0123456789 !@#$%^&*()',
];

for (const [dir, file, vocab] of [
  ['stories260K', 'tok512.bin', 512],
  ['stories15M', 'tokenizer.bin', 32000],
] as const) {
  describe(`llama2.c older tokenizer format (${dir}/${file} with raw byte tokens)`, () => {
    let current: Llama2cTokenizer;
    let old: Llama2cTokenizer;
    let oldBytes: Uint8Array;

    before(function () {
      const p = path.join(FIXTURES, dir, file);
      if (!fs.existsSync(p)) return this.skip();
      const bytes = fs.readFileSync(p);
      current = Llama2cTokenizer.fromBytes(new Uint8Array(bytes), vocab);
      oldBytes = toOldFormat(bytes);
      old = Llama2cTokenizer.fromBytes(oldBytes, vocab);
    });

    it('reads the file (record 3 is a NUL byte) with or without the vocab size', () => {
      assert.equal(old.vocabSize, vocab);
      assert.equal(Llama2cTokenizer.fromBytes(oldBytes).vocabSize, vocab);
    });

    it('encodes every text to the same ids and spans as the current format', () => {
      for (const text of TEXTS) {
        const a = current.encode(text);
        const b = old.encode(text);
        assert.deepEqual([...b.ids], [...a.ids], JSON.stringify(text));
        assert.deepEqual(b.tokens, a.tokens, JSON.stringify(text));
      }
    });

    it('decodes every byte token to its raw byte and labels it <0xNN>', () => {
      for (let b = 0; b < 256; b++) {
        assert.deepEqual([...old.decodePiece(0, 3 + b)], [b]);
        assert.equal(old.tokenLabel(3 + b), current.tokenLabel(3 + b));
      }
      const ids = current.encode(TEXTS[3]!).ids;
      assert.equal(old.decodeText(ids), current.decodeText(ids));
      assert.equal(old.decode(ids), current.decode(ids));
    });
  });
}

describe('llama2.c older tokenizer format: NUL bytes elsewhere', () => {
  it('is still refused in any record but the byte token 0x00', () => {
    const p = path.join(FIXTURES, 'stories260K', 'tok512.bin');
    if (!fs.existsSync(p)) return;
    const { maxLen, records } = readTokenizerFile(fs.readFileSync(p));
    const bad = records.map((r, i) => (i === 300 ? { score: r.score, piece: Buffer.from('a\0') } : r));
    assert.throws(() => Llama2cTokenizer.fromBytes(writeTokenizerFile(maxLen, bad), 512), /record 300 contains a NUL byte/);
    const badFour = records.map((r, i) => (i === 4 ? { score: r.score, piece: Buffer.of(0) } : r));
    assert.throws(() => Llama2cTokenizer.fromBytes(writeTokenizerFile(maxLen, badFour), 512), /record 4 contains a NUL byte/);
  });
});
