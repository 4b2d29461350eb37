/**
 * The surprisal legend and hover read probabilities as people write them: no exponent notation
 * ("1.0e+2 %" was the status bar's top bound), no spurious digits.
 */

import assert from 'node:assert/strict';
import { formatProbability, formatSurprisal, surprisalLegend } from '../../../src/presentation/surprisalScale';

describe('presentation: surprisal probabilities for people', () => {
  it('formats whole percents from 10 %, one decimal from 1 %, two digits below, "< 0.01 %" under that', () => {
    assert.equal(formatProbability(1), '100 %');
    assert.equal(formatProbability(0.999), '100 %');
    assert.equal(formatProbability(Math.exp(-1)), '37 %');
    assert.equal(formatProbability(0.0996), '10 %');
    assert.equal(formatProbability(Math.exp(-4)), '1.8 %');
    assert.equal(formatProbability(0.0012), '0.12 %');
    assert.equal(formatProbability(Math.exp(-7)), '0.091 %');
    assert.equal(formatProbability(1e-5), '< 0.01 %');
    assert.equal(formatProbability(0), '0 %');
  });

  it('the legend reads "p 37 % to 100 %", never in exponent notation', () => {
    const legend = surprisalLegend();
    assert.equal(legend[0], '1: 0–1 nats (p 37 % to 100 %)');
    assert.equal(legend[4], '5: over 7 nats (p under 0.091 %)');
    for (const line of legend) assert.doesNotMatch(line, /e[+-]\d/);
  });

  it("the hover's surprisal has no exponent either, even for a very unlikely token", () => {
    assert.equal(formatSurprisal(Math.log(10)), '2.30 nats (p = 10 %)');
    assert.equal(formatSurprisal(20), '20.00 nats (p = < 0.01 %)');
  });
});
