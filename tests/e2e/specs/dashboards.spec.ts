import type { Page } from '@playwright/test';
import { expect, test } from '../support/guard';

/** Ticks `label` in a multi-value variable's picker (Grafana's checkboxes). */
async function tick(page: Page, name: string, label: string) {
  const picker = page.getByTestId(`var-${name}`);
  if (!(await picker.evaluate((d) => (d as HTMLDetailsElement).open))) {
    await picker.locator('summary').click();
  }
  await picker.getByRole('checkbox', { name: label, exact: true }).click();
}

/** A dashboard as a tutorial builds it (the seed article's panels). */
const SEED = {
  dashboard: {
    uid: 'api-overview', title: 'API Overview', time: { from: 'now-1h', to: 'now' },
    templating: { list: [
      { name: 'service', type: 'query', query: 'label_values(http_requests_total, service)', multi: true, includeAll: true },
      { name: 'interval', type: 'interval', query: '1m,5m' },
    ] },
    panels: [
      { type: 'row', title: 'Traffic', gridPos: { h: 1, w: 24, x: 0, y: 0 }, panels: [] },
      { id: 1, type: 'graph', title: 'Request Rate', gridPos: { h: 8, w: 12, x: 0, y: 1 },
        targets: [{ expr: 'sum(rate(http_requests_total{service=~"$service"}[1m])) by (method, route)', legendFormat: '{{method}} {{route}}', refId: 'A' }],
        fieldConfig: { defaults: { unit: 'reqps' }, overrides: [] } },
      { id: 2, type: 'stat', title: 'Error Rate', gridPos: { h: 8, w: 6, x: 12, y: 1 },
        targets: [{ expr: 'sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))', refId: 'A' }],
        fieldConfig: { defaults: { unit: 'percentunit', thresholds: { mode: 'absolute', steps: [
          { color: 'green', value: null }, { color: 'yellow', value: 0.01 }, { color: 'red', value: 0.05 }] } } } },
      { id: 3, type: 'gauge', title: 'In flight', gridPos: { h: 8, w: 6, x: 18, y: 1 },
        targets: [{ expr: 'sum(http_requests_in_flight)', refId: 'A' }],
        fieldConfig: { defaults: { thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 1000 }] } } } },
      { id: 4, type: 'text', title: 'Notes', gridPos: { h: 4, w: 24, x: 0, y: 9 }, options: { mode: 'markdown', content: '# On call\nSee the runbook.' } },
      { id: 5, type: 'piechart', title: 'Share', gridPos: { h: 4, w: 6, x: 0, y: 13 }, targets: [] },
    ],
  },
};

