/**
 * The extension's settings (`attentionLens.*` in package.json) as one validated object.
 * parseSettings() takes whatever the configuration API returns — user-edited JSON, so
 * anything — and returns usable values: out-of-range numbers are clamped, unknown enum
 * values and wrong types fall back to the default. It never throws.
 */

import { DEFAULT_HUB_URL, parseHubUrl } from './hubModels';

export type PresetSetting = 'seed' | 'tiny' | 'small';
export type Aggregation = 'head' | 'mean' | 'max';
export type Direction = 'attendsTo' | 'attendedBy';
export type Normalization = 'rowMax' | 'absolute';
/** Where Generate from Cursor writes: into the document, into a preview beside it, or ask each time. */
export type GenerationTarget = 'document' | 'preview' | 'ask';
/** What the highlights weigh: the attention weights α, or ‖α·v·W_O‖, the size of what each key adds (Kobayashi et al. 2020). */
export type Weighting = 'attention' | 'valueWeighted';
/** What the editor highlights for the query: attention, or the attribution of the query's prediction to the tokens before it. */
export type HighlightMode = 'attention' | 'integratedGradients' | 'gradientTimesInput';
export type AttentionModeSetting = 'soft' | 'hard';
/** 'theme': the theme colours attentionLens.weight1…8; the others are colour-blind-safe maps. */
export type WeightPalette = 'theme' | 'viridis' | 'cividis';

export interface Settings {
  readonly training: {
    readonly preset: PresetSetting;
    readonly steps: number;
    /** null = the preset's own default. */
    readonly learningRate: number | null;
    readonly batchSize: number | null;
    readonly seed: number;
    readonly evalInterval: number;
    /** Soft (softmax) or hard (one-hot argmax, straight-through backward) attention for new models. */
    readonly attention: AttentionModeSetting;
    /** Head snapshots every this many steps (0: none); null: about 50 in a run. */
    readonly snapshotEvery: number | null;
  };
  readonly attention: {
    readonly aggregation: Aggregation;
    readonly direction: Direction;
    /** Weights below this (after normalisation) are not highlighted. */
    readonly threshold: number;
    /** Leave the first token (BOS, the usual attention sink) out of highlights and scaling. */
    readonly excludeFirstToken: boolean;
    readonly normalization: Normalization;
    /** Tokens between the starts of a long document's sliding context windows; 0 = half the model's context. */
    readonly windowStride: number;
    readonly weighting: Weighting;
    readonly highlight: HighlightMode;
  };
  readonly decorations: {
    readonly enabled: boolean;
    /** A CSS hex colour to use instead of the theme colours, or null. */
    readonly color: string | null;
    /** The bucket colours when no `color` is set. */
    readonly palette: WeightPalette;
  };
  readonly hover: {
    readonly topK: number;
  };
  readonly surprisal: {
    /** Colour every visible token by how surprised the model is by it (−ln p in nats). */
    readonly overlay: boolean;
  };
  readonly generation: {
    /** 0 = greedy. */
    readonly temperature: number;
    /** Nucleus sampling: the most probable tokens adding up to this probability (1 = all). */
    readonly topP: number;
    readonly maxTokens: number;
    readonly into: GenerationTarget;
  };
  readonly hub: {
    /** The Hugging Face Hub (or a mirror) models are downloaded from, without a trailing slash. */
    readonly url: string;
  };
  readonly engine: {
    /** Compute threads for the engine's kernels; 0 = automatic (the machine's cores less one, 1 to 4); 1 = one thread. */
    readonly threads: number;
  };
}

export const DEFAULT_SETTINGS: Settings = {
  training: { preset: 'tiny', steps: 300, learningRate: null, batchSize: null, seed: 1337, evalInterval: 50, attention: 'soft', snapshotEvery: null },
  attention: {
    aggregation: 'head',
    direction: 'attendsTo',
    threshold: 0.05,
    excludeFirstToken: false,
    normalization: 'rowMax',
    windowStride: 0,
    weighting: 'attention',
    highlight: 'attention',
  },
  decorations: { enabled: true, color: null, palette: 'theme' },
  hover: { topK: 5 },
  surprisal: { overlay: false },
  generation: { temperature: 0.8, topP: 0.95, maxTokens: 64, into: 'document' },
  hub: { url: DEFAULT_HUB_URL },
  engine: { threads: 0 },
};

/** Bounds shared with package.json's contributed configuration (kept in step by a test). */
export const SETTING_BOUNDS = {
  'training.steps': [1, 100_000],
  'training.learningRate': [1e-6, 1],
  'training.batchSize': [1, 256],
  'training.seed': [0, 4_294_967_295],
  'training.evalInterval': [1, 100_000],
  'training.snapshotEvery': [0, 100_000],
  'attention.threshold': [0, 1],
  'attention.windowStride': [0, 1_048_576],
  'hover.topK': [1, 50],
  'generation.temperature': [0, 2],
  'generation.topP': [0.01, 1],
  'generation.maxTokens': [1, 2048],
  'engine.threads': [0, 64],
} as const;

