/**
 * Element-wise sums and products: the residual connection (same shapes), broadcasting
 * over leading axes (learned positions [T, C] added to every sequence of [B, T, C]), and
 * the element-wise product SwiGLU needs.
 */

import { Tape, output } from '../autograd';
import { floatsToOverwrite } from '../buffers';
import { ShapeError, Tensor } from '../tensor';
import { addAt } from '../elements';
import { backend } from '../kernels/activeBackend';

function checkSuffix(a: Tensor, b: Tensor, what: string): void {
  const off = a.shape.length - b.shape.length;
  if (off < 0 || b.shape.some((d, i) => d !== a.shape[off + i])) {
    throw new ShapeError(`${what}: shape [${b.shape.join(', ')}] does not broadcast onto [${a.shape.join(', ')}]`);
  }
}

/** t.grad += g (equal sizes); the first contribution is copied in, not added to zeros. */
function addGradient(t: Tensor, g: Float32Array): void {
  const { grad, first } = t.gradForContribution();
  if (first) grad.set(g.subarray(0, grad.length));
  else backend().accumulate(grad, g, grad.length);
}

/** a + b, where b's shape equals a's or is a suffix of it (broadcast over leading axes). */
export function add(tape: Tape | null, a: Tensor, b: Tensor): Tensor {
  checkSuffix(a, b, 'add');
  const n = a.size;
  const m = b.size;
  const out = floatsToOverwrite(n);
  backend().addRows(a.data, b.data, out, m === 0 ? 0 : n / m, m);
  const tracked = Tape.needsGrad(tape, a, b);
  const y = output(out, a.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      if (a.requiresGrad) addGradient(a, dy);
      if (b.requiresGrad && m === n) addGradient(b, dy);
      else if (b.requiresGrad) {
        // Broadcast: each of b's values sums its column of dy, row by row.
        const db = b.ensureGrad();
        for (let i = 0; i < n; i += m) {
          for (let j = 0; j < m; j++) addAt(db, j, dy[i + j]!);
        }
      }
    });
  }
  return y;
}

/** a ⊙ b for equal shapes. */
export function mul(tape: Tape | null, a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size) throw new ShapeError(`mul: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  const n = a.size;
  const out = floatsToOverwrite(n);
  const ad = a.data,
    bd = b.data;
  for (let i = 0; i < n; i++) out[i] = ad[i]! * bd[i]!;
  const tracked = Tape.needsGrad(tape, a, b);
  const y = output(out, a.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      if (a.requiresGrad) {
        const da = a.ensureGrad();
        for (let i = 0; i < n; i++) addAt(da, i, dy[i]! * bd[i]!);
      }
      if (b.requiresGrad) {
        const db = b.ensureGrad();
        for (let i = 0; i < n; i++) addAt(db, i, dy[i]! * ad[i]!);
      }
    });
  }
  return y;
}

/** s · a for a constant s. */
export function scale(tape: Tape | null, a: Tensor, s: number): Tensor {
  const n = a.size;
  const out = floatsToOverwrite(n);
  for (let i = 0; i < n; i++) out[i] = a.data[i]! * s;
  const tracked = Tape.needsGrad(tape, a);
  const y = output(out, a.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const da = a.ensureGrad();
      for (let i = 0; i < n; i++) addAt(da, i, dy[i]! * s);
    });
  }
  return y;
}
