import { expect, test } from '../support/guard';
import { LiveDemoPage } from '../pages/live-demo';

test('the page loads with the live demo running and nothing leaves 127.0.0.1', async ({ page }) => {
  const demo = new LiveDemoPage(page);
  await demo.open();
  await expect(page.getByRole('heading', { name: 'O11y Playground' })).toBeVisible();
  await expect(demo.speed(1)).toHaveAttribute('aria-pressed', 'true');
  await expect(demo.errorRateStat).toHaveAttribute('data-color', 'green');
  await page.screenshot({ path: test.info().outputPath('live-demo.png') });
});

test('the first frame with data: time from navigation (printed, with the history simulation in it)', async ({ page }) => {
  const demo = new LiveDemoPage(page);
  await demo.open();
  await expect(page.getByTestId('rps-now')).toContainText('req/s');
  const figures = await page.evaluate(() => {
    const frame = performance.getEntriesByName('first-data-frame');
    const start = performance.getEntriesByName('demo-start');
    return {
      frame: frame.length ? frame[0].startTime : -1,
      history: start.length ? start[0].duration : -1,
    };
  });
  console.log(`start: first frame with data ${figures.frame.toFixed(0)} ms after navigation (simulating the demo's history: ${figures.history.toFixed(0)} ms of it)`);
  expect(figures.frame).toBeGreaterThan(0);
  expect(figures.history).toBeGreaterThan(0);
});

test('the chart moves over time, and pause stops it', async ({ page }) => {
  const demo = new LiveDemoPage(page);
  await demo.open();
  const first = await demo.chartPixels();
  await expect.poll(() => demo.chartPixels(), { timeout: 10_000 }).not.toBe(first);

  await demo.pauseToggle.click();
  await expect(demo.pauseToggle).toHaveText(/Resume/);
  // Let any redraw already under way finish, then watch for two seconds.
  await page.waitForTimeout(500);
  const paused = await demo.chartPixels();
  const pausedClock = await demo.clock.textContent();
  await page.waitForTimeout(2_000);
  expect(await demo.chartPixels()).toBe(paused);
  await expect(demo.clock).toHaveText(pausedClock ?? '');

  await demo.pauseToggle.click();
  await expect.poll(() => demo.chartPixels(), { timeout: 10_000 }).not.toBe(paused);
});

test('the error-rate stat turns red when the error rate goes above 5%', async ({ page }) => {
  const demo = new LiveDemoPage(page);
  await demo.open();
  await expect(demo.errorRateStat).toHaveAttribute('data-color', 'green');

  await demo.setRange(demo.errorRateInput, 12);
  await demo.speed(100).click();
  await expect(demo.speed(100)).toHaveAttribute('aria-pressed', 'true');
  await expect(demo.errorRateStat).toHaveAttribute('data-color', 'red');
  const shown = parseFloat((await page.getByTestId('error-rate-value').textContent()) ?? '');
  expect(shown).toBeGreaterThan(5);
  await page.screenshot({ path: test.info().outputPath('error-burst.png') });

  // Reset brings the demo back to its healthy start.
  await demo.reset.click();
  await expect(demo.errorRateStat).toHaveAttribute('data-color', 'green');
  await expect(demo.speed(1)).toHaveAttribute('aria-pressed', 'true');
});
