import { expect, test } from '../support/guard';
import { LogsPage } from '../pages/logs';
import { expectFitsWindow } from '../support/layout';

// Lines of the last two minutes (the demo's clock starts at the real time).
const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();
const MIXED = [
  `{"ts":"${at(120)}","level":"info","msg":"GET /api/cart","status":200,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}`,
  `ts=${at(100)} level=error msg="POST /api/checkout failed" status=500 duration=1.5s`,
  `ts=${at(80)} level=info msg="GET /api/checkout" status=200 duration=120ms`,
  `{"ts":"${at(60)}","level":"error","msg":"payment declined at checkout","status":502}`,
  `ts=${at(40)} level=warn msg="slow checkout" status=200 duration=2.5s`,
].join('\n');

test('paste mixed JSON and logfmt, filter and parse, inspect the stages, graph by level', async ({ page }) => {
  const logs = new LogsPage(page);
  await logs.open();
  await logs.paste.fill(MIXED);
  await logs.job.fill('shop');
  await logs.ingest.click();
  await expect(logs.report).toContainText('Stored 5 lines');

  await logs.query('{job="shop"} |= "checkout" | logfmt | duration > 1s');
  await expect(logs.error).toHaveCount(0);
  await expect(logs.lines).toHaveCount(2);
  // Newest first, the filter's match marked.
  await expect(logs.lines.first()).toContainText('slow checkout');
  await expect(logs.lines.first().locator('mark')).toHaveText('checkout');
  await expect(logs.volume.getByTestId('volume-level')).toHaveCount(2);

  await logs.lines.first().locator('.log-row').click();
  await expect(logs.lines.first().getByTestId('log-details')).toContainText('duration');
  await logs.lines.first().getByTestId('inspect-line').click();
  const stages = logs.inspector.getByTestId('inspector-stage');
  await expect(stages).toHaveCount(3);
  await expect(stages.nth(1)).toContainText('duration="2.5s"');
  await expect(stages.nth(2).getByTestId('stage-verdict')).toHaveText('kept');
  await page.screenshot({ path: test.info().outputPath('logs-inspector.png'), fullPage: true });

  // An error is shown at its place.
  await logs.query('{job="shop"} | logfmt | duration > fast');
  await expect(logs.error).toContainText('1:36');

  await page.getByTestId('logs-range-15m').click();
  await logs.query('sum by (level) (count_over_time({job="shop"} | logfmt [5m]))');
  await expect(logs.error).toHaveCount(0);
  await expect(logs.info).toContainText('3 series');
  await expect(page.getByTestId('series-path').first()).toBeAttached();
  await expect(page.getByTestId('legend-item')).toContainText(['{level="error"}', '{level="info"}', '{level="warn"}']);
  await page.screenshot({ path: test.info().outputPath('logs-graph.png'), fullPage: true });

  // The query and the small paste are in the URL: a new tab reproduces the view.
  const url = page.url();
  expect(url).toContain('paste=');
  await page.goto('about:blank');
  await page.goto(url);
  await expect(logs.info).toContainText('3 series');
});

test('a file dropped on the paste box is stored under its name', async ({ page }) => {
  const logs = new LogsPage(page);
  await logs.open();
  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['level=info msg=one\nlevel=error msg=two\n'], 'dropped.log', { type: 'text/plain' }));
    return dt;
  });
  await logs.paste.dispatchEvent('drop', { dataTransfer });
  await expect(logs.report).toContainText('Stored 2 lines with {job="dropped"}');
  await logs.query('{job="dropped", level="error"}');
  await expect(logs.lines).toHaveCount(1);
});

test('pasted markup shows as text', async ({ page }) => {
  const logs = new LogsPage(page);
  await logs.open();
  await logs.paste.fill('<script>window.__pwned = 1</script>\n<img src=x onerror="window.__pwned = 2">');
  await logs.job.fill('xss');
  await logs.ingest.click();
  await logs.query('{job="xss"}');
  await expect(logs.lines).toHaveCount(2);
  await expect(logs.lines.getByTestId('log-text')).toContainText(['<img src=x onerror="window.__pwned = 2">', '<script>window.__pwned = 1</script>']);
  await expect(page.locator('[data-testid="log-lines"] img')).toHaveCount(0);
  await expect(page.locator('[data-testid="log-lines"] script')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('the simulator logs every request; a 10 MB file filters in the page (time printed)', async ({ page }) => {
  const logs = new LogsPage(page);
  await logs.open();
  await expect(logs.lines.first()).toContainText('"status":5');
  await expect(logs.volume).toBeVisible();

  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 10_000_000; i++) {
    const line = `level=${i % 100 === 0 ? 'ERROR' : 'info'} route=/api/products status=200 duration=${i % 997}ms request_id=req-${i} msg="handled request number ${i}"`;
    lines.push(line);
    size += line.length + 1;
  }
  await logs.file.setInputFiles({ name: 'big.log', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n')) });
  await expect(logs.report).toContainText(`Stored ${lines.length} lines`, { timeout: 60_000 });
  const times: number[] = [];
  for (const q of ['sum(count_over_time({job="big"} |= "ERROR" [10h]))', 'sum(count_over_time({job="big"} |= "ERROR" [2h]))', 'sum(count_over_time({job="big"} |= "ERROR" [3h]))']) {
    await logs.query(q);
    // A range query's last point is at the last step before the end, so the newest ERROR line may fall after it.
    await expect(page.getByTestId('legend-item').first()).toContainText(/\{\}88[78]$/);
    times.push(await logs.lastQueryMs());
  }
  console.log(`logs: |= "ERROR" over ${(size / 1e6).toFixed(1)} MB (${lines.length} lines) in the page: best ${Math.min(...times).toFixed(1)} ms of ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
});

test('a 5,000-character log line wraps in its row, and its labels and stages in theirs: the page never widens', async ({ page }) => {
  const logs = new LogsPage(page);
  await logs.open();
  const long = 'y'.repeat(5000);
  await logs.paste.fill(`level=info msg=${long} user=${'z'.repeat(3000)}`);
  await logs.job.fill('long');
  await logs.ingest.click();
  await expect(logs.report).toContainText('Stored 1 line');
  await logs.query('{job="long"} | logfmt');
  await expect(logs.lines).toHaveCount(1);
  await expectFitsWindow(page);
  // Its labels, and what each stage did to it.
  await logs.lines.first().locator('.log-row').click();
  await expect(logs.lines.first().getByTestId('log-details')).toContainText('zzz');
  await logs.lines.first().getByTestId('inspect-line').click();
  await expect(logs.inspector.getByTestId('inspector-stage')).toHaveCount(1);
  await expectFitsWindow(page);
  await page.screenshot({ path: test.info().outputPath('logs-long-line.png'), fullPage: true });
  // A 5,000-character query in the LogQL editor.
  await logs.query(`{job="long"} |= "${long}"`);
  await expect(logs.lines).toHaveCount(1);
  await expectFitsWindow(page);
});
