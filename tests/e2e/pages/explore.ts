import { expect, type Locator, type Page } from '@playwright/test';

/** The Explore page: PromQL editor, graph/table, explain tree. */
export class ExplorePage {
  readonly input: Locator;
  readonly error: Locator;
  readonly underline: Locator;
  readonly graph: Locator;
  readonly paths: Locator;
  readonly legend: Locator;
  readonly table: Locator;
  readonly explain: Locator;
  readonly nodes: Locator;
  readonly suggestions: Locator;
  readonly info: Locator;

  constructor(readonly page: Page) {
    this.input = page.getByTestId('query-input');
    this.error = page.getByTestId('query-error');
    this.underline = page.getByTestId('error-underline');
    this.graph = page.getByTestId('explore-graph');
    this.paths = page.getByTestId('series-path');
    this.legend = page.getByTestId('legend-item');
    this.table = page.getByTestId('result-table');
    this.explain = page.getByTestId('explain-tree');
    this.nodes = page.getByTestId('explain-node');
    this.suggestions = page.getByTestId('suggestion');
    this.info = page.getByTestId('query-info');
  }

  async open(fragment = '#/explore') {
    await this.page.goto(`/${fragment}`);
    await expect(this.page.getByTestId('explore-page')).toBeVisible();
  }

  /** Replaces the query by typing it, as a person would. */
  async type(query: string) {
    await this.input.fill('');
    await this.input.pressSequentially(query);
  }

  /** The newest `promql-query` performance measure, in milliseconds. */
  async lastQueryMs(): Promise<number> {
    return this.page.evaluate(() => {
      const all = performance.getEntriesByName('promql-query');
      return all.length ? all[all.length - 1].duration : -1;
    });
  }
}
