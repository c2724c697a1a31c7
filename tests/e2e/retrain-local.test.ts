import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveVersion, rejectVersion } from '../../local/pipeline/approval.ts';
import type { LocalCluster } from '../../local/pipeline/local-services.ts';
import { listRuns, localRegistry, runRetrainLocally } from '../../local/pipeline/retrain.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import type { TrainingEngine } from '../../shared/ports/training-engine.ts';
import { TrainingInputError } from '../../shared/training/pipeline.ts';
import { plantedRecords, tempDir } from '../fixtures/training-data.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** A small lake written by the real lake writer; `offset` makes a later batch of new events. */
async function writeLake(dataDir: string, users = 80, offset = 0): Promise<void> {
  const events = createLakeWriter({
    root: join(dataDir, 'lake'),
    zonePrefix: 'raw/events',
    streamName: 'recsys-local-events',
  });
  const stored = plantedRecords(users).map((r, n) => ({
    eventId: uuid(offset + n + 1),
    type: r.type,
    userId: r.userId,
    itemId: r.itemId,
    value: 1,
    timestamp: new Date(r.timestamp).toISOString(),
    receivedAt: '2024-03-01T00:00:00.000Z',
  }));
  await events.put(stored.map((e) => ({ id: e.eventId, json: JSON.stringify(e) })));
  await events.close();
}

const fast = { budgetSeconds: 2, model: 'als' as const };

