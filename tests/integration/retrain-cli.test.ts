import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import { plantedRecords, runCli, tempDir } from '../fixtures/training-data.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

async function writeLake(dataDir: string, offset = 0): Promise<void> {
  const events = createLakeWriter({
    root: join(dataDir, 'lake'),
    zonePrefix: 'raw/events',
    streamName: 'recsys-local-events',
  });
  const stored = plantedRecords(240).map((r, n) => ({
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

let dir: Awaited<ReturnType<typeof tempDir>>;
let dataDir: string;
beforeAll(async () => {
  dir = await tempDir('recsys-retrain-cli-');
  dataDir = join(dir.path, 'data');
  await writeLake(dataDir);
});
afterAll(async () => {
  await dir.remove();
});

const fast = ['--model', 'als', '--budget', '2'];

describe('CLI: recsys retrain, models, runs, approve, reject, rollback', () => {
  it('returns exit 0 with per-state durations and the activated version, then a no-op for the same data', async () => {
    // Act
    const first = await runCli(['retrain', '--data-dir', dataDir, ...fast]);
    const second = await runCli(['retrain', '--data-dir', dataDir, ...fast]);
    const models = await runCli(['models', '--data-dir', dataDir]);
    const runs = await runCli(['runs', '--data-dir', dataDir]);

    // Assess
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^ {2}TrainOnPrimary +\d+\.\d\d s {2}SUCCEEDED$/m);
    expect(first.stdout).toMatch(/^ {2}WriteRecommendations .*SUCCEEDED$/m);
    expect(first.stdout).toMatch(/^ {2}total +\d+\.\d\d s$/m);
    expect(first.stdout).toMatch(
      /retrain-[0-9a-f]{16}: SUCCEEDED at Activate \(model \d{8}T\d{6}Z-[0-9a-f]{8}\)/,
    );
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/ran already for this data .*nothing to do/);
    expect(models.stdout).toMatch(/^1 +\d{8}T\d{6}Z-[0-9a-f]{8} +Approved .* passed +champion$/m);
    expect(runs.stdout).toMatch(/SUCCEEDED Activate/);
  }, 120_000);

  it('returns AwaitingApproval on prod, then approve serves it; rejecting the only Approved version reports no rollback target', async () => {
    // Prepare
    await writeLake(dataDir, 500_000);
    const trained = await runCli(['retrain', '--data-dir', dataDir, '--stage', 'prod', ...fast]);
    const version = /model (\d{8}T\d{6}Z-[0-9a-f]{8})/.exec(trained.stdout)?.[1] as string;

    // Act
    const pending = await runCli(['models', '--data-dir', dataDir, '--stage', 'prod', '--json']);
    const approved = await runCli([
      'approve',
      version,
      '--data-dir',
      dataDir,
      '--stage',
      'prod',
      '--description',
      'ok by me',
    ]);
    const afterApprove = JSON.parse(
      (await runCli(['models', '--data-dir', dataDir, '--stage', 'prod', '--json'])).stdout,
    );
    const rejected = await runCli(['reject', version, '--data-dir', dataDir, '--stage', 'prod']);
    const afterReject = JSON.parse(
      (await runCli(['models', '--data-dir', dataDir, '--stage', 'prod', '--json'])).stdout,
    );

    // Assess
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/SUCCEEDED at AwaitingApproval/);
    expect(JSON.parse(pending.stdout).packages[0]).toMatchObject({
      modelVersion: version,
      approvalStatus: 'PendingManualApproval',
    });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/SUCCEEDED at Activate/);
    expect(afterApprove.deployment).toMatchObject({ champion: version, reason: `approved: ${version}` });
    expect(afterApprove.packages[0]).toMatchObject({
      approvalStatus: 'Approved',
      approvalDescription: 'ok by me',
    });
    // The only Approved version of the prod group: nothing to roll back to, the champion stays.
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(/"action":"no-rollback-target"/);
    expect(afterReject.packages[0].approvalStatus).toBe('Rejected');
  }, 180_000);

  it('returns exit 1 with a clear message for an unknown version, a rollback to a rejected one, and an empty lake', async () => {
    // Prepare
    const empty = await tempDir('recsys-retrain-empty-');

    // Act
    const unknown = await runCli(['approve', '20990101T000000Z-deadbeef', '--data-dir', dataDir]);
    const rejected = JSON.parse(
      (await runCli(['models', '--data-dir', dataDir, '--stage', 'prod', '--json'])).stdout,
    ).packages[0].modelVersion;
    const rollback = await runCli(['rollback', rejected, '--data-dir', dataDir, '--stage', 'prod']);
    const noLake = await runCli(['retrain', '--data-dir', empty.path]);
    await empty.remove();

    // Assess
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/error: 20990101T000000Z-deadbeef is not registered/);
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/is Rejected: only an Approved version can serve/);
    expect(noLake.code).toBe(1);
    expect(noLake.stderr).toMatch(/error: the lake .* holds no events/);
  }, 120_000);
});
