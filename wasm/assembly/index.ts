/**
 * The engine's WebAssembly kernels (AssemblyScript, compiled by scripts/build-wasm.mjs into
 * src/engine/kernels/generated/wasmModules.ts, once with SIMD and once with relaxed SIMD).
 * Everything works on byte offsets into this module's own memory, which the JS side
 * (src/engine/kernels/wasmBackend.ts) grows and fills; nothing here allocates.
 */

export { matmul, matmulStrided, matmulWorkspaceBytes } from './matmul';
export { attnForwardHead, attnBackwardHead } from './attention';

/** First byte the JS side may use (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
export { geluForward, geluBackward, siluForward, siluBackward, addRows, accumulate, zeroFloats, colSum, linearForward, linearBackward, linearBackwardPart } from './pointwise';
export { layerNormForward, layerNormBackward, rmsNormForward, rmsNormBackward } from './norm';
export { adamwStep } from './optim';
export { crossEntropyForward, crossEntropyBackward } from './loss';
export { matvec, matvecStack, attnDecode, attnDecodeHeads } from './decode';
export { llamaBlock } from './decodeBlock';
export { matvecF16, matvecBf16, widenF16, widenBf16 } from './half';
export { firstNonFinite } from './finite';
