import { test, expect, login } from './fixtures';

const EFA_ORG = 'EfA-Dienstleister (Demo)';

test.describe('ZSK-Team (admin)', () => {
  test.beforeEach(async ({ page, a11y }) => {
    await login(page, 'admin');
    await a11y('Onlinedienste (admin)');
  });

  test('sieht alle Onlinedienste mit ihren Betreibern', async ({ page }) => {
    const table = page.getByTestId('dienste');
    await expect(table.locator('caption')).toContainText('Onlinedienste in Ihrem Bereich');
    // The 23 single services of the report plus the 98 of the federal portal.
    await expect(table.locator('tbody tr')).toHaveCount(23 + 98);

    const row = (name: string) =>
      table.locator('tbody tr').filter({ has: page.getByRole('link', { name, exact: true }) });
    // The submitter's organisation holds the EfA focus services, not BAföG.
    await expect(row('Elterngeld Digital').locator('td').first()).toHaveText(EFA_ORG);
    await expect(row('Bürgergeld (vormals ALG II)').locator('td').first()).toHaveText(EFA_ORG);
    await expect(row('BAföG Digital').locator('td').first()).not.toHaveText(EFA_ORG);
    await expect(row('BAföG Digital').locator('td.num')).toHaveText('582.310');
  });

  test('BAföG Digital: Zusammenfassung und 16 Länder', async ({ page, a11y }) => {
    await page.getByTestId('dienste').getByRole('link', { name: 'BAföG Digital', exact: true }).click();
    await expect(page).toHaveURL(/\/dienste\/bafoeg-digital$/);
    await expect(page.getByRole('heading', { level: 1, name: 'BAföG Digital' })).toBeVisible();
    const summary = page.getByTestId('zusammenfassung');
    await expect(summary).toContainText('582.310 Transaktionen von 10/2020 bis 12/2023');
    await expect(summary).toContainText('Granularität: nach Bundesländern');
    const parts = page.getByTestId('teilregionen');
    await expect(parts.locator('tbody tr')).toHaveCount(16);
    await expect(parts.locator('tbody tr').filter({ hasText: 'Sachsen' }).first()).toBeVisible();
    await a11y('Onlinedienst BAföG Digital (admin)');
  });

  test('Bericht: 24 Datenquellen, VPB mit 98 Onlinediensten', async ({ page, a11y }) => {
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Bericht' }).click();
    await expect(page).toHaveURL(/\/bericht$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Bericht: Datenquellen' })).toBeVisible();
    const table = page.getByTestId('datenquellen');
    await expect(table.locator('tbody tr')).toHaveCount(24);
    const vpb = table.locator('tbody tr').filter({
      has: page.getByRole('rowheader', { name: 'Verwaltungsportal des Bundes (VPB)', exact: true }),
    });
    await expect(vpb).toHaveCount(1);
    await expect(vpb.locator('td').nth(0)).toHaveText('Bund');
    await expect(vpb.locator('td').nth(1)).toHaveText('98');
    await expect(vpb.locator('td').nth(2)).toHaveText('nein');
    const bafoeg = table.locator('tbody tr').filter({
      has: page.getByRole('rowheader', { name: 'BAföG Digital', exact: true }),
    });
    await expect(bafoeg.locator('td').last()).toHaveText('582.310');
    await a11y('Bericht /bericht');
  });
});
