/**
 * The dashboard: one webview panel (created by "Show Dashboard", restored by VS Code after a
 * reload through the registered serializer) that shows the training run, the model and the
 * attention the editor shows, and sends clicks back as head selections and editor
 * selections. The page is untrusted: strict CSP with a nonce, local resources only, and every
 * message validated on arrival. Nothing is posted before the page's `ready` handshake or after
 * the panel is gone; every subscription ends with the panel.
 *
 * The window views the engine computes — the full attention matrix and the layers × heads grid,
 * head statistics, the query's rollout and the selected head's q/k/v — come from one worker
 * request each, made and checked for staleness by presentation/dashboardFeed.ts.
 */

import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { dashboardHtml } from '../presentation/dashboardHtml';
import { toQueryAttention } from '../presentation/dashboardPayloads';
import { DashboardFeed, type ViewEngine } from '../presentation/dashboardFeed';
import { evalColumns, stepColumns } from '../presentation/metricColumns';
import { parseUiState, validateWebviewMessage } from '../presentation/webviewValidation';
import { assertNever, type EvalPoint, type StepPoint } from '../protocol/common';
import {
  DASHBOARD_VIEW_TYPE,
  WEBVIEW_PROTOCOL_VERSION,
  type HostToWebview,
  type QueryAttention,
  type WebviewToHost,
} from '../protocol/webviewProtocol';
import type { DashboardDeps } from './dashboardDeps';
import type { ShownAttention } from './attentionHighlighter';
import type { RunEvent } from './trainingRun';

const UI_STATE_KEY = 'attentionLens.dashboard.ui';
/** Training steps are coalesced for this long: hundreds of steps a second become ~20 posts. */
const FLUSH_MS = 50;

