import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { openLocalRuntime } from '../../local/runtime.ts';
import { readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import { startLocalApi } from '../helpers/local-api.ts';
import { runCli, tempDir } from './import-fixtures.ts';

type Api = Awaited<ReturnType<typeof startLocalApi>>;
let api: Api;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(async () => {
  await api?.stop();
});

/** A response body, loosely: tests assert on its values. */
// biome-ignore lint/suspicious/noExplicitAny: answers of several shapes, each asserted by value
type Body = Record<string, any>;

async function call(method: string, path: string, body?: unknown) {
  const res = await api.request(path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

async function usersZone(lakeRoot: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const v of readLakeZone(lakeRoot, 'raw/users')) out.push(v as Record<string, unknown>);
  return out;
}

describe('API: PUT /v1/users, GET /v1/users/{userId}', () => {
  it('returns the newest profile per shopper and lands every accepted version in the lake (raw/users/)', async () => {
    // Act
    const first = await call('PUT', '/v1/users', {
      users: [
        {
          userId: 'p1',
          country: 'United Kingdom',
          ageBand: '25-34',
          signupDate: '2024-02-01',
          attributes: { loyalty: 'gold', visits: 3, newsletter: true },
          updatedAt: '2026-03-02T00:00:00Z',
        },
        { userId: 'p2', gender: 'f', occupation: 'nurse', region: 'Bavaria' },
      ],
    });
    const older = await call('PUT', '/v1/users', [
      { userId: 'p1', country: 'France', updatedAt: '2026-03-01T00:00:00Z' },
    ]);
    const got = await call('GET', '/v1/users/p1');
    await api.runtime.flush();

    // Assess
    expect(first).toEqual({ status: 200, body: { upserted: 2, rejected: [] } });
    expect(older).toEqual({ status: 200, body: { upserted: 1, rejected: [] } });
    expect(got).toEqual({
      status: 200,
      body: {
        userId: 'p1',
        profile: {
          userId: 'p1',
          country: 'United Kingdom',
          ageBand: '25-34',
          signupDate: '2024-02-01',
          attributes: { loyalty: 'gold', visits: 3, newsletter: true },
          updatedAt: '2026-03-02T00:00:00Z',
        },
        preferences: null,
      },
    });
    // The lake keeps every version (training takes the newest by updatedAt).
    const lake = await usersZone(api.runtime.lakeRoot);
    expect(lake.map((u) => [u.userId, u.country ?? null])).toEqual([
      ['p1', 'United Kingdom'],
      ['p2', null],
      ['p1', 'France'],
    ]);
    expect((await call('GET', '/v1/users/nobody')).status).toBe(404);
  });

  it('returns 400 naming the field for an unknown attribute type, more than 20 attributes, a bad age band, and more than 500 profiles', async () => {
    // Prepare
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`a${i}`, i]));

    // Act
    const badType = await call('PUT', '/v1/users', {
      users: [{ userId: 'x', attributes: { pet: { kind: 'cat' } } }],
    });
    const tooMany = await call('PUT', '/v1/users', { users: [{ userId: 'x', attributes: many }] });
    const band = await call('PUT', '/v1/users', { users: [{ userId: 'x', ageBand: 'young' }] });
    const batch = await call('PUT', '/v1/users', {
      users: Array.from({ length: 501 }, (_, i) => ({ userId: `b${i}` })),
    });
    const mixed = await call('PUT', '/v1/users', {
      users: [{ userId: 'ok1' }, { userId: 'bad', colour: 'red' }],
    });

    // Assess
    expect(badType.status).toBe(400);
    expect(badType.body.error.details).toEqual([
      {
        path: 'users[0].attributes.pet',
        message: 'must be a string (1–500 characters), a finite number or a boolean',
      },
    ]);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details).toEqual([
      { path: 'users[0].attributes', message: 'must have at most 20 keys' },
    ]);
    expect(band.body.error.details).toEqual([
      { path: 'users[0].ageBand', message: 'must be a band such as "25-34" or "65+"' },
    ]);
    expect(batch.status).toBe(400);
    expect(batch.body.error.details).toEqual([{ path: 'users', message: 'must hold 1 to 500 entries' }]);
    // A batch with a valid profile is taken; the bad one is reported by index and field.
    expect(mixed.status).toBe(200);
    expect(mixed.body).toMatchObject({
      upserted: 1,
      rejected: [{ index: 1, userId: 'bad', errors: [{ path: '(root)' }] }],
    });
    expect(mixed.body.rejected[0].errors[0].message).toMatch(/colour/);
  });
});

