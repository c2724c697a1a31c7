import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivateModel } from '../../../functions/pipeline/activate-model/activate-model.ts';
import { createCheckPublication } from '../../../functions/pipeline/check-publication/check-publication.ts';
import { createModelApproval } from '../../../functions/pipeline/model-approval/model-approval.ts';
import { createPrepareRun } from '../../../functions/pipeline/prepare-run/prepare-run.ts';
import { createFileModelRegistry } from '../../../shared/adapters/local/file-model-registry.ts';
import { createLocalModelStore } from '../../../shared/adapters/local/model-store.ts';
import { createSqlitePublicationStore } from '../../../shared/adapters/local/sqlite-publication-store.ts';
import type { ModelRegistry } from '../../../shared/ports/model-registry.ts';
import type { PublicationStore } from '../../../shared/ports/publication-store.ts';
import { activateVersion } from '../../../shared/registry/deployment.ts';
import { lakeFingerprint } from '../../../shared/registry/run-plan.ts';
import { packageInput } from '../../contract/model-registry.contract.ts';

let dir: string;
let registry: ModelRegistry;
let publications: PublicationStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recsys-pipeline-fn-'));
  registry = createFileModelRegistry({ root: join(dir, 'registry'), groupName: 'recsys-test' });
  publications = createSqlitePublicationStore({ path: ':memory:' });
});
afterEach(async () => {
  await publications.close();
  await rm(dir, { recursive: true, force: true });
});

const lake = {
  newestKey: 'raw/events/year=2025/month=03/day=01/x-1-2025-03-01-10-00-00-a.gz',
  objects: 7,
  bytes: 52_428,
};

describe('Function: prepare-run', () => {
  it('returns the same fingerprint for the same data and settings, another for new data or another engine', () => {
    const a = lakeFingerprint(lake.newestKey, 7, { stage: 'dev', engine: 'emr', model: 'auto' });
    expect(lakeFingerprint(lake.newestKey, 7, { model: 'auto', engine: 'emr', stage: 'dev' })).toBe(a);
    expect(lakeFingerprint(lake.newestKey, 8, { stage: 'dev', engine: 'emr', model: 'auto' })).not.toBe(a);
    expect(lakeFingerprint(lake.newestKey, 7, { stage: 'dev', engine: 'spark', model: 'auto' })).not.toBe(a);
  });

  it('returns alreadyTrained when a package with this fingerprint is registered, with the version from the start time', async () => {
    // Prepare
    const prepare = createPrepareRun({
      describeLake: async () => lake,
      registry,
      artifactUri: (v) => `s3://lake/models/${v}/`,
    });
    const first = await prepare({
      startTime: '2025-03-01T10:15:00.123Z',
      executionName: 'e1',
      stage: 'dev',
      request: {},
    });
    await registry.createModelPackage({
      ...packageInput('recsys-test', first.modelVersion, 'Approved', 0.2),
      CustomerMetadataProperties: {
        ...packageInput('recsys-test', first.modelVersion, 'Approved', 0.2).CustomerMetadataProperties,
        fingerprint: first.fingerprint,
      },
    });

    // Act
    const second = await prepare({
      startTime: '2025-03-02T00:00:00Z',
      executionName: 'e2',
      stage: 'dev',
      request: {},
    });

    // Assess
    expect(first).toMatchObject({
      alreadyTrained: false,
      // What ChooseTrainer routes on: the lake's size and the model asked for (default auto).
      lakeBytes: 52_428,
      trainer: 'auto',
      objects: 7,
      modelChoice: 'auto',
      reason: 'retrain e1',
      artifactUri: `s3://lake/models/${first.modelVersion}/`,
    });
    expect(first.modelVersion).toBe(`20250301T101500Z-${first.fingerprint.slice(0, 8)}`);
    expect(second).toMatchObject({ alreadyTrained: true, alreadyTrainedVersion: first.modelVersion });
  });

  it('throws EmptyLakeError when the raw zone is empty', async () => {
    const prepare = createPrepareRun({
      describeLake: async () => undefined,
      registry,
      artifactUri: (v) => v,
    });
    await expect(prepare({ startTime: '2025-03-01T00:00:00Z' })).rejects.toMatchObject({
      name: 'EmptyLakeError',
    });
  });

  it('returns the trainer route a request forces (spark, single-node) and throws on an unknown engine', async () => {
    const prepare = createPrepareRun({ describeLake: async () => lake, registry, artifactUri: (v) => v });
    const route = async (engine: string) =>
      (await prepare({ startTime: '2025-03-01T00:00:00Z', request: { engine } })).trainer;
    expect([
      await route('spark'),
      await route('single-node'),
      await route('typescript'),
      await route('emr'),
    ]).toEqual(['spark', 'single-node', 'auto', 'auto']);
    await expect(route('gpu')).rejects.toMatchObject({
      name: 'PipelineInputError',
      message: expect.stringContaining('input.engine gpu is not one of spark, single-node'),
    });
  });
});

