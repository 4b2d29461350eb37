/**
 * The dashboard panel's lifecycle: one webview panel (created by "Show Dashboard", restored by
 * VS Code after a reload through the registered serializer), the page's `ready` handshake,
 * posting (nothing before the handshake or after the panel is gone) and disposal (every
 * subscription ends with the panel). The page is untrusted: strict CSP with a nonce
 * (html.ts), local resources only, every message validated (pageMessages.ts).
 *
 * The rest is delegated, one job per module: the training run's stream (metricBatcher.ts), the
 * engine-fed views (feed.ts over viewSpecs.ts), which query to keep showing (shownAttention.ts),
 * selecting clicked tokens in the editor (revealTokens.ts) and saving exports (exportSaver.ts).
 */

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { parseUiState } from '../../presentation/webviewValidation';
import type { ViewName } from '../../protocol/dashboardViews';
import { DASHBOARD_VIEW_TYPE, WEBVIEW_PROTOCOL_VERSION, type HostToWebview, type QueryAttention, type WebviewToHost } from '../../protocol/webviewProtocol';
import type { ShownAttention } from '../attentionHighlighter';
import { onDidChangeSettings, readSettings, updateSetting } from '../config';
import type { DashboardDeps } from './deps';
import { saveExport } from './exportSaver';
import { DashboardFeed, type ViewEngine } from './feed';
import { dashboardHtml } from './html';
import { MetricBatcher } from './metricBatcher';
import { pageMessageDispatcher } from './pageMessages';
import { revealTokens } from './revealTokens';
import { snapshotFeed, snapshotsMessage } from './snapshotFeed';
import { nextShownAttention, queryAttentionOf } from './shownAttention';

