import { defineConfig, devices } from '@playwright/test';

// Browser tests of the ZSK web app against the real `zsk` server.
//
// The caller builds the server binary and the single-page app first:
//   cargo build -p server --bin zsk   (ZSK_BIN names another binary)
//   trunk build                        (writes ../dist)
// Each run starts the server on a fresh data folder (/tmp/zsk-e2e), so the
// first start imports the region register and the demo data (~10 s).

// Run through `bash -c`: the shell fills in ZSK_BIN (the server binary)
// and ZSK_REFERENCE_DIR (the official reference data) from the environment.
// Settings that would point the server elsewhere (an outside database, no demo
// users, Secure cookies over plain HTTP) are cleared for the test server.
// Files of 300 rows or more run as background jobs, so a small test file
// shows the job's progress.
const serverCommand =
  'unset DATABASE_URL ZSK_DEMO ZSK_SECURE_COOKIES; rm -rf /tmp/zsk-e2e && ${ZSK_BIN:-../target/debug/zsk} --data-dir /tmp/zsk-e2e serve ' +
  '--bind 127.0.0.1:8090 --site-root ../dist --job-rows 300 --reference-dir ${ZSK_REFERENCE_DIR:-../../shared/data}';

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
