/**
 * The contract between the JS side and the compiled WebAssembly kernels (wasm/assembly), as
 * types the compiler checks, so that a forgotten export is a compile error, not a silent
 * fallback to JS at run time:
 * - KernelExports is every export wasmBackend.ts calls, with its signature (pointers are
 *   byte offsets into the module's memory; flags are 0/1);
 * - each of its names must be in WASM_EXPORT_NAMES, the list scripts/build-wasm.mjs reads
 *   from the compiled bytes (KernelExportName below fails to compile otherwise);
 * - REQUIRED must name each of them once (`satisfies`), and is what an instantiated module
 *   is checked against before it is used (tests substitute broken modules).
 */

import { WASM_EXPORT_NAMES } from './generated/wasmModules';

/** What wasm/assembly/index.ts exports. Pointers are byte offsets; flags are 0/1. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  matmulWorkspaceBytes(m: number, k: number, n: number): number;
  matmul(a: number, b: number, c: number, m: number, k: number, n: number, transA: number, transB: number, accumulate: number, ws: number): void;
  matmulStrided(
    a: number,
    lda: number,
    transA: number,
    b: number,
    ldb: number,
    transB: number,
    c: number,
    ldc: number,
    m: number,
    k: number,
    n: number,
    accumulate: number,
    ws: number,
  ): void;
  attnForwardHead(
    q: number,
    k: number,
    v: number,
    out: number,
    p: number,
    scores: number,
    hardIdx: number,
    T: number,
    Tk: number,
    past: number,
    ldq: number,
    ldkv: number,
    hs: number,
    scale: number,
    ws: number,
  ): void;
  attnBackwardHead(
    q: number,
    k: number,
    v: number,
    p: number,
    hardIdx: number,
    dy: number,
    dq: number,
    dk: number,
    dv: number,
    dp: number,
    T: number,
    Tk: number,
    past: number,
    ldq: number,
    ldkv: number,
    hs: number,
    scale: number,
    ws: number,
  ): void;
  linearForward(x: number, w: number, bias: number, y: number, rows: number, inF: number, outF: number, ws: number): void;
  /** storeDx, storeDw (1 or 0): store that gradient instead of adding to it. */
  linearBackward(
    x: number,
    w: number,
    dy: number,
    dx: number,
    dw: number,
    db: number,
    rows: number,
    inF: number,
    outF: number,
    ws: number,
    storeDx: number,
    storeDw: number,
  ): void;
  linearBackwardPart(
    x: number,
    w: number,
    dy: number,
    dx: number,
    dw: number,
    db: number,
    rows: number,
    inF: number,
    outF: number,
    ws: number,
    r0: number,
    r1: number,
    o0: number,
    o1: number,
    storeDx: number,
    storeDw: number,
  ): void;
  geluForward(x: number, out: number, n: number): void;
  /** store (1 or 0): dx = … instead of dx += …. */
  geluBackward(x: number, dy: number, dx: number, n: number, store: number): void;
  siluForward(x: number, out: number, n: number): void;
  siluBackward(x: number, dy: number, dx: number, n: number, store: number): void;
  addRows(a: number, b: number, out: number, rows: number, m: number): void;
  accumulate(dst: number, src: number, n: number): void;
  zeroFloats(at: number, n: number): void;
  rmsNormForward(x: number, w: number, y: number, rrms: number, rows: number, c: number, eps: number): void;
  rmsNormBackward(x: number, w: number, rrms: number, dy: number, dx: number, dw: number, rows: number, c: number): void;
  crossEntropyForward(logits: number, targets: number, probs: number, perToken: number, stats: number, rows: number, V: number): number;
  crossEntropyBackward(probs: number, targets: number, dx: number, rows: number, V: number, g: number): void;
  adamwStep(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    wd: number,
    c1: number,
    c2: number,
  ): void;
  layerNormForward(x: number, w: number, b: number, y: number, mean: number, rstd: number, rows: number, c: number, eps: number): void;
  matvec(w: number, x: number, bias: number, y: number, rows: number, cols: number): void;
  matvecStack(
    w0: number,
    b0: number,
    y0: number,
    n0: number,
    w1: number,
    b1: number,
    y1: number,
    n1: number,
    w2: number,
    b2: number,
    y2: number,
    n2: number,
    x: number,
    cols: number,
    from: number,
    to: number,
  ): void;
  matvecF16(w: number, x: number, bias: number, y: number, rows: number, cols: number): void;
  matvecBf16(w: number, x: number, bias: number, y: number, rows: number, cols: number): void;
  widenF16(src: number, dst: number, n: number): void;
  firstNonFinite(p: number, n: number): number;
  widenBf16(src: number, dst: number, n: number): void;
  attnDecode(q: number, kc: number, vc: number, out: number, att: number, n: number, nH: number, nKv: number, hs: number, scale: number): void;
  attnDecodeHeads(
    q: number,
    kc: number,
    vc: number,
    out: number,
    att: number,
    n: number,
    nH: number,
    nKv: number,
    hs: number,
    scale: number,
    h0: number,
    h1: number,
  ): void;
  layerNormBackward(x: number, w: number, mean: number, rstd: number, dy: number, dx: number, dw: number, db: number, rows: number, c: number): void;
  llamaBlock(descriptor: number, pos: number): void;
}

/** A name the compiled module exports. */
type ModuleExport = (typeof WASM_EXPORT_NAMES)[number];

/** Accepts only names the compiled module exports: an export KernelExports expects but the module lacks fails here. */
type Exported<Name extends ModuleExport> = Name;

/** The exports the JS side relies on. */
export type KernelExportName = Exported<keyof KernelExports>;

/** Each of KernelExports' names once, with what it must be: leaving one out (or adding a stray one) does not compile. */
const REQUIRED = {
  memory: 'memory',
  heapBase: 'function',
  matmulWorkspaceBytes: 'function',
  matmul: 'function',
  matmulStrided: 'function',
  attnForwardHead: 'function',
  attnBackwardHead: 'function',
  linearForward: 'function',
  linearBackward: 'function',
  linearBackwardPart: 'function',
  geluForward: 'function',
  geluBackward: 'function',
  siluForward: 'function',
  siluBackward: 'function',
  addRows: 'function',
  accumulate: 'function',
  zeroFloats: 'function',
  layerNormForward: 'function',
  layerNormBackward: 'function',
  rmsNormForward: 'function',
  rmsNormBackward: 'function',
  crossEntropyForward: 'function',
  crossEntropyBackward: 'function',
  adamwStep: 'function',
  matvec: 'function',
  matvecStack: 'function',
  matvecF16: 'function',
  matvecBf16: 'function',
  widenF16: 'function',
  firstNonFinite: 'function',
  widenBf16: 'function',
  attnDecode: 'function',
  attnDecodeHeads: 'function',
  llamaBlock: 'function',
} as const satisfies Record<KernelExportName, 'memory' | 'function'>;

export const KERNEL_EXPORTS = Object.keys(REQUIRED) as readonly KernelExportName[];

/** The names an instantiated module lacks (or exports as the wrong kind); empty when it is usable. */
export function missingKernelExports(exports: WebAssembly.Exports): KernelExportName[] {
  return KERNEL_EXPORTS.filter((name) => {
    const value = exports[name];
    return REQUIRED[name] === 'memory' ? !(value instanceof WebAssembly.Memory) : typeof value !== 'function';
  });
}

/** The instance's exports, typed, once missingKernelExports() found nothing missing. */
export function isKernelModule(exports: WebAssembly.Exports): exports is WebAssembly.Exports & KernelExports {
  return missingKernelExports(exports).length === 0;
}