test('the service overview renders; a Grafana dashboard imports with its thresholds; an edited panel survives a reload', async ({ page }) => {
  await page.goto('/#/dashboards');
  await expect(page.getByTestId('dashboards-page')).toBeVisible();
  await expect(page.getByTestId('dash-row')).toHaveCount(7);
  await expect(page.getByTestId('dash-panel')).toHaveCount(28);
  await expect(page.getByTestId('stat-value').first()).toHaveText(/%$/);
  await expect(page.getByTestId('gauge').first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('service-overview.png') });

  await page.getByText('Import a Grafana dashboard (JSON)').click();
  await page.getByTestId('dashboard-import-text').fill(JSON.stringify(SEED));
  await page.getByTestId('dashboard-import').click();
  // Only the pie chart is left out; the interval variable is Grafana's.
  const unsupported = page.getByTestId('import-unsupported');
  await expect(unsupported).toHaveCount(1);
  await expect(unsupported).toContainText('piechart');
  await expect(page.getByTestId('var-interval').locator('option')).toHaveText(['1m', '5m']);
  await expect(page.getByTestId('dash-time')).toHaveValue('now-1h');
  await expect(page.getByTestId('dash-panel')).toHaveCount(4);
  await expect(page.getByTestId('stat-value')).toHaveAttribute('data-color', 'green');
  await expect(page.getByTestId('gauge')).toHaveAttribute('data-color', 'green');
  await expect(page.getByTestId('text-panel')).toContainText('On call');
  await expect(page.getByTestId('legend-item').first()).toContainText(/^(GET|POST|SELECT|INSERT) /);
  await tick(page, 'service', 'payment');
  await expect(page.getByTestId('var-service').locator('summary')).toHaveText('payment');
  await expect(page.getByTestId('legend-item')).toHaveCount(1);
  await expect(page.getByTestId('legend-item')).toContainText('POST POST /charge');

  // Edit the error stat: a threshold so low it is red.
  await page.getByTestId('dash-panel').nth(1).getByTestId('panel-edit').click();
  await page.getByTestId('edit-title').fill('Errors (strict)');
  await page.getByTestId('edit-thresholds').fill('green red:0.000001');
  await page.getByTestId('edit-save').click();
  await expect(page.getByTestId('dash-panel').nth(1)).toContainText('Errors (strict)');
  await expect(page.getByTestId('stat-value')).toHaveAttribute('data-color', 'red');

  // The request rate as stacked bars (reset to all services first).
  await tick(page, 'service', 'All');
  await page.getByTestId('dash-panel').first().getByTestId('panel-edit').click();
  await page.getByTestId('edit-draw').selectOption('bars');
  await page.getByTestId('edit-stacked').check();
  await page.getByTestId('edit-save').click();
  const rate = page.getByTestId('dash-panel').first();
  await expect(rate.getByTestId('series-path')).toHaveCount(0);
  const bars = rate.getByTestId('series-bars');
  expect(await bars.count()).toBeGreaterThan(1);
  // Rectangles: a move, across, up, back, closed, per point.
  await expect(bars.first()).toHaveAttribute('d', /^(M[-\d.]+,[-\d.]+h[\d.]+V[-\d.]+h-[\d.]+Z)+$/);
  await page.screenshot({ path: test.info().outputPath('imported-dashboard.png'), fullPage: true });

  // Resize the notes to half the width and two rows taller, then move them right.
  const notes = page.getByTestId('dash-panel').filter({ hasText: 'On call' });
  await expect(notes).toHaveAttribute('data-grid', '0,9,24,4');
  // In the middle of the viewport, so that the drag starts and ends on the
  // page whatever the earlier clicks scrolled (the handle was measured at
  // the viewport's bottom edge, and the drop 50 px below it).
  await notes.evaluate((e) => e.scrollIntoView({ block: 'center' }));
  const gridWidth = (await page.locator('.dash-grid').boundingBox())!.width;
  const handle = (await notes.getByTestId('panel-resize').boundingBox())!;
  await page.mouse.move(handle.x + 6, handle.y + 6);
  await page.mouse.down();
  await page.mouse.move(handle.x + 6 - gridWidth / 2, handle.y + 6 + 76, { steps: 5 });
  await page.mouse.up();
  await expect(notes).toHaveAttribute('data-grid', '0,9,12,6');
  const title = (await notes.locator('figcaption .panel-title').boundingBox())!;
  await page.mouse.move(title.x + 5, title.y + 5);
  await page.mouse.down();
  await page.mouse.move(title.x + 5 + gridWidth / 2, title.y + 5, { steps: 5 });
  await page.mouse.up();
  await expect(notes).toHaveAttribute('data-grid', '12,9,12,6');

  // Export, and the workspace keeps it across a reload.
  await page.getByTestId('dashboard-export').click();
  const href = await page.getByTestId('dashboard-export-link').getAttribute('href');
  const exported = JSON.parse(await page.evaluate(async (u) => (await fetch(u as string)).text(), href));
  expect(exported.panels.find((p: { title: string }) => p.title === 'Errors (strict)').fieldConfig.defaults.thresholds.steps[1].value).toBe(0.000001);
  expect(exported.panels.find((p: { title: string }) => p.title === 'Request Rate').fieldConfig.defaults.custom)
    .toEqual({ drawStyle: 'bars', stacking: { mode: 'normal' } });
  await page.waitForTimeout(2_500);
  await page.reload();
  await page.getByTestId('dashboard-select').selectOption({ label: 'API Overview' });
  await expect(page.getByTestId('dash-panel').nth(1)).toContainText('Errors (strict)');
  await expect(page.getByTestId('dash-panel').filter({ hasText: 'On call' })).toHaveAttribute('data-grid', '12,9,12,6');
  await expect(page.getByTestId('dash-panel').first().getByTestId('series-bars').first()).toBeVisible();
});

