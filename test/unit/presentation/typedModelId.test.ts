/**
 * The hub picker's typed item: typing "gpt2" picked DistilGPT-2, because GPT-2's id was only in
 * its description and no typed id was offered for a bare name.
 */

import assert from 'node:assert/strict';
import { CURATED_MODELS } from '../../../src/protocol/hubModels';
import { typedModelId } from '../../../src/presentation/typedModelId';

const listed = CURATED_MODELS.map((m) => m.repo);

describe('presentation: the hub picker offers the typed model id', () => {
  it('a bare name of one listed model is offered as that model: "gpt2" → openai-community/gpt2, not DistilGPT-2', () => {
    assert.equal(typedModelId('gpt2', listed), 'openai-community/gpt2');
    assert.equal(typedModelId('  GPT2 ', listed), 'openai-community/gpt2');
    assert.equal(typedModelId('distilgpt2', listed), 'distilbert/distilgpt2');
  });

  it('a valid owner/name that is not listed is offered as typed, with its revision', () => {
    assert.equal(typedModelId('gpt2-org/gpt2-medium', listed), 'gpt2-org/gpt2-medium');
    assert.equal(typedModelId('openai-community/gpt2@main', listed), 'openai-community/gpt2@main');
  });

  it('nothing extra for an id that is exactly a listed one (its own item matches), empty text or an invalid id', () => {
    assert.equal(typedModelId('openai-community/gpt2', listed), null);
    assert.equal(typedModelId('OpenAI-Community/GPT2', listed), null);
    assert.equal(typedModelId('', listed), null);
    assert.equal(typedModelId('   ', listed), null);
    assert.equal(typedModelId('a/b/c', listed), null);
    assert.equal(typedModelId('owner/na--me', listed), null);
    assert.equal(typedModelId('gpt', listed), null); // a bare name that is no listed model's name
  });
});
