import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Started, startProcess } from '../helpers/processes.ts';
import { launchChromium, screenshots, seriousViolations } from './browser.ts';
import { writeSmallShop } from './shop-file.ts';

const DEMO = join(process.cwd(), 'data/online-retail/online_retail.parquet');
const LONG = 30_000;

/**
 * The storefront and the operations console in Debian's Chromium (headless, driven by playwright-core) against
 * `npm start` on a fresh data directory: a small slice of the demo shop, its first model fitted as popularity,
 * so that a version trained in the console with item-kNN clears the gate and waits for approval.
 */
describe('browser: storefront and operations console on npm start', () => {
  let dir: string;
  let app: Started | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url: string;
  let key: string;
  let shoppers: string[];
  const pageErrors: string[] = [];
  const versions = { first: '', second: '' };

  /** The API as the page calls it, to check what the page shows against it. */
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url.replace(/\/$/, '')}${path}`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const ids = (selector: string) =>
    page.$$eval(`${selector} > li`, (lis) => lis.map((li) => li.getAttribute('data-item-id') ?? ''));
  const shownErrors = () => page.$$eval('#errors li', (lis) => lis.map((li) => li.textContent ?? ''));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recsys-browser-'));
    const shop = join(dir, 'shop.parquet');
    shoppers = await writeSmallShop(DEMO, shop, 60_000);
    const { RECSYS_API_KEY: _ignored, ...env } = process.env;
    app = startProcess('npm', ['start', '--silent', '--', '--file', shop, '--model', 'popularity'], {
      ...env,
      RECSYS_DATA_DIR: join(dir, 'data'),
      PORT: String(await freePort()),
      CI: 'true',
    });
    // `npm start` ends by printing the URL a person opens.
    [, url] = (await app.waitFor(/open the storefront: (http:\/\/\S+)/, 300_000)) as unknown as [
      string,
      string,
    ];
    [, key] = (await app.waitFor(/API key[^:]*: (\S+)/)) as unknown as [string, string];
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(LONG);
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    app?.kill('SIGTERM');
    await app?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('a version trained with another model in the console waits Pending; approving it serves it on the storefront', async () => {
    const first = await api<{ deployment: { champion: string } }>('/v1/admin/models');
    versions.first = first.deployment.champion;
    await page.goto(`${url}console`);
    await page.fill('#api-key', key);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector(`#models tr[data-version="${versions.first}"] td.role:text-is("champion")`);

    await page.selectOption('#run-model', 'item-knn');
    await page.check('#run-approval');
    await page.click('#run-start');
    // Watched live: the progress bar names the state the run is in, then the run lands in the table.
    await page.waitForSelector('#run-progress progress');
    expect(await page.textContent('#run-progress')).toMatch(/console-\d+: \w+/);
    await page.waitForSelector('#runs tbody tr:first-child td.status:text-is("SUCCEEDED")', {
      timeout: 300_000,
    });
    expect(await page.textContent('#runs tbody tr:first-child')).toContain('AwaitingApproval');

    const pending = page.locator('#models tbody tr', { has: page.locator('td.status:text-is("Pending")') });
    expect(await pending.count()).toBe(1);
    versions.second = (await pending.getAttribute('data-version')) ?? '';
    expect(versions.second).not.toBe(versions.first);
    expect(await pending.locator('td').first().textContent()).toBe('item-knn');

    await page.click(`button[aria-label="Approve ${versions.second}"]`);
    await page.waitForSelector(`#models tr[data-version="${versions.second}"] td.role:text-is("champion")`, {
      timeout: 120_000,
    });
    expect(await page.textContent(`#models tr[data-version="${versions.second}"] td.status`)).toBe(
      'Approved',
    );
    const after = await api<{ deployment: { champion: string; previousChampion: string } }>(
      '/v1/admin/models',
    );
    expect(after.deployment).toMatchObject({ champion: versions.second, previousChampion: versions.first });

    // The storefront, in the same browser session: the key is remembered, the new version serves.
    await page.goto(url);
    expect(await page.textContent('#key-status')).toBe('API key set for this session.');
    await page.fill('#shopper-id', shoppers[0]!);
    await page.click('#shopper-form button[type=submit]');
    await page.waitForSelector('#recs > li');
    expect(await page.textContent('#recs-variant')).toBe(`Variant champion · model ${versions.second}`);
    expect(await shownErrors()).toEqual([]);
  }, 420_000);

  it('the storefront: "not interested" removes the item at once; viewing a product changes "Recommended for you"', async () => {
    // A shopper with a short history: one view weighs against the whole history (issue 17), and against a
    // couple of invoices it is enough to change the list, as a new shopper on the storefront would see.
    const light = shoppers[Math.floor(shoppers.length * 0.8)]!;
    const heavy = await ids('#recs');
    await page.fill('#shopper-id', light);
    await page.click('#shopper-form button[type=submit]');
    await page.waitForFunction(
      `[...document.querySelectorAll('#recs > li')].map((li) => li.dataset.itemId).join() !== ${JSON.stringify(heavy.join())}`,
    );
    const before = await ids('#recs');
    expect(before).toHaveLength(10);
    const first = page.locator('#recs > li').first();
    expect(await first.locator('.reason').textContent()).not.toBe('');
    expect(await first.locator('.meta').textContent()).toMatch(/score \d\.\d{3}/);

    const gone = before[0]!;
    await page.click(`#recs > li[data-item-id="${gone}"] button.secondary`);
    await page.waitForSelector(`#recs > li[data-item-id="${gone}"]`, { state: 'detached' });
    await page.waitForFunction("document.querySelectorAll('#recs > li').length === 10");
    const afterHide = await ids('#recs');
    expect(afterHide).not.toContain(gone);
    expect(await page.textContent('#changes')).toMatch(/^"Recommended for you" changed — .*gone: /);

    // Viewing an item (from the trending list: one the shopper has not touched) sends a view event.
    const viewed = (await ids('#trending'))[0]!;
    await page.click(`#trending > li[data-item-id="${viewed}"] .item-title`);
    await page.waitForSelector('#product:not([hidden])');
    const item = await api<{ title: string }>(`/v1/items/${encodeURIComponent(viewed)}`);
    expect(await page.textContent('#product-title')).toBe(item.title);
    // The page's expressions are strings: this file is type-checked against Node's globals, not the DOM's.
    await page.waitForFunction(
      `[...document.querySelectorAll('#recs > li')].map((li) => li.dataset.itemId).join() !== ${JSON.stringify(afterHide.join())}`,
    );
    const afterView = await ids('#recs');
    expect(afterView).not.toEqual(afterHide);
    expect(await page.textContent('#changes')).toMatch(/^"Recommended for you" changed — /);
    expect(await ids('#similar')).toHaveLength(5);
    expect(await shownErrors()).toEqual([]);

    // Back to the first shopper, whom the next tests look at.
    const lightList = await ids('#recs');
    await page.fill('#shopper-id', shoppers[0]!);
    await page.click('#shopper-form button[type=submit]');
    await page.waitForFunction(
      `[...document.querySelectorAll('#recs > li')].map((li) => li.dataset.itemId).join() !== ${JSON.stringify(lightList.join())}`,
    );
  }, 120_000);

  it("compare shows the two versions' lists for one shopper side by side, the overlap marked", async () => {
    await page.selectOption('#compare-a', versions.second);
    await page.selectOption('#compare-b', versions.first);
    await page.click('#compare-go');
    await page.waitForSelector('.compare-column >> nth=1');
    const columns = await page.$$eval('.compare-column', (cols) =>
      cols.map((c) => ({
        version: c.getAttribute('data-version'),
        ids: [...c.querySelectorAll('li')].map((li) => li.getAttribute('data-item-id')),
        marked: [...c.querySelectorAll('li')]
          .filter((li) => li.querySelector('.badge'))
          .map((li) => li.getAttribute('data-item-id')),
      })),
    );
    expect(columns.map((c) => c.version)).toEqual([versions.second, versions.first]);
    for (const [n, version] of [versions.second, versions.first].entries()) {
      const list = await api<{ items: { itemId: string }[]; modelVersion: string }>(
        `/v1/admin/users/${shoppers[0]}/recommendations?modelVersion=${version}&k=10`,
      );
      expect(list.modelVersion).toBe(version);
      expect(columns[n]!.ids).toEqual(list.items.map((i) => i.itemId));
    }
    const [a, b] = columns as [(typeof columns)[0], (typeof columns)[0]];
    const both = a.ids.filter((id) => b.ids.includes(id));
    expect(a.marked).toEqual(both);
    expect(b.marked).toEqual(b.ids.filter((id) => a.ids.includes(id)));
    expect(a.ids).not.toEqual(b.ids);
    expect(await page.textContent('#compare-result > p')).toBe(
      `${both.length} of 10 items in both lists (marked "in both").`,
    );
  }, 120_000);

  it('an experiment started in the console shows per-variant counts after a few clicks', async () => {
    await page.goto(`${url}console`);
    await page.waitForSelector(`#exp-challenger option[value="${versions.first}"]`, { state: 'attached' });
    await page.fill('#exp-name', 'web-test');
    await page.selectOption('#exp-challenger', versions.first);
    await page.click('#exp-start');
    // Either the report or an error: a failure then says what the page said instead of only timing out.
    await page.waitForSelector('#experiment-report, #errors > li');
    expect(await shownErrors()).toEqual([]);

    await page.goto(url);
    let served = 0;
    const variants = new Set<string>();
    const count = (res: { url(): string; status(): number }) => {
      if (/\/v1\/users\/[^/]+\/recommendations/.test(res.url()) && res.status() === 200) served++;
    };
    page.on('response', count);
    const clicked = shoppers.slice(0, 6);
    for (const shopper of clicked) {
      await page.fill('#shopper-id', shopper);
      const listed = page.waitForResponse((r) => r.url().includes(`/v1/users/${shopper}/recommendations`));
      await page.click('#shopper-form button[type=submit]');
      // The list on screen must be this answer, not the one before it (clicking that would count no click).
      const { recommendationId } = (await (await listed).json()) as { recommendationId: string };
      await page.waitForSelector(`#recs[data-recommendation-id="${recommendationId}"] > li`);
      variants.add(((await page.textContent('#recs-variant')) ?? '').replace(/^Variant (\S+) .*$/, '$1'));
      const clickSent = page.waitForResponse((r) => r.url().endsWith('/v1/feedback') && r.status() === 202);
      const reloaded = page.waitForResponse((r) => r.url().includes(`/v1/users/${shopper}/recommendations`));
      await page.locator('#recs > li .item-title').first().click();
      await clickSent;
      await reloaded;
    }
    page.off('response', count);
    expect(variants.size).toBeGreaterThan(0);
    for (const v of variants) expect(['champion', 'challenger']).toContain(v);

    await page.goto(`${url}console`);
    const report = await api<{ variants: { variant: string; exposures: number; clicks: number }[] }>(
      '/v1/experiments/web-test',
    );
    expect(report.variants.reduce((n, v) => n + v.clicks, 0)).toBe(clicked.length);
    expect(report.variants.reduce((n, v) => n + v.exposures, 0)).toBe(served);
    await page.waitForSelector('#experiment-report tbody tr[data-variant="challenger"]');
    for (const v of report.variants) {
      const row = `#experiment-report tr[data-variant="${v.variant}"]`;
      expect(await page.textContent(`${row} td.exposures`)).toBe(String(v.exposures));
      expect(await page.textContent(`${row} td.clicks`)).toBe(String(v.clicks));
    }
  }, 180_000);

  it('axe-core finds no serious or critical violations on either page; both read at 375 px (screenshots saved)', async () => {
    // The console with everything loaded: models, runs, the experiment, the data tab.
    await page.waitForSelector('#data-tiles dt');
    expect(await seriousViolations(page)).toEqual([]);
    const consoleShots = await screenshots(page, 'console');

    await page.goto(url);
    await page.fill('#shopper-id', shoppers[0]!);
    await page.click('#shopper-form button[type=submit]');
    await page.waitForSelector('#recs > li');
    await page.locator('#recs > li .item-title').first().click();
    await page.waitForSelector('#similar > li');
    await page.click('#compare-go');
    await page.waitForSelector('.compare-column');
    expect(await seriousViolations(page)).toEqual([]);
    const storeShots = await screenshots(page, 'storefront');

    for (const shot of [...consoleShots, ...storeShots]) {
      expect(shot.overflow, shot.path).toBeLessThanOrEqual(0);
      const png = await readFile(shot.path);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
    }
    expect(await shownErrors()).toEqual([]);
    expect(pageErrors).toEqual([]);

    // The error list read by a screen reader: an empty key is refused with a shown error, and it stays a list.
    await page.click('#key-form button[type=submit]');
    expect(await shownErrors()).toEqual(['The API key is empty. Dismiss']);
    expect(await seriousViolations(page)).toEqual([]);
  }, 120_000);
});
