/**
 * Runs the built dashboard page in real Chromium (playwright-core + Debian's /usr/bin/chromium)
 * the way VS Code hosts it: the HTML from host/dashboard/html.ts with its CSP and
 * nonce, resources served from one origin standing in for the webview resource origin, a
 * fake `acquireVsCodeApi` that records what the page posts, and VS Code's theme variables and
 * body class for dark or light. Messages go in as VS Code delivers them (MessageEvent data with
 * typed arrays); they cross the playwright boundary in a small wire format that keeps typed
 * arrays and NaN/±Infinity.
 */

import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { dashboardHtml } from '../../src/host/dashboard/html';
import { validateWebviewMessage } from '../../src/presentation/webviewValidation';
import type { HostToWebview } from '../../src/protocol/webviewProtocol';

export const ROOT = path.resolve(__dirname, '../..');
export const RESULTS = path.join(ROOT, 'test-results');
const ORIGIN = 'https://webview.attention-lens.test';

const DARK: Record<string, string> = {
  'editor-background': '#1f1f1f',
  foreground: '#cccccc',
  'editor-foreground': '#cccccc',
  descriptionForeground: '#9d9d9d',
  'panel-border': '#2b2b2b',
  'editorWidget-background': '#202020',
  focusBorder: '#0078d4',
  'charts-blue': '#3794ff',
  'charts-orange': '#d18616',
  'charts-red': '#f14c4c',
  'charts-yellow': '#cca700',
  'charts-green': '#89d185',
  'charts-purple': '#b180d7',
  'button-background': '#0078d4',
  'button-foreground': '#ffffff',
  'button-secondaryBackground': '#313131',
  'button-secondaryForeground': '#cccccc',
  'textLink-foreground': '#4daafc',
  errorForeground: '#f85149',
};
const LIGHT: Record<string, string> = {
  'editor-background': '#ffffff',
  foreground: '#3b3b3b',
  'editor-foreground': '#3b3b3b',
  descriptionForeground: '#6e6e6e',
  'panel-border': '#e5e5e5',
  'editorWidget-background': '#f8f8f8',
  focusBorder: '#005fb8',
  'charts-blue': '#1a85ff',
  'charts-orange': '#d18616',
  'charts-red': '#e51400',
  'charts-yellow': '#bf8803',
  'charts-green': '#388a34',
  'charts-purple': '#652d90',
  'button-background': '#005fb8',
  'button-foreground': '#ffffff',
  'button-secondaryBackground': '#e5e5e5',
  'button-secondaryForeground': '#3b3b3b',
  'textLink-foreground': '#005fb8',
  errorForeground: '#f85149',
};

/**
 * The rule of VS Code's default webview styles (webview/browser/pre/index.html, `_defaultStyles`)
 * that competes with the page's own focus ring: more specific than a bare `:focus-visible`, so a
 * page whose rule loses to it shows Chromium's focus-ring colour instead of the theme's.
 */
const VSCODE_DEFAULT_CSS = `a:focus,
input:focus,
select:focus,
textarea:focus {
  outline: 1px solid -webkit-focus-ring-color;
  outline-offset: -1px;
}
`;

export type ThemeName = 'dark' | 'light';

function themeCss(theme: ThemeName): string {
  const vars = Object.entries(theme === 'dark' ? DARK : LIGHT).map(([k, v]) => `  --vscode-${k}: ${v};`);
  vars.push(
    '  --vscode-font-family: "DejaVu Sans", system-ui, sans-serif;',
    '  --vscode-font-size: 13px;',
    '  --vscode-editor-font-family: "DejaVu Sans Mono", monospace;',
    '  --vscode-editor-font-size: 12px;',
  );
  return `:root {\n${vars.join('\n')}\n}\n`;
}

/** Newest modification time under the given folders. */
function newest(dirs: string[]): number {
  let t = 0;
  for (const d of dirs) {
    for (const e of fs.readdirSync(d, { recursive: true, withFileTypes: true }))
      if (e.isFile()) t = Math.max(t, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/**
 * The bundle under test: dist/webview.js when it is at least as new as its sources;
 * otherwise a private build with the same options, so a stale dist/ never hides a change.
 */
export async function webviewBundle(): Promise<{ js: string }> {
  const dist = path.join(ROOT, 'dist');
  const js = path.join(dist, 'webview.js');
  const sources = newest(['webview', 'src/presentation', 'src/protocol'].map((d) => path.join(ROOT, d)));
  if (fs.existsSync(js) && fs.statSync(js).mtimeMs >= sources) return { js };
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'al-webview-'));
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: [path.join(ROOT, 'webview/main.ts')],
    outfile: path.join(out, 'webview.js'),
    logLevel: 'warning',
    legalComments: 'none',
  });
  return { js: path.join(out, 'webview.js') };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface DashboardPage {
  readonly page: Page;
  /** Problems the page reported: console errors, CSP violations, uncaught exceptions. */
  readonly problems: string[];
  /** Messages the page posted to the "host", in order. */
  posted(): Promise<Record<string, unknown>[]>;
  /** Delivers host messages and waits for the next animation frame (what they change is drawn by then). */
  send(...messages: HostToWebview[]): Promise<void>;
  /** Waits for the next animation frame: what a click or key press changed is drawn by then. */
  frame(): Promise<void>;
  screenshot(name: string): Promise<string>;
  setTheme(theme: ThemeName): Promise<void>;
}

