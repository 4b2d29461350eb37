/**
 * Entry of the dashboard page (bundled to dist/webview.js as a browser IIFE; the page's own
 * styles are media/dashboard.css, uPlot's come with charts.ts as dist/webview.css).
 */

import { App, reportError } from './app';

window.addEventListener('error', (e) => reportError(`${e.message} at ${e.filename}:${e.lineno}`));
window.addEventListener('unhandledrejection', (e) => reportError(`unhandled rejection: ${String(e.reason)}`));

const root = document.getElementById('app');
if (root) new App(root);
