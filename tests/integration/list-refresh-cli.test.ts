import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import { plantedRecords, runCli, tempDir } from '../fixtures/training-data.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let dataDir: string;
beforeAll(async () => {
  dir = await tempDir('recsys-list-refresh-');
  dataDir = join(dir.path, 'data');
  const events = createLakeWriter({
    root: join(dataDir, 'lake'),
    zonePrefix: 'raw/events',
    streamName: 'recsys-local-events',
  });
  const records = plantedRecords(240).map((r, n) => ({
    eventId: `00000000-0000-4000-8000-${(n + 1).toString(16).padStart(12, '0')}`,
    type: r.type,
    userId: r.userId,
    itemId: r.itemId,
    value: 1,
    timestamp: new Date(r.timestamp).toISOString(),
    receivedAt: '2024-03-01T00:00:00.000Z',
  }));
  await events.put(records.map((e) => ({ id: e.eventId, json: JSON.stringify(e) })));
  await events.close();
});
afterAll(async () => {
  await dir?.remove();
});

async function record() {
  const store = createSqlitePublicationStore({ path: join(dataDir, 'serving.db') });
  try {
    const deployment = await store.getDeployment();
    const expiresAt = deployment && (await store.listsExpireAt(deployment.champion));
    return { deployment, expiresAt };
  } finally {
    await store.close();
  }
}

describe('CLI: recsys retrain republishes the serving lists before they expire', () => {
  it('writes the lists 30 days ahead, and renews them when fewer than 10 days are left, leaving the champion', async () => {
    // Prepare: a trained, serving version.
    const fast = ['--data-dir', dataDir, '--model', 'als', '--budget', '2'];
    const trained = await runCli(['retrain', ...fast]);
    expect(trained.code, trained.stderr).toBe(0);
    const published = await record();
    const champion = published.deployment?.champion as string;
    // Its lists 28 days older: as if it had been serving for four weeks.
    const aged = Math.floor(Date.now() / 1000) + 2 * 86_400;
    const db = new DatabaseSync(join(dataDir, 'serving.db'));
    db.prepare('UPDATE publication_lists SET expires_at = ? WHERE model_version = ?').run(aged, champion);
    db.close();

    // Act: the same data again — nothing to train, but the lists are due.
    const again = await runCli(['retrain', ...fast]);
    const after = await record();

    // Assess
    const now = Math.floor(Date.now() / 1000);
    expect(published.expiresAt).toBeGreaterThan(now + 30 * 86_400 - 120);
    expect(published.expiresAt).toBeLessThanOrEqual(now + 30 * 86_400);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ran already for this data .*nothing to do/);
    expect(again.stdout).toContain(
      `the lists of ${champion} expire at ${new Date(aged * 1000).toISOString()}: republishing`,
    );
    expect(again.stdout).toMatch(
      new RegExp(`^publish-${champion}-\\d+: SUCCEEDED at Activate \\(model ${champion}\\)$`, 'm'),
    );
    expect(after.expiresAt).toBeGreaterThan(now + 30 * 86_400 - 120);
    expect(after.deployment).toEqual(published.deployment);
  }, 180_000);
});