const UI_STATE_KEY = 'attentionLens.dashboard.ui';

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
    const panel = vscode.window.createWebviewPanel(
      DASHBOARD_VIEW_TYPE,
      'Attention Lens',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(deps.extensionUri),
    );
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

  /** Asks again for a view whose answer changed while the question did not (e.g. a comparison was set). */
  refreshView(name: ViewName): void {
    this.feed.refresh(name);
  }

  /** The open panel, if any (for tests and commands). */
  static get instance(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  private readonly subscriptions: vscode.Disposable[] = [];
  private disposed = false;
  /** The page has said `ready` and not been hidden since (hidden webviews lose their page). */
  private ready = false;
  private attention: QueryAttention | null = null;
  private readonly feed: DashboardFeed;
  private readonly metrics: MetricBatcher;
  private readonly dispatch: (raw: unknown) => WebviewToHost | null;
  private readonly received = new vscode.EventEmitter<WebviewToHost>();
  /** Every valid message from the page (tests wait on `ready` with it). */
  readonly onDidReceiveMessage = this.received.event;
  private readonly posted = new vscode.EventEmitter<HostToWebview>();
  /** Every message posted to the page (tests read the matrix, stats, rollout and "why" from it). */
  readonly onDidPostMessage = this.posted.event;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: DashboardDeps,
  ) {
    DashboardPanel.current = this;
    panel.webview.options = webviewOptions(deps.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'dashboard.svg');
    panel.webview.html = this.html();
    this.attention = queryAttentionOf(deps.highlighter.shown);
    this.feed = new DashboardFeed(engineViews(deps), (m) => this.post(m), deps.log);
    this.metrics = new MetricBatcher(deps.run, (m) => this.post(m));
    this.dispatch = pageMessageDispatcher(
      {
        ready: (m) => this.onReady(m.protocolVersion),
        computeView: (m) => this.feed.compute(m.view),
        cancelView: (m) => this.feed.cancel(m.view),
        ablateHeads: (m) =>
          void vscode.commands.executeCommand(m.heads.length > 0 ? 'attentionLens.ablateHeads' : 'attentionLens.clearAblation', { heads: m.heads }),
        pinQuery: (m) => (m.pinned ? deps.highlighter.pin() : deps.highlighter.unpin()),
        setHeadDetector: (m) => this.feed.setDetector(m.detector),
        selectHead: (m) => deps.view.select(m.layer, m.head),
        selectTokens: (m) => {
          // Only the document the dashboard shows: a page asking for another one is refused.
          if (this.attention?.documentKey === m.documentKey) void revealTokens(deps.log, m.documentKey, m.start, m.end);
          else deps.log.warn(`dashboard: asked to select text in ${m.documentKey}, which it is not showing; ignored`);
        },
        save: (m) => void saveExport(deps.log, m.format, m.suggestedName, m.data).then((r) => this.post({ type: 'saved', ...r })),
        persist: (m) => void deps.memento.update(UI_STATE_KEY, m.ui),
        error: (m) => deps.log.error(`dashboard page: ${m.message}`),
        setDirection: (m) => void updateSetting('attention.direction', m.direction),
        forgetRun: (m) => deps.runs.remove(m.id),
        scrub: (m) => {
          // A step the host does not hold (thinned away meanwhile): the page is told where the scrubber really is.
          if (!deps.snapshots?.scrub(m.step)) {
            deps.log.warn(`dashboard: asked to show training step ${m.step}, which has no snapshot; ignored`);
            this.post({ type: 'scrubbed', step: deps.snapshots?.step ?? null });
          }
        },
      },
      (message) => deps.log.warn(message),
    );
    this.subscriptions.push(
      this.received,
      this.posted,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.handleMessage(raw)),
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      deps.run.onDidChange((e) => this.metrics.onRun(e)),
      deps.runs.onDidChange(() => this.post({ type: 'runs', runs: deps.runs.list() })),
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
      ...(deps.snapshots ? [snapshotFeed(deps.snapshots, (m) => this.post(m))] : []),
      onDidChangeSettings(() => this.postMode()),
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
      language: vscode.env.language,
      strings: vscode.l10n.bundle ?? {},
    });
  }

  /** Posts to the page; a no-op before the handshake and after dispose. */
  private post(message: HostToWebview): void {
    if (this.disposed || !this.ready) return;
    this.posted.fire(message);
    this.panel.webview
      .postMessage(message)
      .then(undefined, (e: unknown) => this.deps.log.debug(`dashboard: a ${message.type} message was not delivered: ${String(e)}`));
  }

  /**
   * Everything the page posts goes through here (pageMessages.ts). Public so in-host tests can
   * play the page (a webview cannot be clicked from the extension host).
   */
  handleMessage(raw: unknown): void {
    if (this.disposed) return;
    const m = this.dispatch(raw);
    if (m) this.received.fire(m);
  }

  private onReady(protocolVersion: number): void {
    if (protocolVersion !== WEBVIEW_PROTOCOL_VERSION) {
      this.deps.log.warn(`dashboard: the page speaks protocol ${protocolVersion}, the extension ${WEBVIEW_PROTOCOL_VERSION}; reload the window`);
      void this.panel.webview.postMessage({ type: 'versionMismatch', expected: WEBVIEW_PROTOCOL_VERSION } satisfies HostToWebview);
      return;
    }
    this.ready = true;
    this.sendInit();
  }

  private sendInit(): void {
    const { layer, head } = this.deps.view.selection;
    this.metrics.clear();
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
    this.post({ type: 'runs', runs: this.deps.runs.list() });
    if (this.deps.snapshots) this.post(snapshotsMessage(this.deps.snapshots));
    this.postMode();
    this.feed.replay();
  }

  /** What the editor's highlights mean, so the page shows the same direction and aggregation. */
  private postMode(): void {
    const { direction, aggregation } = readSettings().attention;
    this.post({ type: 'attentionMode', direction, aggregation });
  }

  private onAttention(shown: ShownAttention | null): void {
    // A scrubbed training step in the editor: the page draws that step from its own snapshots, the live query stays.
    if (shown?.snapshotStep !== undefined) return;
    const next = nextShownAttention(shown, this.attention);
    if (next === this.attention && next !== null) return;
    this.attention = next;
    this.post({ type: 'attention', attention: this.attention });
    this.feed.show(this.attention, this.deps.view.selection);
  }

  /** Stops listening and posting; the panel itself stays open. */
  private release(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ready = false;
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    this.metrics.dispose();
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

/** The worker's view requests as the feed asks for them: withdrawn with a `cancel` when superseded. */
function engineViews(deps: DashboardDeps): ViewEngine {
  return {
    request: (message, onProgress) => {
      const { id, reply } = deps.client.send(message, onProgress);
      return { reply, cancel: () => deps.client.cancel(id) };
    },
  };
}
