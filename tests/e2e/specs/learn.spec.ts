import { type Page } from '@playwright/test';
import { expect, test } from '../support/guard';

/** The duration of the last performance measure `name`, in ms. */
async function lastMeasure(page: Page, name: string): Promise<number> {
  return page.evaluate((n) => {
    const all = performance.getEntriesByName(n);
    return all.length ? all[all.length - 1].duration : -1;
  }, name);
}

/** Starts lesson `id` from the Learn page and waits for its panel. */
async function startLesson(page: Page, id: string) {
  await page.goto('/#/learn');
  await expect(page.getByTestId('learn-page')).toBeVisible();
  await page.getByTestId(`learn-start-${id}`).click();
  await expect(page.getByTestId('lesson-panel')).toBeVisible();
  console.log(`lesson-open ${id}: ${(await lastMeasure(page, 'lesson-open')).toFixed(0)} ms (its scenario built in the page)`);
}

/** Moves to the step with an exercise of kind shown by `source` text, if not there. */
async function stepWithExercise(page: Page) {
  for (let i = 0; i < 10 && !(await page.getByTestId('lesson-exercise').isVisible()); i++) {
    await page.getByTestId('lesson-next').click();
  }
  await expect(page.getByTestId('lesson-exercise')).toBeVisible();
}

/** Takes every hint, then shows the solution, and returns it. */
async function solution(page: Page): Promise<string> {
  const panel = page.getByTestId('lesson-panel');
  while (await panel.getByTestId('lesson-hint').isVisible()) {
    await panel.getByTestId('lesson-hint').click();
  }
  await panel.getByTestId('lesson-show-solution').click();
  return (await panel.getByTestId('lesson-solution').textContent()) ?? '';
}

test('a new learner takes the first PromQL lesson: a wrong answer gets its diagnostic, a hint, a right answer passes, progress survives a reload', async ({ page }) => {
  await startLesson(page, 'promql-selectors');
  await expect(page.getByTestId('explore-page')).toBeVisible();
  await expect(page.getByTestId('lesson-step')).toContainText('step 1 of');
  await expect(page.getByTestId('lesson-source')).toContainText('the query in Explore');

  // A wrong answer: a label value in the wrong case. The trap's hint, then the difference.
  const input = page.getByTestId('query-input');
  await input.fill('');
  await input.pressSequentially('http_requests_total{service="Payment"}');
  await page.getByTestId('lesson-check').click();
  const feedback = page.getByTestId('lesson-feedback');
  await expect(feedback).toContainText('Not yet');
  await expect(feedback).toContainText('case-sensitive');
  await expect(feedback).toContainText('Your query returns nothing');
  const check = await lastMeasure(page, 'lesson-check');
  console.log(`lesson-check: ${check.toFixed(1)} ms (checking an answer in the page)`);

  // Another wrong answer: no matcher at all.
  await input.fill('');
  await input.pressSequentially('http_requests_total');
  await page.getByTestId('lesson-check').click();
  await expect(feedback).toContainText('series are not expected');

  // A hint.
  await page.getByTestId('lesson-hint').click();
  await expect(page.getByTestId('lesson-hint-text')).toHaveCount(1);
  await expect(page.getByTestId('lesson-hint')).toContainText('Hint (2 of 2)');

  // The right answer.
  await input.fill('');
  await input.pressSequentially('http_requests_total{service="payment"}');
  await page.getByTestId('lesson-check').click();
  await expect(feedback).toContainText('Correct');
  await expect(page.getByTestId('lesson-exercise').locator('h4')).toContainText('✓');
  await page.screenshot({ path: test.info().outputPath('learn-explore-pass.png'), fullPage: true });

  // A parse error is shown at its place.
  await page.getByTestId('lesson-next').click();
  await expect(page.getByTestId('lesson-step')).toContainText('step 2 of');
  await input.fill('');
  await input.pressSequentially('http_requests_total{status=~"5..}');
  await page.getByTestId('lesson-check').click();
  await expect(feedback).toContainText('At characters');

  // Reloaded, the progress is kept and the learner can continue.
  await page.goto('/#/learn');
  await page.reload();
  await expect(page.getByTestId('learn-continue')).toContainText('Selectors and matchers');
  await expect(page.getByTestId('learn-lesson-promql-selectors').getByTestId('learn-lesson-progress')).toHaveText(/^1 of \d+ exercises passed$/);
  await page.screenshot({ path: test.info().outputPath('learn-course-map.png'), fullPage: true });
  await page.getByTestId('learn-continue-button').click();
  await expect(page.getByTestId('lesson-step')).toContainText('step 2 of');
  await page.getByTestId('lesson-prev').click();
  await expect(page.getByTestId('lesson-exercise').locator('h4')).toContainText('✓');

  // Leaving the lesson gives the learner's own demo back.
  await page.getByTestId('lesson-leave').click();
  await expect(page.getByTestId('lesson-panel')).toHaveCount(0);
  await expect(page.getByTestId('learn-page')).toBeVisible();
});