describe('Function: activate-model', () => {
  it('returns the new champion with the previous one kept, and is a no-op for the serving version', async () => {
    // Act
    await createActivateModel({ publications })({ modelVersion: 'v1', reason: 'r1' });
    const second = await createActivateModel({ publications })({ modelVersion: 'v2', reason: 'r2' });
    const again = await activateVersion(publications, 'v2', 'r3');

    // Assess
    expect(second).toMatchObject({ revision: 2, champion: 'v2', previousChampion: 'v1', reason: 'r2' });
    expect(again.revision).toBe(2);
  });
});

describe('Function: check-publication', () => {
  it('throws PublishCountError when the written lists do not add up to the artifact’s users', async () => {
    const check = createCheckPublication({
      models: createLocalModelStore({ root: join(dir, 'models') }),
      publications,
    });
    await expect(
      check({
        modelVersion: 'v1',
        expected: 10,
        results: [{ part: 'recommendations/part-00000.jsonl', written: 9 }],
      }),
    ).rejects.toMatchObject({
      name: 'PublishCountError',
      message: 'published 9 lists of v1, the artifact has 10 users',
    });
  });
});

describe('Function: model-approval', () => {
  const event = (status: string, version: string, extra: Record<string, unknown> = {}) => ({
    detail: {
      ModelPackageGroupName: 'recsys-test',
      ModelApprovalStatus: status,
      LastModifiedTime: '2025-03-01T00:00:00Z',
      CustomerMetadataProperties: { modelVersion: version },
      ...extra,
    },
  });

  it('returns ignored for the pipeline’s own Approved registration, another group, or a version that does not serve', async () => {
    // Prepare
    const started: string[] = [];
    const approval = createModelApproval({
      registry,
      publications,
      startPublication: async (v) => {
        started.push(v);
        return v;
      },
    });

    // Act
    const created = await approval(event('Approved', 'v1', { LastModifiedTime: undefined }));
    const foreign = await approval(event('Approved', 'v1', { ModelPackageGroupName: 'other' }));
    const notServing = await approval(event('Rejected', 'v1'));

    // Assess
    expect([created, foreign, notServing].map((a) => a.action)).toEqual(['ignored', 'ignored', 'ignored']);
    expect(started).toEqual([]);
  });

  it('returns publishing for an approved version and rolling-back to the newest other Approved one on rejection', async () => {
    // Prepare
    await registry.createModelPackage(packageInput('recsys-test', 'v1', 'Approved', 0.2));
    await registry.createModelPackage(packageInput('recsys-test', 'v2', 'Rejected', 0.2));
    await activateVersion(publications, 'v2', 'was serving');
    const started: string[] = [];
    const approval = createModelApproval({
      registry,
      publications,
      startPublication: async (v, why) => {
        started.push(`${v}: ${why}`);
        return `exec-${v}`;
      },
    });

    // Act
    const approved = await approval(event('Approved', 'v3'));
    const rejected = await approval(event('Rejected', 'v2'));

    // Assess
    expect(approved).toEqual({ action: 'publishing', modelVersion: 'v3', execution: 'exec-v3' });
    expect(rejected).toEqual({ action: 'rolling-back', from: 'v2', to: 'v1', execution: 'exec-v1' });
    expect(started).toEqual(['v3: approved: v3', 'v1: rollback: v2 rejected']);
  });
});
