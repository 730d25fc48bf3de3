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
  // Timed alone: not while the page still simulates its start-up history.
  await expect(page.getByTestId('history-filling')).toHaveCount(0, { timeout: 60_000 });
  const doc = bigTrace('1bf7651916cd43dd8448eb211c80319d', 50_000);
  await page.getByTestId('trace-import').setInputFiles({ name: 'huge.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await expect(page.getByTestId('trace-import-status')).toHaveText('Imported 50000 spans.', { timeout: 60_000 });
  await page.getByTestId('trace-row').first().click();
  const list = page.getByTestId('waterfall-rows');
  const rows = page.getByTestId('waterfall-row');
  await expect(list).toHaveAttribute('data-rows', '50000', { timeout: 60_000 });
  await expect(rows.first()).toContainText('GET /big');
  // A fixed pool of row elements: the 40 rows in view and 10 above and below.
  expect(await rows.count()).toBe(60);
  const measure = (name: string) =>
    page.evaluate((n) => {
      const all = performance.getEntriesByName(n);
      return all.length ? all[all.length - 1].duration : -1;
    }, name);
  // From the click to the rows built (script), and to the frame that shows them painted.
  await expect.poll(() => measure('waterfall-render')).toBeGreaterThan(0);
  const [build, render] = [await measure('waterfall-build'), await measure('waterfall-render')];

  // Scroll through the rows a screen at a time, one step per frame. A
  // frame's work is timed from its scroll event (before the page's own
  // handler) to the task after its paint: script, style, layout and paint.
  // The gaps between frames are printed too (headless Chromium draws at
  // ~60 Hz, so they are multiples of ~16.7 ms), and any long animation
  // frame (Chromium reports those of 50 ms or more) with its scripts.
  const scroll = (screens: number) =>
    list.evaluate(async (el, screens) => {
      const long: string[] = [];
      const observer = new PerformanceObserver((entries) => {
        for (const e of entries.getEntries() as any[]) {
          const scripts = (e.scripts ?? []).map((s: any) => `${s.invoker || s.name} ${s.duration.toFixed(0)} ms`).join(', ');
          long.push(`${e.duration.toFixed(0)} ms (blocking ${e.blockingDuration.toFixed(0)} ms${scripts ? `; ${scripts}` : ''})`);
        }
      });
      observer.observe({ type: 'long-animation-frame' });
      let scrolledAt = 0;
      const onScroll = () => (scrolledAt = performance.now());
      window.addEventListener('scroll', onScroll, { capture: true });
      const afterPaint = () =>
        new Promise<void>((resolve) =>
          requestAnimationFrame(() => {
            const channel = new MessageChannel();
            channel.port1.onmessage = () => resolve();
            channel.port2.postMessage(null);
          }),
        );
      const work: number[] = [];
      const gaps: number[] = [];
      console.timeStamp('waterfall-scroll-start');
      let last = performance.now();
      for (let i = 0; i < screens; i++) {
        el.scrollTop += el.clientHeight;
        await afterPaint();
        const now = performance.now();
        work.push(now - scrolledAt);
        gaps.push(now - last);
        last = now;
      }
      console.timeStamp('waterfall-scroll-end');
      window.removeEventListener('scroll', onScroll, { capture: true });
      await new Promise((r) => setTimeout(r, 100));
      observer.disconnect();
      return { work, gaps, long };
    }, screens);
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const max = sorted[sorted.length - 1] ?? 0;
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return `longest ${max.toFixed(1)} ms, median ${median.toFixed(1)} ms, ${xs.filter((x) => x > 16).length} of ${xs.length} over 16 ms`;
  };
  const frames = await scroll(120);
  // The same again, traced: the main thread's CPU time per frame, which
  // another process on the machine does not inflate as it does the wall
  // clock (tracing itself adds some).
  const cdp = await page.context().newCDPSession(page);
  const traced = async (run: () => Promise<unknown>) => {
    await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: ['devtools.timeline', 'toplevel', 'blink.user_timing'] } });
    await run();
    const complete = new Promise<any>((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    const { stream } = await complete;
    let text = '';
    for (;;) {
      const chunk = await cdp.send('IO.read', { handle: stream });
      text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
      if (chunk.eof) break;
    }
    await cdp.send('IO.close', { handle: stream });
    return (JSON.parse(text).traceEvents ?? []) as any[];
  };
  // CPU time of the tasks of `from`'s thread that run between two events
  // (all of a task that runs over either end).
  const cpuBetween = (events: any[], from: any, to: any) =>
    events
      .filter((e) => e.pid === from.pid && e.tid === from.tid && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.ts < to.ts && e.ts + e.dur > from.ts)
      .reduce((sum, t) => sum + (t.tdur ?? t.dur) / 1000, 0);
  const events = await traced(() => scroll(120));
  const stamp = (name: string) => events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === name);
  const [from, to] = [stamp('waterfall-scroll-start'), stamp('waterfall-scroll-end')];
  const onMain = (e: any) => e.pid === from.pid && e.tid === from.tid && e.ph === 'X';
  // A frame's main-thread work ends with its layerization (then commit):
  // the tasks from one to the next are the next frame's.
  const ends = events.filter((e) => onMain(e) && e.name === 'Layerize' && e.ts > from.ts && e.ts < to.ts).map((e) => e.ts);
  const tasks = events.filter((e) => onMain(e) && e.name === 'ThreadControllerImpl::RunTask');
  const cpu = ends.slice(1).map((end, i) =>
    tasks.filter((t) => t.ts >= ends[i] && t.ts < end).reduce((sum, t) => sum + (t.tdur ?? t.dur) / 1000, 0),
  );
  console.log(
    `traces: waterfall of a 50000-span trace built in ${build.toFixed(1)} ms, painted in ${render.toFixed(1)} ms; ` +
      `scrolling 120 screens, work per frame: ${stats(frames.work)}; gaps between frames: ${stats(frames.gaps)}; ` +
      `long animation frames: ${frames.long.length ? frames.long.join(' | ') : 'none'}; ` +
      `traced, main-thread CPU per frame: ${stats(cpu)}`,
  );
  expect(cpu.length).toBeGreaterThan(60);
  expect(build).toBeGreaterThan(0);

  // The rows drawn are the ones scrolled to: row 25,000 (step 24's last
  // work span) at the top of the box, the last row at its bottom.
  const box = async (row: ReturnType<typeof rows.filter>) => (await row.boundingBox()) ?? { x: 0, y: 0, width: 0, height: 0 };
  await list.evaluate((el) => (el.scrollTop = 25_000 * 18));
  const middle = rows.filter({ hasText: 'work 24.998' });
  await expect(middle).toHaveCount(1);
  expect(Math.round((await box(middle)).y)).toBe(Math.round((await list.boundingBox())!.y));
  await page.getByTestId('waterfall').screenshot({ path: test.info().outputPath('waterfall-50000.png') });
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  const lastRow = rows.filter({ hasText: 'work 49.997' });
  await expect(lastRow).toHaveCount(1);
  const listBox = (await list.boundingBox())!;
  expect(Math.round((await box(lastRow)).y + 18)).toBe(Math.round(listBox.y + listBox.height));
  await expect(rows).toHaveCount(60);

  // Collapsing a step hides its 999 work spans; the row chosen shows its span.
  await list.evaluate((el) => (el.scrollTop = 0));
  const step = rows.filter({ has: page.locator('span', { hasText: /^step 0$/ }) });
  await step.getByTestId('waterfall-toggle').click();
  await expect(list).toHaveAttribute('data-rows', String(50_000 - 999));
  await expect(rows.filter({ hasText: 'step 1' })).toHaveCount(1);
  await step.getByTestId('waterfall-toggle').click();
  await expect(list).toHaveAttribute('data-rows', '50000');
  await rows.filter({ hasText: 'work 0.3' }).first().click();
  await expect(page.getByTestId('span-details')).toContainText(/work 0\.3/);

  // Opened again, traced: the main thread's CPU time from the click to the
  // task after the frame that shows it.
  const started = async () => page.evaluate(() => performance.getEntriesByName('waterfall-render').at(-1)?.startTime ?? -1);
  const before = await started();
  const opening = await traced(async () => {
    await page.getByTestId('trace-row').first().click();
    await expect.poll(started).not.toBe(before);
  });
  const mark = (name: string) => opening.filter((e) => e.name === name && (e.cat ?? '').includes('user_timing')).at(-1);
  const [clicked, painted] = [mark('waterfall-start'), mark('waterfall-render-end')];
  const reopened = cpuBetween(opening, clicked, painted);
  console.log(`traces: the 50000-span waterfall opened again, traced: main-thread CPU ${reopened.toFixed(1)} ms from the click to its painted frame (${((painted.ts - clicked.ts) / 1000).toFixed(1)} ms of wall clock)`);
  await expect(list).toHaveAttribute('data-rows', '50000');
});

