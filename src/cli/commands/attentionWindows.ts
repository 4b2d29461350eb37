/**
 * `attention` over a text of any length: the text's sliding context windows (the plan in
 * src/protocol/contextWindows.ts, the one the editor uses) each run through the model once, and
 * every query's row — attention over the whole text's keys, zero outside its window — and logits
 * read from the window it belongs to. Rows are made on demand, so [L,H,T,T] is never held whole:
 * the JSON and the safetensors writer stream it a row at a time.
 *
 * The whole tensor still has to be written, so a text is bounded up front by the tensor's size
 * (maxAttentionTokens), before it is encoded.
 */

import { isCausal, type Transformer } from '../../engine';
import { allWindows, queriesOf, windowForQuery, windowPlan, type ContextWindow, type WindowPlan } from '../../protocol/contextWindows';

/** The [L,H,T,T] float32 tensor a run may produce: 2 GiB. */
export const MAX_ATTENTION_TENSOR_BYTES = 2 ** 31;

/** Most tokens whose [L,H,T,T] float32 attention fits MAX_ATTENTION_TENSOR_BYTES. */
export function maxAttentionTokens(layers: number, heads: number): number {
  return Math.max(1, Math.floor(Math.sqrt(MAX_ATTENTION_TENSOR_BYTES / (4 * layers * heads))));
}

interface WindowRun {
  readonly window: ContextWindow;
  /** Per layer, [H, W, W] post-softmax weights. */
  readonly attention: readonly Float32Array[];
  /** [W, V], or null without --logits. */
  readonly logits: Float32Array | null;
  /** Per layer + 1, the hidden states (only when asked, for a classifier's verdict). */
  readonly hidden: readonly Float32Array[];
}

export interface WindowedAttention {
  readonly plan: WindowPlan;
  readonly windows: readonly WindowRun[];
  /** The windows as the JSON contract lists them: tokens [start, end) and the queries [query_start, query_end) read in each. */
  readonly windowsJson: { start: number; end: number; query_start: number; query_end: number }[];
  /** Query q's weights over every key of the text [T] (zero outside its window), at layer l, head h. */
  row(l: number, h: number, q: number): Float32Array;
  /** Query q's logits [V] (from its window). */
  logitsRow(q: number): Float32Array;
}

export interface WindowedOptions {
  readonly stride: number;
  readonly logits: boolean;
  readonly hidden: boolean;
  readonly tokenTypes?: Int32Array;
  readonly onWindow?: (done: number, total: number) => void;
}

export function attentionInWindows(model: Transformer, ids: Int32Array, options: WindowedOptions): WindowedAttention {
  const T = ids.length;
  const { vocabSize: V, contextLength } = model.config;
  const plan = windowPlan(T, contextLength, options.stride, isCausal(model.config));
  const list = allWindows(plan);
  const windows = list.map((window, i) => {
    const slice = ids.subarray(window.start, window.start + window.length);
    const r = model.forward(null, slice, 1, window.length, {
      tokenTypes: options.tokenTypes?.subarray(window.start, window.start + window.length),
      capture: { attention: true, hidden: options.hidden },
    });
    options.onWindow?.(i + 1, list.length);
    const attention = r.layers.map((layer, l) => {
      if (!layer.attention) throw new Error(`the model returned no attention weights for layer ${l}`);
      return layer.attention;
    });
    return { window, attention, logits: options.logits ? r.logits.data : null, hidden: r.hidden ?? [] };
  });
  const owner = (q: number): WindowRun => windows[windowForQuery(plan, q).index]!;
  return {
    plan,
    windows,
    windowsJson: list.map((w) => {
      const q = queriesOf(plan, w.index);
      return { start: w.start, end: w.start + w.length, query_start: q.from, query_end: q.to };
    }),
    row(l, h, q) {
      const run = owner(q);
      const W = run.window.length;
      const local = q - run.window.start;
      const out = new Float32Array(T);
      out.set(run.attention[l]!.subarray((h * W + local) * W, (h * W + local + 1) * W), run.window.start);
      return out;
    },
    logitsRow(q) {
      const run = owner(q);
      if (!run.logits) throw new Error('logits were not computed (no --logits)');
      const local = q - run.window.start;
      return run.logits.subarray(local * V, (local + 1) * V);
    },
  };
}
