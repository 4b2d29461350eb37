/**
 * Entry of the dashboard page, bundled to dist/webview.js as a browser IIFE (its styles, uPlot's
 * layout rules included, are media/dashboard.css).
 */

import { App, reportError } from './app';

window.addEventListener('error', (e) => reportError(`${e.message} at ${e.filename}:${e.lineno}`));
window.addEventListener('unhandledrejection', (e) => reportError(`unhandled rejection: ${String(e.reason)}`));

const root = document.getElementById('app');
if (root) new App(root);