test('200,000 spans stored: search and the service map stay interactive (times printed)', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/#/traces');
  // The demo paused, so that its spans do not evict the imported ones.
  await page.getByTestId('pause-toggle').click();
  await expect(page.getByTestId('pause-toggle')).toHaveText(/Resume/);
  const storeInfo = page.getByTestId('trace-store-info');
  const storedNow = async () => Number(((await storeInfo.textContent()) ?? '').match(/(\d+) spans stored/)?.[1]);
  // Three 50,000-span traces, then one that fills the store to its limit
  // of 200,000 with the demo's own spans.
  for (let i = 0; i < 4; i++) {
    await expect(storeInfo).toContainText(/\d+ spans stored/);
    const size = i < 3 ? 50_000 : 200_000 - (await storedNow());
    const id = `2cf7651916cd43dd8448eb211c8031${i}0`;
    await page.getByTestId('trace-import').setInputFiles({ name: `huge-${i}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bigTrace(id, size))) });
    // The status reads the same after each 50,000-span import: the search
    // box taking the new trace's id is what says this one is in.
    await expect(page.getByTestId('trace-id-input')).toHaveValue(id, { timeout: 60_000 });
    await expect(page.getByTestId('trace-import-status')).toHaveText(`Imported ${size} spans.`);
  }
  await expect(storeInfo).toContainText('200000 spans stored');
  const stored = await storedNow();
  const last = (name: string) =>
    page.evaluate((n) => {
      const all = performance.getEntriesByName(n);
      return all.length ? all[all.length - 1].duration : -1;
    }, name);
  // A search typed in, over every trace (an import puts its trace's id in
  // the search, which is then a lookup): the list answers, and its time is
  // the measure.
  await page.getByTestId('trace-id-input').fill('');
  await page.getByTestId('trace-min').fill('5000');
  await expect(page.getByTestId('trace-row')).toHaveCount(4);
  const search = await last('trace-search');
  await page.getByTestId('trace-min').fill('');
  const map = await last('service-map');
  console.log(`traces: ${stored} spans stored: search ${search.toFixed(1)} ms, service map ${map.toFixed(1)} ms`);
  expect(search).toBeGreaterThan(0);
  expect(map).toBeGreaterThan(0);
});
