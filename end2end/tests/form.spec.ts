import { test, expect, login } from './fixtures';
import type { Locator, Page } from '@playwright/test';

const MONTHS = [
  'Januar', 'Februar', 'März', 'April', 'Mai', 'Juni',
  'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember',
];

/** The current month in Europe/Berlin, as the server computes it. */
function berlinMonth(): { year: number; month: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Berlin',
    year: 'numeric',
    month: 'numeric',
  }).formatToParts(new Date());
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: part('year'), month: part('month') };
}

async function openForm(page: Page) {
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Formular' }).click();
  await expect(page).toHaveURL(/\/lieferung\/formular$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Werte im Formular eingeben' })).toBeVisible();
  await expect(page.getByTestId('raster')).toBeVisible();
}

/** Opens the form from the navigation; the first service's grid may need a filter. */
async function openFormWithoutGrid(page: Page) {
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Formular' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Werte im Formular eingeben' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Onlinedienst' })).toBeVisible();
}

/** The preselected month is the Berlin month, whatever the browser's clock and zone say. */
async function expectBerlinMonthPreselected(page: Page) {
  const before = berlinMonth();
  const month = page.getByRole('combobox', { name: 'Monat', exact: true });
  const year = page.getByRole('combobox', { name: 'Jahr', exact: true });
  const shown = { year: Number(await year.inputValue()), month: Number(await month.inputValue()) };
  const after = berlinMonth();
  expect([before, after]).toContainEqual(shown);
  await expect(month.locator('option:checked')).toHaveText(MONTHS[shown.month - 1]);
  // No future month is offered: not the next year, not a later month of this one.
  await expect(year.locator(`option[value="${shown.year + 1}"]`)).toHaveCount(0);
  if (shown.month < 12) {
    await expect(month.locator(`option[value="${shown.month + 1}"]`)).toHaveCount(0);
  }
  return shown;
}

/** Presses Tab until `target` has the focus (at most `limit` times). */
async function tabTo(page: Page, target: Locator, limit = 60) {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab did not reach ${target}`);
}

/** Types into the focused field, replacing what it held. */
async function typeValue(page: Page, text: string) {
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(text);
}

function gridRow(page: Page, region: string) {
  return page.getByTestId('raster').locator('tbody tr').filter({
    has: page.getByRole('rowheader', { name: region, exact: true }),
  });
}

test.describe('Formular in Kiritimati (UTC+14) mit falsch gehender Browseruhr', () => {
  test.use({ timezoneId: 'Pacific/Kiritimati' });

  test('der vorgewählte Monat ist der Berliner Monat des Servers', async ({ page, a11y }) => {
    // The browser believes it is the morning of 1 August 2031 there; the page
    // must not use the browser's clock or zone.
    await page.clock.setFixedTime(new Date('2031-07-31T14:00:00Z'));
    await login(page, 'lieferant');
    await openForm(page);
    await expectBerlinMonthPreselected(page);
    await a11y('Formular (Kiritimati)');
  });
});

test.describe('Formular in Los Angeles (UTC−8/−7)', () => {
  test.use({ timezoneId: 'America/Los_Angeles' });

  test('Werte nur mit der Tastatur eintragen, prüfen, korrigieren und speichern', async ({ page, a11y }) => {
    await login(page, 'lieferant');
    await openForm(page);
    const shown = await expectBerlinMonthPreselected(page);
    const monthLabel = `${MONTHS[shown.month - 1]} ${shown.year}`;

    // Service by keyboard: arrow keys in the focused select.
    const service = page.getByRole('combobox', { name: 'Onlinedienst' });
    await service.focus();
    const wanted = 'Elterngeld Digital (nach Bundesländern)';
    for (let i = 0; i < 10 && (await service.locator('option:checked').innerText()) !== wanted; i++) {
      await page.keyboard.press('ArrowDown');
    }
    await expect(service.locator('option:checked')).toHaveText(wanted);
    const grid = page.getByTestId('raster');
    await expect(grid.locator('caption')).toHaveText(`Elterngeld Digital – ${monthLabel} (nach Bundesländern)`);
    await expect(grid.locator('tbody tr')).toHaveCount(16);
    await expect(gridRow(page, 'Schleswig-Holstein').locator('td').nth(0)).toHaveText('01');
    await expect(gridRow(page, 'Schleswig-Holstein').locator('td').nth(2)).toHaveText('nicht gemeldet');
    await a11y('Formular: Raster Elterngeld Digital');

    // Tab from the service select through the month picker into the grid.
    const sh = page.getByLabel('Schleswig-Holstein', { exact: true });
    await tabTo(page, sh);
    await expect(sh).toHaveAttribute('inputmode', 'numeric');
    await page.keyboard.type('120');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Hamburg', { exact: true })).toBeFocused();
    await page.keyboard.type('1.234');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Niedersachsen', { exact: true })).toBeFocused();
    await page.keyboard.type('0');
    // Enter in a field submits nothing.
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Niedersachsen', { exact: true })).toBeFocused();
    await expect(page.getByTestId('vorschau')).toHaveCount(0);
    await expect(page.getByTestId('quittung')).toHaveCount(0);

    const check = page.getByRole('button', { name: 'Prüfen' });
    const save = page.getByRole('button', { name: 'Speichern' });
    await expect(save).toBeDisabled();
    await tabTo(page, check);
    await page.keyboard.press('Enter');
    const preview = page.getByTestId('vorschau');
    await expect(preview).toContainText('3 Werte: 3 neu, 0 korrigiert, 0 unverändert, 0 fehlerhaft');
    await expect(preview).toContainText('Schleswig-Holstein (01): neu: 120');
    await expect(preview).toContainText('Hamburg (02): neu: 1.234');
    await expect(preview).toContainText('Niedersachsen (03): neu: 0');
    await expect(gridRow(page, 'Hamburg').locator('td').last()).toHaveText('neu: 1.234');
    await a11y('Formular: Prüfergebnis neu');

    await page.keyboard.press('Tab');
    await expect(save).toBeFocused();
    await page.keyboard.press('Enter');
    const receipt = page.getByTestId('quittung');
    await expect(receipt).toHaveText(/^Lieferung \d+ gespeichert: 3 neu, 0 korrigiert, 0 unverändert\.$/);
    await expect(receipt).toBeFocused();
    await expect(gridRow(page, 'Schleswig-Holstein').locator('td').nth(2)).toHaveText('120');
    await expect(gridRow(page, 'Niedersachsen').locator('td').nth(2)).toHaveText('0');
    await expect(gridRow(page, 'Bremen').locator('td').nth(2)).toHaveText('nicht gemeldet');
    await expect(page.getByTestId('vorschau')).toHaveCount(0);
    await a11y('Formular: Quittung');

    // A correction, an unchanged value and an error named by its region.
    await tabTo(page, sh);
    await typeValue(page, '135');
    await page.keyboard.press('Tab');
    await typeValue(page, '1.234');
    await page.keyboard.press('Tab');
    await typeValue(page, '12,5');
    await tabTo(page, check);
    await page.keyboard.press('Enter');
    await expect(preview).toContainText('Schleswig-Holstein (01): Korrektur 120 → 135');
    await expect(preview).toContainText('Hamburg (02): unverändert');
    await expect(preview).toContainText('Niedersachsen (03): Fehler: „12,5“ enthält ein Komma');
    await expect(preview).not.toContainText('Zeile');
    const niedersachsen = gridRow(page, 'Niedersachsen');
    await expect(niedersachsen.locator('td').last()).toContainText('Fehler: „12,5“ enthält ein Komma');
    await expect(page.getByLabel('Niedersachsen', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await expect(gridRow(page, 'Schleswig-Holstein').locator('td').last()).toHaveText('Korrektur 120 → 135');
    await expect(save).toBeDisabled();
    await a11y('Formular: Prüfergebnis mit Fehler');

    await tabTo(page, page.getByLabel('Niedersachsen', { exact: true }));
    await typeValue(page, '7');
    await expect(preview).toHaveCount(0);
    await tabTo(page, check);
    await page.keyboard.press('Enter');
    await expect(preview).toContainText('3 Werte: 0 neu, 2 korrigiert, 1 unverändert, 0 fehlerhaft');
    await expect(preview).toContainText('Niedersachsen (03): Korrektur 0 → 7');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect(receipt).toHaveText(/^Lieferung \d+ gespeichert: 0 neu, 2 korrigiert, 1 unverändert\.$/);
    await expect(gridRow(page, 'Schleswig-Holstein').locator('td').nth(2)).toHaveText('135');
    await expect(gridRow(page, 'Niedersachsen').locator('td').nth(2)).toHaveText('7');

    // The form's deliveries show in the history of the upload page.
    await page.goto('/lieferung');
    const history = page.getByTestId('lieferungen');
    await expect(history.locator('tbody tr').filter({ hasText: 'form' })).toHaveCount(2);
  });

  test('ein Kreis-Raster lässt sich auf ein Land eingrenzen', async ({ page, a11y }) => {
    await login(page, 'lieferant');
    await openForm(page);
    // Bürgergeld reports by Kreis: all 400 Kreise, or one Land's.
    await page.getByRole('combobox', { name: 'Onlinedienst' }).selectOption({ label: 'Bürgergeld (vormals ALG II) (nach Kreisen)' });
    const grid = page.getByTestId('raster');
    await expect(grid.locator('caption')).toContainText('Bürgergeld');
    await expect(grid.locator('tbody tr')).toHaveCount(400);
    await page.getByRole('combobox', { name: 'Land eingrenzen' }).selectOption({ label: 'Sachsen (14)' });
    await expect(grid.locator('tbody tr')).toHaveCount(13);
    await expect(gridRow(page, 'Bautzen').locator('td').first()).toHaveText('14625');
    await a11y('Formular: Kreise in Sachsen');
  });
});

test('Gemeinde-Raster (ZSK-Team) erst nach Wahl eines Kreises', async ({ page, a11y }) => {
  await login(page, 'admin');
  await openFormWithoutGrid(page);
  await page.getByRole('combobox', { name: 'Onlinedienst' }).selectOption({ label: 'Betriebssicherheit Online (nach Gemeinden)' });
  await expect(page.getByText('bitte oben einen Kreis wählen')).toBeVisible();
  await expect(page.getByTestId('raster')).toHaveCount(0);
  await a11y('Formular: Gemeinde-Dienst ohne Kreis');
  await page.getByRole('combobox', { name: 'Kreis eingrenzen' }).selectOption({ label: 'Bautzen (14625)' });
  const grid = page.getByTestId('raster');
  await expect(grid.locator('tbody tr')).toHaveCount(57);
  await expect(grid.locator('tbody tr').filter({ hasText: '14625020' }).getByRole('rowheader')).toContainText('Bautzen');
  await a11y('Formular: Gemeinden im Kreis Bautzen');
});