test('Grafana\'s variables and intervals: custom, interval, text box and constant variables, $__rate_interval, and the time range sets the step', async ({ page }) => {
  const dashboard = {
    title: 'Variables', time: { from: 'now-15m', to: 'now' },
    templating: { list: [
      { name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' },
      { name: 'service', type: 'query', query: { query: 'label_values(http_requests_total{job="$job"}, service)' }, regex: '/^(front.*|pay.*)$/', sort: 1 },
      { name: 'job', type: 'constant', query: 'shop', hide: 2 },
      { name: 'quantile', type: 'custom', query: 'p50 : 0.5, p99 : 0.99', current: { text: 'p99', value: '0.99' } },
      { name: 'window', type: 'interval', query: '1m,5m', auto: true, auto_count: 30, auto_min: '10s' },
      { name: 'route', type: 'textbox', query: '.*' },
    ] },
    panels: [
      { id: 1, type: 'timeseries', title: 'Requests', gridPos: { h: 8, w: 12, x: 0, y: 0 },
        targets: [{ expr: 'sum by (service) (rate(http_requests_total{job="$job", service="$service", route=~"$route"}[$__rate_interval]))', legendFormat: '{{service}} every $__interval', refId: 'A' }] },
      { id: 2, type: 'stat', title: 'Latency', gridPos: { h: 8, w: 12, x: 12, y: 0 },
        targets: [{ expr: 'histogram_quantile($quantile, sum by (le) (rate(http_request_duration_seconds_bucket{service="$service"}[$window])))', refId: 'A' }],
        fieldConfig: { defaults: { unit: 's' } } },
      { id: 3, type: 'heatmap', title: 'Latency buckets', gridPos: { h: 8, w: 24, x: 0, y: 8 },
        targets: [{ expr: 'sum by (le) (rate(http_request_duration_seconds_bucket{service="$service"}[$__rate_interval]))', format: 'heatmap', legendFormat: '{{le}}', refId: 'A' }] },
    ],
  };
  await page.goto('/#/dashboards');
  await page.getByText('Import a Grafana dashboard (JSON)').click();
  await page.getByTestId('dashboard-import-text').fill(JSON.stringify(dashboard));
  await page.getByTestId('dashboard-import').click();
  await expect(page.getByTestId('import-report')).toContainText('everything in it is supported');
  // The query variable reads the constant before it; its regex keeps two
  // services, sorted; without includeAll the first is chosen.
  await expect(page.getByTestId('var-service').locator('option')).toHaveText(['frontend', 'payment']);
  await expect(page.getByTestId('var-service')).toHaveValue('frontend');
  await expect(page.getByTestId('var-job')).toHaveCount(0);
  await expect(page.getByTestId('var-quantile')).toHaveValue('0.99');
  await expect(page.getByTestId('var-quantile').locator('option')).toHaveText(['p50', 'p99']);
  await expect(page.getByTestId('var-window').locator('option')).toHaveText(['auto', '1m', '5m']);
  const requests = page.getByTestId('dash-panel').first();
  await expect(requests.getByTestId('legend-item')).toHaveCount(1);
  // 15 minutes over half the page: Grafana's 15 s step (the scrape interval).
  await expect(requests).toHaveAttribute('data-step', '15000');
  await expect(requests.getByTestId('legend-item')).toHaveText(/^frontend every 15s\d/);
  await expect(page.getByTestId('stat-value')).toHaveText(/\d ms$|\d s$/);
  await expect(page.locator('.dash-panel .error-text')).toHaveCount(0);
  // The heatmap draws the count in each bucket (Grafana's heatmap
  // format), not the cumulative one: nothing is slower than 10 s, so the
  // top row (+Inf) is at the faintest everywhere.
  const top = page.getByTestId('heatmap').locator('rect[y="0"]');
  expect(await top.count()).toBeGreaterThan(10);
  expect(new Set(await top.evaluateAll((rs) => rs.map((r) => r.getAttribute('fill-opacity'))))).toEqual(new Set(['0.05']));

  await page.getByTestId('var-service').selectOption('payment');
  await expect(requests.getByTestId('legend-item')).toHaveText(/^payment every 15s\d/);
  // A route no request takes: no series.
  await page.getByTestId('var-route').fill('/nowhere');
  await page.getByTestId('var-route').press('Enter');
  await expect(requests.getByTestId('legend-item')).toHaveCount(0);
  await page.getByTestId('var-route').fill('.*');
  await page.getByTestId('var-route').press('Enter');
  await expect(requests.getByTestId('legend-item')).toHaveCount(1);

  // A day: a coarser step, and the legend says it.
  await page.getByTestId('dash-time').selectOption('now-24h');
  const step = Number(await requests.getAttribute('data-step'));
  expect(step).toBeGreaterThanOrEqual(60_000);
  await expect(requests.getByTestId('legend-item')).toHaveText(new RegExp(`^payment every ${step / 60_000}m\\d`));
  await page.screenshot({ path: test.info().outputPath('grafana-variables.png'), fullPage: true });

  // The latency stat as the day's maximum instead of the last value.
  const seconds = (text: string | null) => {
    const [n, unit] = (text ?? '').split(' ');
    return Number(n) * ({ 'µs': 1e-6, ms: 1e-3, s: 1 } as Record<string, number>)[unit];
  };
  await page.getByTestId('pause-toggle').click();
  const last = seconds(await page.getByTestId('stat-value').textContent());
  expect(last).toBeGreaterThan(0);
  await page.getByTestId('dash-panel').nth(1).getByTestId('panel-edit').click();
  await expect(page.getByTestId('edit-calc')).toHaveValue('lastNotNull');
  await page.getByTestId('edit-calc').selectOption('max');
  await page.getByTestId('edit-save').click();
  await expect.poll(async () => seconds(await page.getByTestId('stat-value').textContent())).toBeGreaterThanOrEqual(last);

  // The export declares the data source its panels name, and keeps the variables.
  await page.getByTestId('dashboard-export').click();
  const href = await page.getByTestId('dashboard-export-link').getAttribute('href');
  const exported = JSON.parse(await page.evaluate(async (u) => (await fetch(u as string)).text(), href));
  expect(exported.time.from).toBe('now-24h');
  expect(exported.panels[1].options.reduceOptions.calcs).toEqual(['max']);
  expect(exported.templating.list.map((v: { name: string, type: string }) => `${v.name}:${v.type}`))
    .toEqual(['datasource:datasource', 'service:query', 'job:constant', 'quantile:custom', 'window:interval', 'route:textbox']);
});

test('a repeated panel comes once per value of its variable, laid out as Grafana does', async ({ page }) => {
  const dashboard = {
    title: 'Repeats', time: { from: 'now-15m', to: 'now' },
    templating: { list: [
      { name: 'svc', type: 'custom', query: 'frontend, payment, orders', includeAll: true, multi: true, current: { text: ['All'], value: ['$__all'] } },
    ] },
    panels: [
      { id: 1, type: 'stat', title: 'Traffic of $svc', repeat: 'svc', repeatDirection: 'h', maxPerRow: 2, gridPos: { h: 8, w: 6, x: 0, y: 0 },
        targets: [{ expr: 'sum(rate(http_requests_total{service="$svc"}[$__rate_interval]))', refId: 'A' }], fieldConfig: { defaults: { unit: 'reqps' } } },
      { id: 2, type: 'text', title: 'Below', gridPos: { h: 4, w: 24, x: 0, y: 8 }, options: { content: 'Notes' } },
    ],
  };
  await page.goto('/#/dashboards');
  await page.getByText('Import a Grafana dashboard (JSON)').click();
  await page.getByTestId('dashboard-import-text').fill(JSON.stringify(dashboard));
  await page.getByTestId('dashboard-import').click();
  await expect(page.getByTestId('import-report')).toContainText('everything in it is supported');
  const panels = page.getByTestId('dash-panel');
  // Three copies two to a row (max(24 / 3, 24 / 2) columns wide); the
  // text below moves down a row of copies.
  await expect(panels).toHaveCount(4);
  await expect(panels.locator('.panel-title')).toHaveText(['Traffic of frontend', 'Traffic of payment', 'Traffic of orders', 'Below']);
  await expect(panels.nth(0)).toHaveAttribute('data-grid', '0,0,12,8');
  await expect(panels.nth(1)).toHaveAttribute('data-grid', '12,0,12,8');
  await expect(panels.nth(2)).toHaveAttribute('data-grid', '0,8,12,8');
  await expect(panels.nth(3)).toHaveAttribute('data-grid', '0,16,24,4');
  // Each copy reads its own service: the frontend takes every request,
  // so it has the most.
  const rate = async (i: number) => Number((await panels.nth(i).getByTestId('stat-value').textContent())?.split(' ')[0]);
  await expect.poll(() => rate(0)).toBeGreaterThan(0);
  expect(await rate(0)).toBeGreaterThan(await rate(1));
  await page.screenshot({ path: test.info().outputPath('repeated-panels.png'), fullPage: true });

  await tick(page, 'svc', 'payment');
  await expect(panels).toHaveCount(2);
  await expect(panels.locator('.panel-title')).toHaveText(['Traffic of payment', 'Below']);
  await expect(panels.nth(1)).toHaveAttribute('data-grid', '0,8,24,4');
  // Two values: two copies side by side, and the picker stays open.
  await tick(page, 'svc', 'orders');
  await expect(page.getByTestId('var-svc').locator('summary')).toHaveText('payment + orders');
  await expect(panels.locator('.panel-title')).toHaveText(['Traffic of payment', 'Traffic of orders', 'Below']);
  await expect(panels.nth(2)).toHaveAttribute('data-grid', '0,8,24,4');
  await page.screenshot({ path: test.info().outputPath('multi-value.png'), fullPage: true });
});

test('a variable whose query or regex is bad shows its error on the picker, as Grafana marks it', async ({ page }) => {
  const dashboard = {
    title: 'Broken variable',
    templating: { list: [
      { name: 'job', type: 'query', query: 'label_values(up{job=~"(shop"}, job)' },
      { name: 'service', type: 'query', query: 'label_values(http_requests_total, service)' },
      { name: 'route', type: 'query', query: 'label_values(http_requests_total, route)', regex: '/(api.*/' },
    ] },
    panels: [
      { id: 1, type: 'stat', title: 'Up', gridPos: { h: 4, w: 6, x: 0, y: 0 }, targets: [{ expr: 'sum(up{job=~"$job"})', refId: 'A' }] },
    ],
  };
  await page.goto('/#/dashboards');
  await page.getByText('Import a Grafana dashboard (JSON)').click();
  await page.getByTestId('dashboard-import-text').fill(JSON.stringify(dashboard));
  await page.getByTestId('dashboard-import').click();
  await expect(page.getByTestId('import-report')).toContainText('everything in it is supported');
  // The failing variable: no options, a red marker, the message beside it and in its tooltip.
  const job = page.locator('.variable', { has: page.getByTestId('var-job') });
  await expect(job).toHaveClass(/has-error/);
  await expect(page.getByTestId('var-job').locator('option')).toHaveCount(0);
  const error = job.getByTestId('var-error');
  await expect(error).toContainText('invalid regular expression');
  await expect(error).toHaveAttribute('title', /^Error updating options: up\{job=~"\(shop"\}: 1:9: invalid regular expression "\(shop": missing closing \): `\^\(\?s:\(shop\)\$`$/);
  // The others resolve as usual, unmarked.
  await expect(page.getByTestId('var-service').locator('option[value="payment"]')).toHaveCount(1);
  // A bad `regex` field is kept at import, as Grafana keeps it, and marked the same way.
  const route = page.locator('.variable', { has: page.getByTestId('var-route') });
  await expect(route).toHaveClass(/has-error/);
  await expect(route.getByTestId('var-error')).toHaveAttribute('title', /^Error updating options: regex \/\(api\.\*\/: /);
  await expect(page.getByTestId('var-error')).toHaveCount(2);
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
  await page.screenshot({ path: test.info().outputPath('variable-error.png'), fullPage: true });
});
