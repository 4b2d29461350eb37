/**
 * A fingerprint of the token ids a run trains on, kept with its checkpoint: a resumed run must
 * see the same ids (the same text through the same tokenizer), or it is not the run it claims
 * to continue. Two independent 32-bit multiplicative hashes over the ids give 64 bits, enough
 * to tell texts apart (this is a consistency check, not a defence against forgery).
 */

export interface DataFingerprint {
  /** How many token ids the run trains on (training and validation together). */
  readonly tokens: number;
  /** 16 hex digits. */
  readonly hash: string;
}

export function dataFingerprint(ids: Int32Array): DataFingerprint {
  // FNV-1a's offset basis and a second, unrelated seed; each id mixed as one 32-bit word.
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < ids.length; i++) {
    const x = ids[i]! | 0;
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b ^ x, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return { tokens: ids.length, hash: hex(a ^ ids.length) + hex(b) };
}

export function sameData(a: DataFingerprint, b: DataFingerprint): boolean {
  return a.tokens === b.tokens && a.hash === b.hash;
}
