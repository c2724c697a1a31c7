import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import { runCli, tempDir } from '../fixtures/training-data.ts';
import { IALS, KNN, publishTestModel } from '../helpers/serving-model.ts';

const V1 = '20240301T000000Z-000000a1';
const V2 = '20240302T000000Z-000000b2';

describe('CLI: recsys experiment start | promote | stop', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const deployment = async () => {
    const store = createSqlitePublicationStore({ path: join(dir.path, 'serving.db') });
    const d = await store.getDeployment();
    await store.close();
    return d;
  };

  beforeAll(async () => {
    dir = await tempDir('recsys-experiment-');
    const store = createSqlitePublicationStore({ path: join(dir.path, 'serving.db') });
    await publishTestModel(dir.path, store, V1, IALS);
    await publishTestModel(dir.path, store, V2, KNN);
    await store.putDeployment(
      { revision: 1, champion: V1, updatedAt: new Date().toISOString(), reason: 'test' },
      undefined,
    );
    await store.close();
  }, 60_000);
  afterAll(async () => {
    await dir?.remove();
  });

  it('returns the record with the experiment, then the challenger as champion after promote', async () => {
    // Act
    const started = await runCli([
      'experiment',
      'start',
      'exp1',
      '--challenger',
      V2,
      '--weight',
      '0.3',
      '--data-dir',
      dir.path,
    ]);
    const during = await deployment();
    const again = await runCli(['experiment', 'start', 'exp2', '--challenger', V2, '--data-dir', dir.path]);
    const promoted = await runCli(['experiment', 'promote', 'exp1', '--data-dir', dir.path]);
    const after = await deployment();

    // Assess
    expect(started.code, started.stderr).toBe(0);
    expect(during?.revision).toBe(2);
    expect(during?.experiment).toMatchObject({
      name: 'exp1',
      variants: [
        { name: 'champion', modelVersion: V1, weight: 0.7 },
        { name: 'challenger', modelVersion: V2, weight: 0.3 },
      ],
    });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('experiment "exp1" is running');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(after).toMatchObject({ revision: 3, champion: V2, previousChampion: V1 });
    expect(after?.experiment).toBeUndefined();
  });

  it('exits non-zero naming the problem for an unknown model, a bad weight or a stopped experiment', async () => {
    // Act
    const unknown = await runCli([
      'experiment',
      'start',
      'e',
      '--challenger',
      'nope',
      '--data-dir',
      dir.path,
    ]);
    const badWeight = await runCli([
      'experiment',
      'start',
      'e',
      '--challenger',
      V1,
      '--weight',
      '2',
      '--data-dir',
      dir.path,
    ]);
    const notRunning = await runCli(['experiment', 'stop', 'exp9', '--data-dir', dir.path]);

    // Assess
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no complete model nope');
    expect(badWeight.stderr).toContain('--weight');
    expect(notRunning.code).not.toBe(0);
    expect(notRunning.stderr).toContain('experiment "exp9" is not running');
  });
});
