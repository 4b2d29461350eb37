/**
 * The text each generated token adds, for printing a generation as it goes. Decoding the whole
 * sequence again for every token made long generations quadratic (and stories260K's decode
 * mostly string work); this decodes a window of the last few tokens with and without the new
 * one and takes the difference. Decoders act on a token and its neighbours only (a leading space
 * dropped after BOS or at the start, "##" joins, bytes joined into a character), so a window of
 * CONTEXT tokens gives the same text as the whole sequence.
 *
 * A token that ends inside a UTF-8 character (byte tokens, byte-level BPE) adds no text until
 * the tokens that complete the character come: its text arrives with theirs, never as U+FFFD
 * first and the character later.
 *
 * A tokenizer whose decode is a concatenation of per-token bytes (decodeNext: llama2.c's) needs
 * no window: each token's bytes go through a streaming UTF-8 decoder, which holds an incomplete
 * character the same way, for a few microseconds a token instead of two decodes.
 */

import type { Tokenizer } from './tokenizer';

/** Tokens of left context decoded with each new token. */
const CONTEXT = 8;
/** Longest UTF-8 character in bytes: past this many held tokens the U+FFFD is the text itself. */
const MAX_HELD = 4;

export class TokenTextStream {
  private readonly ids: number[];
  /** ids[0..emitted) have given their text. */
  private emitted: number;

  /** The streaming path (see the header), or null. */
  private readonly utf8: TextDecoder | null;

  constructor(
    private readonly tokenizer: Tokenizer,
    prompt: ArrayLike<number>,
  ) {
    this.ids = Array.from(prompt);
    this.emitted = this.ids.length;
    this.utf8 = tokenizer.decodeNext ? new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }) : null;
    // The prompt's bytes, so that a character it leaves incomplete is completed by what follows.
    if (this.utf8) this.ids.forEach((id, i) => this.utf8!.decode(tokenizer.decodeNext!(i > 0 ? this.ids[i - 1]! : -1, id), { stream: true }));
  }

  /** The text `id` adds after everything before it ('' while it ends inside a character). */
  push(id: number): string {
    if (this.utf8) {
      const prev = this.ids.length > 0 ? this.ids[this.ids.length - 1]! : -1;
      // Only the last id is needed from here on.
      this.ids.length = 0;
      this.ids.push(id);
      return this.utf8.decode(this.tokenizer.decodeNext!(prev, id), { stream: true });
    }
    this.ids.push(id);
    const text = this.pending();
    const held = this.ids.length - this.emitted;
    if (text.endsWith('\uFFFD') && held < MAX_HELD) return '';
    this.emitted = this.ids.length;
    return text;
  }

  /** Text still held at the end (an incomplete character, shown as U+FFFD), or ''. */
  flush(): string {
    if (this.utf8) return this.utf8.decode();
    const text = this.pending();
    this.emitted = this.ids.length;
    return text;
  }

  private pending(): string {
    if (this.emitted === this.ids.length) return '';
    const start = Math.max(0, this.emitted - CONTEXT);
    const before = this.tokenizer.decode(this.ids.slice(start, this.emitted));
    const now = this.tokenizer.decode(this.ids.slice(start));
    // A decode that rewrote earlier text (none of ours does) gives the new tokens' own labels.
    if (!now.startsWith(before))
      return this.ids
        .slice(this.emitted)
        .map((t) => this.tokenizer.tokenLabel(t))
        .join('');
    return now.slice(before.length);
  }
}
