import { DescribeClusterCommand, EMRClient, RunJobFlowCommand } from '@aws-sdk/client-emr';
import { CreateCrawlerCommand, CreateDatabaseCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCleanupClusters } from '../../functions/pipeline/cleanup-clusters/cleanup-clusters.ts';
import { createEmrClusterControl } from '../../shared/adapters/aws/emr-clusters.ts';
import { createGlueCrawler } from '../../shared/adapters/aws/glue-crawler.ts';
import { describeS3Lake } from '../../shared/adapters/aws/s3-lake-description.ts';
import { EXECUTION_TAG } from '../../shared/ports/cluster-control.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';

let moto: MotoServer;
let glue: GlueClient;
let emr: EMRClient;
let s3: S3Client;
beforeAll(async () => {
  moto = await startMotoServer();
  const config = awsClientConfig(moto.endpoint);
  glue = new GlueClient(config);
  emr = new EMRClient(config);
  s3 = new S3Client(config);
}, 60_000);
afterAll(async () => {
  for (const c of [glue, emr, s3]) c?.destroy();
  await moto?.stop();
});

/** A cluster started the way the state machine's CreateCluster starts one (tags included). */
async function runCluster(executionArn: string): Promise<string> {
  const out = await emr.send(
    new RunJobFlowCommand({
      Name: 'recsys-ci-training-20250301T000000Z-abcd1234',
      ReleaseLabel: 'emr-7.9.0',
      Applications: [{ Name: 'Spark' }],
      ServiceRole: 'recsys-emr-service',
      JobFlowRole: 'recsys-emr-instance',
      VisibleToAllUsers: true,
      Instances: {
        KeepJobFlowAliveWhenNoSteps: true,
        InstanceGroups: [
          { Name: 'Primary', InstanceRole: 'MASTER', InstanceType: 'm6g.xlarge', InstanceCount: 1 },
          { Name: 'Core', InstanceRole: 'CORE', InstanceType: 'm6g.xlarge', InstanceCount: 2 },
        ],
      },
      Tags: [
        { Key: EXECUTION_TAG, Value: executionArn },
        { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' },
      ],
    }),
  );
  return out.JobFlowId as string;
}

describe('Adapter: Glue crawler (moto_server)', () => {
  it('returns true when a crawl starts, RUNNING while it runs, and false for a second start (CrawlerRunningException)', async () => {
    // Prepare
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'recsys_ci' } }));
    await glue.send(
      new CreateCrawlerCommand({
        Name: 'recsys-ci-raw-events',
        Role: 'arn:aws:iam::123456789012:role/crawler',
        DatabaseName: 'recsys_ci',
        Targets: { S3Targets: [{ Path: 's3://lake/raw/events/' }] },
        RecrawlPolicy: { RecrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
        SchemaChangePolicy: { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' },
      }),
    );
    const crawler = createGlueCrawler({ client: glue, name: 'recsys-ci-raw-events' });

    // Act
    const before = await crawler.status();
    const started = await crawler.start();
    const during = await crawler.status();
    const again = await crawler.start();

    // Assess
    expect(before.state).toBe('READY');
    expect(started).toBe(true);
    expect(during.state).toBe('RUNNING');
    expect(again).toBe(false);
  });
});

describe('Adapter: EMR cluster control + Function: cleanup-clusters (moto_server)', () => {
  it('returns the failed execution’s clusters terminated and leaves other executions’ clusters running', async () => {
    // Prepare
    const failed = 'arn:aws:states:us-east-1:123456789012:execution:recsys-ci-retrain:run-1';
    const other = 'arn:aws:states:us-east-1:123456789012:execution:recsys-ci-retrain:run-2';
    const mine = await runCluster(failed);
    const theirs = await runCluster(other);
    const cleanup = createCleanupClusters({ clusters: createEmrClusterControl({ client: emr }) });

    // Act
    const result = await cleanup({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: failed, status: 'TIMED_OUT' },
    });
    const again = await cleanup({ detail: { executionArn: failed, status: 'TIMED_OUT' } });

    // Assess
    expect(result).toEqual({ executionArn: failed, terminated: [mine] });
    expect(again.terminated).toEqual([]);
    const state = async (id: string) =>
      (await emr.send(new DescribeClusterCommand({ ClusterId: id }))).Cluster?.Status?.State;
    expect(await state(mine)).toMatch(/^TERMINAT/);
    expect(await state(theirs)).not.toMatch(/^TERMINAT/);
  });

  it('throws for an event that is not an execution status change', async () => {
    const cleanup = createCleanupClusters({ clusters: createEmrClusterControl({ client: emr }) });
    await expect(cleanup({ detail: {} })).rejects.toThrow(/executionArn/);
  });
});

describe('Adapter: S3 lake description (moto_server)', () => {
  it('returns the newest raw-events key and the object count, undefined for an empty zone', async () => {
    // Prepare
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    const empty = await describeS3Lake({ client: s3, bucket: 'lake' })();
    for (const key of [
      'raw/events/year=2025/month=03/day=01/recsys-ci-events-1-2025-03-01-10-00-00-a.gz',
      'raw/events/year=2025/month=03/day=02/recsys-ci-events-1-2025-03-02-09-00-00-b.gz',
      'raw/events/year=2025/month=02/day=28/recsys-ci-events-1-2025-02-28-23-59-00-c.gz',
      'raw/items/year=2025/month=03/day=03/recsys-ci-items-1-2025-03-03-00-00-00-d.gz',
    ])
      await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: 'x' }));

    // Act
    const lake = await describeS3Lake({ client: s3, bucket: 'lake' })();

    // Assess
    expect(empty).toBeUndefined();
    expect(lake).toEqual({
      newestKey: 'raw/events/year=2025/month=03/day=02/recsys-ci-events-1-2025-03-02-09-00-00-b.gz',
      objects: 3,
      // One byte each ('x'): the raw events zone's size, which ChooseTrainer routes on.
      bytes: 3,
    });
  });
});
