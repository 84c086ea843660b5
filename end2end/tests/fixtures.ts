import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';

/** The WCAG rule sets every page must pass (BITV 2.0 follows WCAG 2.1 AA). */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

type AxeResults = Awaited<ReturnType<AxeBuilder['analyze']>>;
type Violation = AxeResults['violations'][number];

/** One line per violation and affected element, readable in a test report. */
export function formatViolations(violations: Violation[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => {
          const target = n.target.map((t) => (Array.isArray(t) ? t.join(' ') : String(t))).join(' > ');
          const summary = (n.failureSummary ?? '').replace(/\s*\n\s*/g, ' | ');
          return `    - ${target}\n      html: ${n.html}\n      ${summary}`;
        })
        .join('\n');
      return `[${v.impact ?? 'n/a'}] ${v.id}: ${v.help}\n  ${v.helpUrl}\n${nodes}`;
    })
    .join('\n\n');
}

/**
 * Runs axe (WCAG 2.0/2.1 A and AA) on the current page and expects no
 * violations. Call it after the page's content has rendered: the app is a
 * WASM single-page app that draws after the load event.
 */
export async function expectNoA11yViolations(page: Page, label?: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const where = label ?? page.url();
  // Compared as short "rule-id (n elements)" strings so the diff stays
  // readable; the message carries the full details.
  expect(
    results.violations.map((v) => `${v.id} (${v.nodes.length} Element(e))`),
    `axe found ${results.violations.length} accessibility violation(s) on ${where}:\n\n` +
      formatViolations(results.violations),
  ).toEqual([]);
}

export const USERS = {
  admin: { login: 'admin', password: 'zsk-demo-admin' },
  lieferant: { login: 'lieferant', password: 'zsk-demo-lieferant' },
  bautzen: { login: 'bautzen', password: 'zsk-demo-bautzen' },
} as const;

export type DemoUser = keyof typeof USERS;

/**
 * Logs in through the form on /anmelden (checking that page with axe too) and
 * waits for the services list the app navigates to.
 */
export async function login(page: Page, user: DemoUser): Promise<void> {
  const { login, password } = USERS[user];
  await page.goto('/anmelden');
  await expect(page.getByRole('heading', { level: 1, name: 'Anmelden' })).toBeVisible();
  await page.getByLabel('Benutzername').fill(login);
  await page.getByLabel('Passwort').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await expect(page).toHaveURL(/\/dienste$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Onlinedienste' })).toBeVisible();
  await expect(page.getByTestId('dienste')).toBeVisible();
}

/** `a11y` checks the current page: `await a11y()` once its content is there. */
export const test = base.extend<{ a11y: (label?: string) => Promise<void> }>({
  a11y: async ({ page }, use) => {
    await use((label?: string) => expectNoA11yViolations(page, label));
  },
});

export { expect };
