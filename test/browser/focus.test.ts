/**
 * Keyboard focus is visible on every kind of control, in the theme's focus colour, with VS Code's
 * default webview rule `input:focus, select:focus… {outline: -webkit-focus-ring-color}` on the
 * page (harness.ts): it used to outrank the dashboard's `:focus-visible`, so a focused checkbox
 * looked unfocused in High Contrast.
 */

import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { attentionWindow, init, queryAttention } from './fixtures';
import { dashboardSuite, type DashboardPage } from './harness';

const FOCUS = 'rgb(0, 120, 212)'; // --vscode-focusBorder in the dark test theme (#0078d4)

describe('dashboard webview: keyboard focus (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  /** Tabs from the page's start until `target` has focus, as a keyboard user gets there. */
  async function tabTo(target: Locator): Promise<void> {
    await d.page.evaluate(() => document.querySelectorAll('[data-focus-target]').forEach((e) => e.removeAttribute('data-focus-target')));
    await target.evaluate((e) => e.setAttribute('data-focus-target', ''));
    await d.page.mouse.click(2, 2);
    for (let i = 0; i < 400; i++) {
      await d.page.keyboard.press('Tab');
      if (await d.page.evaluate(() => document.activeElement?.hasAttribute('data-focus-target') === true)) return;
    }
    assert.fail('Tab never reached the control');
  }

  async function outline(target: Locator): Promise<string> {
    return target.evaluate((e) => {
      const s = getComputedStyle(e);
      return `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
    });
  }

  it('a checkbox, the slider, a select, a text field and a button focused by keyboard show the focus border colour', async () => {
    d = await open();
    await d.send(init({ attention: queryAttention(attentionWindow(24), 17) }));
    const card = d.page.locator('#custom-heads');
    await card.getByRole('combobox', { name: 'Attend to' }).selectOption('match'); // shows the text field
    const controls: [string, Locator][] = [
      ['the "Log y" checkbox', d.page.getByLabel('Log y')],
      ['the smoothing slider', d.page.locator('#loss input.slider')],
      ['the "Attend to" select', card.getByRole('combobox', { name: 'Attend to' })],
      ['the regular expression text field', card.getByLabel('Regular expression')],
      ['a button', d.page.locator('#loss button').first()],
    ];
    for (const [name, control] of controls) {
      await tabTo(control);
      const o = await outline(control);
      assert.match(o, /^solid [1-9]/, `${name} has a visible outline: ${o}`);
      assert.ok(o.endsWith(FOCUS), `${name} is outlined in the focus border colour, not Chromium's focus ring: ${o}`);
    }
  });
});
