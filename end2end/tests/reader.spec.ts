import { test, expect, login } from './fixtures';

const SERVICE_ID = 'buergergeld-vormals-alg-ii';

/** Other Kreise of Sachsen, none of which the Bautzen reader may see. */
const OTHER_KREISE = ['Görlitz', 'Meißen', 'Dresden', 'Leipzig', 'Chemnitz', 'Zwickau', 'Erzgebirgskreis', 'Mittelsachsen', 'Vogtlandkreis', 'Nordsachsen'];

test.describe('Leserolle Landkreis Bautzen', () => {
  test.beforeEach(async ({ page, a11y }) => {
    await login(page, 'bautzen');
    await a11y('Onlinedienste (Leserolle Bautzen)');
  });

  test('sieht Bürgergeld nur für Bautzen (Kreis)', async ({ page, a11y }) => {
    const table = page.getByTestId('dienste');
    await expect(table.locator('tbody tr').first()).toBeVisible();
    // Readers neither deliver nor see the report.
    const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
    await expect(nav.getByRole('link', { name: 'Lieferung' })).toHaveCount(0);
    await expect(nav.getByRole('link', { name: 'Bericht' })).toHaveCount(0);

    await table.getByRole('link', { name: 'Bürgergeld (vormals ALG II)', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/dienste/${SERVICE_ID}$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Bürgergeld (vormals ALG II)' })).toBeVisible();
    const summary = page.getByTestId('zusammenfassung');
    await expect(summary).toContainText('Bautzen');
    await expect(summary).toContainText('(Kreis)');
    await expect(summary).toContainText('Transaktionen von');
    await expect(page.locator('dl.facts')).toContainText('(14625)');

    // Nothing of other Kreise: no other key or name, and parts (if any) inside 14625.
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/\b146(?!25)\d{2}\b/);
    for (const name of OTHER_KREISE) {
      expect(text, `page names the Kreis ${name}`).not.toContain(name);
    }
    const partKeys = await page.getByTestId('teilregionen').locator('tbody tr td:first-of-type').allInnerTexts();
    for (const key of partKeys) {
      expect(key.startsWith('14625'), `part region ${key} outside 14625`).toBe(true);
    }
    await page.getByText('Tabelle: Transaktionen je Monat').click();
    await expect(page.getByTestId('monate').locator('tbody tr').first()).toBeVisible();
    await a11y('Onlinedienst Bürgergeld (Leserolle Bautzen)');
  });

  test('Serverfunktion verweigert Regionen außerhalb von 14625', async ({ page }) => {
    const ask = (region: string) =>
      page.request.post('/api/dienst', { form: { id: SERVICE_ID, region } });

    for (const region of ['14626', '14', 'DE']) {
      const response = await ask(region);
      expect(response.status(), `region ${region}: ${await response.text()}`).toBe(403);
    }
    const outside = await (await ask('14626')).text();
    expect(outside).toContain('außerhalb Ihres Bereichs');

    const own = await ask('14625');
    expect(own.status(), await own.text()).toBe(200);
    expect(await own.text()).toContain('Bautzen');
  });
});
