import { expect, test } from '../support/guard';

test('the relabel page shows the labels after each step of the Kubernetes example; the shop is scraped through its own', async ({ page }) => {
  await page.goto('/#/relabel');
  await expect(page.getByTestId('relabel-page')).toBeVisible();
  const steps = page.getByTestId('relabel-step');
  await expect(steps).toHaveCount(7);
  await expect(steps.nth(1)).toContainText('+__metrics_path__="/metrics"');
  await expect(steps.nth(2)).toContainText('__address__="10.1.2.3:9102" (was "10.1.2.3:80")');
  await expect(steps.nth(3)).toContainText('+app="payment"');
  await expect(page.getByTestId('relabel-final')).toContainText('instance="10.1.2.3:9102"');
  await expect(page.getByTestId('relabel-final')).toContainText('namespace="shop"');
  await expect(page.getByTestId('relabel-final')).not.toContainText('__meta');
  await page.screenshot({ path: test.info().outputPath('relabel.png'), fullPage: true });

  // Not annotated for scraping: dropped at the first step.
  const target = page.getByTestId('relabel-target');
  await target.fill((await target.inputValue()).replace('prometheus_io_scrape="true"', 'prometheus_io_scrape="false"'));
  await expect(page.getByTestId('relabel-dropped')).toBeVisible();
  await expect(steps).toHaveCount(1);
  // Prometheus checks the modulus first, then the target label.
  await page.getByTestId('relabel-config').fill('- action: hashmod\n  source_labels: [job]\n');
  await expect(page.getByTestId('relabel-error')).toContainText('hashmod requires non-zero modulus');
  await page.getByTestId('relabel-config').fill('- action: hashmod\n  source_labels: [job]\n  modulus: 4\n');
  await expect(page.getByTestId('relabel-error')).toContainText("requires 'target_label'");

  // The shop's own scrape config: a label added to its target.
  const scrape = page.getByTestId('scrape-config');
  await scrape.fill((await scrape.inputValue()).replace('relabel_configs: []\n#', 'relabel_configs:\n  - {target_label: env, replacement: demo}\n#'));
  await page.getByTestId('scrape-apply').click();
  await expect(page.getByTestId('scrape-status')).toHaveText('Applied from the next scrape.');
  await expect(page.getByTestId('shop-target')).toHaveText('{env="demo", instance="shop:8080", job="shop"}');
});
