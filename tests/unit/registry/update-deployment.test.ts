import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqlitePublicationStore } from '../../../shared/adapters/local/sqlite-publication-store.ts';
import { type Deployment, DeploymentConflictError } from '../../../shared/ports/publication-store.ts';
import { activateVersion, updateDeployment } from '../../../shared/registry/deployment.ts';
import { ExperimentStateError, startExperiment } from '../../../shared/serving/experiments.ts';

// Two connections to one serving.db: what `recsys experiment` and a running retrain (or server) are.
let dir: string;
let a: ReturnType<typeof createSqlitePublicationStore>;
let b: ReturnType<typeof createSqlitePublicationStore>;
const NOW = new Date('2025-03-01T10:00:00Z');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recsys-deployment-'));
  a = createSqlitePublicationStore({ path: join(dir, 'serving.db') });
  b = createSqlitePublicationStore({ path: join(dir, 'serving.db') });
  await activateVersion(a, 'v1', 'first', () => NOW);
});
afterEach(async () => {
  await a.close();
  await b.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Function: updateDeployment', () => {
  it('returns the record with both of two concurrent changes applied, the loser re-applied on the newer record', async () => {
    // Prepare
    const seenByExperiment: number[] = [];
    const startExp = (d: Deployment | undefined) => {
      seenByExperiment.push(d?.revision ?? 0);
      return startExperiment(d, { name: 'exp1', challenger: 'v3', weight: 0.25, now: NOW });
    };

    // Act: both read revision 1 before either writes
    const [activated, experimented] = await Promise.all([
      activateVersion(a, 'v2', 'retrain e2', () => NOW),
      updateDeployment(b, startExp),
    ]);
    const onFile = await a.getDeployment();

    // Assess
    expect(activated).toMatchObject({ revision: 2, champion: 'v2', previousChampion: 'v1' });
    expect(seenByExperiment).toEqual([1, 2]);
    expect(experimented).toEqual(onFile);
    expect(onFile).toMatchObject({
      revision: 3,
      champion: 'v2',
      previousChampion: 'v1',
      reason: 'experiment exp1 started: v3 at 0.25',
      experiment: {
        name: 'exp1',
        variants: [
          { name: 'champion', modelVersion: 'v2', weight: 0.75 },
          { name: 'challenger', modelVersion: 'v3', weight: 0.25 },
        ],
      },
    });
  });

  it('returns the record unchanged, writing nothing, when the change keeps it', async () => {
    // Act
    const again = await activateVersion(b, 'v1', 'again');

    // Assess
    expect(again).toMatchObject({ revision: 1, champion: 'v1', reason: 'first' });
    expect((await a.getDeployment())?.revision).toBe(1);
  });

  it('throws the change’s own error at once, and DeploymentConflictError after 5 lost races in a row', async () => {
    // Prepare: a rival writer that gets in between every read and write
    let calls = 0;
    const contested = (d: Deployment | undefined): Deployment => {
      calls++;
      const rival = (d?.revision ?? 0) + 1;
      b.putDeployment({ ...(d as Deployment), revision: rival, reason: `rival ${rival}` }, d?.revision);
      return { ...(d as Deployment), reason: 'mine' };
    };
    const refused = () => {
      throw new ExperimentStateError('experiment "x" is not running');
    };

    // Act
    const lost = updateDeployment(a, contested);
    const refusal = updateDeployment(a, refused);

    // Assess
    await expect(lost).rejects.toBeInstanceOf(DeploymentConflictError);
    expect(calls).toBe(5);
    await expect(refusal).rejects.toThrow('experiment "x" is not running');
    expect(await a.getDeployment()).toMatchObject({ revision: 6, reason: 'rival 6' });
  });
});
