/**
 * The dashboard page: builds the views, applies host messages to the store and redraws the
 * changed parts once per animation frame (a stream of 500 training steps a second still
 * draws at most 60 times), keeps UI choices with the page (getState/setState — survives hiding
 * and reloads) and with the host (for the next panel), and reports its own errors to the log.
 */

import { parseUiState } from '../src/presentation/webviewValidation';
import { VIEW_NAMES, type ViewName } from '../src/protocol/dashboardViews';
import { WEBVIEW_PROTOCOL_VERSION, type DashboardUiState, type HostToWebview } from '../src/protocol/webviewProtocol';
import { el } from './dom';
import { hostExporter } from './exporter';
import { AblationView } from './ablationView';
import { AttributionView } from './attributionView';
import { ComparisonPanel } from './comparisonView';
import { ClassificationView } from './classificationView';
import { CustomDetectorView } from './customDetector';
import { HeadGrid } from './headGrid';
import { Header } from './header';
import { HeadTable } from './headTable';
import { InductionView } from './inductionView';
import { LogitLens } from './logitLens';
import { LossPanel } from './lossPanel';
import { MatrixView } from './matrixView';
import { MetricPanels } from './metricPanels';
import { QueryStrip } from './queryStrip';
import { RolloutView } from './rolloutView';
import { Scrubber } from './scrubber';
import { Store, type Part } from './store';
import { SurprisalStrip } from './surprisalStrip';
import { readTheme, watchTheme } from './theme';
import { loadPageState, postToHost, savePageState } from './vscodeApi';
import { WhyView } from './whyView';

const PERSIST_MS = 400;

interface Component {
  readonly root: HTMLElement;
  render(): void;
  setTheme?(t: ReturnType<typeof readTheme>): void;
}

type ComponentName =
  | 'header'
  | 'loss'
  | 'metrics'
  | 'query'
  | 'matrix'
  | 'grid'
  | 'why'
  | 'rollout'
  | 'table'
  | 'surprisal'
  | 'lens'
  | 'ablation'
  | 'attribution'
  | 'induction'
  | 'compare'
  | 'classification'
  | 'custom'
  | 'scrubber';

/** Which components draw each engine-fed view (protocol/dashboardViews.ts): a view without an entry does not compile. */
const VIEW_COMPONENTS: { readonly [N in ViewName]: readonly ComponentName[] } = {
  matrix: ['matrix', 'grid'],
  headStats: ['table', 'grid'],
  rollout: ['rollout'],
  why: ['why'],
  surprisal: ['surprisal'],
  lens: ['lens'],
  ablation: ['ablation'],
  attribution: ['attribution'],
  flow: ['rollout'],
  induction: ['induction'],
  compare: ['compare'],
  classification: ['classification'],
  customHeads: ['custom'],
};

/** Which components redraw when each part of the store changes. */
const ROUTES: { readonly [P in Part]: readonly ComponentName[] } = {
  ...VIEW_COMPONENTS,
  run: ['header', 'loss', 'metrics', 'scrubber'],
  model: ['header', 'loss', 'query', 'grid', 'ablation', 'classification', 'induction'], // loss: its empty-chart note depends on whether a model is active
  selection: ['scrubber', 'query', 'matrix', 'grid', 'why', 'table', 'ablation', 'compare', 'induction', 'custom'],
  attention: ['query', 'matrix', 'grid', 'why', 'rollout', 'surprisal', 'lens', 'ablation', 'attribution', 'compare', 'classification', 'induction', 'custom'],
  ui: ['loss', 'metrics', 'matrix', 'table', 'custom'],
  banner: ['header'],
  snapshots: ['scrubber', 'matrix', 'grid', 'table'],
};

export class App {
  readonly store = new Store();
  private readonly dirty = new Set<Part>();
  private frame = 0;
  private persistTimer: number | undefined;
  private readonly components: { readonly [C in ComponentName]: Component };
  private readonly header: Header;

