/**
 * The page's side of the VS Code webview API: posting typed messages to the host and keeping
 * UI state across hide/show and reloads (getState/setState). acquireVsCodeApi may be called
 * only once per page, so this module holds the one handle.
 */

import type { WebviewToHost } from '../src/protocol/webviewProtocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

function handle(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

export function postToHost(message: WebviewToHost): void {
  handle().postMessage(message);
}

export function loadPageState(): unknown {
  return handle().getState();
}

export function savePageState(state: unknown): void {
  handle().setState(state);
}