/** What this host can feed the views: every one, from the worker's window requests. */

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export class DashboardPanel implements vscode.Disposable {
  private static current: DashboardPanel | undefined;

  /** Shows the dashboard, creating it beside the editor if it is not open. */
  static createOrShow(deps: DashboardDeps): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal(undefined, true);
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Attention Lens', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(deps.extensionUri));
    return new DashboardPanel(panel, deps);
  }

  /**
   * Lets VS Code bring the dashboard back after a reload. Disposing it (on deactivate) unhooks
   * the open panel from the extension but leaves the tab: closing it during a window reload
   * would stop VS Code from restoring it.
   */
  static registerSerializer(deps: DashboardDeps): vscode.Disposable {
    const registration = vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
        await DashboardPanel.restore(panel, state, deps);
      },
    });
    return new vscode.Disposable(() => {
      registration.dispose();
      DashboardPanel.current?.release();
    });
  }

  /**
   * Takes over a panel VS Code brought back after a reload, with the state the page last saved
   * (untrusted: a malformed one is ignored). The page's UI state goes to the memento, which is
   * what the new page is initialised from.
   */
  static async restore(panel: vscode.WebviewPanel, state: unknown, deps: DashboardDeps): Promise<DashboardPanel> {
    const ui = parseUiState(typeof state === 'object' && state !== null ? (state as { ui?: unknown }).ui : undefined);
    if (ui) await deps.memento.update(UI_STATE_KEY, ui);
    DashboardPanel.current?.dispose();
    return new DashboardPanel(panel, deps);
  }

  /** The open panel, if any (for tests and commands). */
  static get instance(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  private readonly subscriptions: vscode.Disposable[] = [];
  private disposed = false;
  /** The page has said `ready` and not been hidden since (hidden webviews lose their page). */
  private ready = false;
  private pendingSteps: StepPoint[] = [];
  private pendingEvals: EvalPoint[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private attention: QueryAttention | null = null;
  private readonly feed: DashboardFeed;
  private readonly received = new vscode.EventEmitter<WebviewToHost>();
  /** Every valid message from the page (tests wait on `ready` with it). */
  readonly onDidReceiveMessage = this.received.event;
  private readonly posted = new vscode.EventEmitter<HostToWebview>();
  /** Every message posted to the page (tests read the matrix, stats, rollout and "why" from it). */
  readonly onDidPostMessage = this.posted.event;

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: DashboardDeps) {
    DashboardPanel.current = this;
    panel.webview.options = webviewOptions(deps.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'dashboard.svg');
    panel.webview.html = this.html();
    this.attention = this.toAttention(deps.highlighter.shown);
    this.feed = new DashboardFeed(engineViews(deps), (m) => this.post(m), deps.log);
    this.subscriptions.push(
      this.received,
      this.posted,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.handleMessage(raw)),
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      deps.run.onDidChange((e) => this.onRun(e)),
      deps.model.onDidChange((info) => {
        // Attention from the previous model must not stay on screen (the highlighter sends the new one).
        this.feed.reset();
        this.attention = null;
        this.post({ type: 'model', info });
        this.post({ type: 'attention', attention: null });
      }),
      deps.view.onDidChange(({ layer, head }) => {
        this.post({ type: 'selection', layer, head });
        this.feed.show(this.attention, { layer, head });
      }),
      deps.highlighter.onDidUpdate((shown) => this.onAttention(shown)),
    );
    this.feed.show(this.attention, deps.view.selection);
  }

  private html(): string {
    const w = this.panel.webview;
    const at = (...p: string[]): string => w.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, ...p)).toString();
    return dashboardHtml({
      cspSource: w.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: at('dist', 'webview.js'),
      styleUris: [at('media', 'dashboard.css')],
    });
  }

  /** Posts to the page; a no-op before the handshake and after dispose. */
  private post(message: HostToWebview): void {
    if (this.disposed || !this.ready) return;
    this.posted.fire(message);
    this.panel.webview.postMessage(message).then(undefined, (e: unknown) => this.deps.log.debug(`dashboard: a ${message.type} message was not delivered: ${String(e)}`));
  }

  /**
   * Everything the page posts goes through here: validated, then acted on. Public so in-host
   * tests can play the page (a webview cannot be clicked from the extension host).
   */
  handleMessage(raw: unknown): void {
    if (this.disposed) return;
    const v = validateWebviewMessage(raw);
    if (!v.ok) {
      this.deps.log.warn(`dashboard: ignored a message from the webview: ${v.reason}`);
      return;
    }
    const m = v.message;
    switch (m.type) {
      case 'ready':
        if (m.protocolVersion !== WEBVIEW_PROTOCOL_VERSION) {
          this.deps.log.warn(`dashboard: the page speaks protocol ${m.protocolVersion}, the extension ${WEBVIEW_PROTOCOL_VERSION}; reload the window`);
          void this.panel.webview.postMessage({ type: 'versionMismatch', expected: WEBVIEW_PROTOCOL_VERSION } satisfies HostToWebview);
          break;
        }
        this.ready = true;
        this.sendInit();
        break;
      case 'selectHead':
        this.deps.view.select(m.layer, m.head);
        break;
      case 'selectTokens':
        void this.revealTokens(m.documentKey, m.start, m.end);
        break;
      case 'save':
        void this.save(m.format, m.suggestedName, m.data);
        break;
      case 'persist':
        void this.deps.memento.update(UI_STATE_KEY, m.ui);
        break;
      case 'error':
        this.deps.log.error(`dashboard page: ${m.message}`);
        break;
      default:
        assertNever(m);
    }
    this.received.fire(m);
  }

  private sendInit(): void {
    const { layer, head } = this.deps.view.selection;
    this.pendingSteps = [];
    this.pendingEvals = [];
    this.post({
      type: 'init',
      protocolVersion: WEBVIEW_PROTOCOL_VERSION,
      ui: parseUiState(this.deps.memento.get(UI_STATE_KEY)),
      model: this.deps.model.info,
      selection: { layer, head },
      run: this.deps.run.info(),
      ...this.deps.run.columns(),
      attention: this.attention,
    });
    this.feed.replay();
  }

  private onRun(e: RunEvent): void {
    switch (e.kind) {
      case 'reset':
        this.pendingSteps = [];
        this.pendingEvals = [];
        this.post({ type: 'runReset', run: e.info, ...this.deps.run.columns() });
        break;
      case 'step':
        this.pendingSteps.push(e.point);
        this.scheduleFlush();
        break;
      case 'eval':
        this.pendingEvals.push(e.point);
        this.scheduleFlush();
        break;
      case 'status':
        this.flush();
        this.post({ type: 'runStatus', run: e.info });
        break;
      default:
        assertNever(e, 'run event');
    }
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingSteps.length === 0 && this.pendingEvals.length === 0) return;
    this.post({ type: 'runAppend', steps: stepColumns(this.pendingSteps), evals: evalColumns(this.pendingEvals) });
    this.pendingSteps = [];
    this.pendingEvals = [];
  }

  private toAttention(shown: ShownAttention | null): QueryAttention | null {
    if (!shown) return null;
    const uri = vscode.Uri.parse(shown.result.documentKey);
    return toQueryAttention(shown.result, path.posix.basename(uri.path) || uri.toString());
  }

  private onAttention(shown: ShownAttention | null): void {
    // Focusing this panel leaves no active text editor, and the highlighter then shows nothing;
    // keep showing the last query while its document is still on screen and unchanged.
    if (!shown && this.attention && !vscode.window.activeTextEditor) {
      const a = this.attention;
      if (vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === a.documentKey && e.document.version === a.version)) return;
    }
    this.attention = this.toAttention(shown);
    this.post({ type: 'attention', attention: this.attention });
    this.feed.show(this.attention, this.deps.view.selection);
  }

  /** Selects [start, end) in the editor showing the document the dashboard shows (opening it if needed). */
  private async revealTokens(documentKey: string, start: number, end: number): Promise<void> {
    if (!this.attention || this.attention.documentKey !== documentKey) {
      this.deps.log.warn(`dashboard: asked to select text in ${documentKey}, which it is not showing; ignored`);
      return;
    }
    try {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === documentKey) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(documentKey)));
      const length = doc.getText().length;
      const range = new vscode.Range(doc.positionAt(Math.min(start, length)), doc.positionAt(Math.min(end, length)));
      const visible = vscode.window.visibleTextEditors.find((e) => e.document === doc);
      // Focus goes to the editor: the highlighter follows the active editor's selection, so
      // this is what makes the clicked tokens the new query everywhere.
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn, preserveFocus: false, selection: range });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      this.deps.log.warn(`dashboard: could not select tokens in ${documentKey}: ${(e as Error).message}`);
    }
  }

  private async save(format: 'png' | 'csv' | 'json', suggestedName: string, data: string): Promise<void> {
    const name = suggestedName.toLowerCase().endsWith(`.${format}`) ? suggestedName : `${suggestedName}.${format}`;
    const filters: Record<string, string[]> = { [{ png: 'PNG image', csv: 'CSV', json: 'JSON' }[format]]: [format] };
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    try {
      const target = await vscode.window.showSaveDialog({ title: `Attention Lens: save ${name}`, filters, defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined });
      if (!target) {
        this.post({ type: 'saved', ok: false, message: 'Not saved.' });
        return;
      }
      const bytes = format === 'png' ? Buffer.from(data.slice(data.indexOf(',') + 1), 'base64') : Buffer.from(data, 'utf8');
      await vscode.workspace.fs.writeFile(target, bytes);
      this.deps.log.info(`dashboard: saved ${target.toString()} (${bytes.length} bytes)`);
      this.post({ type: 'saved', ok: true, message: `Saved ${path.posix.basename(target.path)}.` });
    } catch (e) {
      this.deps.log.error(`dashboard: could not save ${name}: ${(e as Error).message}`);
      this.post({ type: 'saved', ok: false, message: `Could not save ${name}: ${(e as Error).message}` });
    }
  }

  /** Stops listening and posting; the panel itself stays open. */
  private release(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ready = false;
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    clearTimeout(this.flushTimer);
    this.feed.dispose();
    for (const d of this.subscriptions) d.dispose();
    this.subscriptions.length = 0;
  }

  /** Closes the panel (also what happens when the user closes it). */
  dispose(): void {
    const open = !this.disposed;
    this.release();
    if (open) this.panel.dispose();
  }
}

/** The worker's window requests as the feed asks for them: withdrawn with a `cancel` when superseded. */
function engineViews(deps: DashboardDeps): ViewEngine {
  return {
    request: (message, expected) => {
      const { id, reply } = deps.client.send(message, expected);
      return { reply, cancel: () => deps.client.cancel(id) };
    },
  };
}
