/**
 * A CPU profile of the calling thread through node:inspector (the soak uses it on the extension
 * host): start() begins sampling, stop() ends it, writes the .cpuprofile (open it in Chrome's
 * DevTools, Performance) and returns the functions that took the most time themselves.
 */

import * as fs from 'fs';
import { Session } from 'inspector';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export class CpuProfile {
  private readonly session = new Session();

  private post<T>(method: string, params?: object): Promise<T> {
    return new Promise((resolve, reject) => this.session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r as T))));
  }

  async start(): Promise<void> {
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.post('Profiler.start');
  }

  /** Writes the profile to `file`; returns lines "ms  share  function  file:line", the top `n` by self time. */
  async stop(file: string, n = 15): Promise<string[]> {
    const { profile } = await this.post<{ profile: Profile }>('Profiler.stop');
    this.session.disconnect();
    fs.writeFileSync(file, JSON.stringify(profile));
    // Self time per node from the samples and the time between them (µs).
    const self = new Map<number, number>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? 0));
    const byFunction = new Map<string, number>();
    for (const node of profile.nodes) {
      const { functionName, url, lineNumber } = node.callFrame;
      const key = `${functionName || '(anonymous)'}  ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + (self.get(node.id) ?? 0));
    }
    const total = profile.endTime - profile.startTime;
    return [...byFunction.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  }
}
