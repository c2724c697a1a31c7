import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import { createEmrClusterControl } from '../../shared/adapters/aws/emr-clusters.ts';
import { describeS3Lake } from '../../shared/adapters/aws/s3-lake-description.ts';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { createSageMakerModelRegistry } from '../../shared/adapters/aws/sagemaker-model-registry.ts';
import { createStepFunctionsExecutions } from '../../shared/adapters/aws/step-functions-executions.ts';
import type { ClusterControl } from '../../shared/ports/cluster-control.ts';
import type { ModelRegistry } from '../../shared/ports/model-registry.ts';
import type { ModelStore } from '../../shared/ports/model-store.ts';
import type { PublicationStore } from '../../shared/ports/publication-store.ts';
import type { RetrainExecutions } from '../../shared/ports/retrain-executions.ts';
import { awsPublicationStore, type DEPLOYMENT, type LISTS } from '../../shared/runtime/aws.ts';
import { readSettings, requireEnv } from '../../shared/runtime/config.ts';
import { tracer } from '../../shared/runtime/lambda-tracing.ts';
import { publishMetrics } from '../../shared/runtime/metrics.ts';
import { logger } from '../../shared/runtime/observability.ts';

// The pipeline functions' AWS adapters, built once per container when the handler module loads. Each
// function's environment names only what it touches, and every setting is read through readSettings, so a
// missing one fails the cold start with its name.
let s3: S3Client | undefined;
let models: ModelStore | undefined;
let registry: ModelRegistry | undefined;
let publications: PublicationStore | undefined;
let clusters: ClusterControl | undefined;
let sfn: SFNClient | undefined;
let executions: RetrainExecutions | undefined;

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
  /** The publication store over the tables this function is given (`uses`), read now. */
  publications(...uses: (typeof LISTS | typeof DEPLOYMENT)[]): PublicationStore {
    publications ??= awsPublicationStore(readSettings(uses));
    return publications;
  },
  clusters(): ClusterControl {
    clusters ??= createEmrClusterControl({ client: new EMRClient({}) });
    return clusters;
  },
  /** The retrain state machine's executions (the schedule's start-retrain). */
  executions(): RetrainExecutions {
    sfn ??= new SFNClient({});
    executions ??= createStepFunctionsExecutions({
      client: sfn,
      stateMachineArn: requireEnv('RECSYS_RETRAIN_STATE_MACHINE'),
    });
    return executions;
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
 * A Task handler's Lambda entry: the factory is built when the module loads, so a missing setting fails the cold
 * start with its name; the Powertools tracer opens the invocation's segment and the logger gets its context.
 * `metrics`: the handler records metrics (shared/runtime/metrics.ts), published as EMF when it returns.
 */
export function pipelineHandler<I, O>(
  build: () => (event: I) => Promise<O>,
  options: { metrics?: boolean } = {},
) {
  const fn = build();
  const chain = middy((event: I) => fn(event)).use(captureLambdaHandler(tracer));
  if (options.metrics === true) chain.use(publishMetrics());
  return chain.use(injectLambdaContext(logger));
}
