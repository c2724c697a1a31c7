import { gunzipSync } from 'node:zlib';
import {
  DescribeClusterCommand,
  EMRClient,
  ListClustersCommand,
  ListInstanceGroupsCommand,
} from '@aws-sdk/client-emr';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import { createDynamoDbPublicationStore } from '../../../shared/adapters/aws/dynamodb-publication-store.ts';
import { type CliRun, runCli } from '../../fixtures/training-data.ts';
import { awsClientConfig } from '../aws-clients.ts';
import type { ExecutionRecord } from './executions.ts';
import type { StandInStage } from './stack.ts';

/** Serving re-reads the deployment record at most every 5 s (shared/serving/model-cache.ts): wait that long. */
const DEPLOYMENT_TTL_MS = 5_000;

/**
 * What an operator and a shop's client do to a stand-in stage: SDK clients on moto_server, the published lists and
 * deployment record in dynalite, `recsys … --aws --stage <stage>`, the recommendations route, executions started as
 * the CLI and the approval Lambda start them.
 */
export function standInOperator(stage: StandInStage, apiKey: string) {
  const config = awsClientConfig(stage.moto.endpoint);
  const s3 = new S3Client(config);
  const emr = new EMRClient(config);
  const sagemaker = new SageMakerClient(config);
  const sfn = new SFNClient(config);
  const publications = createDynamoDbPublicationStore({
    client: stage.dynamo.client,
    listsTable: stage.name('RecommendationListsTable'),
    deploymentTable: stage.name('DeploymentTable'),
  });
  const recommend = (userId: string, query = '') =>
    stage.api.request('GET', `/v1/users/${userId}/recommendations${query}`, { apiKey });
  const afterDeploymentChange = () => new Promise((resolve) => setTimeout(resolve, DEPLOYMENT_TTL_MS + 500));

  return {
    s3,
    emr,
    sagemaker,
    sfn,
    publications,
    recommend,
    afterDeploymentChange,

    /** The version the recommendations handler serves `userId`, once the deployment record's cache turned over. */
    async servedVersion(userId: string): Promise<string | null> {
      await afterDeploymentChange();
      return ((await recommend(userId)).body as { modelVersion: string | null }).modelVersion;
    },

    /** Starts an execution the way the CLI and the approval Lambda do (StartExecution), then lets it run. */
    async startAndRun(name: string, input: Record<string, unknown>): Promise<ExecutionRecord> {
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: stage.resolver.ref('RetrainStateMachine'),
          name,
          input: JSON.stringify(input),
        }),
      );
      const [record, ...more] = await stage.stepFunctions.runPending();
      expect(more).toEqual([]);
      return record as ExecutionRecord;
    },

    /** Every JSON line of the lake's GZIP objects under `prefix`. */
    async lakeLines(prefix: string): Promise<Record<string, unknown>[]> {
      const out: Record<string, unknown>[] = [];
      const bucket = stage.name('LakeBucket');
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) {
          const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key as string }));
          const bytes = await (
            body.Body as { transformToByteArray(): Promise<Uint8Array> }
          ).transformToByteArray();
          for (const line of gunzipSync(Buffer.from(bytes)).toString().split('\n'))
            if (line.trim() !== '') out.push(JSON.parse(line) as Record<string, unknown>);
        }
      }
      return out;
    },

    /** Every EMR cluster moto knows, described. */
    async clusters() {
      const listed = await emr.send(new ListClustersCommand({}));
      return Promise.all(
        (listed.Clusters ?? []).map(
          async (c) => (await emr.send(new DescribeClusterCommand({ ClusterId: c.Id }))).Cluster!,
        ),
      );
    },

    /** The instance groups of the cluster the execution tagged, as role × count, sorted. */
    async clusterShape(executionArn: string) {
      const tagged = (await this.clusters()).find((c) =>
        c.Tags?.some((t) => t.Key === 'recsys:execution' && t.Value === executionArn),
      );
      if (tagged === undefined) throw new Error(`no cluster carries the tag of ${executionArn}`);
      const groups = await emr.send(new ListInstanceGroupsCommand({ ClusterId: tagged.Id }));
      // EMR lists the groups in no particular order.
      return (groups.InstanceGroups ?? [])
        .map((g) => `${g.InstanceGroupType} × ${g.RequestedInstanceCount}`)
        .sort();
    },

    /** `recsys … --aws --stage <stage>` as an operator runs it, its names from the stand-in stack's outputs. */
    cli: (args: string[]): Promise<CliRun> =>
      runCli([...args, '--aws', '--stage', stage.stage], {
        AWS_ENDPOINT_URL: stage.moto.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: stage.dynamo.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_PROFILE: '',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      }),

    close() {
      for (const c of [s3, emr, sagemaker, sfn]) c.destroy();
    },
  };
}

export type StandInOperator = ReturnType<typeof standInOperator>;
