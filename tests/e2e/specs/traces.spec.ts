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
  await page.getByTestId('simulator-toggle').click();
  await page.getByTestId('failure-latency-payment').check();
  await expect.poll(paymentP99, { timeout: 30_000 }).toBeGreaterThan(0.5);
  await page.getByTestId('speed-1').click();

  // The latency chart's exemplars: a slow request's diamond opens its trace.
  const dot = page.getByTestId('latency-panel').getByTestId('exemplar-dot').last();
  await expect(dot).toBeAttached();
  const exemplarTrace = await dot.getAttribute('data-trace');
  expect(exemplarTrace).toMatch(/^[0-9a-f]{32}$/);
  await dot.dispatchEvent('click');
  await expect(page.getByTestId('waterfall')).toContainText(exemplarTrace ?? 'none');
  expect(page.url()).toContain(`trace=${exemplarTrace}`);

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

/** An OTLP/JSON trace of `total` spans: a root, 50 steps, and work spans under them. */
function bigTrace(trace: string, total: number) {
  const hex = (n: number) => n.toString(16).padStart(16, '0');
  const perStep = Math.ceil((total - 51) / 50);
  const spans = [];
  spans.push({ traceId: trace, spanId: hex(1), name: 'GET /big', kind: 2, startTimeUnixNano: '1000000000', endTimeUnixNano: '9000000000' });
  let id = 2;
  for (let i = 0; i < 50; i++) {
    const parent = hex(id++);
    spans.push({ traceId: trace, spanId: parent, parentSpanId: hex(1), name: `step ${i}`, kind: 1, startTimeUnixNano: String(1e9 + i * 1e8), endTimeUnixNano: String(1e9 + i * 1e8 + 9e7) });
    for (let j = 0; j < perStep && spans.length < total; j++) {
      const at = 1e9 + i * 1e8 + Math.floor((j * 9e7) / perStep);
      spans.push({ traceId: trace, spanId: hex(id++), parentSpanId: parent, name: `work ${i}.${j}`, kind: 3, startTimeUnixNano: String(at), endTimeUnixNano: String(at + 8e5) });
    }
  }
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'big' } }] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] };
}

test('a 5,000-span trace imports as OTLP/JSON and its waterfall renders (time printed)', async ({ page }) => {
  await page.goto('/#/traces');
  const trace = '0af7651916cd43dd8448eb211c80319c';
  const doc = bigTrace(trace, 5000);
  await page.getByTestId('trace-import').setInputFiles({ name: 'big.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await expect(page.getByTestId('trace-import-status')).toHaveText('Imported 5000 spans.');
  await expect(page.getByTestId('trace-row')).toHaveCount(1);
  await page.getByTestId('trace-row').click();
  // Only the rows in view are drawn; scrolling draws the others.
  const list = page.getByTestId('waterfall-rows');
  await expect(list).toHaveAttribute('data-rows', '5000');
  expect(await page.getByTestId('waterfall-row').count()).toBeLessThan(100);
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.getByTestId('waterfall-row').last()).toContainText('work 49.');
  const ms = await page.evaluate(() => {
    const all = performance.getEntriesByName('waterfall-render');
    return all.length ? all[all.length - 1].duration : -1;
  });
  console.log(`traces: waterfall of a 5000-span trace rendered in ${ms.toFixed(1)} ms`);
  expect(ms).toBeGreaterThan(0);

  await page.getByTestId('trace-export').click();
  await expect(page.getByTestId('trace-export-link')).toHaveAttribute('href', /^blob:/);
});

test('a 50,000-span trace: waterfall render and scroll frames (printed)', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/#/traces');
  const doc = bigTrace('1bf7651916cd43dd8448eb211c80319d', 50_000);
  await page.getByTestId('trace-import').setInputFiles({ name: 'huge.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await expect(page.getByTestId('trace-import-status')).toHaveText('Imported 50000 spans.', { timeout: 60_000 });
  await page.getByTestId('trace-row').first().click();
  const list = page.getByTestId('waterfall-rows');
  await expect(list).toHaveAttribute('data-rows', '50000', { timeout: 60_000 });
  const render = await page.evaluate(() => {
    const all = performance.getEntriesByName('waterfall-render');
    return all.length ? all[all.length - 1].duration : -1;
  });
  // Scroll through the rows a screen at a time, one step per frame, and
  // keep the longest gap between frames.
  const frames = await list.evaluate(async (el) => {
    const gaps: number[] = [];
    let last = performance.now();
    for (let i = 0; i < 120; i++) {
      el.scrollTop += el.clientHeight;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }
    gaps.sort((a, b) => a - b);
    return { max: gaps[gaps.length - 1], median: gaps[Math.floor(gaps.length / 2)] };
  });
  console.log(`traces: waterfall of a 50000-span trace rendered in ${render.toFixed(1)} ms; scrolling 120 screens: longest frame ${frames.max.toFixed(1)} ms, median ${frames.median.toFixed(1)} ms`);
  expect(render).toBeGreaterThan(0);
  await expect(page.getByTestId('waterfall-row').last()).toContainText('work');
});

test('200,000 spans stored: search and the service map stay interactive (times printed)', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/#/traces');
  // Four 50,000-span traces: with the demo's own spans, the store holds
  // its limit of 200,000 and evicts the oldest traces beyond it.
  for (let i = 0; i < 4; i++) {
    const doc = bigTrace(`2cf7651916cd43dd8448eb211c8031${i}0`, 50_000);
    await page.getByTestId('trace-import').setInputFiles({ name: `huge-${i}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    await expect(page.getByTestId('trace-import-status')).toHaveText('Imported 50000 spans.', { timeout: 60_000 });
  }
  await expect(page.getByTestId('trace-store-info')).toContainText(/\d+ spans stored/);
  const stored = Number(((await page.getByTestId('trace-store-info').textContent()) ?? '').match(/(\d+) spans stored/)?.[1]);
  expect(stored).toBeGreaterThan(150_000);
  const last = (name: string) =>
    page.evaluate((n) => {
      const all = performance.getEntriesByName(n);
      return all.length ? all[all.length - 1].duration : -1;
    }, name);
  // A search typed in: the list answers, and its time is the measure.
  await page.getByTestId('trace-min').fill('5000');
  await expect(page.getByTestId('trace-row').first()).toBeVisible();
  const search = await last('trace-search');
  await page.getByTestId('trace-min').fill('');
  const map = await last('service-map');
  console.log(`traces: ${stored} spans stored: search ${search.toFixed(1)} ms, service map ${map.toFixed(1)} ms`);
  expect(search).toBeGreaterThan(0);
  expect(map).toBeGreaterThan(0);
});
