/**
 * The WebAssembly attention kernels, forward and backward (wasm/assembly/attention.ts): one head,
 * and one chunk of its query rows, at a time. Kept apart from wasmBackend.ts (which delegates to
 * them) because they were most of its length.
 *
 * Weights kept in the module's memory (a training step's) are written and read in place; weights
 * bound for plain arrays (kept for the editor) go through a block per thread and are copied out.
 * With compute threads, units (head, chunk) are independent: in place, each thread takes a run
 * of them in one call; with copies, the helpers take batches as they come free and this thread
 * copies them out, computing units itself in between (ComputeThreads.share). In the
 * backward, heads that share a key/value head add into the same dK and dV rows, so threads take
 * different key/value heads (each thread then adds in the same order as one thread would: the
 * result does not depend on the thread count).
 */

import type { AttentionDims } from './backend';
import type { ComputeThreads, ThreadJob } from './computeThreads';
import { splitRange } from './wasmThreads';
import { jsBackend } from './jsBackend';
import type { Arena } from './wasmArena';
import type { KernelExports } from './wasmExports';

/** What these kernels use of the backend: its module, its arena and its chunking. */
export interface WasmContext {
  readonly ex: KernelExports;
  readonly arena: Arena;
  chunkRows(T: number, Tk: number): number;
  workspace(...shapes: [number, number, number][]): number;
  /** The compute threads, when more than one is in use. */
  pool(): ComputeThreads | null;
}

/**
 * Units handed out at a time when weights are copied out (split among the helpers): enough that
 * this thread seldom leaves a helper idle, few enough to keep the blocks small (a unit's block is
 * at most the backend's attentionBlockFloats, 1 MB by default). forward_2048 on 2 threads took
 * the same time with batches of 2, 4 and 8 here; 4 holds 9 blocks.
 */
const SHARE_BATCH = 4;

/** Threads for `units` independent (head, chunk) units of `work` multiply-adds each. */
function threadsFor(pool: ComputeThreads | null, units: number, work: number): number {
  return pool === null || units < 2 || work < 16 * 1024 ? 1 : Math.min(pool.size, units);
}

