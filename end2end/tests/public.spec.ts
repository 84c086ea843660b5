import { test, expect } from './fixtures';

test.describe('öffentliche Seiten', () => {
  test('Startseite ist barrierefrei und bietet die Anmeldung an', async ({ page, a11y }) => {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1, name: 'Zentrale Statistik-Komponente' })).toBeVisible();
    // Anonymous: the start page and the navigation offer the login.
    await expect(page.locator('main').getByRole('link', { name: 'Anmelden' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anmelden' })).toBeVisible();
    await a11y('Startseite /');
  });

  test('Anmeldeseite ist barrierefrei', async ({ page, a11y }) => {
    await page.goto('/anmelden');
    await expect(page.getByRole('heading', { level: 1, name: 'Anmelden' })).toBeVisible();
    await expect(page.getByLabel('Benutzername')).toBeVisible();
    await expect(page.getByLabel('Passwort')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Anmelden' })).toBeEnabled();
    await a11y('Anmeldeseite /anmelden');
  });

  test('falsches Passwort zeigt die deutsche Fehlermeldung', async ({ page, a11y }) => {
    await page.goto('/anmelden');
    await expect(page.getByRole('heading', { level: 1, name: 'Anmelden' })).toBeVisible();
    await page.getByLabel('Benutzername').fill('admin');
    await page.getByLabel('Passwort').fill('falsches-passwort');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await expect(page.getByRole('alert')).toContainText('Benutzername oder Passwort ist falsch.');
    await expect(page).toHaveURL(/\/anmelden$/);
    // Still anonymous: the navigation offers only the login.
    await expect(page.getByRole('button', { name: 'Abmelden' })).toHaveCount(0);
    await a11y('Anmeldeseite mit Fehlermeldung');
  });
});