test('an alerting-rule exercise is checked by replaying the rule over the scenario', async ({ page }) => {
  await startLesson(page, 'alerting-for');
  await stepWithExercise(page);
  await expect(page.getByTestId('lesson-source')).toContainText('Alerts → Rules');
  await page.getByTestId('alerts-tab-rules').click();
  const editor = page.getByTestId('rules-editor');
  await editor.fill('groups:\n  - name: empty\n    rules: []\n');
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('never fires');

  const rule = await solution(page);
  expect(rule).toContain('alert:');
  await editor.fill(rule);
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
  console.log(`lesson-check (rule replayed): ${(await lastMeasure(page, 'lesson-check')).toFixed(1)} ms`);
  await page.screenshot({ path: test.info().outputPath('learn-alerts-pass.png'), fullPage: true });
});

test('the lesson panel works beside Explore, Logs, Traces and Alerts', async ({ page }) => {
  // A logs lesson: the query comes from the Logs page's editor.
  await startLesson(page, 'logql-filters');
  await stepWithExercise(page);
  await page.getByTestId('nav-logs').click();
  await expect(page.getByTestId('lesson-panel')).toBeVisible();
  await expect(page.getByTestId('lesson-source')).toContainText('Logs page');
  const logql = page.getByTestId('logql-input');
  await logql.fill('');
  await logql.pressSequentially('{job="nothing-here"}');
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('Not yet');
  const reference = await solution(page);
  await logql.fill(reference.trim());
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
  await page.screenshot({ path: test.info().outputPath('learn-logs.png'), fullPage: true });

  // A traces lesson: the answer is typed in the panel, found with the Traces page.
  await startLesson(page, 'traces-critical-path');
  await page.getByTestId('nav-traces').click();
  await expect(page.getByTestId('lesson-panel')).toBeVisible();
  for (let i = 0; i < 10 && !(await page.getByTestId('lesson-answer').isVisible()); i++) {
    await page.getByTestId('lesson-next').click();
  }
  const answer = page.getByTestId('lesson-answer');
  await answer.fill('0');
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('is not the answer');
  const value = (await solution(page)).split('\n')[0].trim();
  await answer.fill(value);
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
  await page.screenshot({ path: test.info().outputPath('learn-traces.png'), fullPage: true });

  // The panel stays beside Explore and Alerts too, and Check still reads its editor.
  for (const p of ['explore', 'alerts']) {
    await page.getByTestId(`nav-${p}`).click();
    await expect(page.getByTestId('lesson-panel')).toBeVisible();
    await expect(page.getByTestId(`${p}-page`)).toBeVisible();
    await page.screenshot({ path: test.info().outputPath(`learn-panel-${p}.png`), fullPage: true });
  }
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
});

