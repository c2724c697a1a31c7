import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbPublicationStore } from '../../../shared/adapters/aws/dynamodb-publication-store.ts';
import { describeS3Lake } from '../../../shared/adapters/aws/s3-lake-description.ts';
import { createSageMakerModelRegistry } from '../../../shared/adapters/aws/sagemaker-model-registry.ts';
import { createStepFunctionsExecutions } from '../../../shared/adapters/aws/step-functions-executions.ts';
import { CliError } from '../errors.ts';
import { type AwsOptions, type AwsStage, awsError, clientConfig, resolveStage } from './stage.ts';

const RAW_EVENTS = 'raw/events/';

/** The same adapters the Lambdas use, on the stage's resources: the CLI acts as the stage's functions do. */
function stageAdapters(stage: AwsStage) {
  const config = clientConfig(stage);
  const sfn = new SFNClient(config);
  const sagemaker = new SageMakerClient(config);
  const dynamodb = new DynamoDBClient(config);
  const s3 = new S3Client(config);
  return {
    stage,
    executions: createStepFunctionsExecutions({ client: sfn, stateMachineArn: stage.stateMachineArn }),
    registry: createSageMakerModelRegistry({ client: sagemaker, groupName: stage.modelPackageGroup }),
    publications: createDynamoDbPublicationStore({
      client: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      listsTable: stage.listsTable,
      deploymentTable: stage.deploymentTable,
    }),
    describeLake: describeS3Lake({ client: s3, bucket: stage.bucket, prefix: RAW_EVENTS }),
    /** The raw events zone's size, for the dry run's estimate. */
    async lakeBytes(): Promise<{ objects: number; bytes: number }> {
      let objects = 0;
      let bytes = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: stage.bucket, Prefix: RAW_EVENTS, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined || o.Key.endsWith('/')) continue;
          objects++;
          bytes += o.Size ?? 0;
        }
        token = page.NextContinuationToken;
      } while (token !== undefined);
      return { objects, bytes };
    },
    close() {
      for (const c of [sfn, sagemaker, dynamodb, s3]) c.destroy();
    },
  };
}

export type StageAdapters = ReturnType<typeof stageAdapters>;

/**
 * Runs `act` on the stage's adapters: the stack's outputs resolved first, the clients closed after, and any AWS
 * failure turned into one line naming what was being done (a CliError from `act` passes as it is).
 */
export async function onStage<T>(
  opts: AwsOptions,
  what: string,
  act: (a: StageAdapters) => Promise<T>,
): Promise<T> {
  const stage = await resolveStage(opts);
  const adapters = stageAdapters(stage);
  try {
    return await act(adapters);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw awsError(`${what} on stack ${stage.stackName}`, error);
  } finally {
    adapters.close();
  }
}