async function deployment(dataDir: string) {
  const store = createSqlitePublicationStore({ path: join(dataDir, 'serving.db') });
  try {
    return await store.getDeployment();
  } finally {
    await store.close();
  }
}
async function clusters(dataDir: string): Promise<LocalCluster[]> {
  return JSON.parse(await readFile(join(dataDir, 'clusters.json'), 'utf8')) as LocalCluster[];
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let dataDir: string;
beforeEach(async () => {
  dir = await tempDir('recsys-retrain-');
  dataDir = join(dir.path, 'data');
});
afterEach(async () => {
  await dir.remove();
});

describe('State machine: statemachines/retrain.asl.yml, executed locally', () => {
  it('returns SUCCEEDED through Activate: registered Approved, every list published, the version serves, the cluster terminated', async () => {
    // Prepare
    await writeLake(dataDir);

    // Act
    const run = await runRetrainLocally({ dataDir, ...fast });

    // Assess
    expect(run.error).toBeUndefined();
    expect(run).toMatchObject({ status: 'SUCCEEDED', outcome: 'Activate', kind: 'retrain' });
    const version = run.modelVersion as string;
    const pkg = await localRegistry(dataDir).get(version);
    expect(pkg).toMatchObject({ approvalStatus: 'Approved', modelPackageVersion: 1, gate: { passed: true } });
    // The figure against popularity, as the run recorded both on the same holdout (the gate's baseline check).
    const metrics = pkg?.metrics ?? {};
    const [model, popularity] = [metrics['model.ndcg'] ?? Number.NaN, metrics['baseline.ndcg'] ?? Number.NaN];
    expect(metrics).toMatchObject({ k: 10, users: 80 });
    expect(popularity).toBeGreaterThan(0.05);
    // Measured 0.4347 against 0.1920 on this planted data: a clear lift, not a tie broken by noise.
    expect(model).toBeGreaterThan(1.5 * popularity);
    expect(pkg?.gate.reasons).toContain(
      `ok baseline: ndcg@10 ${model.toFixed(4)} vs popularity ${popularity.toFixed(4)} (at least ${popularity.toFixed(4)}: +0.0 %)`,
    );
    expect(pkg?.dataStatistics).toMatchObject({ users: 80 });
    expect(await deployment(dataDir)).toMatchObject({
      revision: 1,
      champion: version,
      reason: `retrain ${run.name}`,
    });
    const store = createSqlitePublicationStore({ path: join(dataDir, 'serving.db') });
    const list = await store.getRecommendations(version, 'u0');
    await store.close();
    expect(list?.length).toBeGreaterThan(0);
    const [cluster] = await clusters(dataDir);
    expect(cluster).toMatchObject({ state: 'TERMINATED', steps: [{ state: 'COMPLETED' }] });
    // The TypeScript trainer's route pays for the primary node alone.
    expect(cluster?.instanceGroups).toEqual([{ role: 'MASTER', count: 1 }]);
    expect(cluster?.tags['recsys:execution']).toContain(run.name);
    expect(run.states.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'Prepare',
        'StartCrawler',
        'GetCrawler',
        // A lake this small fits one machine: a single-node cluster, the TypeScript trainer's step, not Spark's.
        'ChooseTrainer',
        'PrimaryNodeOnly',
        'CreateCluster',
        'RunTrainer',
        'TrainOnPrimary',
        'TerminateCluster',
        'Evaluate',
        'Register',
        'ListParts',
        'WriteRecommendations',
        'PublishParts',
        'CheckPublication',
        'Activate',
      ]),
    );
    const catalog = JSON.parse(await readFile(join(dataDir, 'catalog', 'events.json'), 'utf8'));
    expect(Object.keys(catalog.schema)).toEqual(
      expect.arrayContaining(['eventId', 'userId', 'itemId', 'timestamp']),
    );
    expect((await listRuns(dataDir)).map((r) => r.name)).toEqual([run.name]);
  }, 120_000);

  it('returns SKIPPED for a second trigger on the same data, and trains nothing new', async () => {
    // Prepare
    await writeLake(dataDir);
    const first = await runRetrainLocally({ dataDir, ...fast });

    // Act
    const second = await runRetrainLocally({ dataDir, ...fast });

    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(second).toMatchObject({ status: 'SKIPPED', name: first.name });
    expect(await localRegistry(dataDir).list()).toHaveLength(1);
    expect(await clusters(dataDir)).toHaveLength(1);
  }, 120_000);

  it('returns GateRejected when the gate fails: registered Rejected with reasons, the champion unchanged', async () => {
    // Prepare
    await writeLake(dataDir);
    const champion = await runRetrainLocally({ dataDir, ...fast });
    await writeLake(dataDir, 80, 100_000); // new data: a new execution name

    // Act: popularity regresses far beyond the tolerance against the ALS champion.
    const run = await runRetrainLocally({ dataDir, budgetSeconds: 2, model: 'popularity' });

    // Assess
    expect(run).toMatchObject({ status: 'SUCCEEDED', outcome: 'GateRejected' });
    const pkg = await localRegistry(dataDir).get(run.modelVersion as string);
    expect(pkg?.approvalStatus).toBe('Rejected');
    expect(pkg?.gate.passed).toBe(false);
    expect(pkg?.gate.reasons[0]).toMatch(/^FAILED /);
    expect((await deployment(dataDir))?.champion).toBe(champion.modelVersion);
  }, 120_000);

  it('returns FAILED with TrainingFailed when the training step fails, and the cluster is terminated', async () => {
    // Prepare
    await writeLake(dataDir);
    const failing: TrainingEngine = {
      name: 'typescript',
      async train() {
        throw new TrainingInputError('only one user has interactions');
      },
    };

    // Act
    const run = await runRetrainLocally({ dataDir, ...fast, trainingEngine: failing });

    // Assess
    expect(run).toMatchObject({
      status: 'FAILED',
      outcome: 'TrainingFailed',
      error: { name: 'TrainingFailed' },
    });
    expect(run.states.map((s) => s.name)).toContain('TerminateAfterFailure');
    expect(await clusters(dataDir)).toMatchObject([{ state: 'TERMINATED', steps: [{ state: 'FAILED' }] }]);
    expect(await localRegistry(dataDir).list()).toEqual([]);
    expect(await deployment(dataDir)).toBeUndefined();
  }, 120_000);

  it('returns FAILED with CrawlerTimeout when the crawler never becomes READY, before any cluster starts', async () => {
    // Prepare
    await writeLake(dataDir);

    // Act
    const run = await runRetrainLocally({ dataDir, ...fast, crawlerNeverReady: true });

    // Assess
    expect(run).toMatchObject({
      status: 'FAILED',
      outcome: 'CrawlTimedOut',
      error: { name: 'CrawlerTimeout' },
    });
    expect(run.states.filter((s) => s.name === 'GetCrawler')).toHaveLength(90);
    expect(await clusters(dataDir).catch(() => [])).toEqual([]);
  }, 120_000);

  it('returns AwaitingApproval on a manual-approval stage; approving the version publishes it and it serves', async () => {
    // Prepare
    await writeLake(dataDir, 240);
    const run = await runRetrainLocally({ dataDir, ...fast, stage: 'prod' });
    const version = run.modelVersion as string;
    const before = await deployment(dataDir);

    // Act
    const approved = await approveVersion({ dataDir, stage: 'prod', version, description: 'looks good' });

    // Assess
    expect(run.outcome).toBe('AwaitingApproval');
    expect(before).toBeUndefined();
    expect(approved.action).toBe('publishing');
    expect((await localRegistry(dataDir, 'prod').get(version))?.approvalStatus).toBe('Approved');
    expect(await deployment(dataDir)).toMatchObject({ champion: version, reason: `approved: ${version}` });
  }, 180_000);

  it('returns rolling-back when the serving version is rejected: the previous Approved version serves again', async () => {
    // Prepare
    await writeLake(dataDir);
    // Popularity, then ALS: the second clears the gate against the first whatever the noise of two ALS fits.
    const first = await runRetrainLocally({ dataDir, ...fast, model: 'popularity' });
    await writeLake(dataDir, 80, 100_000);
    const second = await runRetrainLocally({ dataDir, ...fast });
    const serving = await deployment(dataDir);

    // Act
    const rejected = await rejectVersion({
      dataDir,
      version: second.modelVersion as string,
      description: 'bad sales',
    });

    // Assess
    expect(
      serving?.champion,
      `${second.outcome}: ${JSON.stringify((second.output as { evaluation?: unknown })?.evaluation)}`,
    ).toBe(second.modelVersion);
    expect(rejected).toMatchObject({
      action: 'rolling-back',
      from: second.modelVersion,
      to: first.modelVersion,
    });
    expect(await deployment(dataDir)).toMatchObject({
      champion: first.modelVersion,
      previousChampion: second.modelVersion,
    });
    expect((await localRegistry(dataDir).get(second.modelVersion as string))?.approvalStatus).toBe(
      'Rejected',
    );
  }, 180_000);
});
