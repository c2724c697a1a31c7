import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactManifest } from '../../shared/model/artifact.ts';
import {
  type ApprovalStatus,
  ModelPackageNotFoundError,
  type ModelRegistry,
} from '../../shared/ports/model-registry.ts';
import { createModelPackageInput } from '../../shared/registry/model-package.ts';

export type ModelRegistrySetup = (
  groupName: string,
) => Promise<{ registry: ModelRegistry; cleanup(): Promise<void> }>;

export function manifest(version: string): ArtifactManifest {
  return {
    schemaVersion: 1,
    version,
    engine: 'typescript',
    createdAt: '2025-03-01T00:00:00.000Z',
    model: {
      kind: 'ials',
      spec: { kind: 'ials', params: { factors: 64, iterations: 10, regularization: 0.1, alpha: 1 } } as never,
    },
    data: {
      source: 'lake:x',
      events: 1000,
      duplicates: 0,
      malformed: 0,
      unknownTypes: 0,
      skipped: 3,
      users: 80,
      items: 40,
      interactions: 800,
      from: '2024-01-01T00:00:00.000Z',
      to: '2024-03-01T00:00:00.000Z',
    },
    eventWeights: {},
    validation: { k: 10, split: 'temporal:14d', model: {} as never, baseline: {} as never },
    shapes: { users: 80, items: 40, historyNnz: 800, recommendationsPerUser: 50 },
    files: ['manifest.json'],
    trainingSeconds: 1,
  };
}

/** What the state machine's Register task sends for a version. */
export function packageInput(groupName: string, version: string, status: ApprovalStatus, ndcg: number) {
  return createModelPackageInput({
    groupName,
    status,
    manifest: manifest(version),
    artifactUri: `s3://lake/models/${version}/`,
    metrics: { k: 10, users: 80, 'model.ndcg': ndcg, 'baseline.ndcg': 0.05 },
    gate: {
      passed: status !== 'Rejected',
      reasons: Array.from({ length: 6 }, (_, i) => `ok check ${i}: ${'x'.repeat(120)}`),
    },
    executionName: `retrain-${version}`,
    fingerprint: `fp-${version}`,
  });
}

/** The whole behaviour of the ModelRegistry port, run against the file registry and SageMaker (moto). */
export function modelRegistryContract(name: string, setup: ModelRegistrySetup): void {
  describe(`Contract: ModelRegistry (${name})`, () => {
    let registry: ModelRegistry;
    let cleanup: () => Promise<void>;
    let group: string;
    let n = 0;
    beforeEach(async () => {
      n += 1;
      group = `recsys-contract-${Date.now().toString(36)}-${n}`;
      ({ registry, cleanup } = await setup(group));
    });
    afterEach(async () => {
      await cleanup();
    });

    it('returns the registered package with every field round-tripped and version numbers from 1', async () => {
      // Act
      const first = await registry.createModelPackage(packageInput(group, 'v1', 'Approved', 0.2));
      const second = await registry.createModelPackage(packageInput(group, 'v2', 'Rejected', 0.1));

      // Assess
      expect(first).toMatchObject({
        modelPackageGroupName: group,
        modelPackageVersion: 1,
        modelVersion: 'v1',
        approvalStatus: 'Approved',
        artifactUri: 's3://lake/models/v1/',
        engine: 'typescript',
        metrics: { 'model.ndcg': 0.2, 'baseline.ndcg': 0.05 },
        hyperparameters: { kind: 'ials', spec: { params: { factors: 64 } } },
        dataStatistics: { users: 80, items: 40, interactions: 800 },
        executionName: 'retrain-v1',
        fingerprint: 'fp-v1',
      });
      expect(first.gate.reasons).toHaveLength(6);
      expect(first.modelPackageArn).toMatch(/model-package\//);
      expect(Date.parse(first.creationTime)).not.toBeNaN();
      expect(second).toMatchObject({
        modelPackageVersion: 2,
        approvalStatus: 'Rejected',
        gate: { passed: false },
      });
    });

    it('returns packages newest first, filtered by status, and the newest Approved as champion', async () => {
      // Prepare
      await registry.createModelPackage(packageInput(group, 'v1', 'Approved', 0.2));
      await registry.createModelPackage(packageInput(group, 'v2', 'Approved', 0.21));
      await registry.createModelPackage(packageInput(group, 'v3', 'Rejected', 0.1));
      await registry.createModelPackage(packageInput(group, 'v4', 'PendingManualApproval', 0.3));

      // Act
      const all = await registry.list();
      const approved = await registry.list({ status: 'Approved' });
      const champion = await registry.latestApproved();

      // Assess
      expect(all.map((p) => p.modelVersion)).toEqual(['v4', 'v3', 'v2', 'v1']);
      expect(approved.map((p) => p.modelVersion)).toEqual(['v2', 'v1']);
      expect(champion?.modelVersion).toBe('v2');
      expect(await registry.get('v3')).toMatchObject({ approvalStatus: 'Rejected' });
      expect(await registry.get('nope')).toBeUndefined();
    });

    it('returns the new status and description after an update, keeping the other fields', async () => {
      // Prepare
      await registry.createModelPackage(packageInput(group, 'v1', 'PendingManualApproval', 0.2));

      // Act
      const updated = await registry.updateApprovalStatus('v1', 'Approved', 'checked by a person');

      // Assess
      expect(updated).toMatchObject({
        approvalStatus: 'Approved',
        approvalDescription: 'checked by a person',
        modelVersion: 'v1',
        metrics: { 'model.ndcg': 0.2 },
      });
      expect(updated.lastModifiedTime).toBeDefined();
      expect((await registry.latestApproved())?.modelVersion).toBe('v1');
    });

    it('throws ModelPackageNotFoundError when updating a version never registered', async () => {
      // Act / Assess
      await expect(registry.updateApprovalStatus('ghost', 'Rejected', 'x')).rejects.toBeInstanceOf(
        ModelPackageNotFoundError,
      );
    });
  });
}