export interface OpenOptions {
  readonly theme?: ThemeName;
  readonly state?: unknown;
  readonly width?: number;
  readonly height?: number;
  /** The display language and the l10n bundle the host would put in the page (default: English, none). */
  readonly language?: string;
  readonly strings?: Record<string, string>;
}

/**
 * The hooks every dashboard suite needs, registered in the calling `describe`, and its opener:
 * one browser for the suite; after each test every message the page posted must pass the host's
 * validator and the page must have reported no problem (CSP, console errors, exceptions), then it
 * is closed. Call it in the describe body, then `d = await open(...)` in each test.
 */
export function dashboardSuite(): (o?: OpenOptions) => Promise<DashboardPage> {
  let browser: Browser | undefined;
  let opened: DashboardPage[] = [];
  before(async () => {
    browser = await launch();
  });
  afterEach(async function () {
    const pages = opened;
    opened = [];
    try {
      for (const d of pages) {
        if (d.page.isClosed()) continue; // the test closed it itself
        for (const m of await d.posted()) {
          const v = validateWebviewMessage(m);
          assert.ok(v.ok, `the host would refuse ${JSON.stringify(m).slice(0, 200)}: ${v.ok ? '' : v.reason}`);
        }
        assert.deepEqual(d.problems, [], `${this.currentTest?.title}: page problems`);
      }
    } finally {
      for (const d of pages) if (!d.page.isClosed()) await d.page.context().close();
    }
  });
  after(async () => browser?.close());
  return async (o = {}) => {
    if (!browser) throw new Error('dashboardSuite(): the browser is launched in its before hook');
    const d = await openDashboard(browser, o);
    opened.push(d);
    return d;
  };
}

