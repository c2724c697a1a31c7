import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import { createDynamoDbPublicationStore } from '../../shared/adapters/aws/dynamodb-publication-store.ts';
import { createEmrClusterControl } from '../../shared/adapters/aws/emr-clusters.ts';
import { describeS3Lake } from '../../shared/adapters/aws/s3-lake-description.ts';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { createSageMakerModelRegistry } from '../../shared/adapters/aws/sagemaker-model-registry.ts';
import type { ClusterControl } from '../../shared/ports/cluster-control.ts';
import type { ModelRegistry } from '../../shared/ports/model-registry.ts';
import type { ModelStore } from '../../shared/ports/model-store.ts';
import type { PublicationStore } from '../../shared/ports/publication-store.ts';
import { documentClient } from '../../shared/runtime/aws.ts';
import { requireEnv } from '../../shared/runtime/config.ts';
import { logger, tracer } from '../../shared/runtime/observability.ts';

// The pipeline functions' AWS adapters, built once per container on first use (each function's environment
// names only what it touches: a missing setting fails with its name).
let s3: S3Client | undefined;
let models: ModelStore | undefined;
let registry: ModelRegistry | undefined;
let publications: PublicationStore | undefined;
let clusters: ClusterControl | undefined;
let sfn: SFNClient | undefined;

export const pipelineAws = {
  bucket: () => requireEnv('RECSYS_LAKE_BUCKET'),
  models(): ModelStore {
    s3 ??= new S3Client({});
    models ??= createS3ModelStore({ client: s3, bucket: requireEnv('RECSYS_LAKE_BUCKET') });
    return models;
  },
  describeLake() {
    s3 ??= new S3Client({});
    return describeS3Lake({ client: s3, bucket: requireEnv('RECSYS_LAKE_BUCKET') });
  },
  registry(): ModelRegistry {
    registry ??= createSageMakerModelRegistry({
      client: new SageMakerClient({}),
      groupName: requireEnv('RECSYS_MODEL_PACKAGE_GROUP'),
    });
    return registry;
  },
  publications(): PublicationStore {
    publications ??= createDynamoDbPublicationStore({
      client: documentClient(),
      listsTable: process.env.RECSYS_LISTS_TABLE ?? '',
      deploymentTable: process.env.RECSYS_DEPLOYMENT_TABLE ?? '',
    });
    return publications;
  },
  clusters(): ClusterControl {
    clusters ??= createEmrClusterControl({ client: new EMRClient({}) });
    return clusters;
  },
  /** Approval and rollback start the retrain state machine in publish mode. */
  async startPublication(modelVersion: string, reason: string): Promise<string> {
    sfn ??= new SFNClient({});
    const name = `publish-${modelVersion}-${Date.now()}`.slice(0, 80);
    const out = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: requireEnv('RECSYS_RETRAIN_STATE_MACHINE'),
        name,
        input: JSON.stringify({ publishVersion: modelVersion, reason }),
      }),
    );
    return out.executionArn ?? name;
  },
};

/**
 * A Task handler's Lambda entry: the factory is built on the first invocation (so loading the bundle needs no
 * settings); the Powertools tracer opens the invocation's segment and the logger gets its context.
 */
export function pipelineHandler<I, O>(build: () => (event: I) => Promise<O>) {
  let fn: ((event: I) => Promise<O>) | undefined;
  return middy(async (event: I) => {
    fn ??= build();
    return fn(event);
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger));
}
