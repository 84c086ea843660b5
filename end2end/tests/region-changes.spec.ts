import { test, expect, login } from './fixtures';

// Real: Ostrau (14522450) and Zschaitz-Ottewig (14522620) became the
// Gemeinde Jahnatal (14522275) on 01.01.2023. Today's register (30.11.2025)
// no longer lists the old keys, so loading adds them.
const HEADER = 'Schlüssel alt;Name alt;Schlüssel neu;Stichtag\n';
const JAHNATAL = `${HEADER}14522450;Ostrau;14522275;01.01.2023\n14522620;Zschaitz-Ottewig;14522275;01.01.2023\n`;

test.describe('Gebietsänderungen (ZSK-Team)', () => {
  test.beforeEach(async ({ page }) => {
    await login(page, 'admin');
  });

  test('prüft, speichert und listet Schlüsseländerungen, per Tastatur bedienbar', async ({ page, a11y }) => {
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Gebietsänderungen' }).click();
    await expect(page).toHaveURL(/\/regionen\/aenderungen$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Gebietsänderungen' })).toBeVisible();
    await expect(page.getByTestId('aenderungen').or(page.getByText('Noch keine Schlüsseländerungen geladen.'))).toBeVisible();
    await a11y('Gebietsänderungen /regionen/aenderungen');

    const input = page.getByLabel('Datei mit Schlüsseländerungen');
    const check = page.getByRole('button', { name: 'Prüfen' });

    // A file with errors: every finding names line, column and value; no store button.
    await input.setInputFiles({
      name: 'fehlerhaft.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${HEADER}14522450;Ostrau;14522275;31.02.2023\n14522620;;14522275;01.01.23\n`, 'utf-8'),
    });
    await check.focus();
    await page.keyboard.press('Enter');
    const errors = page.locator('.messages li.msg-error');
    await expect(errors).toHaveCount(3);
    await expect(errors.nth(0)).toHaveText('Fehler: Zeile 2, Spalte Stichtag („31.02.2023“): kein gültiges Kalenderdatum');
    await expect(errors.nth(1)).toContainText('Zeile 3, Spalte Name alt');
    await expect(errors.nth(2)).toContainText('Zeile 3, Spalte Stichtag („01.01.23“)');
    await expect(page.getByRole('alert')).toContainText('Die Datei enthält Fehler und wird nicht gespeichert');
    await expect(page.getByRole('button', { name: 'Speichern' })).toHaveCount(0);
    await a11y('Gebietsänderungen: Fehler');

    // The real merger: the preview says what would change, stores nothing.
    await input.setInputFiles({ name: 'jahnatal-2023.csv', mimeType: 'text/csv', buffer: Buffer.from(JAHNATAL, 'utf-8') });
    await check.focus();
    await page.keyboard.press('Enter');
    const preview = page.getByTestId('vorschau');
    await expect(preview).toContainText('Probelauf, nichts gespeichert: 2 Schlüsseländerungen: 2 neu, 0 schon geladen');
    await expect(preview).toContainText('Ins Gebietsregister aufgenommen: 14522450 (Ostrau), gültig bis 31.12.2022');
    await expect(preview).toContainText('Gültig erst ab dem Stichtag: 14522275 (Jahnatal) ab 01.01.2023');
    const rows = preview.locator('tbody tr');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0).locator('td')).toHaveText(['14522450', 'Ostrau', '14522275', 'Jahnatal', '01.01.2023', 'neu']);
    await a11y('Gebietsänderungen: Vorschau');

    // Store by keyboard; the list shows the loaded changes.
    const store = page.getByRole('button', { name: 'Speichern' });
    await store.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('quittung')).toContainText('2 Schlüsseländerungen: 2 neu, 0 schon geladen');
    const list = page.getByTestId('aenderungen');
    await expect(list.locator('tbody tr')).toHaveCount(2);
    await expect(list.locator('tbody tr').nth(0).locator('th, td')).toHaveText([
      '14522450', 'Ostrau', '14522275', 'Jahnatal', '01.01.2023', /\d\d\.\d\d\.\d{4} \d\d:\d\d/, 'ZSK-Team (Demo) (jahnatal-2023.csv)',
    ]);
    await a11y('Gebietsänderungen: gespeichert');

    // The same file again changes nothing and says so.
    await input.setInputFiles({ name: 'jahnatal-2023.csv', mimeType: 'text/csv', buffer: Buffer.from(JAHNATAL, 'utf-8') });
    await check.click();
    await expect(preview).toContainText('Prüfung: nichts zu ändern: 2 Schlüsseländerungen der Datei sind alle schon geladen.');
  });
});

test('Datenlieferanten sehen keine Gebietsänderungen', async ({ page, a11y }) => {
  await login(page, 'lieferant');
  const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
  await expect(nav.getByRole('link', { name: 'Gebietsänderungen' })).toHaveCount(0);
  await page.goto('/regionen/aenderungen');
  await expect(page.getByRole('alert')).toHaveText('Schlüsseländerungen lädt nur das ZSK-Team.');
  await a11y('Gebietsänderungen (Lieferant, verweigert)');
  const response = await page.request.post('/api/v1/regionen/aenderungen?nur_pruefen=true', { data: JAHNATAL });
  expect(response.status(), await response.text()).toBe(403);
});
