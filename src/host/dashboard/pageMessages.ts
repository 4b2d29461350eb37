/**
 * What the dashboard page may ask of the host, handled in one place: every message is validated
 * (the page is untrusted: presentation/webviewValidation.ts) and then goes to the handler
 * registered for its type. The handler table is mapped over the message types, so a new page
 * message without a handler does not compile.
 */

import { validateWebviewMessage } from '../../presentation/webviewValidation';
import type { WebviewToHost } from '../../protocol/webviewProtocol';

export type PageMessageHandlers = { readonly [T in WebviewToHost['type']]: (m: Extract<WebviewToHost, { type: T }>) => void };

/** Returns the dispatcher: the validated message after its handler ran, or null for a refused one (logged). */
export function pageMessageDispatcher(handlers: PageMessageHandlers, warn: (message: string) => void): (raw: unknown) => WebviewToHost | null {
  return (raw) => {
    const v = validateWebviewMessage(raw);
    if (!v.ok) {
      warn(`dashboard: ignored a message from the webview: ${v.reason}`);
      return null;
    }
    dispatch(handlers, v.message);
    return v.message;
  };
}

function dispatch<T extends WebviewToHost['type']>(handlers: PageMessageHandlers, m: Extract<WebviewToHost, { type: T }>): void {
  (handlers[m.type as T] as (m: Extract<WebviewToHost, { type: T }>) => void)(m);
}