test('progress travels in a share link, and a corrupt record starts clean and is kept for download', async ({ page, browser }) => {
  await startLesson(page, 'promql-selectors');
  const input = page.getByTestId('query-input');
  await input.fill('');
  await input.pressSequentially('http_requests_total{service="payment"}');
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
  await page.getByTestId('lesson-leave').click();

  // The share link carries the progress to another browser.
  await page.getByTestId('simulator-toggle').click();
  await page.getByTestId('workspace-share').click();
  const link = await page.getByTestId('workspace-share-link').inputValue();
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(link);
  await expect(fresh.getByTestId('workspace-notice')).toContainText('Opened a shared workspace.');
  await fresh.getByTestId('nav-learn').click();
  await expect(fresh.getByTestId('learn-lesson-promql-selectors').getByTestId('learn-lesson-progress')).toHaveText(/^1 of \d+ exercises passed$/);
  await other.close();

  // A corrupt record: a message, a clean start, the text kept for download.
  await page.evaluate(() => localStorage.setItem('o11y-learn-progress', '{"version": 1, "lessons": 5'));
  await page.goto('/#/learn');
  await page.reload();
  await expect(page.getByTestId('workspace-notice')).toContainText('lesson progress could not be read');
  await expect(page.getByTestId('workspace-download-unreadable')).toHaveAttribute('download', 'unreadable-lesson-progress.json');
  await expect(page.getByTestId('learn-lesson-promql-selectors').getByTestId('learn-lesson-progress')).toHaveText(/^0 of \d+ exercises passed$/);
  expect(await page.evaluate(() => localStorage.getItem('o11y-learn-progress-unreadable'))).toContain('"lessons": 5');
});

/** Runs `query` in Explore's table and returns the first row's value. */
async function exploreValue(page: Page, query: string): Promise<number> {
  await page.getByTestId('nav-explore').click();
  const input = page.getByTestId('query-input');
  await input.fill(query);
  await page.getByTestId('view-table').click();
  const value = page.getByTestId('result-row').first().locator('td.value');
  await expect(value).toHaveText(/\d/);
  return Number((await value.textContent())?.trim());
}

/** Types `answer` in the panel's answer field of the step whose prompt matches, and checks it. */
async function answerStep(page: Page, prompt: RegExp, answer: string) {
  for (let i = 0; i < 12 && !(await page.getByTestId('lesson-exercise').filter({ hasText: prompt }).isVisible()); i++) {
    await page.getByTestId('lesson-next').click();
  }
  await page.getByTestId('lesson-answer').fill(answer);
  await page.getByTestId('lesson-check').click();
}

