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

test('a latency spike on payment raises its p99 and the slow trace shows the culprit span', async ({ page }) => {
  await page.goto('/#/traces');
  await expect(page.getByTestId('latency-panel').getByTestId('legend-item').first()).toBeVisible();
  const paymentP99 = async () => {
    const items = await page.getByTestId('latency-panel').getByTestId('legend-item').allTextContents();
    const payment = items.find((t) => t.includes('service="payment"')) ?? '';
    return Number(payment.replace(/^.*\}/, ''));
  };
  const before = await paymentP99();
  expect(before).toBeLessThan(0.5);

  await page.getByTestId('speed-10').click();
  await page.getByTestId('failure-latency-payment').check();
  await expect.poll(paymentP99, { timeout: 30_000 }).toBeGreaterThan(0.5);
  await page.getByTestId('speed-1').click();

  // The slowest checkouts now: the payment span is on the critical path and takes most of the time.
  await page.getByTestId('trace-operation').fill('POST /checkout');
  await page.getByTestId('trace-min').fill('400');
  await page.getByTestId('trace-row').first().click();
  const culprit = page.locator('.wf-row.critical', { hasText: 'payment POST /charge' }).last();
  await expect(culprit).toBeVisible();
  await expect(culprit.locator('.wf-duration')).toContainText(/\d{3}\.\d ms|\d+\.\d\d s/);
  await page.screenshot({ path: test.info().outputPath('latency-spike.png'), fullPage: true });
  await page.getByTestId('failure-latency-payment').uncheck();
});
