/**
 * Attention flow (Abnar & Zuidema 2020, ANALYSIS.md §5): treat the layers as a DAG whose
 * edges (l, q) → (l−1, k) have capacity Â_l[q][k], and measure how much can flow from a node
 * at layer l to each input token as a max-flow (Edmonds–Karp, as the reference's networkx).
 * Rows are normalised over the inputs. One max-flow per (node, input) pair makes this
 * expensive — about O(L²·n⁴) — so the whole-model form refuses long inputs and the one-query
 * form is what the dashboard uses.
 *
 * `mats` are the per-layer matrices Â_1..Â_L (n×n row-major, heads fused, residual added:
 * rollout.ts's layerMatrices()).
 */

import { addAt } from '../elements';
import type { PassSteps } from './passes';

const EPS = 1e-12;

export class FlowTooLargeError extends RangeError {
  constructor(n: number, max: number, what: string) {
    super(`attention flow ${what} over ${n} tokens would take too long; it is limited to ${max} tokens`);
    this.name = 'FlowTooLargeError';
  }
}

/** Default input-length limits: every node (L·n² max-flows) vs one query (n max-flows). */
export const FLOW_MAX_TOKENS = 24;
export const FLOW_ROW_MAX_TOKENS = 128;

/** The residual network of layers 0..top, in CSR form with paired reverse edges. */
class FlowGraph {
  readonly start: Int32Array;
  readonly to: Int32Array;
  readonly rev: Int32Array;
  readonly cap: Float64Array;
  readonly flow: Float64Array;

  constructor(mats: readonly Float64Array[], n: number, top: number) {
    const nodes = (top + 1) * n;
    const edges: [number, number, number][] = [];
    for (let l = 1; l <= top; l++) {
      const m = mats[l - 1]!;
      for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) if (m[q * n + k]! > 0) edges.push([l * n + q, (l - 1) * n + k, m[q * n + k]!]);
    }
    const degree = new Int32Array(nodes + 1);
    for (const [u, v] of edges) {
      addAt(degree, u + 1, 1);
      addAt(degree, v + 1, 1);
    }
    for (let i = 0; i < nodes; i++) addAt(degree, i + 1, degree[i]!);
    this.start = degree;
    const m2 = edges.length * 2;
    this.to = new Int32Array(m2);
    this.rev = new Int32Array(m2);
    this.cap = new Float64Array(m2);
    this.flow = new Float64Array(m2);
    const fill = Int32Array.from(degree.subarray(0, nodes));
    for (const [u, v, c] of edges) {
      const a = fill[u]!++;
      const b = fill[v]!++;
      this.to[a] = v;
      this.cap[a] = c;
      this.rev[a] = b;
      this.to[b] = u;
      this.cap[b] = 0; // the reverse edge only carries cancelled flow
      this.rev[b] = a;
    }
  }

  /** Max-flow value from s to t (Edmonds–Karp: shortest augmenting paths by BFS). */
  maxFlow(s: number, t: number): number {
    this.flow.fill(0);
    const nodes = this.start.length - 1;
    const via = new Int32Array(nodes);
    const queue = new Int32Array(nodes);
    let total = 0;
    for (;;) {
      via.fill(-1);
      via[s] = -2;
      let head = 0;
      let tail = 0;
      queue[tail++] = s;
      while (head < tail && via[t] === -1) {
        const u = queue[head++]!;
        for (let e = this.start[u]!; e < this.start[u + 1]!; e++) {
          const v = this.to[e]!;
          if (via[v] === -1 && this.cap[e]! - this.flow[e]! > EPS) {
            via[v] = e;
            queue[tail++] = v;
          }
        }
      }
      if (via[t] === -1) return total;
      let push = Infinity;
      for (let v = t; v !== s; v = this.to[this.rev[via[v]!]!]!) push = Math.min(push, this.cap[via[v]!]! - this.flow[via[v]!]!);
      for (let v = t; v !== s; v = this.to[this.rev[via[v]!]!]!) {
        const e = via[v]!;
        addAt(this.flow, e, push);
        addAt(this.flow, this.rev[e]!, -push);
      }
      total += push;
    }
  }
}

export interface FlowRow {
  /** Max-flow from the node to each input token. */
  readonly raw: Float64Array;
  /** raw / Σ raw. */
  readonly normalized: Float64Array;
}

/** Flow from node (layer, query) — layer 1..L — to every input token. */
export function attentionFlowRow(mats: readonly Float64Array[], n: number, layer: number, query: number, maxTokens = FLOW_ROW_MAX_TOKENS): FlowRow {
  if (n > maxTokens) throw new FlowTooLargeError(n, maxTokens, 'for one query');
  if (!(Number.isInteger(layer) && layer >= 1 && layer <= mats.length)) throw new RangeError(`layer ${layer} is outside 1..${mats.length}`);
  if (!(Number.isInteger(query) && query >= 0 && query < n)) throw new RangeError(`query ${query} is outside the ${n} tokens`);
  return flowRow(new FlowGraph(mats, n, layer), n, layer, query);
}

/** attentionFlowRow one max-flow at a time: yields after each input token's (n passes). */
export function* attentionFlowRowSteps(
  mats: readonly Float64Array[],
  n: number,
  layer: number,
  query: number,
  maxTokens = FLOW_ROW_MAX_TOKENS,
): PassSteps<FlowRow> {
  if (n > maxTokens) throw new FlowTooLargeError(n, maxTokens, 'for one query');
  if (!(Number.isInteger(layer) && layer >= 1 && layer <= mats.length)) throw new RangeError(`layer ${layer} is outside 1..${mats.length}`);
  if (!(Number.isInteger(query) && query >= 0 && query < n)) throw new RangeError(`query ${query} is outside the ${n} tokens`);
  const g = new FlowGraph(mats, n, layer);
  const raw = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    raw[k] = g.maxFlow(layer * n + query, k);
    sum += raw[k]!;
    yield { done: k + 1, total: n };
  }
  return { raw, normalized: raw.map((v) => (sum > 0 ? v / sum : 0)) };
}

function flowRow(g: FlowGraph, n: number, layer: number, query: number): FlowRow {
  const raw = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    raw[k] = g.maxFlow(layer * n + query, k);
    sum += raw[k]!;
  }
  const normalized = raw.map((v) => (sum > 0 ? v / sum : 0));
  return { raw, normalized };
}

/** flow_l for l = 1..L (index l − 1), each n×n with normalised rows. */
export function attentionFlow(mats: readonly Float64Array[], n: number, maxTokens = FLOW_MAX_TOKENS): Float64Array[] {
  if (n > maxTokens) throw new FlowTooLargeError(n, maxTokens, 'for every position');
  return mats.map((_, i) => {
    const layer = i + 1;
    const g = new FlowGraph(mats, n, layer);
    const out = new Float64Array(n * n);
    for (let q = 0; q < n; q++) out.set(flowRow(g, n, layer, q).normalized, q * n);
    return out;
  });
}
