/**
 * Chinese renders as text, not boxes, in the Chromium the tests and screenshots use: two
 * different CJK characters drawn on a canvas must give different pixels (with no CJK font both
 * are the same "missing glyph" box).
 */

import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launch } from './harness';

describe('Chromium has a CJK font (Chinese documents, the Chinese screenshot)', function () {
  this.timeout(60_000);
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());

  it('draws 注 and 意 as two different glyphs', async () => {
    const page = await browser.newPage();
    try {
      // A string, not a function: the test runner's transpiler would add helpers the page does not have.
      const same = await page.evaluate(`(() => {
        const pixels = (ch) => {
          const c = document.createElement('canvas');
          c.width = c.height = 32;
          const ctx = c.getContext('2d');
          ctx.font = '24px sans-serif';
          ctx.fillText(ch, 2, 26);
          return Array.from(ctx.getImageData(0, 0, 32, 32).data).join(',');
        };
        return pixels('注') === pixels('意');
      })()`);
      assert.equal(same, false, 'the two characters drew the same pixels: no CJK font, so both are boxes');
    } finally {
      await page.close();
    }
  });
});
