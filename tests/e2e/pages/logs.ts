import { expect, type Locator, type Page } from '@playwright/test';

/** The Logs page: paste, LogQL editor, volume, lines, stage inspector. */
export class LogsPage {
  readonly paste: Locator;
  readonly job: Locator;
  readonly labelFields: Locator;
  readonly ingest: Locator;
  readonly file: Locator;
  readonly report: Locator;
  readonly input: Locator;
  readonly error: Locator;
  readonly lines: Locator;
  readonly volume: Locator;
  readonly inspector: Locator;
  readonly info: Locator;

  constructor(readonly page: Page) {
    this.paste = page.getByTestId('logs-paste');
    this.job = page.getByTestId('logs-job');
    this.labelFields = page.getByTestId('logs-label-fields');
    this.ingest = page.getByTestId('logs-ingest');
    this.file = page.getByTestId('logs-file');
    this.report = page.getByTestId('logs-ingest-report');
    this.input = page.getByTestId('logql-input');
    this.error = page.getByTestId('logql-error');
    this.lines = page.getByTestId('log-line');
    this.volume = page.getByTestId('logs-volume');
    this.inspector = page.getByTestId('stage-inspector');
    this.info = page.getByTestId('logs-query-info');
  }

  async open(fragment = '#/logs') {
    await this.page.goto(`/${fragment}`);
    await expect(this.page.getByTestId('logs-page')).toBeVisible();
  }

  async query(text: string) {
    await this.input.fill(text);
  }

  /** The newest `logql-query` performance measure, in milliseconds. */
  async lastQueryMs(): Promise<number> {
    return this.page.evaluate(() => {
      const all = performance.getEntriesByName('logql-query');
      return all.length ? all[all.length - 1].duration : -1;
    });
  }
}
