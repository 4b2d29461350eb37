/**
 * The WebAssembly SIMD backend: loads the kernels compiled from wasm/assembly (embedded as
 * base64 in generated/wasmModules.ts), preferring the relaxed-SIMD build (fused
 * multiply-add) when the runtime validates it, and runs every kernel on copies of its
 * operands in the module's memory. Copy-in/copy-out is a memcpy per operand (a few % of a
 * matmul's time at the engine's shapes) and keeps tensors plain Float32Arrays that never
 * detach when the memory grows.
 *
 * Loading never throws: failures come back as a reason for backendStatus().
 */

import type { AttentionDims, Backend, MatmulOptions } from './backend';
import { WASM_RELAXED_SIMD_BASE64, WASM_SIMD_BASE64 } from './generated/wasmModules';
import { jsBackend } from './jsBackend';

/** Compiled module bytes, one per build (tests substitute broken ones). */
export interface WasmModuleBytes {
  readonly simd?: Uint8Array<ArrayBuffer>;
  readonly relaxedSimd?: Uint8Array<ArrayBuffer>;
}

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  matmulWorkspaceBytes(m: number, k: number, n: number): number;
  matmul(a: number, b: number, c: number, m: number, k: number, n: number, transA: number, transB: number, accumulate: number, ws: number): void;
  attnForwardHead(q: number, k: number, v: number, out: number, p: number, scores: number, hardIdx: number, T: number, Tk: number, ldq: number, ldkv: number, hs: number, scale: number, ws: number): void;
  attnBackwardHead(q: number, k: number, v: number, p: number, hardIdx: number, dy: number, dq: number, dk: number, dv: number, dp: number, T: number, Tk: number, ldq: number, ldkv: number, hs: number, scale: number, ws: number): void;
}

const EXPECTED_EXPORTS = ['memory', 'heapBase', 'matmulWorkspaceBytes', 'matmul', 'attnForwardHead', 'attnBackwardHead'] as const;

export type WasmLoadResult = { readonly backend: Backend; readonly reason: null } | { readonly backend: null; readonly reason: string };

export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function loadWasmBackend(modules?: WasmModuleBytes): WasmLoadResult {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    return { backend: null, reason: 'WebAssembly is not available in this runtime' };
  }
  const reasons: string[] = [];
  const candidates: [string, () => Uint8Array<ArrayBuffer> | undefined][] = [
    ['wasm-relaxed-simd', () => (modules ? modules.relaxedSimd : decodeBase64(WASM_RELAXED_SIMD_BASE64))],
    ['wasm-simd', () => (modules ? modules.simd : decodeBase64(WASM_SIMD_BASE64))],
  ];
  for (const [name, bytesOf] of candidates) {
    try {
      const bytes = bytesOf();
      if (!bytes) {
        reasons.push(`${name}: no module`);
        continue;
      }
      if (!WebAssembly.validate(bytes)) {
        reasons.push(`${name}: not supported by this runtime (module does not validate)`);
        continue;
      }
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: onAbort } });
      const ex = instance.exports as unknown as KernelExports;
      const missing = EXPECTED_EXPORTS.filter((e) => !(e in instance.exports));
      if (missing.length) {
        reasons.push(`${name}: module lacks ${missing.join(', ')}`);
        continue;
      }
      return { backend: new WasmBackend(name, ex), reason: null };
    } catch (e) {
      reasons.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { backend: null, reason: reasons.join('; ') };
}

function onAbort(): never {
  throw new Error('WebAssembly kernel aborted');
}

const PAGE = 65536;

/**
 * A bump allocator over the module's memory, reset for every kernel call: reserve every
 * region first, grow once, then copy. Views are re-made after a grow detaches the old buffer.
 */
class Arena {
  private readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  private view: Float32Array;

  constructor(ex: KernelExports) {
    this.memory = ex.memory;
    this.base = align(ex.heapBase());
    this.top = this.base;
    this.view = new Float32Array(this.memory.buffer);
  }

  reset(): void {
    this.top = this.base;
  }

  /** Reserves `bytes` (64-byte aligned) and returns their byte offset. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = align(at + bytes);
    return at;
  }

  /** Grows the memory to hold everything reserved. Throws RangeError when it cannot. */
  commit(): void {
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
  }

  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, n);
  }

  zero(at: number, n: number): void {
    this.f32().fill(0, at >> 2, (at >> 2) + n);
  }

  put(at: number, src: Float32Array, n: number): void {
    this.f32().set(n === src.length ? src : src.subarray(0, n), at >> 2);
  }

  get(at: number, dst: Float32Array, n: number): void {
    dst.set(this.f32().subarray(at >> 2, (at >> 2) + n));
  }
}

function align(x: number): number {
  return (x + 63) & ~63;
}

class WasmBackend implements Backend {
  readonly name: string;
  private readonly ex: KernelExports;
  private readonly arena: Arena;

  constructor(name: string, ex: KernelExports) {
    this.name = name;
    this.ex = ex;
    this.arena = new Arena(ex);
  }

  matmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options: MatmulOptions = {}): void {
    const accumulate = options.accumulate ?? false;
    const ar = this.arena;
    ar.reset();
    const pa = ar.alloc(m * k * 4);
    const pb = ar.alloc(k * n * 4);
    const pc = ar.alloc(m * n * 4);
    const ws = ar.alloc(this.ex.matmulWorkspaceBytes(m, k, n));
    try {
      ar.commit();
    } catch (e) {
      // Out of memory for the copies: the JS reference needs none.
      if (e instanceof RangeError) return jsBackend.matmul(a, b, c, m, k, n, options);
      throw e;
    }
    ar.put(pa, a, m * k);
    ar.put(pb, b, k * n);
    if (accumulate) ar.put(pc, c, m * n);
    this.ex.matmul(pa, pb, pc, m, k, n, options.transA ? 1 : 0, options.transB ? 1 : 0, accumulate ? 1 : 0, ws);
    ar.get(pc, c, m * n);
  }

  /** Workspace for the per-head GEMMs of attention (the largest of their packing needs). */
  private attentionWorkspace(T: number, Tk: number, hs: number): number {
    const w = this.ex.matmulWorkspaceBytes.bind(this.ex);
    return Math.max(w(T, hs, Tk), w(T, Tk, hs), w(Tk, T, hs));
  }

  // One head at a time: the module holds q, k, v, out and one [T, Tk] block, never all
  // B·H of them, so long sequences need little WebAssembly memory.
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, dims: AttentionDims, out: Float32Array, probs: Float32Array | null, scores: Float32Array | null, hardIdx: Int32Array | null): void {
    const { B, T, Tk, H, Hkv, hs } = dims;
    const C = H * hs, Ckv = Hkv * hs, group = H / Hkv, block = T * Tk;
    const ar = this.arena;
    ar.reset();
    const pq = ar.alloc(B * T * C * 4), pk = ar.alloc(B * Tk * Ckv * 4), pv = ar.alloc(B * Tk * Ckv * 4), po = ar.alloc(B * T * C * 4);
    const pp = ar.alloc(block * 4);
    const ps = scores ? ar.alloc(block * 4) : 0;
    const ph = hardIdx ? ar.alloc(T * 4) : 0;
    const ws = ar.alloc(this.attentionWorkspace(T, Tk, hs));
    try {
      ar.commit();
    } catch (e) {
      if (e instanceof RangeError) return jsBackend.attentionForward(q, k, v, dims, out, probs, scores, hardIdx);
      throw e;
    }
    ar.put(pq, q, B * T * C);
    ar.put(pk, k, B * Tk * Ckv);
    ar.put(pv, v, B * Tk * Ckv);
    ar.zero(po, B * T * C);
    const scale = 1 / Math.sqrt(hs);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / group);
        const qo = (b * T * C + h * hs) * 4, ko = (b * Tk * Ckv + g * hs) * 4;
        this.ex.attnForwardHead(pq + qo, pk + ko, pv + ko, po + qo, pp, ps, ph, T, Tk, C, Ckv, hs, scale, ws);
        const at = (b * H + h) * block;
        if (probs) probs.set(ar.f32().subarray(pp >> 2, (pp >> 2) + block), at);
        if (scores) scores.set(ar.f32().subarray(ps >> 2, (ps >> 2) + block), at);
        if (hardIdx) hardIdx.set(ar.i32(ph, T), (b * H + h) * T);
      }
    }
    ar.get(po, out, B * T * C);
  }

  attentionBackward(q: Float32Array, k: Float32Array, v: Float32Array, dims: AttentionDims, probs: Float32Array, hardIdx: Int32Array | null, dy: Float32Array, dq: Float32Array | null, dk: Float32Array | null, dv: Float32Array | null): void {
    const { B, T, Tk, H, Hkv, hs } = dims;
    const C = H * hs, Ckv = Hkv * hs, group = H / Hkv, block = T * Tk;
    const nq = B * T * C, nkv = B * Tk * Ckv;
    const ar = this.arena;
    ar.reset();
    const pq = ar.alloc(nq * 4), pk = ar.alloc(nkv * 4), pv = ar.alloc(nkv * 4), pdy = ar.alloc(nq * 4);
    const pdq = dq ? ar.alloc(nq * 4) : 0, pdk = dk ? ar.alloc(nkv * 4) : 0, pdv = dv ? ar.alloc(nkv * 4) : 0;
    const pp = ar.alloc(block * 4), pdp = ar.alloc(block * 4);
    const ph = hardIdx ? ar.alloc(T * 4) : 0;
    const ws = ar.alloc(this.attentionWorkspace(T, Tk, hs));
    try {
      ar.commit();
    } catch (e) {
      if (e instanceof RangeError) return jsBackend.attentionBackward(q, k, v, dims, probs, hardIdx, dy, dq, dk, dv);
      throw e;
    }
    ar.put(pq, q, nq);
    ar.put(pk, k, nkv);
    ar.put(pv, v, nkv);
    ar.put(pdy, dy, nq);
    if (dq) ar.put(pdq, dq, nq);
    if (dk) ar.put(pdk, dk, nkv);
    if (dv) ar.put(pdv, dv, nkv);
    const scale = 1 / Math.sqrt(hs);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / group);
        const qo = (b * T * C + h * hs) * 4, ko = (b * Tk * Ckv + g * hs) * 4;
        const at = (b * H + h) * block;
        ar.f32().set(probs.subarray(at, at + block), pp >> 2);
        if (hardIdx) ar.i32(ph, T).set(hardIdx.subarray((b * H + h) * T, (b * H + h + 1) * T));
        this.ex.attnBackwardHead(pq + qo, pk + ko, pv + ko, pp, ph, pdy + qo, dq ? pdq + qo : 0, dk ? pdk + ko : 0, dv ? pdv + ko : 0, pdp, T, Tk, C, Ckv, hs, scale, ws);
      }
    }
    if (dq) ar.get(pdq, dq, nq);
    if (dk) ar.get(pdk, dk, nkv);
    if (dv) ar.get(pdv, dv, nkv);
  }
}
