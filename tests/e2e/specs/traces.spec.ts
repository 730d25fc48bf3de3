import { expect, test } from '../support/guard';

test('search traces, open a waterfall, collapse it, and go from a span to its logs and back', async ({ page }) => {
  await page.goto('/#/traces');
  await expect(page.getByTestId('traces-page')).toBeVisible();
  await expect(page.getByTestId('trace-row').first()).toBeVisible();
  await expect(page.getByTestId('trace-dot').first()).toBeAttached();
  await expect(page.getByTestId('map-node')).toHaveCount(7);

  // Only checkouts: they reach the payment service.
  await page.getByTestId('trace-operation').fill('POST /checkout');
  await page.getByTestId('trace-row').first().click();
  const rows = page.getByTestId('waterfall-row');
  await expect(rows.first()).toContainText('frontend');
  await expect(rows.first()).toContainText('POST /checkout');
  await expect(page.getByTestId('waterfall')).toContainText('payment');
  const all = await rows.count();
  expect(all).toBeGreaterThan(8);
  await expect(page.locator('.wf-row.critical').first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('traces-waterfall.png'), fullPage: true });

  // Collapsing the root hides everything under it.
  await page.getByTestId('waterfall-toggle').first().click();
  await expect(rows.locator('visible=true')).toHaveCount(1);
  await page.getByTestId('waterfall-toggle').first().click();
  await expect(rows.locator('visible=true')).toHaveCount(all);

  await rows.nth(1).click();
  await expect(page.getByTestId('span-details')).toContainText('span ');
  const traceId = page.url().split('trace=')[1];
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  // The span's logs: every line of the trace, each linking back to it.
  await page.getByTestId('span-logs-link').click();
  await expect(page.getByTestId('logs-page')).toBeVisible();
  const lines = page.getByTestId('log-line');
  await expect(lines.first()).toContainText(traceId);
  await lines.first().locator('.log-row').click();
  await page.getByTestId('log-trace-link').click();
  await expect(page.getByTestId('waterfall')).toContainText(traceId);
});
