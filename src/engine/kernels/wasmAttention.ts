/**
 * The WebAssembly attention kernels, forward and backward (wasm/assembly/attention.ts): one head,
 * and one chunk of its query rows, at a time, on copies in the module's memory. Kept apart from
 * wasmBackend.ts (which delegates to them) because they were most of its length.
 */

import type { AttentionDims } from './backend';
import { jsBackend } from './jsBackend';
import type { Arena } from './wasmArena';
import type { KernelExports } from './wasmExports';

/** What these kernels use of the backend: its module, its arena and its chunking. */
export interface WasmContext {
  readonly ex: KernelExports;
  readonly arena: Arena;
  chunkRows(T: number, Tk: number): number;
  workspace(...shapes: [number, number, number][]): number;
}

// One head, and one chunk of its query rows, at a time: the module holds q, k, v, out and
// one [rows, Tk] block, never all B·H·T·Tk weights, so long sequences need little memory.
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
    block = rows * Tk;
  const ar = ctx.arena;
  const o = ar.reserve([nq, nkv, nkv, nq, block, scores ? block : 0, hardIdx ? rows : 0, ctx.workspace([rows, hs, Tk], [rows, Tk, hs])]);
  if (!o) return jsBackend.attentionForward(q, k, v, dims, out, probs, scores, hardIdx);
  const [pq, pk, pv, po, pp, ps, ph, ws] = o as [number, number, number, number, number, number, number, number];
  ar.put(pq, q, nq);
  ar.put(pk, k, nkv);
  ar.put(pv, v, nkv);
  ar.zero(po, nq);
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      const ko = (b * Tk * Ckv + g * hs) * 4;
      for (let t0 = 0; t0 < T; t0 += rows) {
        const n = Math.min(rows, T - t0);
        const qo = ((b * T + t0) * C + h * hs) * 4;
        ctx.ex.attnForwardHead(pq + qo, pk + ko, pv + ko, po + qo, pp, ps, ph, n, Tk, past + t0, C, Ckv, hs, scale, ws);
        const at = ((b * H + h) * T + t0) * Tk;
        if (probs) probs.set(ar.f32().subarray(pp >> 2, (pp >> 2) + n * Tk), at);
        if (scores) scores.set(ar.f32().subarray(ps >> 2, (ps >> 2) + n * Tk), at);
        if (hardIdx) hardIdx.set(ar.i32(ph, n), (b * H + h) * T + t0);
      }
    }
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
  const ar = ctx.arena;
  const o = ar.reserve([
    nq,
    nkv,
    nkv,
    nq,
    dq ? nq : 0,
    dk ? nkv : 0,
    dv ? nkv : 0,
    block,
    block,
    hardIdx ? rows : 0,
    ctx.workspace([rows, hs, Tk], [rows, Tk, hs], [Tk, rows, hs]),
  ]);
  if (!o) return jsBackend.attentionBackward(q, k, v, dims, probs, hardIdx, dy, dq, dk, dv);
  const [pq, pk, pv, pdy, pdq, pdk, pdv, pp, pdp, ph, ws] = o as [number, number, number, number, number, number, number, number, number, number, number];
  ar.put(pq, q, nq);
  ar.put(pk, k, nkv);
  ar.put(pv, v, nkv);
  ar.put(pdy, dy, nq);
  ar.put(pdq, dq, nq);
  ar.put(pdk, dk, nkv);
  ar.put(pdv, dv, nkv);
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      const ko = (b * Tk * Ckv + g * hs) * 4;
      for (let t0 = 0; t0 < T; t0 += rows) {
        const n = Math.min(rows, T - t0);
        const qo = ((b * T + t0) * C + h * hs) * 4;
        const at = ((b * H + h) * T + t0) * Tk;
        ar.f32().set(probs.subarray(at, at + n * Tk), pp >> 2);
        if (hardIdx) ar.i32(ph, n).set(hardIdx.subarray((b * H + h) * T + t0, (b * H + h) * T + t0 + n));
        ctx.ex.attnBackwardHead(
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
        );
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
