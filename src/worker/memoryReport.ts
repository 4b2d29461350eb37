/**
 * The worker's answer to `memory`: its thread's share of the process's memory. The heap and
 * array-buffer figures of process.memoryUsage() are per thread; rss would be the whole
 * process's, which the host can read itself.
 */

import { backend } from '../engine';
import { collectGarbage } from '../node/collectGarbage';
import type { WorkerToHost } from '../protocol/workerProtocol';

export interface HeldMemory {
  readonly attentionCacheBytes: number;
  readonly attentionWindows: number;
  readonly documents: number;
}

export function memoryReport(id: number, collect: boolean, held: HeldMemory): Extract<WorkerToHost, { type: 'memory' }> {
  if (collect) collectGarbage();
  const heap = process.memoryUsage();
  return { type: 'memory', id, heapUsed: heap.heapUsed, arrayBuffers: heap.arrayBuffers, kernelBytes: backend().memoryBytes(), ...held };
}
