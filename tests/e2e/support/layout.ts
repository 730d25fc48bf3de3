import { expect, type Page } from '@playwright/test';

/**
 * Long input (a query, a log line, a label value) must wrap or scroll in
 * its own box: the page itself never gets wider than the window.
 */
export async function expectFitsWindow(page: Page) {
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: innerWidth }));
  expect(widths.page, `the page is ${widths.page} px wide in a ${widths.window} px window`).toBeLessThanOrEqual(widths.window);
}
