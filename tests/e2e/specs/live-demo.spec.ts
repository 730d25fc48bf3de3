import { expect, test } from '../support/guard';
import { ExplorePage } from '../pages/explore';
import { LiveDemoPage } from '../pages/live-demo';

test('the page loads with the live demo running and nothing leaves 127.0.0.1', async ({ page }) => {
  const demo = new LiveDemoPage(page);
  await demo.open();
  await expect(page.getByRole('heading', { name: 'O11y Playground' })).toBeVisible();
  await expect(demo.speed(1)).toHaveAttribute('aria-pressed', 'true');
  await expect(demo.errorRateStat).toHaveAttribute('data-color', 'green');
  await page.screenshot({ path: test.info().outputPath('live-demo.png') });
});

test('the first frame with data, then the hour filled in behind it: times from navigation and the frames meanwhile (printed)', async ({ page }) => {
  // Frames over 50 ms (Chromium's long animation frames), from the start.
  await page.addInitScript(() => {
    const w = window as unknown as { longFrames: { start: number; duration: number }[] };
    w.longFrames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longFrames.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'long-animation-frame', buffered: true });
  });
  const demo = new LiveDemoPage(page);
  await demo.open();
  await expect(page.getByTestId('rps-now')).toContainText('req/s');
  // The last hour is simulated behind the first frame, and says so until it is there.
  await expect(page.getByTestId('history-filling')).toHaveCount(0, { timeout: 30_000 });
  const figures = await page.evaluate(() => {
    const at = (name: string) => {
      const all = performance.getEntriesByName(name);
      return all.length ? all[0].startTime : -1;
    };
    const start = performance.getEntriesByName('demo-start');
    const w = window as unknown as { longFrames: { start: number; duration: number }[] };
    return {
      frame: at('first-data-frame'),
      filled: at('history-filled'),
      preview: start.length ? start[0].duration : -1,
      longFrames: w.longFrames,
    };
  });
  // Frames that began after the first one with data (that one ends the
  // start-up task) and before the hour was there.
  const during = figures.longFrames.filter((f) => f.start > figures.frame && f.start < figures.filled);
  const longest = Math.max(0, ...during.map((f) => f.duration));
  console.log(
    `start: first frame with data ${figures.frame.toFixed(0)} ms after navigation (preview of the last minutes: ${figures.preview.toFixed(0)} ms of it); ` +
      `the hour filled in at ${figures.filled.toFixed(0)} ms; frames over 50 ms meanwhile: ${during.length}` +
      (during.length ? ` (longest ${longest.toFixed(0)} ms)` : ''),
  );
  expect(figures.frame).toBeGreaterThan(0);
  expect(figures.preview).toBeGreaterThan(0);
  expect(figures.filled).toBeGreaterThan(figures.frame);

  // A returning visitor: the workspace saved in this browser is restored
  // the same way, its hour behind the first frame.
  await expect
    .poll(() => page.evaluate(() => localStorage.getItem('o11y-workspace') !== null), { timeout: 10_000 })
    .toBe(true);
  await page.reload();
  await expect(page.getByTestId('rps-now')).toContainText('req/s');
  await expect(page.getByTestId('history-filling')).toHaveCount(0, { timeout: 30_000 });
  const again = await page.evaluate(() => {
    const at = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? -1;
    return { frame: at('first-data-frame'), filled: at('history-filled') };
  });
  console.log(`start: a returning visitor's first frame with data ${again.frame.toFixed(0)} ms after navigation; the hour filled in at ${again.filled.toFixed(0)} ms`);
  expect(again.frame).toBeGreaterThan(0);
  // The whole hour is in the store: `up` has a sample every 15 s of it.
  await page.getByRole('link', { name: 'Explore' }).click();
  const explore = new ExplorePage(page);
  await explore.type('count_over_time(up{job="shop"}[2h])');
  await page.getByTestId('view-table').click();
  await expect(explore.table.getByTestId('result-row').first()).toContainText(/\b2[34]\d\b/);
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
