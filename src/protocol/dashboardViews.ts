/**
 * The dashboard's engine-fed views, declared once for every layer. Each view has one name,
 * used by the worker (which computes it), the host (which asks for it, checks the reply and
 * replays it to a reloaded page: presentation/dashboard/viewSpecs.ts) and the page (which draws
 * it: webview/viewComponents.ts). Both of those tables are mapped over `ViewName`, so a view
 * added here without its host spec or its page component is a compile error.
 *
 * A view answers one question — a document version, a query token and the selected head — and
 * its `scope` says which part of the question it depends on: the whole window ('window'), the
 * query token too ('query'), or also the selected head ('head'). The host asks again, and the
 * page forgets the old answer, exactly when that part changes.
 *
 * Adding a view: its payload type and its entry in DashboardViews below; the analysis in the
 * worker (worker/windowViews.ts, a table mapped over ViewName); its host spec; its component.
 */

import type { HeadKindName, TokenSlice, WindowRef } from './common';

export type ViewScope = 'window' | 'query' | 'head';

/** What a payload of each scope must carry so that both sides can tell whether it still fits. */
export type ScopedRef<S extends ViewScope> = S extends 'window'
  ? WindowRef
  : S extends 'query'
    ? WindowRef & { readonly query: number }
    : WindowRef & { readonly query: number; readonly layer: number; readonly head: number };

/** Every attention weight of a window, [L, H, W, W] (row = query): the engine's matrix reply, cut by the host. */
export interface AttentionBlock extends WindowRef {
  readonly window: TokenSlice;
  readonly layers: number;
  readonly heads: number;
  readonly weights: Float32Array;
}

/** One head's full pattern over the window: weights[q·W + k], row = query. */
export interface AttentionMatrix extends WindowRef {
  readonly layer: number;
  readonly head: number;
  readonly weights: Float32Array;
  /** Extremes over every head of every layer, for the "global" colour scale. */
  readonly globalMin: number;
  readonly globalMax: number;
}

/** Every head's pattern shrunk to size×size (max-pooled, so thin stripes survive). */
export interface HeadGrid extends WindowRef {
  readonly layers: number;
  readonly heads: number;
  readonly size: number;
  /** [L, H, size, size]. */
  readonly thumbnails: Float32Array;
}

/** What the page draws of the matrix view: the selected head's matrix and the layers × heads grid. */
export interface MatrixPayload extends WindowRef {
  readonly matrix: AttentionMatrix;
  readonly grid: HeadGrid;
}

/** Per-head statistics of a window (engine/analysis/headSummary.ts), each [L, H]. */
export interface HeadStats extends WindowRef {
  readonly layers: number;
  readonly heads: number;
  /** Detector name → TransformerLens "mul" score per head (ANALYSIS.md). */
  readonly scores: Readonly<Record<HeadKindName, Float32Array>>;
  /** Mean row entropy normalised by ln(i + 1): 0 one key, 1 uniform. */
  readonly entropy: Float32Array;
  /** Mean number of keys holding 50 % / 90 % of a row. */
  readonly keys50: Float32Array;
  readonly keys90: Float32Array;
}

/** Rollout relevance of every window token for the query token (window index), after each layer: [L, W]. */
export interface RolloutRow extends WindowRef {
  readonly query: number;
  readonly layers: number;
  readonly relevance: Float32Array;
}

/** The numbers behind one head's weights for one query token (window index): the "why" view. */
export interface WhyDetail extends WindowRef {
  readonly query: number;
  readonly layer: number;
  readonly head: number;
  readonly headSize: number;
  /** [hs] */
  readonly q: Float32Array;
  /** [W, hs] */
  readonly k: Float32Array;
  /** [W, hs] */
  readonly v: Float32Array;
  /** [hs]: Σ_k weight_k · v_k. */
  readonly output: Float32Array;
}

/** One view: what it depends on, what the engine sends the host, what the host sends the page. */
interface View<S extends ViewScope, Engine extends ScopedRef<S>, Page extends ScopedRef<S>> {
  readonly scope: S;
  readonly engine: Engine;
  readonly page: Page;
}

export interface DashboardViews {
  /** The selected head's matrix and the grid of every head, cut from one [L, H, W, W] block. */
  readonly matrix: View<'window', AttentionBlock, MatrixPayload>;
  readonly headStats: View<'window', HeadStats, HeadStats>;
  readonly rollout: View<'query', RolloutRow, RolloutRow>;
  readonly why: View<'head', WhyDetail, WhyDetail>;
}

export type ViewName = keyof DashboardViews;
export type EnginePayload<N extends ViewName> = DashboardViews[N]['engine'];
export type PagePayload<N extends ViewName> = DashboardViews[N]['page'];

export const VIEW_SCOPES: { readonly [N in ViewName]: DashboardViews[N]['scope'] } = {
  matrix: 'window',
  headStats: 'window',
  rollout: 'query',
  why: 'head',
};

export const VIEW_NAMES = Object.keys(VIEW_SCOPES) as readonly ViewName[];

export function isViewName(v: unknown): v is ViewName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(VIEW_SCOPES, v);
}

/** The question every view answers: query token `token` (document index) of a document version, under the selected head. */
export interface ViewQuestion {
  readonly documentKey: string;
  readonly version: number;
  readonly token: number;
  readonly layer: number;
  readonly head: number;
}

/** Whether a payload of view `name` answers the question (window-local `query`, selected head). */
export function payloadFits(name: ViewName, p: WindowRef & { readonly query?: number; readonly layer?: number; readonly head?: number }, query: number, layer: number, head: number): boolean {
  const scope = VIEW_SCOPES[name];
  if (scope === 'window') return true;
  if (p.query !== query) return false;
  return scope === 'query' || (p.layer === layer && p.head === head);
}

export function sameWindow(a: WindowRef | null, b: WindowRef | null): boolean {
  return !!a && !!b && a.documentKey === b.documentKey && a.version === b.version && a.windowStart === b.windowStart && a.windowLength === b.windowLength;
}

export function windowOf(a: WindowRef): WindowRef {
  return { documentKey: a.documentKey, version: a.version, windowStart: a.windowStart, windowLength: a.windowLength };
}
