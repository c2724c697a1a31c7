import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import { makeEvent } from '../helpers/events.ts';
import { bodyOf } from '../helpers/local-api.ts';
import { freePort, type Started, startProcess } from '../helpers/processes.ts';

const DEMO = join(process.cwd(), 'data/online-retail/online_retail.parquet');

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function lakeEventIds(dataDir: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const e of readLakeZone(dataDirLayout(dataDir).lake, 'raw/events'))
    ids.add((e as { eventId: string }).eventId);
  return ids;
}

/** `npm start` exactly as a new user runs it: first run imports the bundled shop, then serves. */
describe('e2e: npm start', () => {
  let dataDir: string;
  let port: number;
  let app: Started | undefined;
  const env = () => {
    const { RECSYS_API_KEY: _ignored, ...rest } = process.env;
    return { ...rest, RECSYS_DATA_DIR: dataDir, PORT: String(port), CI: 'true' };
  };

  beforeAll(async () => {
    await access(DEMO);
    dataDir = await mkdtemp(join(tmpdir(), 'recsys-e2e-'));
    port = await freePort();
  });
  afterAll(async () => {
    app?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('imports the demo shop, prints the URL and a generated key, ingests events and survives kill -9', async () => {
    // Prepare: first start
    app = startProcess('npm', ['start', '--silent'], env());
    const [, url] = await app.waitFor(/listening on (http:\/\/\S+)/, 300_000);
    const [, key] = await app.waitFor(/API key[^:]*: (\S+)/);
    expect(app.output()).toMatch(/first run: importing the bundled demo shop/);
    const post = (body: unknown, apiKey: string | null = key!) =>
      fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
        body: JSON.stringify(body),
      });

    // Act + Assess: the demo catalog is there, the API guards and validates
    const item = await fetch(`${url}/v1/items/85123A`, { headers: { 'x-api-key': key! } });
    expect(item.status).toBe(200);
    expect((await bodyOf(item)).title).toMatch(/HEART/);
    // The first start retrained through the state machine: a model serves, not the popularity fallback.
    expect(app.output()).toMatch(
      /retrain-[0-9a-f]{16}: Activate in \d+\.\d s \(model (\d{8}T\d{6}Z-[0-9a-f]{8})\)/,
    );
    // … and said how long each state took, as `recsys retrain` does (README).
    for (const state of [
      'StartCrawler',
      'TrainOnPrimary',
      'Evaluate',
      'Register',
      'WriteRecommendations',
      'Activate',
    ])
      expect(app.output()).toMatch(new RegExp(`^ {2}${state} +\\d+\\.\\d\\d s {2}SUCCEEDED`, 'm'));
    expect(app.output()).toMatch(/^ {2}total +\d+\.\d\d s$/m);
    // node:sqlite's experimental warning is not printed, by the CLI nor by the server's threads.
    expect(app.output()).not.toContain('SQLite is an experimental feature');
    const served = await fetch(`${url}/v1/users/17850/recommendations?k=5`, {
      headers: { 'x-api-key': key! },
    });
    expect(served.status).toBe(200);
    const servedBody = await bodyOf(served);
    expect(servedBody.modelVersion).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(servedBody.items.length).toBe(5);
    expect((await post([makeEvent()], null)).status).toBe(401);
    expect((await post([{ type: 'view' }])).status).toBe(400);
    expect((await post({ events: [] })).status).toBe(400);

    const acknowledged = makeEvent({ userId: '17850', type: 'add_to_cart', value: 1, itemId: '85123A' });
    const res = await post({ events: [acknowledged] });
    expect(res.status).toBe(202);
    // kill -9 right after the 202: no chance to flush or close anything
    app.kill('SIGKILL');
    await app.exited;

    // Restart: no re-import, and the acknowledged event is in the lake
    app = startProcess('npm', ['start', '--silent'], env());
    await app.waitFor(/listening on/, 120_000);
    expect(app.output()).not.toMatch(/first run/);
    const ids = await lakeEventIds(dataDir);
    expect(ids.has(acknowledged.eventId as string)).toBe(true);
    // The demo import itself landed too (541,909 invoice lines, a handful of malformed ones skipped).
    expect(ids.size).toBeGreaterThan(500_000);

    // A graceful stop publishes the open lake objects and releases the data directory.
    app.kill('SIGTERM');
    await app.exited;
    await expect.poll(() => exists(dataDirLayout(dataDir).lock), { timeout: 15_000 }).toBe(false);
    expect(await readdir(join(dataDir, 'lake/.staging/recsys-local-events'))).toEqual([]);
    app = undefined;
  }, 600_000);
});
