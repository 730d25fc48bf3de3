import { expect, test } from '../support/guard';
import { ExplorePage } from '../pages/explore';

const url = process.env.PROMETHEUS_URL;

test('live mode: Explore draws a graph from a real Prometheus and shows its errors as it says them', async ({ page }) => {
  test.skip(!url, 'no Prometheus on 127.0.0.1 (scripts/test.sh starts Debian\'s)');
  // A Prometheus started just now needs up to 45 s for three 15 s steps.
  test.setTimeout(120_000);
  const explore = new ExplorePage(page);
  await explore.open();
  await explore.type('up');
  await page.getByTestId('datasource-url').fill(url ?? '');
  await page.getByTestId('datasource-url').press('Enter');
  await expect(page.getByTestId('datasource-live')).toContainText(url ?? '');
  // The real Prometheus scraping itself (the simulator's own job="prometheus" is localhost:9090).
  await expect(explore.legend.first()).toContainText(`instance="${new URL(url ?? 'http://x').host}"`, { timeout: 15_000 });
  // up is 1 throughout: a flat line with a point per step (three steps
  // once this Prometheus has run that long; the graph follows real time).
  await expect(explore.paths.first()).toHaveAttribute('d', /^M[\d.,]+(L[\d.,]+){2,}$/, { timeout: 60_000 });
  // What this Prometheus read for the query (its stats=all), not what it returned.
  await expect(explore.info).toHaveText(/ · [1-9]\d* samples read · /);
  await page.screenshot({ path: test.info().outputPath('live-prometheus.png'), fullPage: true });

  // A function this Prometheus does not know: its own error, as it writes it.
  await explore.input.fill('');
  await explore.type('limitk(1, up)');
  await expect(page.getByTestId('eval-error')).toContainText('bad_data', { timeout: 15_000 });

  // Autocomplete reads the real Prometheus: metric names from
  // /api/v1/label/__name__/values, a metric's labels from /api/v1/series.
  await explore.type('prometheus_http_requests_t');
  await expect(explore.suggestions.first()).toContainText('prometheus_http_requests_total', { timeout: 15_000 });
  await explore.type('prometheus_http_requests_total{han');
  await expect(explore.suggestions.first()).toContainText('handler', { timeout: 15_000 });
  await explore.type('prometheus_http_requests_total{handler="/met');
  await expect(explore.suggestions.first()).toContainText('/metrics', { timeout: 15_000 });
  // A label's values over all series, from /api/v1/label/<name>/values.
  await explore.type('{job="prom');
  await expect(explore.suggestions.first()).toContainText('prometheus', { timeout: 15_000 });
  await page.screenshot({ path: test.info().outputPath('live-autocomplete.png'), fullPage: true });
  // None of these are the simulator's.
  await explore.type('http_requests_tot');
  await expect(explore.suggestions).toHaveCount(0);

  // Back to the simulator.
  await page.getByTestId('datasource-url').fill('');
  await page.getByTestId('datasource-url').press('Enter');
  await expect(page.getByTestId('datasource-live')).toHaveCount(0);
  await explore.input.fill('');
  await explore.type('up');
  // The shop's target, beside the playground's own (job="prometheus").
  await expect(explore.legend.filter({ hasText: 'job="shop"' })).toHaveCount(1);
});

test('live mode: a dashboard\'s panels read a real Prometheus', async ({ page }) => {
  test.skip(!url, 'no Prometheus on 127.0.0.1 (scripts/test.sh starts Debian\'s)');
  const dashboard = {
    title: 'Prometheus itself',
    panels: [
      { id: 1, type: 'stat', title: 'Targets up', gridPos: { h: 4, w: 6, x: 0, y: 0 }, targets: [{ expr: 'sum(up)', refId: 'A' }],
        fieldConfig: { defaults: { thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } } } },
      { id: 2, type: 'timeseries', title: 'up', gridPos: { h: 8, w: 18, x: 6, y: 0 }, targets: [{ expr: 'up', legendFormat: '{{job}} at {{instance}}', refId: 'A' }] },
    ],
  };
  await page.goto('/#/dashboards');
  await page.getByText('Import a Grafana dashboard (JSON)').click();
  await page.getByTestId('dashboard-import-text').fill(JSON.stringify(dashboard));
  await page.getByTestId('dashboard-import').click();
  await expect(page.getByTestId('dash-panel')).toHaveCount(2);
  await page.getByTestId('dash-datasource').fill(url ?? '');
  await page.getByTestId('dash-datasource').press('Enter');
  await expect(page.getByTestId('stat-value')).toHaveText('1', { timeout: 15_000 });
  await expect(page.getByTestId('stat-value')).toHaveAttribute('data-color', 'green');
  await expect(page.getByTestId('legend-item').first()).toContainText('prometheus at 127.0.0.1:9091');
  await page.screenshot({ path: test.info().outputPath('live-dashboard.png'), fullPage: true });

  // A real Prometheus is asked again only at the dashboard's refresh
  // interval (Grafana's refresh, off here), not at every redraw.
  let asked = 0;
  page.on('request', (r) => { if (r.url().includes('/api/v1/query')) asked += 1; });
  await page.waitForTimeout(5_000);
  expect(asked).toBe(0);
  await page.getByTestId('dash-refresh').selectOption('5s');
  // The change itself redraws the panels once; then every 5 s.
  await page.waitForTimeout(1_000);
  asked = 0;
  await expect.poll(() => asked, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
});

test('live mode: a dashboard variable takes its values from a real Prometheus', async ({ page }) => {
  test.skip(!url, 'no Prometheus on 127.0.0.1 (scripts/test.sh starts Debian\'s)');
  const dashboard = {
    title: 'Prometheus handlers',
    templating: { list: [{ name: 'handler', type: 'query', query: 'label_values(prometheus_http_requests_total, handler)', includeAll: true }] },
    panels: [
      { id: 1, type: 'stat', title: 'Series of the handler', gridPos: { h: 4, w: 8, x: 0, y: 0 },
        targets: [{ expr: 'count(prometheus_http_requests_total{handler=~"$handler"})', refId: 'A' }] },
    ],
  };
  await page.goto('/#/dashboards');
  await page.getByText('Import a Grafana dashboard (JSON)').click();
  await page.getByTestId('dashboard-import-text').fill(JSON.stringify(dashboard));
  await page.getByTestId('dashboard-import').click();
  // The simulator has no such metric: no values.
  await expect(page.getByTestId('var-handler').locator('option')).toHaveCount(1);
  await page.getByTestId('dash-datasource').fill(url ?? '');
  await page.getByTestId('dash-datasource').press('Enter');
  const metrics = page.getByTestId('var-handler').locator('option[value="/metrics"]');
  await expect(metrics).toHaveCount(1, { timeout: 15_000 });
  const options = await page.getByTestId('var-handler').locator('option').count();
  expect(options).toBeGreaterThanOrEqual(3);
  // All: every handler's series; one handler: its series alone (one per code).
  await expect
    .poll(async () => Number(await page.getByTestId('stat-value').textContent()), { timeout: 15_000 })
    .toBeGreaterThan(1);
  await page.getByTestId('var-handler').selectOption('/metrics');
  await expect(page.getByTestId('stat-value')).toHaveText('1', { timeout: 15_000 });
  await page.screenshot({ path: test.info().outputPath('live-variable.png'), fullPage: true });
});