export async function openDashboard(browser: Browser, o: OpenOptions = {}): Promise<DashboardPage> {
  const bundle = await webviewBundle();
  const context = await browser.newContext({ viewport: { width: o.width ?? 1280, height: o.height ?? 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  if (process.env.AL_DEBUG) page.on('console', (m) => console.log('[page]', m.type(), m.text()));
  const nonce = 'dGVzdC1ub25jZS0xMjM0NTY3OA';
  const html = dashboardHtml({
    cspSource: ORIGIN,
    nonce,
    scriptUri: `${ORIGIN}/dist/webview.js`,
    // VS Code puts its default webview styles before the extension's: the same order here.
    styleUris: [`${ORIGIN}/vscode-default.css`, `${ORIGIN}/media/dashboard.css`, `${ORIGIN}/theme.css`],
    language: o.language,
    strings: o.strings,
  }).replace('<body>', `<body class="vscode-${o.theme ?? 'dark'}">`);
  let theme: ThemeName = o.theme ?? 'dark';
  const files: Record<string, () => [string, string]> = {
    '/index.html': () => [html, 'text/html'],
    '/dist/webview.js': () => [fs.readFileSync(bundle.js, 'utf8'), 'text/javascript'],
    '/media/dashboard.css': () => [fs.readFileSync(path.join(ROOT, 'media/dashboard.css'), 'utf8'), 'text/css'],
    '/theme.css': () => [themeCss(theme), 'text/css'],
    '/vscode-default.css': () => [VSCODE_DEFAULT_CSS, 'text/css'],
  };
  await context.route(`${ORIGIN}/**`, (route) => {
    const file = files[new URL(route.request().url()).pathname];
    if (!file) return route.fulfill({ status: 404, body: 'not found' });
    const [body, contentType] = file();
    return route.fulfill({ status: 200, body, contentType });
  });
  // Nothing else may load: the CSP should already prevent it, this proves it.
  await context.route(
    (url) => !url.href.startsWith(ORIGIN) && !url.href.startsWith('data:'),
    (route) => {
      problems.push(`request outside the webview origin: ${route.request().url()}`);
      return route.abort();
    },
  );
  // tsx compiles these callbacks with esbuild's keepNames, whose __name() helper the page lacks.
  await page.addInitScript({ content: 'window.__name = (f) => f;' });
  await page.addInitScript(
    (initial) => {
      const w = window as unknown as Record<string, unknown>;
      const posted: unknown[] = [];
      let state = initial;
      w.__posted = posted;
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => state,
        setState: (s: unknown) => {
          state = s as typeof state;
          w.__state = s;
        },
      });
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
      const fromWire = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(fromWire);
        if (v && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          if (typeof o.$t === 'string') {
            const nums = (o.v as (number | string)[]).map((x) => (typeof x === 'string' ? Number(x) : x));
            return o.$t === 'f32' ? Float32Array.from(nums) : o.$t === 'f64' ? Float64Array.from(nums) : Int32Array.from(nums);
          }
          if (o.$n !== undefined) return Number(o.$n);
          return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromWire(x)]));
        }
        return v;
      };
      const frame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      w.__deliver = async (wire: unknown[]): Promise<void> => {
        for (const m of wire) window.dispatchEvent(new MessageEvent('message', { data: fromWire(m) }));
        await frame();
      };
    },
    (o.state ?? null) as object | null,
  );
  await page.goto(`${ORIGIN}/index.html`);
  await page
    .waitForFunction(() => ((window as unknown as { __posted: { type: string }[] }).__posted ?? []).some((m) => m.type === 'ready'), undefined, {
      timeout: 10_000,
    })
    .catch((e: Error) => {
      throw new Error(`the page never posted ready: ${e.message}; problems: ${problems.join(' / ')}`);
    });
  const deliver = (messages: HostToWebview[]): Promise<void> =>
    page.evaluate((wire) => (window as unknown as { __deliver: (w: unknown[]) => Promise<void> }).__deliver(wire), messages.map(toWire) as unknown[]);
  return {
    page,
    problems,
    posted: () => page.evaluate(() => (window as unknown as { __posted: Record<string, unknown>[] }).__posted.slice()),
    send: (...messages) => deliver(messages),
    frame: () => deliver([]),
    async screenshot(name) {
      fs.mkdirSync(RESULTS, { recursive: true });
      const file = path.join(RESULTS, name);
      // Clicks scroll the page, and the sticky header would then be drawn mid-page.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async setTheme(next) {
      theme = next;
      await page.evaluate(async (t) => {
        const link = Array.from(document.querySelectorAll('link')).find((l) => l.href.endsWith('/theme.css'))!;
        const fresh = link.cloneNode() as HTMLLinkElement;
        fresh.href = `${link.href.split('?')[0]}?${Date.now()}`;
        await new Promise((r) => {
          fresh.onload = r;
          link.after(fresh);
        });
        link.remove();
        document.body.className = `vscode-${t}`;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      }, next);
    },
  };
}

/** Typed arrays and non-finite numbers in a form page.evaluate can carry. */
export function toWire(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $n: String(v) };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const t = v instanceof Float32Array ? 'f32' : v instanceof Float64Array ? 'f64' : 'i32';
    return { $t: t, v: Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : String(x))) };
  }
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]));
  return v;
}

/** How many pixels of the first canvas under `selector` are within `tolerance` of the colour #rrggbb. */
export async function countPixels(page: Page, selector: string, hex: string, tolerance = 40): Promise<number> {
  return page.evaluate(
    ({ selector, hex, tolerance }) => {
      const c = document.querySelector(selector) as HTMLCanvasElement | null;
      if (!c) return -1;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - r!) + Math.abs(d[i + 1]! - g!) + Math.abs(d[i + 2]! - b!) <= tolerance) n++;
      return n;
    },
    { selector, hex, tolerance },
  );
}

/** Waits until the page has posted a message of `type` matching `where`, and returns it. */
export async function waitForPosted(
  d: DashboardPage,
  type: string,
  where: (m: Record<string, unknown>) => boolean = () => true,
  timeoutMs = 3000,
): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = (await d.posted()).filter((m) => m.type === type && where(m)).at(-1);
    if (found) return found;
    if (Date.now() > end) throw new Error(`the page posted no ${type} message; it posted ${(await d.posted()).map((m) => m.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The text of `locator` once it is `expected`. The page draws on the next animation frame, so a
 * read straight after a click, key press or fill can still see the previous frame: this waits
 * (up to `timeoutMs`) for the expected text and fails with the last text seen.
 */
export async function expectText(locator: Locator, expected: string | RegExp, timeoutMs = 5000): Promise<string> {
  const matches = (s: string): boolean => (typeof expected === 'string' ? s === expected : expected.test(s));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await locator.innerText({ timeout: timeoutMs });
    if (matches(text)) return text;
    if (Date.now() > end) {
      if (typeof expected === 'string') assert.equal(text, expected);
      else assert.match(text, expected);
      return text;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
