import { expect, test } from '../support/guard';
import { ExplorePage } from '../pages/explore';

async function editRules(page: import('@playwright/test').Page, threshold: string) {
  await page.goto('/#/alerts');
  await page.getByTestId('alerts-tab-rules').click();
  const editor = page.getByTestId('rules-editor');
  await editor.fill((await editor.inputValue()).replace('> 0.05', `> ${threshold}`));
  await page.getByTestId('rules-apply').click();
  await expect(page.getByTestId('rules-status')).toContainText('Applied');
}

test('the workspace survives a reload, travels in a share link, and a corrupt save starts clean with a message', async ({ page, browser }) => {
  await editRules(page, '0.07');
  // Saved within two seconds; a reload brings it back.
  await page.waitForTimeout(2_500);
  await page.reload();
  await page.getByTestId('alerts-tab-rules').click();
  await expect(page.getByTestId('rules-editor')).toHaveValue(/> 0\.07/);

  // A share link opens the same workspace in a fresh browser.
  await page.getByTestId('simulator-toggle').click();
  await page.getByTestId('workspace-share').click();
  const link = await page.getByTestId('workspace-share-link').inputValue();
  expect(link).toContain('#/share/');
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(link);
  await expect(fresh.getByTestId('workspace-notice')).toContainText('Opened a shared workspace.');
  await expect(fresh).toHaveURL(/#\/alerts/);
  await fresh.getByTestId('alerts-tab-rules').click();
  await expect(fresh.getByTestId('rules-editor')).toHaveValue(/> 0\.07/);
  await fresh.screenshot({ path: test.info().outputPath('shared-workspace.png'), fullPage: true });
  await other.close();

  // Export gives a file link.
  await page.getByTestId('workspace-export').click();
  await expect(page.getByTestId('workspace-export-link')).toHaveAttribute('href', /^blob:/);

  // A corrupt save: clean start, a message, and the text kept for download.
  await page.evaluate(() => localStorage.setItem('o11y-workspace', '{"version": 1, "seed": "oops"'));
  await page.reload();
  await expect(page.getByTestId('workspace-notice')).toContainText('could not be read');
  await expect(page.getByTestId('workspace-download-unreadable')).toHaveAttribute('href', /^blob:/);
  await page.getByTestId('nav-alerts').click();
  await page.getByTestId('alerts-tab-rules').click();
  await expect(page.getByTestId('rules-editor')).toHaveValue(/> 0\.05/);
  expect(await page.evaluate(() => localStorage.getItem('o11y-workspace-unreadable'))).toContain('oops');
  await page.screenshot({ path: test.info().outputPath('corrupt-workspace.png'), fullPage: true });

  // A newer version is reported as such.
  await page.evaluate(() => localStorage.setItem('o11y-workspace', '{"version": 9}'));
  await page.reload();
  await expect(page.getByTestId('workspace-notice')).toContainText('version 9');
});

test('a workspace file imports', async ({ page }) => {
  await editRules(page, '0.09');
  await page.getByTestId('simulator-toggle').click();
  await page.getByTestId('workspace-export').click();
  const href = await page.getByTestId('workspace-export-link').getAttribute('href');
  const json = await page.evaluate(async (u) => (await fetch(u as string)).text(), href);
  expect(JSON.parse(json).rules).toContain('> 0.09');
  await page.getByTestId('workspace-clean').click();
  await expect(page.getByTestId('workspace-status')).toHaveText('Started a clean workspace.');
  await page.getByTestId('workspace-import').setInputFiles({ name: 'w.json', mimeType: 'application/json', buffer: Buffer.from(json) });
  await expect(page.getByTestId('workspace-status')).toHaveText('Imported.');
  await page.getByTestId('workspace-import').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"version":1}') });
  await expect(page.getByTestId('workspace-status')).toContainText('Not imported');
});