test('an incident investigated through the pages: culprit, kind, start, a trace and a log query as evidence, then the debrief', async ({ page }) => {
  await startLesson(page, 'incident-failing-requests');
  // The on-call alert is firing; the injected failures are hidden.
  await expect(page.getByTestId('alerts-page')).toBeVisible();
  await page.getByTestId('simulator-toggle').click();
  await expect(page.getByTestId('failures-hidden')).toBeVisible();
  await page.getByTestId('simulator-toggle').click();

  // Failed traces: in each, the deepest failed span is where the errors start.
  await page.getByTestId('nav-traces').click();
  await page.getByTestId('trace-errors').check();
  const rows = page.getByTestId('trace-row');
  await expect(rows.first()).toBeVisible();
  const origins = new Map<string, string[]>();
  for (let i = 0; i < 15; i++) {
    await rows.nth(i).click();
    const failed = page.getByTestId('waterfall-row').and(page.locator('.error'));
    await expect(failed.first()).toBeVisible();
    const service = ((await failed.last().locator('.wf-service').textContent()) ?? '').trim();
    const id = new URL(page.url()).hash.match(/trace=([0-9a-f]{32})/)?.[1] ?? '';
    origins.set(service, [...(origins.get(service) ?? []), id]);
  }
  const [culprit, traces] = [...origins.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  console.log(`failed traces by deepest failed service: ${[...origins.entries()].map(([s, t]) => `${s} ${t.length}`).join(', ')}`);

  // How much it failed, and since when: Explore.
  const ratio = `sum(rate(http_requests_total{service="${culprit}", status=~"5.."}[1m])) / sum(rate(http_requests_total{service="${culprit}"}[1m]))`;
  const worst = await exploreValue(page, `max_over_time((${ratio})[45m:15s])`);
  const kind = worst > 0.95 ? 'outage' : 'error burst';
  const since = await exploreValue(page, `min_over_time(timestamp((${ratio}) > 0.05)[45m:15s])`);
  const started = new Date(since * 1000).toISOString().slice(11, 16);
  console.log(`culprit ${culprit}, worst error ratio ${worst}, so ${kind}; errors since ${started}`);

  await answerStep(page, /caused the incident/, culprit);
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
  await answerStep(page, /What kind of failure/, kind);
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
  await answerStep(page, /At what time/, started);
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');
  // A trace through the culprit: the first of those whose critical path runs through it.
  let passed = false;
  for (const id of traces) {
    await answerStep(page, /id of a trace/, id);
    await expect(page.getByTestId('lesson-feedback')).toBeVisible();
    if ((await page.getByTestId('lesson-feedback').textContent())?.includes('Correct')) {
      passed = true;
      break;
    }
  }
  expect(passed).toBe(true);

  // The logs: the culprit's error lines over the last 15 minutes.
  for (let i = 0; i < 12 && !(await page.getByTestId('lesson-exercise').filter({ hasText: /error lines/ }).isVisible()); i++) {
    await page.getByTestId('lesson-next').click();
  }
  await page.getByTestId('nav-logs').click();
  const logql = page.getByTestId('logql-input');
  await logql.fill(`sum(count_over_time({service_name="${culprit}", level="error"}[15m]))`);
  await page.getByTestId('lesson-check').click();
  await expect(page.getByTestId('lesson-feedback')).toContainText('Correct');

  // Every answer in: the debrief shows what was injected beside what was found.
  const debrief = page.getByTestId('lesson-debrief');
  await expect(debrief).toBeVisible();
  await expect(debrief.getByTestId('debrief-injected')).toContainText(culprit);
  await expect(debrief.getByTestId('debrief-found')).toHaveCount(5);
  await debrief.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('learn-incident-debrief.png') });
});