function section(raw: unknown, key: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null) return {};
  const v = (raw as Record<string, unknown>)[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function num(v: unknown, fallback: number, [min, max]: readonly [number, number], integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  const c = Math.min(max, Math.max(min, v));
  return integer ? Math.round(c) : c;
}

function nullableNum(v: unknown, fallback: number | null, bounds: readonly [number, number], integer = false): number | null {
  // A wrong type falls back to the default (null = the preset's), not to the lower bound.
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return num(v, bounds[0], bounds, integer);
}

function oneOf<T extends string>(v: unknown, options: readonly T[], fallback: T): T {
  return typeof v === 'string' && (options as readonly string[]).includes(v) ? (v as T) : fallback;
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

function hubUrl(v: unknown): string {
  const url = parseHubUrl(v);
  return typeof url === 'string' ? url : DEFAULT_HUB_URL;
}

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** `raw` is the `attentionLens` configuration section as an object (e.g. getConfiguration('attentionLens') read into plain data). */
export function parseSettings(raw: unknown): Settings {
  const d = DEFAULT_SETTINGS;
  const t = section(raw, 'training');
  const a = section(raw, 'attention');
  const dec = section(raw, 'decorations');
  const h = section(raw, 'hover');
  const s = section(raw, 'surprisal');
  const g = section(raw, 'generation');
  const color = typeof dec.color === 'string' && HEX_COLOR.test(dec.color.trim()) ? dec.color.trim() : null;
  return {
    training: {
      preset: oneOf(t.preset, ['seed', 'tiny', 'small'] as const, d.training.preset),
      steps: num(t.steps, d.training.steps, SETTING_BOUNDS['training.steps'], true),
      learningRate: nullableNum(t.learningRate, d.training.learningRate, SETTING_BOUNDS['training.learningRate']),
      batchSize: nullableNum(t.batchSize, d.training.batchSize, SETTING_BOUNDS['training.batchSize'], true),
      seed: num(t.seed, d.training.seed, SETTING_BOUNDS['training.seed'], true),
      evalInterval: num(t.evalInterval, d.training.evalInterval, SETTING_BOUNDS['training.evalInterval'], true),
      attention: oneOf(t.attention, ['soft', 'hard'] as const, d.training.attention),
      snapshotEvery: nullableNum(t.snapshotEvery, d.training.snapshotEvery, SETTING_BOUNDS['training.snapshotEvery'], true),
    },
    attention: {
      aggregation: oneOf(a.aggregation, ['head', 'mean', 'max'] as const, d.attention.aggregation),
      direction: oneOf(a.direction, ['attendsTo', 'attendedBy'] as const, d.attention.direction),
      threshold: num(a.threshold, d.attention.threshold, SETTING_BOUNDS['attention.threshold']),
      excludeFirstToken: bool(a.excludeFirstToken, d.attention.excludeFirstToken),
      normalization: oneOf(a.normalization, ['rowMax', 'absolute'] as const, d.attention.normalization),
      windowStride: num(a.windowStride, d.attention.windowStride, SETTING_BOUNDS['attention.windowStride'], true),
      weighting: oneOf(a.weighting, ['attention', 'valueWeighted'] as const, d.attention.weighting),
      highlight: oneOf(a.highlight, ['attention', 'integratedGradients', 'gradientTimesInput'] as const, d.attention.highlight),
    },
    decorations: {
      enabled: bool(dec.enabled, d.decorations.enabled),
      color,
      palette: oneOf(dec.palette, ['theme', 'viridis', 'cividis'] as const, d.decorations.palette),
    },
    hover: { topK: num(h.topK, d.hover.topK, SETTING_BOUNDS['hover.topK'], true) },
    surprisal: { overlay: bool(s.overlay, d.surprisal.overlay) },
    generation: {
      temperature: num(g.temperature, d.generation.temperature, SETTING_BOUNDS['generation.temperature']),
      topP: num(g.topP, d.generation.topP, SETTING_BOUNDS['generation.topP']),
      maxTokens: num(g.maxTokens, d.generation.maxTokens, SETTING_BOUNDS['generation.maxTokens'], true),
      into: oneOf(g.into, ['document', 'preview', 'ask'] as const, d.generation.into),
    },
    hub: { url: hubUrl(section(raw, 'hub').url) },
    engine: { threads: num(section(raw, 'engine').threads, d.engine.threads, SETTING_BOUNDS['engine.threads'], true) },
  };
}
