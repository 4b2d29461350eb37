// Opens the VS Code workbench in Debian's headless chromium through playwright-core, with a
// fresh profile under `runDir` (design/TESTING.md section 5). Used by the test driver and by
// screenshot.mjs.
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../lib/config.mjs';
import { privateEnv } from './server.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Resolves { context, page }; the caller closes the context. */
export async function launchChromium(runDir, { width = 1400, height = 900 } = {}) {
  const context = await chromium.launchPersistentContext(path.join(runDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    env: privateEnv(runDir), // else chromium writes ~/.config/chromium and ~/.cache/dconf
    args: CHROMIUM_ARGS,
    viewport: { width, height },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** The workbench URL for `folder`, with VS Code's test payload pairs if given. */
export function workbenchUrl(port, folder, payload) {
  let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}
