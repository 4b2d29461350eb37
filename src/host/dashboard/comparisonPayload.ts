/**
 * Checks and copies the engine's `compare` view (protocol/dashboardViews.ts WhatIf) before the
 * dashboard holds it: every array against the shape the payload announces (window length,
 * layers × heads), every alignment index inside the other side.
 */

import type { ComparisonView } from '../../protocol/dashboardViews';
import { BadReplyError } from './payloads';

function sized<A extends Float32Array | Int32Array>(what: string, a: A, expected: number, shape: string): A {
  if (a.length !== expected) throw new BadReplyError(what, a.length, expected, shape);
  return a.slice() as A;
}

export function checkedComparison(v: ComparisonView): ComparisonView {
  const c = v.comparison;
  if (!c) return v;
  const W = v.windowLength;
  const n = c.layers * c.heads;
  const shape = `${c.layers} layers × ${c.heads} heads over ${W} tokens`;
  const aligned = sized('alignment', c.aligned, W, shape);
  for (const j of aligned)
    if (j < -1 || j >= c.otherLength) throw new RangeError(`the engine aligned a token to ${j}, outside the other side's ${c.otherLength} tokens`);
  return {
    ...v,
    comparison: {
      ...c,
      aligned,
      headDelta: sized('head differences', c.headDelta, n, shape),
      rowDelta: sized('attention differences', c.rowDelta, n * W, shape),
      surprisal: sized('surprisal', c.surprisal, W, shape),
      otherSurprisal: sized("the other side's surprisal", c.otherSurprisal, W, shape),
    },
  };
}