test('the start page opens the built-in example workspaces', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('examples')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('start-page-examples.png'), fullPage: true });
  await page.getByTestId('example-log-only').click();
  await expect(page.getByTestId('workspace-notice')).toContainText('Log-only troubleshooting');
  await expect(page.getByTestId('logs-page')).toBeVisible();
  await expect(page.getByTestId('log-line')).toHaveCount(5);
  await page.getByTestId('nav-live').click();
  await page.getByTestId('example-high-error-rate').click();
  await expect(page.getByTestId('alerts-page')).toBeVisible();
  await expect(page.getByTestId('speed-10')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('simulator-toggle').click();
  await expect(page.getByTestId('failure-errors-frontend')).toBeChecked();
});

test('a clipboard or a storage that refuses is said so, not passed over', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await page.getByTestId('simulator-toggle').click();
  await page.getByTestId('workspace-share').click();
  const link = await page.getByTestId('workspace-share-link').inputValue();
  await expect(page.getByTestId('workspace-share-copied')).toHaveText('copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

  // The browser refuses the clipboard: the link is there to select.
  await page.evaluate(() => {
    navigator.clipboard.writeText = () => Promise.reject(new Error('denied here'));
  });
  await page.getByTestId('workspace-share').click();
  await expect(page.getByTestId('workspace-share-copied')).toContainText('not copied (denied here)');
  await expect(page.getByTestId('workspace-share-link')).toHaveValue(link);

  // The storage refuses to forget the saved workspace.
  await page.evaluate(() => {
    Storage.prototype.removeItem = () => {
      throw new Error('refused');
    };
  });
  await page.getByTestId('workspace-clean').click();
  await expect(page.getByTestId('workspace-status')).toContainText('storage refused to forget the saved one');

  // A corrupt save the storage will not copy aside: the download still has it.
  await page.addInitScript(() => {
    const set = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key: string, value: string) {
      if (key === 'o11y-workspace-unreadable') throw new Error('full');
      return set.call(this, key, value);
    };
  });
  await page.evaluate(() => localStorage.setItem('o11y-workspace', '{"version": 1, "seed": "oops"'));
  await page.reload();
  await expect(page.getByTestId('workspace-notice')).toContainText("this browser's storage refused a copy");
  await expect(page.getByTestId('workspace-download-unreadable')).toHaveAttribute('href', /^blob:/);
  expect(await page.evaluate(() => localStorage.getItem('o11y-workspace-unreadable'))).toBeNull();
});

test("a save the storage refuses is shown with the browser's own reason", async ({ page }) => {
  await page.addInitScript(() => {
    const set = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key: string, value: string) {
      if (key === 'o11y-workspace') throw new DOMException('the quota is used up', 'QuotaExceededError');
      return set.call(this, key, value);
    };
  });
  await page.goto('/');
  // The message the browser gave, not the exception's whole debug dump.
  await expect(page.locator('.banner.error')).toHaveText('Your workspace was not saved in this browser: the quota is used up');
});

test('the history chosen is kept with the workspace: a reload simulates as many hours again', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await page.getByTestId('simulator-toggle').click();
  await page.getByTestId('sim-history').selectOption('6');
  await expect
    .poll(() => page.evaluate(() => JSON.parse(localStorage.getItem('o11y-workspace') ?? '{}').history_hours), { timeout: 10_000 })
    .toBe(6);
  await page.reload();
  await page.getByTestId('simulator-toggle').click();
  await expect(page.getByTestId('sim-history')).toHaveValue('6');
  await expect(page.getByTestId('history-filling')).toHaveCount(0, { timeout: 60_000 });
  // Six hours of `up` at 15 s in the store, not one.
  await page.getByRole('link', { name: 'Explore' }).click();
  const explore = new ExplorePage(page);
  await explore.type('count_over_time(up{job="shop"}[7h])');
  await page.getByTestId('view-table').click();
  await expect(explore.table.getByTestId('result-row').first()).toContainText(/\b14[34]\d\b/);

  // A workspace may ask for hours the panel does not offer: shown as chosen.
  await page.evaluate(() => {
    const ws = JSON.parse(localStorage.getItem('o11y-workspace') ?? '{}');
    localStorage.setItem('o11y-workspace', JSON.stringify({ ...ws, history_hours: 3 }));
  });
  await page.reload();
  await page.getByTestId('simulator-toggle').click();
  await expect(page.getByTestId('sim-history')).toHaveValue('3');
  await expect(page.getByTestId('sim-history').locator('option:checked')).toHaveText('3 hours');
});