describe('API: PUT /v1/users/{userId}/preferences', () => {
  it('returns 201 creating an unknown shopper, 200 replacing, and 400 naming priceRange.min when min > max', async () => {
    // Act
    const created = await call('PUT', '/v1/users/newcomer/preferences', {
      likedCategories: ['Mugs'],
      dislikedBrands: ['Acme'],
      priceRange: { min: 5, max: 50 },
    });
    const replaced = await call('PUT', '/v1/users/newcomer/preferences', { likedBrands: ['Zed'] });
    const inverted = await call('PUT', '/v1/users/newcomer/preferences', {
      priceRange: { min: 60, max: 10 },
    });
    const unknown = await call('PUT', '/v1/users/newcomer/preferences', { favouriteColour: 'red' });
    const got = await call('GET', '/v1/users/newcomer');

    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userId: 'newcomer', created: true });
    expect(replaced.status).toBe(200);
    expect(replaced.body.created).toBe(false);
    expect(inverted.status).toBe(400);
    expect(inverted.body.error.details).toEqual([
      { path: 'priceRange.min', message: 'must not be greater than priceRange.max' },
    ]);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].message).toMatch(/favouriteColour/);
    expect(got.body).toMatchObject({
      userId: 'newcomer',
      profile: null,
      preferences: { likedBrands: ['Zed'] },
    });
    expect(got.body.preferences.likedCategories).toBeUndefined();
  });
});

describe('API: DELETE /v1/users/{userId}', () => {
  it('returns 200 with forgottenAt, deletes profile and preferences, and writes the tombstone to raw/users/', async () => {
    // Prepare
    await call('PUT', '/v1/users', { users: [{ userId: 'gone', country: 'Spain' }] });
    await call('PUT', '/v1/users/gone/preferences', { likedCategories: ['Mugs'] });

    // Act
    const res = await call('DELETE', '/v1/users/gone');
    const again = await call('DELETE', '/v1/users/gone');
    await api.runtime.flush();

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ userId: 'gone', hadProfile: true, versions: 0 });
    expect(again.body).toMatchObject({ userId: 'gone', hadProfile: false });
    expect((await call('GET', '/v1/users/gone')).status).toBe(404);
    const tombstones = (await usersZone(api.runtime.lakeRoot)).filter((u) => u.tombstone === true);
    expect(tombstones).toEqual([
      { userId: 'gone', forgottenAt: res.body.forgottenAt, tombstone: true },
      { userId: 'gone', forgottenAt: again.body.forgottenAt, tombstone: true },
    ]);
    expect((await call('DELETE', `/v1/users/${'x'.repeat(129)}`)).body.error.details[0].path).toBe('userId');
  });
});

describe('CLI: recsys forget', () => {
  it('returns exit 0 having erased the shopper and written the tombstone; exit 1 naming a bad user id', async () => {
    // Prepare
    const dir = await tempDir('recsys-forget-cli-');
    const dataDir = join(dir.path, 'd');
    const runtime = await openLocalRuntime({ dataDir });
    await runtime.users.putProfiles([{ userId: 'c1', country: 'France', updatedAt: '2026-03-01T00:00:00Z' }]);
    await runtime.close();
    try {
      // Act
      const ok = await runCli(['forget', 'c1', '--data-dir', dataDir, '--json']);
      const bad = await runCli(['forget', 'a\u0007b', '--data-dir', dataDir]);

      // Assess
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ userId: 'c1', hadProfile: true });
      const after = await openLocalRuntime({ dataDir });
      // Only the time of forgetting is kept (serving ignores the shopper's row in older models).
      expect(await after.users.getShopper('c1')).toEqual({ forgottenAt: JSON.parse(ok.stdout).forgottenAt });
      await after.close();
      const zone: unknown[] = [];
      for await (const v of readLakeZone(dataDirLayout(dataDir).lake, 'raw/users')) zone.push(v);
      expect(zone).toEqual([
        { userId: 'c1', forgottenAt: JSON.parse(ok.stdout).forgottenAt, tombstone: true },
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('error: userId "a\\u0007b" must not contain control characters');
    } finally {
      await dir.remove();
    }
  }, 60_000);
});
