/**
 * Run in a child process with --experimental-wasm-relaxed-simd (Node 20 has relaxed SIMD
 * behind that flag; Electron's newer V8 has it on): loads the relaxed-SIMD build and checks
 * every kernel against the JS reference. Prints `relaxed-simd ok <n>` or exits non-zero.
 */

import { loadWasmBackend } from '../../../../src/engine/kernels/wasmLoad';
import { checkAllKernels } from './kernelChecks';

const loaded = loadWasmBackend();
if (!loaded.backend) throw new Error(`no WASM backend: ${loaded.reason}`);
if (loaded.backend.name !== 'wasm-relaxed-simd') throw new Error(`expected the relaxed-SIMD build, got ${loaded.backend.name}`);
process.stdout.write(`relaxed-simd ok ${checkAllKernels(loaded.backend)}\n`);