// One head, and one chunk of its query rows, at a time: unless the weights are resident, the
// module holds q, k, v, out and a [rows, Tk] block per slot, never all B·H·T·Tk weights, so long
// sequences need little memory.
export function wasmAttentionForward(
  ctx: WasmContext,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  dims: AttentionDims,
  out: Float32Array,
  probs: Float32Array | null,
  scores: Float32Array | null,
  hardIdx: Int32Array | null,
): void {
  const { B, T, Tk, H, Hkv, hs } = dims;
  const C = H * hs,
    Ckv = Hkv * hs,
    group = H / Hkv,
    past = pastOf(dims);
  const nq = B * T * C,
    nkv = B * Tk * Ckv;
  const rows = ctx.chunkRows(T, Tk),
    block = rows * Tk,
    chunks = Math.ceil(T / rows);
  const pool = ctx.pool();
  const units = B * H * chunks;
  const nt = threadsFor(pool, units, rows * Tk * hs);
  const ar = ctx.arena;
  const wsFloats = ctx.workspace([rows, hs, Tk], [rows, Tk, hs]);
  // Weights (and scores) kept in the kernels' memory are written in place: no block to copy out.
  const probsHere = probs !== null && ar.holds(probs),
    scoresHere = scores !== null && ar.holds(scores);
  const copyOut = (probs !== null && !probsHere) || (scores !== null && !scoresHere) || hardIdx !== null;
  // Blocks (weights, scores, hard indices, workspace) per slot: one slot a thread; with copies
  // to make, two sets of `batch` for each helper and one for this thread (ComputeThreads.share).
  const shared = nt > 1 && copyOut;
  const batch = shared ? Math.max(1, Math.min(Math.ceil(SHARE_BATCH / (nt - 1)), Math.floor(units / (2 * nt)))) : 1;
  const slots = shared ? 2 * batch * (nt - 1) + 1 : nt;
  const mainSlot = slots - 1;
  const perSlot = [probsHere ? 0 : block, scores && !scoresHere ? block : 0, hardIdx ? rows : 0, wsFloats];
  const o = ar.place([ar.operand(q, nq), ar.operand(k, nkv), ar.operand(v, nkv), ar.operand(out, nq), ...Array.from({ length: slots }, () => perSlot).flat()]);
  if (!o) return jsBackend.attentionForward(q, k, v, dims, out, probs, scores, hardIdx);
  const [pq, pk, pv, po] = o as [number, number, number, number];
  ar.put(pq, q, nq);
  ar.put(pk, k, nkv);
  ar.put(pv, v, nkv);
  ar.zero(po, nq);
  const scale = 1 / Math.sqrt(hs);
  // Unit u: batch item, head and chunk of query rows, in the order one thread takes them.
  const unit = (u: number): { b: number; h: number; t0: number; n: number } => {
    const c = u % chunks,
      bh = (u - c) / chunks;
    const t0 = c * rows;
    return { b: Math.floor(bh / H), h: bh % H, t0, n: Math.min(rows, T - t0) };
  };
  const blocksOf = (slot: number): [number, number, number, number] => o.slice(4 + 4 * slot, 8 + 4 * slot) as [number, number, number, number];
  const job = (u: number, slot: number): ThreadJob => {
    const { b, h, t0, n } = unit(u);
    const [block, blockS, ph, ws] = blocksOf(slot);
    const at = 4 * ((b * H + h) * T + t0) * Tk;
    const pp = probsHere ? probs.byteOffset + at : block,
      ps = scoresHere ? scores.byteOffset + at : blockS;
    const ko = (b * Tk * Ckv + Math.floor(h / group) * hs) * 4;
    const qo = ((b * T + t0) * C + h * hs) * 4;
    return { op: 'attnForwardHead', args: [pq + qo, pk + ko, pv + ko, po + qo, pp, ps, ph, n, Tk, past + t0, C, Ckv, hs, scale, ws] };
  };
  /** Copies unit u's weights, scores and hard indices out of its slot's blocks (what is not resident). */
  const copy = (u: number, slot: number): void => {
    const { b, h, t0, n } = unit(u);
    const [pp, ps, ph] = blocksOf(slot);
    const at = ((b * H + h) * T + t0) * Tk;
    if (probs && !probsHere) probs.set(ar.f32().subarray(pp >> 2, (pp >> 2) + n * Tk), at);
    if (scores && !scoresHere) scores.set(ar.f32().subarray(ps >> 2, (ps >> 2) + n * Tk), at);
    if (hardIdx) hardIdx.set(ar.i32(ph, n), (b * H + h) * T + t0);
  };
  const runHere = (u: number, slot: number): void => {
    ctx.ex.attnForwardHead(...(job(u, slot).args as Parameters<KernelExports['attnForwardHead']>));
    if (copyOut) copy(u, slot);
  };
  if (nt === 1) {
    for (let u = 0; u < units; u++) runHere(u, 0);
  } else if (!copyOut) {
    // Nothing to copy out between units: each thread takes a run of them in one call.
    pool!.runLists(splitRange(units, nt).map(([u0, u1], i) => Array.from({ length: u1 - u0 }, (_, k) => job(u0 + k, i))));
  } else {
    // Only this thread can write plain arrays, and that costs ~1 to ~12 ns a weight here
    // (fresh arrays fault their pages in) against ~4 to compute it: so the helpers compute
    // batches while this thread copies the last batch out and, between, computes units itself.
    pool!.share(units, batch, job, copy, (u) => runHere(u, mainSlot));
  }
  ar.get(po, out, nq);
}

