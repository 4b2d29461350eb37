/**
 * Fuzzing the safetensors reader (properties in props/safetensors.ts), plus the two hard
 * bounds of the hardening issue: a 2^60-byte claim allocates nothing, and a 100 MB JSON
 * header is refused before it is decoded or parsed.
 */

import { strict as assert } from 'node:assert';
import { MAX_HEADER_BYTES, SafetensorsError, parseSafetensors } from '../../../src/engine/checkpoint/safetensors';
import { ADVERSARIAL_U64, ReaderProbe, fuzzEach, joinSafetensors, reportAfter } from './harness';
import { SAFETENSORS_FIXTURES, builtSafetensorsBases, readWholeSafetensors, safetensorsProperties } from './props/safetensors';
import { fixtureBytes } from './harness';

describe('fuzz: safetensors reader (parseSafetensors + readTensorF32)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('safetensors', [SafetensorsError]);
  reportAfter(probe);

  it('the valid bases parse and read', () => {
    for (const b of builtSafetensorsBases()) readWholeSafetensors(b);
    for (const f of SAFETENSORS_FIXTURES) {
      const b = fixtureBytes(f);
      if (b) readWholeSafetensors(b);
    }
  });

  fuzzEach(safetensorsProperties(probe), probe);

  it('a claimed 2^60-byte header (or any hostile u64 claim) allocates nothing and names the claim', () => {
    // The real header is '{}' (2 bytes) followed by 16 data bytes: every other claim is a lie
    // the reader must refuse, and a claim over the cap must be named in the message.
    const data = new Uint8Array(16);
    const good = joinSafetensors('{}', data);
    assert.doesNotThrow(() => parseSafetensors(good), 'the file with the true length must parse');
    let refused = 0;
    for (const claim of ADVERSARIAL_U64) {
      if (claim === 2n) continue;
      const bytes = joinSafetensors('{}', data, claim);
      const before = process.memoryUsage().arrayBuffers;
      assert.throws(
        () => parseSafetensors(bytes),
        (e: unknown) => {
          assert.ok(e instanceof SafetensorsError, `claim ${claim}: ${String(e)}`);
          if (claim > BigInt(MAX_HEADER_BYTES)) assert.match(e.message, new RegExp(`header length ${claim} bytes exceeds`));
          return true;
        },
        `a header length of ${claim} bytes (the header is 2) must be refused`,
      );
      assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024, `claim ${claim} allocated memory`);
      refused++;
    }
    assert.equal(refused, ADVERSARIAL_U64.filter((c) => c !== 2n).length);
  });

  it('a 100 MB JSON header is refused before it is decoded or parsed', () => {
    // 100 MiB of real header bytes (untouched zero pages, so cheap): the length check must come first.
    const size = 100 * 1024 * 1024;
    assert.ok(size > MAX_HEADER_BYTES);
    const bytes = new Uint8Array(8 + size);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(size), true);
    bytes[8] = 0x7b; // '{'
    const realParse = JSON.parse;
    const RealDecoder = globalThis.TextDecoder;
    let parsed = 0;
    let decoded = 0;
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
      parsed++;
      return realParse(...args);
    }) as typeof JSON.parse;
    globalThis.TextDecoder = class extends RealDecoder {
      override decode(...args: Parameters<TextDecoder['decode']>): string {
        decoded++;
        return super.decode(...args);
      }
    };
    try {
      assert.throws(
        () => parseSafetensors(bytes),
        (e: unknown) => e instanceof SafetensorsError && /exceeds the 100000000-byte limit/.test(e.message),
      );
    } finally {
      JSON.parse = realParse;
      globalThis.TextDecoder = RealDecoder;
    }
    assert.equal(parsed, 0, 'JSON.parse was called');
    assert.equal(decoded, 0, 'the header was decoded');
  });
});
