/**
 * What an in-host test gives DashboardPanel.createOrShow to drive the dashboard itself: the
 * extension's own stores (from its API), the test's own log, and a memento that keeps nothing,
 * so no test's page state reaches the next one.
 */

import * as vscode from 'vscode';
import type { DashboardDeps } from '../../src/host/dashboard/deps';
import type { AttentionLensApi } from '../../src/host/extension';
import { activeExtension } from './vscodeTest';

export async function dashboardDeps(a: AttentionLensApi, logName: string, o: { snapshots?: boolean } = {}): Promise<DashboardDeps> {
  return {
    extensionUri: (await activeExtension()).extensionUri,
    log: vscode.window.createOutputChannel(logName, { log: true }),
    client: a.client,
    run: a.run,
    model: a.model,
    view: a.view,
    highlighter: a.highlighter,
    attention: a.attention,
    memento: { keys: () => [], get: () => undefined, update: async () => undefined } as vscode.Memento,
    runs: a.runs,
    ...(o.snapshots ? { snapshots: a.snapshots } : {}),
  };
}
