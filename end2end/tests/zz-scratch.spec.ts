import { test, expect, login } from './fixtures';
test('scratch: axe detects a planted violation', async ({ page, a11y }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.evaluate(() => { const i = document.createElement('img'); i.src = '/x.png'; document.querySelector('main')!.appendChild(i);
    const b = document.createElement('button'); document.querySelector('main')!.appendChild(b); });
  await a11y('planted');
});
test('scratch: dump bad file page', async ({ page }) => {
  await login(page, 'lieferant');
  await page.goto('/lieferung');
  await expect(page.getByTestId('lieferungen').or(page.getByText('Noch keine Lieferungen.'))).toBeVisible();
  await page.getByLabel('CSV-Datei').setInputFiles({ name: 'f.csv', mimeType: 'text/csv',
    buffer: Buffer.from('Onlinedienst;Region;Monat;Anzahl\nelterngeld-digital;14;2024-02;12,5\nbafoeg-digital;14;2024-02;5\n') });
  await page.getByRole('button', { name: 'Prüfen' }).click();
  await expect(page.getByText(/Zeile 3/).first()).toBeVisible();
  console.log('MAIN>>>', await page.locator('main').innerText());
  await page.screenshot({ path: '/tmp/e2e-scratch/bad.png', fullPage: true });
  await page.goto('/dienste/bafoeg-digital');
  await expect(page.getByTestId('zusammenfassung')).toBeVisible();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: '/tmp/e2e-scratch/bafoeg-lieferant.png', fullPage: true });
  console.log('BAFOEG>>>', await page.locator('main').innerText());
});