test('a trainer writes a lesson, checks it, shares it as a link that opens it; a class\'s progress files sum up', async ({ page, browser }) => {
  await page.goto('/#/learn');
  await page.getByTestId('lesson-editor').locator('summary').click();
  const editor = page.getByTestId('lesson-editor-text');
  const original = await editor.inputValue();
  expect(original).toContain('id: promql-selectors');

  // Errors as one types, at their line and column.
  await editor.fill(original.replace('prompt: Select every', 'promt: Select every'));
  await expect(page.getByTestId('lesson-editor-error')).toContainText('unknown field "promt"');
  await expect(page.getByTestId('lesson-editor-error')).toHaveText(/^\d+:1: /);

  // A lesson of one's own: checked as `o11y lessons check` does.
  const mine = original.replace('id: promql-selectors', 'id: my-selectors').replace('title: Selectors and matchers', 'title: My selectors');
  await editor.fill(mine);
  await expect(page.getByTestId('lesson-editor-ok')).toContainText('My selectors');
  await page.getByTestId('lesson-editor-check').click();
  await expect(page.getByTestId('lesson-check-summary')).toContainText('Every reference passes and every trap fails with its hint', { timeout: 30_000 });
  await expect(page.getByTestId('lesson-check-row')).toHaveCount(3);
  await page.getByTestId('lesson-editor').screenshot({ path: test.info().outputPath('learn-lesson-editor.png') });

  // Shared as a link: another browser opens the lesson itself.
  await page.getByTestId('lesson-editor-share').click();
  const link = await page.getByTestId('lesson-editor-link').inputValue();
  expect(link).toContain('#/lesson/');
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(link);
  await expect(fresh.getByTestId('lesson-panel')).toBeVisible();
  await expect(fresh.getByTestId('lesson-title')).toHaveText('My selectors');
  await expect(fresh.getByTestId('explore-page')).toBeVisible();
  // A damaged link says so.
  await fresh.goto(link.replace(/#\/lesson\/.*$/, '#/lesson/not-a-lesson'));
  await fresh.reload();
  await expect(fresh.getByTestId('workspace-notice')).toContainText('The lesson link could not be opened');
  await other.close();

  // A class's progress files: who passed what, with how many hints.
  await page.getByTestId('progress-files').locator('summary').click();
  await page.getByTestId('progress-export').click();
  await expect(page.getByTestId('progress-export-link')).toHaveAttribute('href', /^blob:/);
  const ann = { version: 1, lessons: { 'promql-selectors': { step: 1, exercises: { 'payment-requests': { attempts: 2, hints: 1, passed: true, answer: 'x' } } } } };
  const bob = { version: 1, lessons: { 'promql-selectors': { step: 0, exercises: { 'payment-requests': { attempts: 3, hints: 2, passed: false } } } } };
  await page.getByTestId('progress-import').setInputFiles([
    { name: 'ann.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(ann)) },
    { name: 'bob.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bob)) },
    { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"version": 1, "lessons": [') },
  ]);
  const summary = page.getByTestId('class-summary');
  await expect(summary.locator('th')).toContainText(['lesson', 'exercise', 'ann', 'bob']);
  const first = page.getByTestId('class-row').first();
  await expect(first).toContainText('payment-requests');
  await expect(first).toContainText('✓ 1 hint');
  await expect(first).toContainText('✗ 3 tries');
  await expect(page.getByTestId('progress-files')).toContainText('broken.json: 1:');
  await page.getByTestId('progress-files').screenshot({ path: test.info().outputPath('learn-class-summary.png') });
});

test('a demo script plays to its end: captions, pages and failures at their times, a pause, back and forth, the presentation view', async ({ page }) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/#/learn');
  await page.getByTestId('demo-start-three-pillars').click();
  const caption = page.getByTestId('demo-caption');
  await expect(caption).toContainText('A shop, measured');
  await expect(page.getByTestId('explore-page')).toBeVisible();
  await expect(page.getByTestId('query-input')).toHaveValue('sum by (service) (rate(http_requests_total[1m]))');
  await expect(page.getByTestId('simulator-toggle')).not.toContainText('failing');

  // The clock plays the timeline: the failure starts at its time, the caption follows.
  await expect(caption).toContainText('Something fails', { timeout: 20_000 });
  await expect(page.getByTestId('simulator-toggle')).toContainText('1 failing');
  await expect(page.getByTestId('demo-step')).toContainText('step 2 of 5');

  // A pause step waits for the presenter.
  await expect(caption).toContainText('Where: a trace', { timeout: 20_000 });
  await expect(page.getByTestId('traces-page')).toBeVisible();
  await expect(page.getByTestId('demo-waiting')).toBeVisible();
  await page.getByTestId('demo-present').click();
  await page.screenshot({ path: test.info().outputPath('demo-presentation-1920x1080.png') });
  await expect(page.locator('.topbar nav')).toBeHidden();
  await page.keyboard.press(' ');
  await expect(page.getByTestId('demo-waiting')).toHaveCount(0);

  // → jumps to the next steps; ← goes back to the same data.
  await page.keyboard.press('ArrowRight');
  await expect(caption).toContainText('Why: the logs');
  await expect(page.getByTestId('logs-page')).toBeVisible();
  await expect(page.getByTestId('logql-input')).toHaveValue('{service_name="payment", level="error"}');
  await page.keyboard.press('ArrowRight');
  await expect(caption).toContainText('Back to normal');
  await expect(page.getByTestId('demo-finished')).toBeVisible();
  await expect(page.getByTestId('simulator-toggle')).not.toContainText('failing');
  await page.keyboard.press('ArrowLeft');
  await expect(caption).toContainText('Why: the logs');
  await expect(page.getByTestId('simulator-toggle')).toContainText('1 failing');
  await page.keyboard.press('Escape');
  await expect(page.locator('.topbar nav')).toBeVisible();

  // Stopping gives the learner's own demo back.
  await page.getByTestId('demo-stop').click();
  await expect(page.getByTestId('demo-player')).toHaveCount(0);
  await expect(page.getByTestId('learn-page')).toBeVisible();
});
