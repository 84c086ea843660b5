import { test, expect, login } from './fixtures';

test('Abmelden beendet die Sitzung', async ({ page, a11y }) => {
  await login(page, 'admin');
  await a11y('Onlinedienste (admin, vor dem Abmelden)');

  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await nav.getByRole('button', { name: 'Abmelden' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Zentrale Statistik-Komponente' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Anmelden' })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Abmelden' })).toHaveCount(0);
  await a11y('Startseite nach dem Abmelden');

  await page.goto('/dienste');
  await expect(page.getByRole('heading', { level: 1, name: 'Onlinedienste' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('Bitte melden Sie sich an.');
  await expect(page.getByTestId('dienste')).toHaveCount(0);
  await a11y('Onlinedienste ohne Anmeldung');

  // The session is gone on the server too.
  const response = await page.request.post('/api/dienste');
  expect(response.status()).toBe(401);
});
