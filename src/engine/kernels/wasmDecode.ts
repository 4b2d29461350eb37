/**
 * The WebAssembly decoding kernels (wasm/assembly/decode.ts) on resident arrays: pointers are
 * the arrays' own offsets, nothing is copied. With compute threads, a matrix-vector product
 * (or a stack of them: q/k/v, gate/up) big enough to pay for it is split by rows and attention
 * by heads. A Llama-family block can run as one call (wasm/assembly/decodeBlock.ts) when no
 * product of it would be split.
 */

import type { DecodeKernels, LlamaBlockArrays, StackedMatvec } from './backend';
import type { ComputeThreads } from './computeThreads';
import type { Arena } from './wasmArena';
import type { KernelExports } from './wasmExports';
import { partsFor, ROW_ALIGN, splitRange } from './wasmThreads';

/**
 * A llamaBlock descriptor (wasm/assembly/decodeBlock.ts says what each word holds): 38 words of
 * offsets and sizes (blockDescriptor), then eps and the attention scale as float32.
 */
const BLOCK_WORDS = 40;
const EPS_WORD = 38;
const SCALE_WORD = 39;

export function wasmDecode(ex: KernelExports, arena: Arena, threads: () => ComputeThreads | null): DecodeKernels {
  return {
    alloc(n, owner) {
      const block = arena.allocate(4 * n, owner);
      return block && new Float32Array(block.buffer, block.byteOffset, n);
    },
    resident: (a) => arena.holds(a),
    matvec(w, x, bias, y, rows, cols) {
      const pool = threads();
      const parts = partsFor(pool, rows * cols, rows);
      if (pool === null || parts <= 1) return ex.matvec(w.byteOffset, x.byteOffset, bias ? bias.byteOffset : 0, y.byteOffset, rows, cols);
      const pw = w.byteOffset,
        pb = bias ? bias.byteOffset : 0,
        py = y.byteOffset;
      pool.run(
        splitRange(rows, parts, ROW_ALIGN).map(([r0, r1]) => ({
          op: 'matvec',
          args: [pw + r0 * cols * 4, x.byteOffset, pb && pb + r0 * 4, py + r0 * 4, r1 - r0, cols],
        })),
      );
    },
    matvecStack(parts, x, cols) {
      if (parts.length === 0 || parts.length > 3) throw new RangeError(`matvecStack takes 1 to 3 products, not ${parts.length}`);
      const at = (p: StackedMatvec | undefined): number[] => (p ? [p.w.byteOffset, p.bias ? p.bias.byteOffset : 0, p.y.byteOffset, p.rows] : [0, 0, 0, 0]);
      const args = [...at(parts[0]), ...at(parts[1]), ...at(parts[2]), x.byteOffset, cols];
      const rows = parts.reduce((n, p) => n + p.rows, 0);
      const pool = threads();
      const n = partsFor(pool, rows * cols, rows);
      if (pool === null || n <= 1) return (ex.matvecStack as (...a: number[]) => void)(...args, 0, rows);
      pool.run(splitRange(rows, n, ROW_ALIGN).map(([r0, r1]) => ({ op: 'matvecStack', args: [...args, r0, r1] })));
    },
    matvecHalf(w, x, bias, y, rows, cols) {
      const kernel = w.dtype === 'f16' ? 'matvecF16' : 'matvecBf16';
      const pw = w.bits.byteOffset,
        pb = bias ? bias.byteOffset : 0,
        py = y.byteOffset;
      const pool = threads();
      const parts = partsFor(pool, rows * cols, rows);
      if (pool === null || parts <= 1) return ex[kernel](pw, x.byteOffset, pb, py, rows, cols);
      pool.run(
        splitRange(rows, parts, ROW_ALIGN).map(([r0, r1]) => ({
          op: kernel,
          args: [pw + r0 * cols * 2, x.byteOffset, pb && pb + r0 * 4, py + r0 * 4, r1 - r0, cols],
        })),
      );
    },
    llamaBlock(b, owner) {
      const words = arena.allocate(4 * BLOCK_WORDS, owner);
      if (!words) return null;
      const d = new Uint32Array(words.buffer, words.byteOffset, BLOCK_WORDS);
      d.set(blockDescriptor(b));
      const f = new Float32Array(words.buffer, words.byteOffset, BLOCK_WORDS);
      f[EPS_WORD] = b.eps;
      f[SCALE_WORD] = b.scale;
      const kvC = b.kvHeads * b.headSize;
      // [rows, cols] of its products as the kernel-by-kernel path runs them (q/k/v and gate/up stacked).
      const products: [rows: number, cols: number][] = [
        [b.C + 2 * kvC, b.C],
        [b.C, b.C],
        [2 * b.F, b.C],
        [b.C, b.F],
      ];
      const at = words.byteOffset;
      return (pos) => {
        const pool = threads();
        // Worth splitting across threads: then the caller's kernel-by-kernel path does.
        if (pool && products.some(([rows, cols]) => partsFor(pool, rows * cols, rows) > 1)) return false;
        ex.llamaBlock(at, pos);
        return true;
      };
    },
    attention(q, kc, vc, out, att, n, nH, nKv, hs, scale) {
      const pool = threads();
      const parts = partsFor(pool, 2 * n * nH * hs, nH, 1);
      const args = [q.byteOffset, kc.byteOffset, vc.byteOffset, out.byteOffset, att.byteOffset, n, nH, nKv, hs, scale];
      if (pool === null || parts <= 1) return ex.attnDecode(...(args as Parameters<KernelExports['attnDecode']>));
      pool.run(splitRange(nH, parts).map(([h0, h1]) => ({ op: 'attnDecodeHeads', args: [...args, h0, h1] })));
    },
  };
}

/** The descriptor's first EPS_WORD words: offsets, then sizes. */
function blockDescriptor(b: LlamaBlockArrays): number[] {
  const at = (a: Float32Array | null): number => (a ? a.byteOffset : 0);
  const [wq, wk, wv, wo, wg, wu, wd] = b.w;
  const [bq, bk, bv, bo, bg, bu, bd] = b.b;
  return [
    ...[b.x, b.xb, b.q, b.k, b.v, b.attOut, b.att, b.h1, b.h2, b.proj, b.stat].map(at),
    ...[b.norm1, wq, bq, wk, bk, wv, bv, wo, bo].map((a) => at(a ?? null)),
    ...[b.norm2, wg, bg, wu, bu, wd, bd].map((a) => at(a ?? null)),
    ...[b.kc, b.vc, b.cos, b.sin].map(at),
    b.C,
    b.F,
    b.heads,
    b.kvHeads,
    b.headSize,
    b.rotaryHalf,
    b.interleaved ? 1 : 0,
  ];
}
