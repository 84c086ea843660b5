import { test, expect, login } from './fixtures';

const CSV_HEADER = 'Onlinedienst;Region;Monat;Anzahl\n';

test.describe('Datenlieferant (EfA-Dienstleister)', () => {
  test.beforeEach(async ({ page, a11y }) => {
    await login(page, 'lieferant');
    await a11y('Onlinedienste (Lieferant)');
  });

  async function openDeliveryPage(page: import('@playwright/test').Page) {
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Lieferung' }).click();
    await expect(page).toHaveURL(/\/lieferung$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Nutzungsdaten liefern' })).toBeVisible();
    // The history has loaded once the table or the empty note is there.
    await expect(page.getByTestId('lieferungen').or(page.getByText('Noch keine Lieferungen.'))).toBeVisible();
  }

  test('sieht nur die Onlinedienste der eigenen Organisation', async ({ page }) => {
    const table = page.getByTestId('dienste');
    await expect(table.getByRole('link', { name: 'Elterngeld Digital', exact: true })).toBeVisible();
    await expect(table.getByRole('link', { name: 'BAföG Digital', exact: true })).toHaveCount(0);
    for (const operator of await table.locator('tbody tr td:first-of-type').allInnerTexts()) {
      expect(operator).toBe('EfA-Dienstleister (Demo)');
    }
  });

  test('fremder Onlinedienst (BAföG Digital) bleibt verschlossen', async ({ page, a11y }) => {
    await page.goto('/dienste/bafoeg-digital');
    await expect(page.getByRole('heading', { level: 1, name: 'Onlinedienst' })).toBeVisible();
    await expect(page.getByRole('alert')).toBeVisible();
    await expect(page.getByTestId('zusammenfassung')).toHaveCount(0);
    await a11y('Onlinedienst BAföG Digital (Lieferant, verweigert)');

    const response = await page.request.post('/api/dienst', { form: { id: 'bafoeg-digital' } });
    expect(response.status(), await response.text()).toBe(403);
  });

  test('liefert eine CSV-Datei und findet den Wert im Dashboard', async ({ page, a11y }) => {
    await openDeliveryPage(page);
    await a11y('Lieferung /lieferung');

    const fileName = `elterngeld-2024-01-${Date.now()}.csv`;
    await page.getByLabel('CSV- oder Excel-Datei').setInputFiles({
      name: fileName,
      mimeType: 'text/csv',
      buffer: Buffer.from(`${CSV_HEADER}elterngeld-digital;14;2024-01;777\n`, 'utf-8'),
    });
    const check = page.getByRole('button', { name: 'Prüfen' });
    await expect(check).toBeEnabled();
    await check.click();

    const preview = page.getByTestId('vorschau');
    await expect(preview).toBeVisible();
    const row = preview.locator('tbody tr').filter({ hasText: 'elterngeld-digital' });
    await expect(row).toHaveCount(1);
    await expect(row.locator('td')).toHaveText(['elterngeld-digital', '14', '2024-01', '777', 'neu']);
    await expect(preview).toContainText('1 empfangen: 1 neu');
    await a11y('Lieferung: Vorschau');

    await page.getByRole('button', { name: 'Speichern' }).click();
    const receipt = page.getByTestId('quittung');
    await expect(receipt).toContainText(/Lieferung \d+ gespeichert: 1 empfangen: 1 neu/);
    await expect(preview).toHaveCount(0);
    const deliveryId = (await receipt.innerText()).match(/Lieferung (\d+) gespeichert/)![1];

    const history = page.getByTestId('lieferungen');
    const entry = history.locator('tbody tr').filter({ hasText: fileName });
    await expect(entry).toHaveCount(1);
    await expect(entry.locator('th')).toHaveText(deliveryId);
    await expect(entry).toContainText('1 empfangen: 1 neu');
    await a11y('Lieferung: Quittung und Verlauf');

    await page.goto('/dienste/elterngeld-digital?region=14');
    await expect(page.getByRole('heading', { level: 1, name: 'Elterngeld Digital' })).toBeVisible();
    await expect(page.getByTestId('zusammenfassung')).toContainText('bis 01/2024 in Sachsen (Land)');
    await page.getByText('Tabelle: Transaktionen je Monat').click();
    const months = page.getByTestId('monate');
    await expect(months).toBeVisible();
    const january = months.locator('tbody tr').filter({
      has: page.getByRole('rowheader', { name: 'Januar 2024', exact: true }),
    });
    await expect(january.locator('td')).toHaveText('777');
    await a11y('Onlinedienst Elterngeld Digital, Sachsen (Lieferant)');
  });

  test('fehlerhafte Datei wird mit Zeilenangaben abgelehnt', async ({ page, a11y }) => {
    await openDeliveryPage(page);
    await page.getByLabel('CSV- oder Excel-Datei').setInputFiles({
      name: 'fehlerhaft.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `${CSV_HEADER}elterngeld-digital;14;2024-02;12,5\nbafoeg-digital;14;2024-02;5\n`,
        'utf-8',
      ),
    });
    const check = page.getByRole('button', { name: 'Prüfen' });
    await expect(check).toBeEnabled();
    await check.click();

    const messages = page.locator('main');
    await expect(messages.getByText(/Zeile 2\b/).first()).toBeVisible();
    await expect(messages.getByText(/Zeile 3\b/).first()).toBeVisible();
    await expect(messages.getByText(/Zeile 2\b.*12,5/).first()).toBeVisible();
    await expect(messages.getByText(/Zeile 3\b.*bafoeg-digital/).first()).toBeVisible();
    await expect(page.getByRole('button', { name: 'Speichern' })).toHaveCount(0);
    await expect(page.getByTestId('quittung')).toHaveCount(0);
    await a11y('Lieferung: fehlerhafte Datei');
  });
});
