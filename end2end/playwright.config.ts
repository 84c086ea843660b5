import { defineConfig, devices } from '@playwright/test';

// Browser tests of the ZSK web app against the real `zsk` server.
//
// The caller builds the server binary and the single-page app first:
//   cargo build -p server --bin zsk   (ZSK_E2E_PROFILE=release for --release)
//   trunk build                        (writes ../dist)
// Each run starts the server on a fresh data folder (/tmp/zsk-e2e), so the
// first start imports the region register and the demo data (~10 s).

const profile = process.env.ZSK_E2E_PROFILE ?? 'debug';
const referenceDir = process.env.ZSK_REFERENCE_DIR ?? '../../shared/data';
const serverCommand =
  `rm -rf /tmp/zsk-e2e && ../target/${profile}/zsk --data-dir /tmp/zsk-e2e serve ` +
  `--bind 127.0.0.1:8090 --site-root ../dist --reference-dir ${referenceDir}`;

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: 'http://127.0.0.1:8090',
    headless: true,
    locale: 'de-DE',
    timezoneId: 'Europe/Berlin',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--no-first-run',
            '--disable-sync',
            '--disable-quic',
          ],
        },
      },
    },
  ],
  webServer: {
    command: `bash -c '${serverCommand}'`,
    url: 'http://127.0.0.1:8090/healthz',
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
