/**
 * A binary min-heap priority queue: push and pop in O(log n), peek in O(1).
 * Ties are broken by insertion order, so items with equal priority come out first-in, first-out.
 */
export class PriorityQueue<T> {
  private readonly heap: { item: T; priority: number; order: number }[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  push(item: T, priority: number): void {
    if (!Number.isFinite(priority)) {
      throw new RangeError(`priority must be a finite number, got ${priority}`);
    }
    this.heap.push({ item, priority, order: this.counter++ });
    this.siftUp(this.heap.length - 1);
  }

  peek(): T | undefined {
    return this.heap[0]?.item;
  }

  pop(): T | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top.item;
  }

  /** Removes and returns every item, lowest priority first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.size > 0) out.push(this.pop() as T);
    return out;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x.priority < y.priority || (x.priority === y.priority && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b], this.heap[a]];
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.less(left, smallest)) smallest = left;
      if (right < n && this.less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}

/** Dijkstra's shortest paths over a small weighted graph given as an adjacency map. */
export function shortestPaths(graph: Map<string, [string, number][]>, source: string): Map<string, number> {
  const dist = new Map<string, number>([[source, 0]]);
  const queue = new PriorityQueue<string>();
  queue.push(source, 0);
  while (queue.size > 0) {
    const node = queue.pop() as string;
    const d = dist.get(node) ?? Infinity;
    for (const [next, weight] of graph.get(node) ?? []) {
      const candidate = d + weight;
      if (candidate < (dist.get(next) ?? Infinity)) {
        dist.set(next, candidate);
        queue.push(next, candidate);
      }
    }
  }
  return dist;
}

const graph = new Map<string, [string, number][]>([
  ['harbour', [['lighthouse', 3], ['market', 1]]],
  ['market', [['lighthouse', 1], ['school', 2]]],
  ['school', [['lighthouse', 4]]],
]);
console.log(shortestPaths(graph, 'harbour')); // harbour 0, market 1, lighthouse 2, school 3
