import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SETTINGS, parseSettings, SETTING_BOUNDS } from '../../../src/protocol/settings';
import { REPO_ROOT } from '../../helpers/corpus';

describe('protocol/settings: parseSettings', () => {
  it('gives the defaults for nothing, garbage and wrong types', () => {
    assert.deepEqual(parseSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(parseSettings('nonsense'), DEFAULT_SETTINGS);
    assert.deepEqual(parseSettings({ training: { preset: 42, steps: 'many' }, attention: [] }), DEFAULT_SETTINGS);
  });

  it('clamps numbers into their bounds and rounds integers', () => {
    const s = parseSettings({ training: { steps: 1e9, seed: -5, batchSize: 3.6, learningRate: 50 }, attention: { threshold: -1 }, hover: { topK: 0 } });
    assert.equal(s.training.steps, 100_000);
    assert.equal(s.training.seed, 0);
    assert.equal(s.training.batchSize, 4);
    assert.equal(s.training.learningRate, 1);
    assert.equal(s.attention.threshold, 0);
    assert.equal(s.hover.topK, 1);
    assert.equal(parseSettings({ training: { steps: Number.NaN } }).training.steps, DEFAULT_SETTINGS.training.steps);
    // Found by fuzzing (its recorded seed no longer replays since the settings grew a group): a
    // nullable number of the wrong type falls back to its default, null, not to a bound.
    for (const wrong of ['16', true, [], {}, Number.NaN]) assert.equal(parseSettings({ training: { batchSize: wrong } }).training.batchSize, null);
    assert.equal(parseSettings({ surprisal: { overlay: 'yes' } }).surprisal.overlay, false);
  });

  it('accepts valid enums and hex colours, rejects others', () => {
    const s = parseSettings({ training: { preset: 'small' }, attention: { aggregation: 'max', direction: 'attendedBy' }, decorations: { color: ' #ff8800 ' } });
    assert.equal(s.training.preset, 'small');
    assert.equal(s.attention.aggregation, 'max');
    assert.equal(s.attention.direction, 'attendedBy');
    assert.equal(s.decorations.color, '#ff8800');
    assert.equal(parseSettings({ training: { preset: 'huge' }, decorations: { color: 'red; background: url(x)' } }).training.preset, 'tiny');
    assert.equal(parseSettings({ decorations: { color: 'url(javascript:1)' } }).decorations.color, null);
  });

  it('package.json declares every setting with a description, the same default and the same bounds', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties as Record<string, { default: unknown; minimum?: number; maximum?: number; description?: string }>;
    const flat: Record<string, unknown> = {};
    for (const [group, values] of Object.entries(DEFAULT_SETTINGS))
      for (const [k, v] of Object.entries(values as object)) flat[`attentionLens.${group}.${k}`] = v;
    assert.deepEqual(Object.keys(props).sort(), Object.keys(flat).sort());
    for (const [key, p] of Object.entries(props)) {
      assert.ok(p.description && p.description.length > 10, `${key} needs a description`);
      assert.deepEqual(p.default, flat[key], `${key} default`);
    }
    for (const [key, [min, max]] of Object.entries(SETTING_BOUNDS)) {
      assert.equal(props[`attentionLens.${key}`]!.minimum, min, `${key} minimum`);
      assert.equal(props[`attentionLens.${key}`]!.maximum, max, `${key} maximum`);
    }
  });
});
