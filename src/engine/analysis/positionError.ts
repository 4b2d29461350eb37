/**
 * The error every position-taking analysis throws for a position outside the text, with the
 * valid range in the message (the CLI shows it as is).
 */

export class PositionError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PositionError';
  }
}

/** Throws unless 0 ≤ position < tokens. */
export function checkPosition(position: number, tokens: number): void {
  if (!Number.isInteger(position) || position < 0 || position >= tokens) {
    throw new PositionError(`position ${position} is outside the text's ${tokens} token${tokens === 1 ? '' : 's'} (0 to ${tokens - 1})`);
  }
}

/** Throws unless the position has a next token to predict (0 ≤ position < tokens − 1). */
export function checkPredictingPosition(position: number, tokens: number): void {
  checkPosition(position, tokens);
  if (tokens === 1) throw new PositionError('the text is 1 token, so there is no next token to predict: give a text of at least 2 tokens');
  if (position === tokens - 1) {
    throw new PositionError(`position ${position} is the last token, so there is no next token to predict; choose 0 to ${tokens - 2}`);
  }
}
