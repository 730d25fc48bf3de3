import { defineConfig } from '@playwright/test';
import path from 'node:path';

// The built site (dist/ at the repository root), served on loopback only.
const dist = path.resolve(__dirname, '../../dist');
const port = Number(process.env.E2E_PORT ?? 8091);
// scripts/test.sh points this at Debian's Chromium; unset, Playwright uses
// its own browser (on a laptop where `npx playwright install` works).
const executablePath = process.env.CHROMIUM_PATH || undefined;

export default defineConfig({
  testDir: './specs',
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: `python3 -m http.server ${port} --bind 127.0.0.1 --directory "${dist}"`,
    url: `http://127.0.0.1:${port}/index.html`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'ignore',
  },
});