export function wasmAttentionBackward(
  ctx: WasmContext,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  dims: AttentionDims,
  probs: Float32Array,
  hardIdx: Int32Array | null,
  dy: Float32Array,
  dq: Float32Array | null,
  dk: Float32Array | null,
  dv: Float32Array | null,
): void {
  const { B, T, Tk, H, Hkv, hs } = dims;
  const C = H * hs,
    Ckv = Hkv * hs,
    group = H / Hkv,
    past = pastOf(dims);
  const nq = B * T * C,
    nkv = B * Tk * Ckv;
  const rows = ctx.chunkRows(T, Tk),
    block = rows * Tk;
  const pool = ctx.pool();
  // Threads take different (batch item, key/value head) pairs: their dK and dV rows are apart.
  const pairs = B * Hkv;
  const nt = threadsFor(pool, pairs, rows * Tk * hs);
  const ar = ctx.arena;
  const wsFloats = ctx.workspace([rows, hs, Tk], [rows, Tk, hs], [Tk, rows, hs]);
  const probsHere = ar.holds(probs);
  const perThread = [probsHere ? 0 : block, block, hardIdx ? rows : 0, wsFloats];
  const o = ar.place([
    ar.operand(q, nq),
    ar.operand(k, nkv),
    ar.operand(v, nkv),
    ar.operand(dy, nq),
    ar.operand(dq, nq),
    ar.operand(dk, nkv),
    ar.operand(dv, nkv),
    ...Array.from({ length: nt }, () => perThread).flat(),
  ]);
  if (!o) return jsBackend.attentionBackward(q, k, v, dims, probs, hardIdx, dy, dq, dk, dv);
  const [pq, pk, pv, pdy, pdq, pdk, pdv] = o as [number, number, number, number, number, number, number];
  ar.put(pq, q, nq);
  ar.put(pk, k, nkv);
  ar.put(pv, v, nkv);
  ar.put(pdy, dy, nq);
  ar.put(pdq, dq, nq);
  ar.put(pdk, dk, nkv);
  ar.put(pdv, dv, nkv);
  const scale = 1 / Math.sqrt(hs);
  /** The job for one (pair, head of its group, chunk) on thread i, its weights (and hard indices) copied in first when not resident. */
  const job = (pair: number, j: number, t0: number, i: number): ThreadJob => {
    const n = Math.min(rows, T - t0);
    const b = Math.floor(pair / Hkv),
      g = pair % Hkv,
      h = g * group + j;
    const [block, pdp, ph, ws] = o.slice(7 + 4 * i, 11 + 4 * i) as [number, number, number, number];
    const ko = (b * Tk * Ckv + g * hs) * 4;
    const qo = ((b * T + t0) * C + h * hs) * 4;
    const at = ((b * H + h) * T + t0) * Tk;
    const pp = probsHere ? probs.byteOffset + 4 * at : block;
    if (!probsHere) ar.f32().set(probs.subarray(at, at + n * Tk), pp >> 2);
    if (hardIdx) ar.i32(ph, n).set(hardIdx.subarray((b * H + h) * T + t0, (b * H + h) * T + t0 + n));
    const args = [
      pq + qo,
      pk + ko,
      pv + ko,
      pp,
      ph,
      pdy + qo,
      dq ? pdq + qo : 0,
      dk ? pdk + ko : 0,
      dv ? pdv + ko : 0,
      pdp,
      n,
      Tk,
      past + t0,
      C,
      Ckv,
      hs,
      scale,
      ws,
    ];
    return { op: 'attnBackwardHead', args };
  };
  // A pair's heads and chunks in the order one thread takes them: head by head, chunk by chunk.
  const pairJobs = (pair: number, i: number): ThreadJob[] => {
    const jobs: ThreadJob[] = [];
    for (let j = 0; j < group; j++) for (let t0 = 0; t0 < T; t0 += rows) jobs.push(job(pair, j, t0, i));
    return jobs;
  };
  if (nt > 1 && probsHere && hardIdx === null) {
    // Nothing to copy in between jobs: each thread takes a run of pairs in one call.
    pool!.runLists(splitRange(pairs, nt).map(([p0, p1], i) => Array.from({ length: p1 - p0 }, (_, k) => pairJobs(p0 + k, i)).flat()));
  } else {
    // Otherwise a round of pairs at a time, one job per thread, copying each job's weights in.
    for (let p0 = 0; p0 < pairs; p0 += nt) {
      const width = Math.min(nt, pairs - p0);
      for (let j = 0; j < group; j++) {
        for (let t0 = 0; t0 < T; t0 += rows) {
          const jobs = Array.from({ length: width }, (_, i) => job(p0 + i, j, t0, i));
          if (jobs.length === 1) ctx.ex.attnBackwardHead(...(jobs[0]!.args as Parameters<KernelExports['attnBackwardHead']>));
          else pool!.run(jobs);
        }
      }
    }
  }
  ar.get(pdq, dq, nq);
  ar.get(pdk, dk, nkv);
  ar.get(pdv, dv, nkv);
}

/**
 * The kernel's `past`: query row i sees keys 0 … i + past. Without a causal mask every row sees
 * all Tk keys, which past = Tk gives (the kernel clamps each row's visible keys to Tk).
 */
function pastOf(dims: AttentionDims): number {
  return dims.causal === false ? dims.Tk : dims.Tk - dims.T;
}
