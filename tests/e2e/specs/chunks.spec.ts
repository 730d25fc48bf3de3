import { expect, test as base } from '@playwright/test';
import { test } from '../support/guard';

/** The page's wasm modules the browser asked for, by file name. */
function wasmRequests(page: import('@playwright/test').Page): string[] {
  const asked: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop() ?? '';
    if (name.endsWith('.wasm')) asked.push(name);
  });
  return asked;
}

test('the first load fetches the main module only; a page brings its chunk when it first opens', async ({ page }) => {
  const asked = wasmRequests(page);
  await page.goto('/');
  await expect(page.getByTestId('rps-now')).toBeVisible();
  expect(asked).toEqual(['o11y-playground_bg.wasm']);

  await page.getByTestId('nav-logs').click();
  await expect(page.getByTestId('logs-page')).toBeVisible();
  expect(asked).toContain('split_logs.wasm');
  expect(asked.filter((n) => n.startsWith('split_') && n !== 'split_logs.wasm')).toEqual([]);

  // Back and forth: the page is built at once from the chunk already there.
  const before = asked.length;
  await page.getByTestId('nav-live').click();
  await page.getByTestId('nav-logs').click();
  await expect(page.getByTestId('logs-page')).toBeVisible();
  expect(asked.length).toBe(before);
  console.log(`chunks: first load asked for ${asked.slice(0, 1).join(', ')}; the Logs page for ${asked.slice(1).join(', ')}`);

  // A pointer over a page's link starts fetching its chunk before the click.
  const traces = page.waitForRequest((r) => r.url().endsWith('/split_traces.wasm'));
  await page.getByTestId('nav-traces').hover();
  await traces;
  await expect(page.getByTestId('logs-page')).toBeVisible();
  expect(asked.filter((n) => n.startsWith('split_'))).toEqual(['split_logs.wasm', 'split_traces.wasm']);
  await page.getByTestId('nav-traces').click();
  await expect(page.getByTestId('traces-page')).toBeVisible();
});

// Not the guard: the refused fetch is logged by the browser and the loader
// on purpose. What must not happen is a page error (a trap kills the page).
base('a chunk that cannot be fetched says so, the rest of the page goes on, and the next visit fetches it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/split_traces.wasm', (route) => route.abort());
  await page.goto('/');
  await expect(page.getByTestId('rps-now')).toBeVisible();

  await page.getByTestId('nav-traces').click();
  await expect(page.getByTestId('chunk-not-fetched')).toBeVisible();
  await expect(page.getByTestId('traces-page')).toHaveCount(0);
  // The rest of the page still works.
  await page.getByTestId('nav-live').click();
  await expect(page.getByTestId('rps-now')).toBeVisible();

  await page.unroute('**/split_traces.wasm');
  await page.getByTestId('nav-traces').click();
  await expect(page.getByTestId('traces-page')).toBeVisible();
  await expect(page.getByTestId('chunk-not-fetched')).toHaveCount(0);
  expect(errors).toEqual([]);
});
