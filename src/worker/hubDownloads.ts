/**
 * The worker's Hugging Face Hub downloads. They run beside the request queue, not in it: a
 * download is network time, and queueing it would hold the editor's tokens and attention
 * requests for minutes. Each one has an AbortController that `cancel` fires; its progress and
 * its outcome are posted with the request's id. HubError kinds become protocol error codes.
 */

import type { ErrorCode } from '../protocol/common';
import type { HostToWorker, WorkerToHost } from '../protocol/workerProtocol';
import { downloadHubModel } from '../node/hub/hubDownload';
import { HubError } from '../node/hub/hubHttp';
import { failure } from './errors';

type HubDownloadMessage = Extract<HostToWorker, { type: 'hubDownload' }>;

export class HubDownloads {
  private readonly running = new Map<number, AbortController>();

  constructor(private readonly send: (m: WorkerToHost) => void) {}

  get count(): number {
    return this.running.size;
  }

  start(r: HubDownloadMessage): void {
    const controller = new AbortController();
    this.running.set(r.id, controller);
    void downloadHubModel({
      ...r,
      signal: controller.signal,
      onProgress: (p) => this.send({ type: 'hubProgress', id: r.id, ...p }),
    })
      .then((result) => this.send({ type: 'hubDownloaded', id: r.id, ...result }))
      .catch((e: unknown) => this.send({ ...failure(r.id, e), code: codeOf(e) }))
      .finally(() => this.running.delete(r.id));
  }

  /** Whether `target` was a running download (now being stopped). */
  cancel(target: number): boolean {
    const c = this.running.get(target);
    c?.abort();
    return c !== undefined;
  }

  dispose(): void {
    for (const c of this.running.values()) c.abort();
  }
}

function codeOf(e: unknown): ErrorCode {
  if (!(e instanceof HubError)) return 'download';
  return e.kind === 'offline' ? 'offline' : e.kind === 'cancelled' ? 'cancelled' : 'download';
}
