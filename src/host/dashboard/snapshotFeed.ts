/**
 * The shown run's head snapshots to the dashboard page: all of them when the page is (re)loaded
 * or the run changes, then one message per snapshot taken while training (a whole run is up to
 * 16 MB of attention for `small`: it is not posted again with every new step), and the step the
 * scrubber is on whenever it moves (the page moved it, or the host went back to live).
 */

import type * as vscode from 'vscode';
import type { HostToWebview } from '../../protocol/webviewProtocol';
import type { RunSnapshotStore } from '../runSnapshots';

export function snapshotsMessage(store: RunSnapshotStore): HostToWebview {
  return { type: 'snapshots', snapshots: store.snapshots, step: store.step };
}

/** Posts the store's changes to the page until disposed. */
export function snapshotFeed(store: RunSnapshotStore, post: (m: HostToWebview) => void): vscode.Disposable {
  return store.onDidChange((change) => {
    if (change === 'snapshots') return post(snapshotsMessage(store));
    if (change === 'scrub') return post({ type: 'scrubbed', step: store.step });
    const last = store.snapshots?.list.at(-1);
    if (last) post({ type: 'snapshotAdded', every: store.snapshots!.every, snapshot: last, step: store.step });
  });
}
