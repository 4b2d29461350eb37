/**
 * One row of logits read as probabilities, in float64: what the worker's own summaries (the
 * induction test's per-half loss) need without asking the engine for a whole analysis.
 */

/** log p(id) under logits[offset .. offset + V). */
export function logProbOfRow(logits: ArrayLike<number>, offset: number, V: number, id: number): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]!);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[offset + v]! - max);
  return logits[offset + id]! - max - Math.log(sum);
}