  constructor(root: HTMLElement) {
    // The page's own saved state wins over the host's copy: it is what this panel last showed.
    const saved = parseUiState((loadPageState() as { ui?: unknown } | undefined)?.ui);
    if (saved) {
      this.store.ui = saved;
      this.store.uiFromPage = true;
    }
    let theme = readTheme();
    const setUi = (p: Partial<DashboardUiState>): void => this.setUi(p);
    this.header = new Header(this.store);
    this.components = {
      header: this.header,
      loss: new LossPanel(this.store, theme, setUi, hostExporter, () => this.invalidate(['run'])),
      metrics: new MetricPanels(this.store, theme, hostExporter),
      query: new QueryStrip(this.store, theme, hostExporter),
      matrix: new MatrixView(this.store, theme, setUi, hostExporter),
      grid: new HeadGrid(this.store, theme, hostExporter),
      why: new WhyView(this.store),
      rollout: new RolloutView(this.store, theme, hostExporter),
      table: new HeadTable(this.store, setUi),
      surprisal: new SurprisalStrip(this.store, theme, hostExporter),
      lens: new LogitLens(this.store, hostExporter),
      ablation: new AblationView(this.store, theme, hostExporter),
      attribution: new AttributionView(this.store, theme, hostExporter),
      induction: new InductionView(this.store, theme, hostExporter),
      compare: new ComparisonPanel(this.store, theme, hostExporter),
      classification: new ClassificationView(this.store),
      custom: new CustomDetectorView(this.store, theme, setUi, hostExporter, () => this.invalidate(this.forgetView('customHeads'))),
      scrubber: new Scrubber(this.store, theme, (parts) => this.invalidate(parts)),
    };
    const c = this.components;
    root.replaceChildren(
      this.header.root,
      this.header.bannerElement,
      el(
        'div',
        { class: 'columns' },
        el(
          'div',
          { class: 'column' },
          c.loss.root,
          c.scrubber.root,
          c.metrics.root,
          c.surprisal.root,
          c.lens.root,
          c.ablation.root,
          c.attribution.root,
          c.compare.root,
        ),
        el(
          'div',
          { class: 'column' },
          c.classification.root,
          c.query.root,
          c.matrix.root,
          c.grid.root,
          c.why.root,
          c.rollout.root,
          c.table.root,
          c.custom.root,
          c.induction.root,
        ),
      ),
    );
    root.removeAttribute('aria-busy');
    watchTheme((t) => {
      theme = t;
      for (const component of Object.values(this.components)) component.setTheme?.(t);
      this.invalidate(['run', 'attention', ...VIEW_NAMES]);
    });
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
    this.invalidate(['ui', 'run', 'model', 'attention', ...VIEW_NAMES, 'banner', 'snapshots']);
    postToHost({ type: 'ready', protocolVersion: WEBVIEW_PROTOCOL_VERSION });
  }

  private receive(data: unknown): void {
    // The host is trusted, but anything else posting into the page is ignored.
    if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
    try {
      const m = data as HostToWebview;
      this.invalidate(this.store.apply(m));
      // The host scores heads with the page's kept detector only once told (a new panel, a reload).
      if (m.type === 'init' && this.store.initialized && this.store.ui.detector) postToHost({ type: 'setHeadDetector', detector: this.store.ui.detector });
    } catch (e) {
      reportError(e instanceof Error ? e.message : String(e));
    }
  }

  /** Marks parts for the next frame. */
  invalidate(parts: readonly Part[]): void {
    for (const p of parts) this.dirty.add(p);
    if (parts.length > 0 && !this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    const names = new Set<ComponentName>();
    for (const p of this.dirty) for (const c of ROUTES[p]) names.add(c);
    this.dirty.clear();
    for (const name of names) {
      try {
        this.components[name].render();
      } catch (e) {
        reportError(`drawing ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  }

  private forgetView(name: ViewName): ViewName[] {
    this.store.forgetView(name);
    return [name];
  }

  private setUi(patch: Partial<DashboardUiState>): void {
    this.store.ui = { ...this.store.ui, ...patch };
    savePageState({ ui: this.store.ui });
    this.invalidate(['ui']);
    clearTimeout(this.persistTimer);
    this.persistTimer = window.setTimeout(() => postToHost({ type: 'persist', ui: this.store.ui }), PERSIST_MS);
  }
}

export function reportError(message: string): void {
  try {
    postToHost({ type: 'error', message });
  } catch {
    // Nothing else to tell: the page cannot reach the host.
  }
}
