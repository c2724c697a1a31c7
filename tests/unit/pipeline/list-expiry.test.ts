import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWriteRecommendations } from '../../../functions/pipeline/write-recommendations/write-recommendations.ts';
import { createLocalModelStore } from '../../../shared/adapters/local/model-store.ts';
import { createSqlitePublicationStore } from '../../../shared/adapters/local/sqlite-publication-store.ts';
import type { ModelStore } from '../../../shared/ports/model-store.ts';
import type { PublicationStore } from '../../../shared/ports/publication-store.ts';
import { activateVersion } from '../../../shared/registry/deployment.ts';
import { listsDueForRefresh, refreshReason } from '../../../shared/registry/list-expiry.ts';

const V1 = '20261101T000000Z-0000aaaa';
const V2 = '20261102T000000Z-0000bbbb';
const V3 = '20261103T000000Z-0000cccc';
const DAY = 86_400;
const PART = 'recommendations/part-00000.jsonl';

let dir: string;
let models: ModelStore;
let publications: PublicationStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recsys-expiry-'));
  models = createLocalModelStore({ root: join(dir, 'models') });
  publications = createSqlitePublicationStore({ path: join(dir, 'serving.db') });
});
afterEach(async () => {
  await publications.close();
  await rm(dir, { recursive: true, force: true });
});

async function artifact(version: string, users: string[]): Promise<void> {
  const lines = users.map((u) => JSON.stringify({ userId: u, items: [[`item-of-${u}`, 1]] }));
  await models.write(
    version,
    new Map([
      ['manifest.json', JSON.stringify({ version })],
      [PART, `${lines.join('\n')}\n`],
    ]),
  );
}

describe('Function: write-recommendations (list expiry)', () => {
  it('writes every list with an expiry 30 days after the publication and returns it', async () => {
    // Prepare
    await artifact(V1, ['u1', 'u2', 'u3']);
    const now = new Date('2026-12-01T00:00:00Z');
    const write = createWriteRecommendations({ models, publications, now: () => now });

    // Act
    const out = await write({ modelVersion: V1, part: PART });

    // Assess
    const expected = Date.parse('2026-12-31T00:00:00Z') / 1000;
    expect(out).toEqual({ part: PART, written: 3, expiresAt: expected });
    expect(await publications.listsExpireAt(V1)).toBe(expected);
  });

  it('serves no list of a version published longer ago than its lifetime, and purges it at the next publication', async () => {
    // Prepare: V1 published 31 days ago, V2 now.
    await artifact(V1, ['u1']);
    await artifact(V2, ['u1']);
    const longAgo = new Date(Date.now() - 31 * DAY * 1000);
    await createWriteRecommendations({ models, publications, now: () => longAgo })({
      modelVersion: V1,
      part: PART,
    });
    const before = await publications.listsExpireAt(V1);

    // Act
    const old = await publications.getRecommendations(V1, 'u1');
    await createWriteRecommendations({ models, publications })({ modelVersion: V2, part: PART });

    // Assess
    expect(before).toBe(Math.floor(longAgo.getTime() / 1000) + 30 * DAY);
    expect(old).toBeUndefined();
    expect(await publications.getRecommendations(V2, 'u1')).toEqual([['item-of-u1', 1]]);
    expect(await publications.listsExpireAt(V1)).toBeUndefined();
  });
});

describe('Function: listsDueForRefresh and activateVersion (serving versions keep their lists)', () => {
  it('returns the serving versions whose lists expire within 10 days, nothing else', async () => {
    // Prepare
    const now = new Date();
    const t = Math.floor(now.getTime() / 1000);
    await publications.putRecommendations(V1, [{ userId: 'u', items: [] }], t + 5 * DAY);
    await publications.putRecommendations(V2, [{ userId: 'u', items: [] }], t + 25 * DAY);
    await publications.putRecommendations(V3, [{ userId: 'u', items: [] }], t + 2 * DAY);
    await publications.putDeployment(
      {
        revision: 1,
        champion: V1,
        previousChampion: V3,
        experiment: {
          name: 'e',
          startedAt: now.toISOString(),
          variants: [
            { name: 'champion', modelVersion: V1, weight: 0.5 },
            { name: 'challenger', modelVersion: V2, weight: 0.5 },
          ],
        },
        updatedAt: now.toISOString(),
        reason: 'test',
      },
      undefined,
    );

    // Act
    const due = await listsDueForRefresh(publications, now);
    const inTwentyDays = await listsDueForRefresh(publications, new Date(now.getTime() + 20 * DAY * 1000));

    // Assess
    expect(due).toEqual([{ modelVersion: V1, expiresAt: t + 5 * DAY }]);
    expect(inTwentyDays).toEqual([
      { modelVersion: V1, expiresAt: t + 5 * DAY },
      { modelVersion: V2, expiresAt: t + 25 * DAY },
    ]);
  });

  it('leaves the record alone when a refresh activates, even if a newer champion took over meanwhile', async () => {
    // Prepare
    await activateVersion(publications, V1, 'retrain e1');
    await activateVersion(publications, V2, 'retrain e2');

    // Act
    const afterRefresh = await activateVersion(publications, V1, refreshReason(V1, 1_800_000_000));
    const afterRollback = await activateVersion(publications, V1, `rollback to ${V1}`);

    // Assess
    expect(afterRefresh).toMatchObject({ revision: 2, champion: V2, previousChampion: V1 });
    expect(afterRollback).toMatchObject({ revision: 3, champion: V1, previousChampion: V2 });
  });
});
