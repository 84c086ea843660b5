import * as path from 'path';
import { test, expect, login } from './fixtures';

test.describe('Lieferwege und Schnittstelle', () => {
  test('Excel-Datei: Zahl als Region und Datumszelle als Monat werden richtig gelesen', async ({ page, a11y }) => {
    await login(page, 'lieferant');
    await page.goto('/lieferung');
    await expect(page.getByRole('heading', { level: 1, name: 'Nutzungsdaten liefern' })).toBeVisible();
    await page.getByLabel('CSV- oder Excel-Datei').setInputFiles(path.join(__dirname, '..', 'fixtures', 'lieferung-excel.xlsx'));
    await page.getByRole('button', { name: 'Prüfen' }).click();
    const preview = page.getByTestId('vorschau');
    await expect(preview).toBeVisible();
    await expect(preview).toContainText('Führende Null ergänzt');
    const first = preview.locator('tbody tr').filter({ hasText: '2024-03' });
    await expect(first.locator('td')).toHaveText(['unterhaltsvorschuss-online', '01', '2024-03', '4.321', /neu|unverändert/]);
    await a11y('Lieferung: Excel-Vorschau');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect(page.getByTestId('quittung')).toContainText('gespeichert');
    await a11y('Lieferung: Excel gespeichert');
  });

  test('große Datei: läuft als Auftrag mit Fortschritt, erneutes Hochladen speichert nichts doppelt', async ({ page, a11y }) => {
    await login(page, 'lieferant');
    await page.goto('/lieferung');
    const lines = ['Onlinedienst;Region;Monat;Anzahl'];
    for (let year = 2022; year <= 2023; year++) {
      for (let month = 1; month <= 12; month++) {
        for (let land = 1; land <= 16; land++) {
          lines.push(`elterngeld-digital;${String(land).padStart(2, '0')};${year}-${String(month).padStart(2, '0')};${land * 10 + month}`);
        }
      }
    }
    const file = { name: 'gross.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n') + '\n', 'utf-8') };
    await page.getByLabel('CSV- oder Excel-Datei').setInputFiles(file);
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await expect(page.getByTestId('vorschau')).toBeVisible();
    await page.getByRole('button', { name: 'Speichern' }).click();
    // 384 rows ≥ the test server's job threshold: a background job whose
    // progress the page shows until the final answer arrives.
    await expect(page.getByTestId('fortschritt')).toBeVisible();
    await a11y('Lieferung: Auftrag läuft');
    await expect(page.getByTestId('quittung')).toContainText('gespeichert');
    await a11y('Lieferung: Auftrag fertig');

    // The same file again stores nothing twice.
    await page.goto('/lieferung');
    await page.getByLabel('CSV- oder Excel-Datei').setInputFiles(file);
    await page.getByRole('button', { name: 'Prüfen' }).click();
    await expect(page.getByTestId('vorschau')).toBeVisible();
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect(page.getByTestId('quittung')).toContainText('bereits');
  });

  test('API-Token anlegen, einmal sehen, widerrufen', async ({ page, a11y }) => {
    await login(page, 'lieferant');
    await page.goto('/tokens');
    await expect(page.getByRole('heading', { level: 1, name: 'API-Tokens' })).toBeVisible();
    await a11y('Tokens');
    await page.getByLabel('Name des neuen Tokens (z. B. System und Zweck)').fill('Fachverfahren Test');
    await page.getByRole('button', { name: 'Token anlegen' }).click();
    const secret = await page.getByTestId('neuer-token').textContent();
    expect(secret).toMatch(/^zsk_[0-9a-f]{64}$/);

    // The token works against the import API (dry run: nothing stored).
    const answer = await page.request.post(`/api/v1/lieferungen?nur_pruefen=true`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: { lieferung_id: 'e2e-1', dienste: [{ onlinedienst: 'elterngeld-digital', werte: [{ region: '14', monat: '2024-02', anzahl: 5 }] }] },
    });
    expect(answer.status()).toBe(200);
    expect((await answer.json()).status).toBe('GEPRUEFT');

    const table = page.getByTestId('tokens');
    await expect(table).toContainText('Fachverfahren Test');
    await expect(table).not.toContainText(secret!);
    await a11y('Tokens mit neuem Token');
    await table.getByRole('button', { name: '„Fachverfahren Test“ widerrufen' }).first().click();
    await expect(table.locator('tr', { hasText: 'Fachverfahren Test' }).first()).toContainText('widerrufen');
    const refused = await page.request.post(`/api/v1/lieferungen?nur_pruefen=true`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: { lieferung_id: 'e2e-2', dienste: [] },
    });
    expect(refused.status()).toBe(401);
  });

  test('die API-Dokumentation ist lesbar und barrierefrei', async ({ page, a11y }) => {
    await page.goto('/api/v1/doku');
    await expect(page.getByRole('heading', { level: 1, name: 'ZSK Import-API' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'POST /api/v1/lieferungen', exact: true })).toBeVisible();
    await a11y('API-Dokumentation');
  });
});
