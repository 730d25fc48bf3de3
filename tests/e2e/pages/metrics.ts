import { expect, type Locator, type Page } from '@playwright/test';

/** The Metrics page: explorer, series table, paste box, define form. */
export class MetricsPage {
  readonly paste: Locator;
  readonly job: Locator;
  readonly ingest: Locator;
  readonly errors: Locator;
  readonly stored: Locator;
  readonly explorer: Locator;
  readonly seriesTable: Locator;

  constructor(readonly page: Page) {
    this.paste = page.getByTestId('metrics-paste');
    this.job = page.getByTestId('paste-job');
    this.ingest = page.getByTestId('paste-ingest');
    this.errors = page.getByTestId('paste-errors');
    this.stored = page.getByTestId('paste-ok');
    this.explorer = page.getByTestId('explorer');
    this.seriesTable = page.getByTestId('series-table');
  }

  async open() {
    await this.page.goto('/#/metrics');
    await expect(this.explorer).toBeVisible();
  }

  row(metric: string): Locator {
    return this.page.locator(`[data-testid="metric-row"][data-metric="${metric}"]`);
  }
}
