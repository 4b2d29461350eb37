/**
 * A full garbage collection of the calling thread's heap, for memory figures that mean
 * something (without one, "heap used" is mostly garbage not yet collected). Node runs without
 * --expose-gc; the flag can still be set at run time, and a context created afterwards carries
 * the `gc` function.
 */

import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let gc: (() => void) | null = null;

export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
