// Opens a VS Code workbench URL (e.g. the one `npm start` prints) in headless chromium, optionally
// runs a command-palette query, and saves a screenshot. A quick visual check of a running server.
// Usage: node scripts/vscode-test/screenshot.mjs URL OUT.png [--palette "Attention Lens"] [--run] [--wait-ms 4000]
// --run executes the first palette match (Enter) before the screenshot.
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from './browser.mjs';

const [url, out] = process.argv.slice(2);
const opt = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
if (!url || !out) {
  console.error('usage: screenshot.mjs URL OUT.png [--palette TEXT] [--run] [--wait-ms N]');
  process.exit(2);
}
const runDir = fs.mkdtempSync(path.join('/tmp', 'al-shot-'));
const { context, page } = await launchChromium(runDir);
let rc = 0;
try {
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForSelector('.explorer-folders-view, .explorer-viewlet', { timeout: 30_000 }).catch(() => {});
  await page.waitForTimeout(Number(opt('--wait-ms') ?? 4000));
  const palette = opt('--palette');
  if (palette) {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget', { state: 'visible', timeout: 10_000 });
    await page.keyboard.type(palette);
    await page.waitForTimeout(1500);
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    console.log(`palette "${palette}": ${rows.map((r) => r.replace(/\s+/g, ' ').trim()).join(' | ') || '(no match)'}`);
    if (!rows.length) rc = 1;
    if (process.argv.includes('--run')) {
      await page.keyboard.press('Enter');
      await page.waitForTimeout(2500);
    }
  }
  await page.screenshot({ path: out });
  console.log(`saved ${out}`);
} catch (e) {
  console.error(`!! ${e.message}`);
  await page.screenshot({ path: out }).catch(() => {});
  rc = 1;
} finally {
  await context.close();
  fs.rmSync(runDir, { recursive: true, force: true });
}
process.exit(rc);
