/**
 * Entry of the dashboard page (bundled to dist/webview.js as a browser IIFE). uPlot's own
 * stylesheet is imported here so esbuild emits it as dist/webview.css, a local resource the
 * page's CSP allows; the dashboard's styles are media/dashboard.css.
 */

import 'uplot/dist/uPlot.min.css';
import { App, reportError } from './app';

window.addEventListener('error', (e) => reportError(`${e.message} at ${e.filename}:${e.lineno}`));
window.addEventListener('unhandledrejection', (e) => reportError(`unhandled rejection: ${String(e.reason)}`));

const root = document.getElementById('app');
if (root) new App(root);
