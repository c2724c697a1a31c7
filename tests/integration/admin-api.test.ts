import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminDataHandler } from '../../functions/api/admin-data/admin-data.ts';
import { makeEvent } from '../helpers/events.ts';
import { startLocalApi } from '../helpers/local-api.ts';
import { IALS, KNN, publishTestModel, shopItem } from '../helpers/serving-model.ts';

const CHAMPION = '20240301T000000Z-000000a1';
const CHALLENGER = '20240302T000000Z-000000b2';

interface Err {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

/** The operator routes over HTTP on the local server: what they answer, and how they refuse. */
describe('API: /v1/admin/… (operations console routes)', () => {
  let api: Awaited<ReturnType<typeof startLocalApi>>;
  let shopper: string;
  const json = async <T>(res: Response) => (await res.json()) as T;
  const post = (path: string, body: unknown) =>
    api.request(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    api = await startLocalApi();
    const { dataDir, publications } = api.runtime;
    const model = await publishTestModel(dataDir, publications, CHAMPION, IALS);
    await publishTestModel(dataDir, publications, CHALLENGER, KNN);
    shopper = model.userIds[0]!;
    await publications.putDeployment(
      { revision: 1, champion: CHAMPION, updatedAt: new Date().toISOString(), reason: 'test' },
      undefined,
    );
    const put = await api.request('/v1/items', {
      method: 'PUT',
      body: JSON.stringify(Array.from({ length: 40 }, (_, j) => shopItem(j))),
    });
    expect(put.status).toBe(200);
  });
  afterAll(() => api?.stop());

  it('requires the API key on every admin route', async () => {
    for (const path of ['/v1/admin/models', '/v1/admin/runs', '/v1/admin/data']) {
      expect((await api.request(path, { key: null })).status, path).toBe(401);
      expect((await api.request(path, { key: 'wrong' })).status, path).toBe(403);
    }
  });

  it("returns one shopper's list as each version serves it, and refuses what is missing or unknown", async () => {
    for (const version of [CHAMPION, CHALLENGER]) {
      const res = await api.request(`/v1/admin/users/${shopper}/recommendations?modelVersion=${version}&k=5`);
      expect(res.status).toBe(200);
      const body = await json<{ modelVersion: string; variant: string; items: unknown[] }>(res);
      expect(body).toMatchObject({ modelVersion: version, variant: 'champion' });
      expect(body.items).toHaveLength(5);
    }
    const missing = await api.request(`/v1/admin/users/${shopper}/recommendations`);
    expect(missing.status).toBe(400);
    expect((await json<Err>(missing)).error.details).toEqual([
      { path: 'modelVersion', message: 'is required' },
    ]);
    const unknown = await api.request(`/v1/admin/users/${shopper}/recommendations?modelVersion=nope`);
    expect(unknown.status).toBe(404);
    expect((await json<Err>(unknown)).error.message).toBe('no complete model nope to serve');
  });

  it('starts, refuses a second, and promotes an experiment through the deployment record', async () => {
    const bad = await post('/v1/admin/experiments', { name: 'no spaces', challenger: CHALLENGER });
    expect(bad.status).toBe(400);
    expect((await json<Err>(bad)).error.details?.[0]?.path).toBe('name');
    const weight = await post('/v1/admin/experiments', { name: 'x', challenger: CHALLENGER, weight: 1 });
    expect(weight.status).toBe(400);
    expect((await json<Err>(weight)).error.details?.[0]?.path).toBe('weight');
    const absent = await post('/v1/admin/experiments', { name: 'x', challenger: 'nope' });
    expect(absent.status).toBe(404);
    expect((await json<Err>(absent)).error.message).toBe('no complete model nope in the model store');
    const notJson = await post('/v1/admin/experiments', '{"name":');
    expect(notJson.status).toBe(400);

    // Serving has just read the deployment record (it keeps it for a second, as `npm start` does)…
    expect((await api.request(`/v1/users/${shopper}/recommendations`)).status).toBe(200);
    const started = await post('/v1/admin/experiments', {
      name: 'ab-1',
      challenger: CHALLENGER,
      weight: 0.25,
    });
    expect(started.status).toBe(201);
    // …and the report of the experiment just started is there at once all the same: the console asks for it next.
    const report = await api.request('/v1/experiments/ab-1');
    expect(report.status).toBe(200);
    expect(
      (await json<{ variants: { variant: string; exposures: number }[] }>(report)).variants.map((v) => [
        v.variant,
        v.exposures,
      ]),
    ).toEqual([
      ['champion', 0],
      ['challenger', 0],
    ]);
    const { deployment } = await json<{ deployment: { revision: number; experiment: unknown } }>(started);
    expect(deployment.revision).toBe(2);
    expect(deployment.experiment).toMatchObject({
      name: 'ab-1',
      variants: [
        { name: 'champion', modelVersion: CHAMPION, weight: 0.75 },
        { name: 'challenger', modelVersion: CHALLENGER, weight: 0.25 },
      ],
    });
    const again = await post('/v1/admin/experiments', { name: 'ab-2', challenger: CHALLENGER });
    expect(again.status).toBe(409);
    expect((await json<Err>(again)).error.message).toBe(
      'experiment "ab-1" is running: promote or stop it first',
    );
    const models = await json<{ models: unknown[]; deployment: { experiment: { name: string } } }>(
      await api.request('/v1/admin/models'),
    );
    expect(models.deployment.experiment.name).toBe('ab-1');

    const wrongAction = await post('/v1/admin/experiments/ab-1/pause', {});
    expect(wrongAction.status).toBe(404);
    const promoted = await post('/v1/admin/experiments/ab-1/promote', {});
    expect(promoted.status).toBe(200);
    expect((await json<{ deployment: unknown }>(promoted)).deployment).toMatchObject({
      revision: 3,
      champion: CHALLENGER,
      previousChampion: CHAMPION,
    });
    const stopped = await post('/v1/admin/experiments/ab-1/stop', {});
    expect(stopped.status).toBe(409);
    expect((await json<Err>(stopped)).error.message).toBe('experiment "ab-1" is not running');
  });

  it('refuses bad run requests and unknown versions with the reason', async () => {
    const model = await post('/v1/admin/runs', { model: 'bogus' });
    expect(model.status).toBe(400);
    expect((await json<Err>(model)).error.details?.[0]?.path).toBe('model');
    const extra = await post('/v1/admin/runs', { model: 'als', budget: 3 });
    expect(extra.status).toBe(400);
    expect((await json<Err>(await api.request('/v1/admin/runs/nope'))).error.message).toBe(
      'no run named "nope"',
    );
    const action = await post(`/v1/admin/models/${CHAMPION}/approve`, {});
    expect(action.status).toBe(404);
    expect((await json<Err>(action)).error.message).toBe(`no registered model version "${CHAMPION}"`);
    const verb = await post(`/v1/admin/models/${CHAMPION}/delete`, {});
    expect(verb.status).toBe(404);
    expect((await json<Err>(verb)).error.message).toBe('no action "delete": use approve, reject, rollback');
  });

  it('counts the lake: events per day and type, shoppers, items', async () => {
    const events = [
      makeEvent({ userId: 'a', itemId: 'i1', type: 'view', timestamp: '2024-03-01T10:00:00Z' }),
      makeEvent({ userId: 'a', itemId: 'i2', type: 'purchase', value: 1, timestamp: '2024-03-01T11:00:00Z' }),
      makeEvent({
        sessionId: 's',
        userId: undefined,
        itemId: 'i1',
        type: 'view',
        timestamp: '2024-03-02T09:00:00Z',
      }),
    ];
    expect((await post('/v1/events', { events })).status).toBe(202);
    await api.runtime.flush();
    const res = await api.request('/v1/admin/data');
    expect(res.status).toBe(200);
    const stats = await json<Record<string, unknown>>(res);
    expect(stats).toMatchObject({
      events: 3,
      eventsPerType: { view: 2, purchase: 1 },
      eventsPerDay: [
        { day: '2024-03-01', counts: { view: 1, purchase: 1 } },
        { day: '2024-03-02', counts: { view: 1 } },
      ],
      shoppers: 2,
      items: 2,
      catalogSize: 40,
    });
    expect((stats.lake as { objects: number }).objects).toBeGreaterThanOrEqual(2);
  });

  it('answers 501 with the reason where the runtime cannot count (the AWS entry)', async () => {
    const handler = createAdminDataHandler({
      stats: () => Promise.reject(new Error('not called')),
      unavailable: 'computed from the local lake only',
    });
    const res = await handler({ headers: {} } as never, { awsRequestId: 'r' } as never);
    expect(res.statusCode).toBe(501);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'not_implemented', message: 'computed from the local lake only', requestId: 'r' },
    });
  });
});
