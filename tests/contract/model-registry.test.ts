import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSageMakerModelRegistry } from '../../shared/adapters/aws/sagemaker-model-registry.ts';
import { createFileModelRegistry } from '../../shared/adapters/local/file-model-registry.ts';
import { createModelPackageInput, decodeModelPackage } from '../../shared/registry/model-package.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';
import { manifest, modelRegistryContract } from './model-registry.contract.ts';

modelRegistryContract('file registry', async (groupName) => {
  const root = await mkdtemp(join(tmpdir(), 'recsys-registry-'));
  return {
    registry: createFileModelRegistry({ root, groupName }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let moto: MotoServer;
let client: SageMakerClient;
beforeAll(async () => {
  moto = await startMotoServer();
  client = new SageMakerClient(awsClientConfig(moto.endpoint));
}, 60_000);
afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

modelRegistryContract('SageMaker (moto_server)', async (groupName) => {
  await client.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: groupName }));
  return { registry: createSageMakerModelRegistry({ client, groupName }), cleanup: async () => {} };
});

describe('Function: createModelPackageInput', () => {
  it('returns at most 50 metadata entries of at most 256 characters, dropping the last reasons to fit', () => {
    // Prepare
    const reasons = Array.from({ length: 200 }, (_, i) => `FAILED check ${i}: ${'y'.repeat(200)}`);

    // Act
    const input = createModelPackageInput({
      groupName: 'g',
      status: 'Rejected',
      manifest: manifest('v1'),
      artifactUri: 's3://lake/models/v1/',
      metrics: { 'model.ndcg': 0.1 },
      gate: { passed: false, reasons },
      executionName: 'e',
      fingerprint: 'f',
    });
    const props = Object.entries(input.CustomerMetadataProperties);
    const decoded = decodeModelPackage({ CustomerMetadataProperties: input.CustomerMetadataProperties });

    // Assess
    expect(props.length).toBeLessThanOrEqual(50);
    for (const [k, v] of props) {
      expect(k.length).toBeLessThanOrEqual(128);
      expect(v.length).toBeLessThanOrEqual(256);
    }
    expect(decoded.gate.reasons.length).toBeGreaterThan(0);
    expect(decoded.gate.reasons).toEqual(reasons.slice(0, decoded.gate.reasons.length));
    expect(input.ModelPackageDescription?.length).toBeLessThanOrEqual(1024);
  });
});
