/**
 * Which pre-tokenizer piece each token of an encoding came from, which the library does not
 * say (nor any offsets): spans.ts needs it to give an unknown token the characters it replaced.
 * The model's calls are recorded during an encode (each call: one section's pieces and its
 * tokens); the pieces of a call holding an unknown token are then encoded again one by one.
 */

/** A pre-tokenizer piece and the tokens [first, first + count) the model made of it. */
export interface Piece {
  readonly text: string;
  readonly first: number;
  readonly count: number;
}

/** The library model's entry points: `_call` on a section's pieces runs `encode` on them, then may fuse unknowns. */
export interface PieceModel {
  _call(pieces: string[]): string[];
  encode(pieces: string[]): string[];
}

/** One model call: a section's pre-tokenizer pieces and the tokens made of them. */
interface Call {
  readonly pieces: readonly string[];
  readonly tokens: readonly string[];
}

/** The calls of the encode in progress (encode is synchronous), or null when none is recorded. */
let recording: Call[] | null = null;

/** Lets withPieces see the model's calls (the library keeps no offsets, nor which piece a token came from). */
export function recordPieces(model: PieceModel): void {
  // Library internals: if a version names them otherwise, spans fall back to sharing gaps (spans.ts).
  if (typeof model._call !== 'function' || typeof model.encode !== 'function') return;
  const call = model._call.bind(model);
  model._call = (pieces) => {
    const tokens = call(pieces);
    recording?.push({ pieces, tokens });
    return tokens;
  };
}

/**
 * Runs an encode through a model given to recordPieces. `pieces` then gives the pieces of the
 * calls whose tokens include an unknown one (only those need them), each call found in order
 * among the tokens (those between calls are added tokens); none when they do not line up.
 */
export function withPieces<T>(
  model: PieceModel,
  encode: () => T,
): { result: T; pieces: (tokens: readonly string[], unknown: (token: string) => boolean) => Piece[] } {
  const calls: Call[] = [];
  recording = calls;
  try {
    const result = encode();
    return { result, pieces: (tokens, unknown) => locate(model, tokens, calls, unknown) };
  } finally {
    recording = null;
  }
}

function locate(model: PieceModel, tokens: readonly string[], calls: readonly Call[], unknown: (token: string) => boolean): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  for (const call of calls) {
    const n = call.tokens.length;
    while (at + n <= tokens.length && !call.tokens.every((t, i) => tokens[at + i] === t)) at++;
    if (at + n > tokens.length) return [];
    if (call.tokens.some(unknown)) pieces.push(...split(model, call, at));
    at += n;
  }
  return pieces;
}

/**
 * A call's pieces with their tokens, by encoding each piece again (as the call did, one after
 * another). When the call fused unknown tokens across pieces, its pieces count as one.
 */
function split(model: PieceModel, call: Call, first: number): Piece[] {
  const out: Piece[] = [];
  const again: string[] = [];
  for (const piece of call.pieces) {
    const tokens = model.encode([piece]);
    out.push({ text: piece, first: first + again.length, count: tokens.length });
    again.push(...tokens);
  }
  const same = again.length === call.tokens.length && again.every((t, i) => t === call.tokens[i]);
  return same ? out : [{ text: call.pieces.join(''), first, count: call.tokens.length }];
}
