import { expect, type Locator, type Page } from '@playwright/test';

/** The live demo page: controls, the requests chart and the error-rate stat. */
export class LiveDemoPage {
  readonly chart: Locator;
  readonly pauseToggle: Locator;
  readonly reset: Locator;
  readonly errorRateInput: Locator;
  readonly errorRateStat: Locator;
  readonly clock: Locator;

  constructor(readonly page: Page) {
    this.chart = page.getByTestId('rps-chart');
    this.pauseToggle = page.getByTestId('pause-toggle');
    this.reset = page.getByTestId('reset');
    this.errorRateInput = page.getByTestId('error-rate-input');
    this.errorRateStat = page.getByTestId('error-rate-stat');
    this.clock = page.getByTestId('virtual-clock');
  }

  async open() {
    await this.page.goto('/');
    await expect(this.chart).toBeVisible();
    // The app has started once the stat shows a value, and its hour of
    // history is there once it no longer says it is simulating it.
    await expect(this.page.getByTestId('error-rate-value')).toHaveText(/%$/);
    await expect(this.page.getByTestId('history-filling')).toHaveCount(0, { timeout: 30_000 });
  }

  speed(times: 1 | 10 | 100 | 1000): Locator {
    return this.page.getByTestId(`speed-${times}`);
  }

  /** The chart's pixels, as a data URL. */
  async chartPixels(): Promise<string> {
    return this.chart.evaluate((c: HTMLCanvasElement) => c.toDataURL());
  }

  /** Moves a range input to `value` the way a user's drag does. */
  async setRange(input: Locator, value: number) {
    await input.evaluate((el: HTMLInputElement, v: number) => {
      el.value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, value);
  }
}
