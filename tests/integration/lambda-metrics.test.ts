import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDynamoDbPublicationStore } from '../../shared/adapters/aws/dynamodb-publication-store.ts';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { precomputeRecommendations } from '../../shared/model/artifact.ts';
import { buildInteractions } from '../../shared/model/interactions.ts';
import { fitModel } from '../../shared/model/trained-model.ts';
import { listExpiry } from '../../shared/registry/list-expiry.ts';
import { plantedRecords } from '../fixtures/training-data.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { makeEvent } from '../helpers/events.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';
import { KNN, shopItem, testArtifactFiles } from '../helpers/serving-model.ts';
import { createUsersTable } from '../helpers/users-table.ts';

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyResult>;

const NAMESPACE = 'recsys/metrics-test';
const context = {
  functionName: 'recsys-metrics-test',
  awsRequestId: 'req-metrics',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:recsys-metrics-test',
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function apiEvent(
  method: string,
  resource: string,
  init: { body?: unknown; pathParameters?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource,
    headers: { 'content-type': 'application/json' },
    body: init.body === undefined ? null : JSON.stringify(init.body),
    isBase64Encoded: false,
    pathParameters: init.pathParameters ?? null,
    queryStringParameters: null,
    requestContext: { requestId: 'req-metrics' },
  } as unknown as APIGatewayProxyEvent;
}

/** One metric data point read back from an EMF record: its name, value, unit and dimensions. */
interface Point {
  name: string;
  value: number;
  unit: string;
  dimensions: Record<string, string>;
}

/** Powertools writes one EMF JSON document per line on stdout; this reads them back into data points. */
function emfPoints(lines: string[]): Point[] {
  const points: Point[] = [];
  for (const line of lines) {
    if (!line.trimStart().startsWith('{')) continue;
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws?: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string; Unit: string }[];
        }[];
      };
    };
    const directive = doc._aws?.CloudWatchMetrics[0];
    if (directive === undefined) continue;
    expect(directive.Namespace).toBe(NAMESPACE);
    const dimensions = Object.fromEntries(
      (directive.Dimensions[0] ?? []).map((name) => [name, String(doc[name])]),
    );
    for (const m of directive.Metrics)
      points.push({ name: m.Name, unit: m.Unit, value: Number(doc[m.Name]), dimensions });
  }
  return points;
}

/**
 * The Lambda entries as deployed, their metrics captured from what Powertools prints (CloudWatch reads the same
 * lines from the function's log): names, dimensions and values of each on-call metric.
 */
describe('Lambda entry points: EMF metrics (moto_server, dynalite)', () => {
  let moto: MotoServer;
  let dynamo: Dynalite;
  let stdout: string[] = [];
  const saved = { ...process.env };
  const version = '20240101T000000Z-metrics';
  const records = plantedRecords();
  const users = [...new Set(records.map((r) => r.userId))];

  beforeAll(async () => {
    [moto, dynamo] = await Promise.all([startMotoServer(), startDynalite()]);
    const serving = await dynamo.createTablesFromResources();
    const publication = await dynamo.createPublicationTables();
    const feedback = await dynamo.createFeedbackTables();
    const [liveCounters, users] = [await dynamo.createLiveCountersTable(), await createUsersTable(dynamo)];
    const s3 = new S3Client(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    for (const zone of ['events', 'impressions'])
      await new FirehoseClient(awsClientConfig(moto.endpoint)).send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: `recsys-metrics-${zone}`,
          DeliveryStreamType: 'DirectPut',
          ExtendedS3DestinationConfiguration: {
            BucketARN: 'arn:aws:s3:::lake',
            RoleARN: 'arn:aws:iam::123456789012:role/firehose',
            Prefix: `raw/${zone}/`,
          },
        }),
      );
    await new SageMakerClient(awsClientConfig(moto.endpoint)).send(
      new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'recsys-metrics' }),
    );
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL_FIREHOSE: moto.endpoint,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
      POWERTOOLS_SERVICE_NAME: 'recsys',
      RECSYS_EVENTS_STREAM: 'recsys-metrics-events',
      RECSYS_LAKE_BUCKET: 'lake',
      RECSYS_CATALOG_TABLE: serving.catalogTable,
      RECSYS_ACTIVITY_TABLE: serving.activityTable,
      RECSYS_LISTS_TABLE: publication.listsTable,
      RECSYS_DEPLOYMENT_TABLE: publication.deploymentTable,
      RECSYS_FEEDBACK_TABLE: feedback.feedbackTable,
      RECSYS_COUNTERS_TABLE: feedback.countersTable,
      RECSYS_LIVE_COUNTERS_TABLE: liveCounters,
      RECSYS_USERS_TABLE: users,
      RECSYS_IMPRESSIONS_STREAM: 'recsys-metrics-impressions',
      RECSYS_IMPRESSION_SAMPLE_RATE: '1',
      RECSYS_MODEL_PACKAGE_GROUP: 'recsys-metrics',
      // The evaluate function's stage policy, as serverless.yml sets it from the stage's params.
      RECSYS_GATE_POLICY:
        '{"minUsers":7,"baselineMargin":0,"championTolerance":0.1,"minimum":{"ndcg":0.005},"autoApprove":false}',
    });
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.POWERTOOLS_DEV;
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([moto?.stop(), dynamo?.stop()]);
  });

  beforeEach(() => {
    stdout = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((
      chunk: string | Uint8Array,
      ...rest: unknown[]
    ) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.includes('"_aws"')) {
        stdout.push(...text.split('\n').filter((l) => l !== ''));
        return true;
      }
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const points = (name: string) => emfPoints(stdout).filter((p) => p.name === name);

  /** A trained model in the lake and its lists published, with an experiment of two variants over it. */
  async function deployModel(): Promise<void> {
    const data = buildInteractions(records);
    const catalog = Array.from({ length: 40 }, (_, j) => shopItem(j));
    const model = fitModel(data, records, KNN, { catalog, threads: 1 });
    const s3 = new S3Client(awsClientConfig(moto.endpoint));
    await createS3ModelStore({ client: s3, bucket: 'lake' }).write(
      version,
      testArtifactFiles(model, data, records.length, version),
    );
    const publications = createDynamoDbPublicationStore({
      client: dynamo.client,
      listsTable: process.env.RECSYS_LISTS_TABLE!,
      deploymentTable: process.env.RECSYS_DEPLOYMENT_TABLE!,
    });
    await publications.putRecommendations(version, precomputeRecommendations(model), listExpiry(new Date()));
    await publications.putDeployment(
      {
        revision: 1,
        champion: version,
        experiment: {
          name: 'exp-metrics',
          startedAt: new Date().toISOString(),
          variants: [
            { name: 'champion', modelVersion: version, weight: 0.5 },
            { name: 'challenger', modelVersion: version, weight: 0.5 },
          ],
        },
        updatedAt: new Date().toISOString(),
        reason: 'test',
      },
      undefined,
    );
  }

  it('ingest-events: EventsAccepted, EventsRejected, EventsRefused per call and Latency per route', async () => {
    // Prepare
    const { handler } = (await import('../../functions/api/ingest-events/handler.ts')) as {
      handler: Handler;
    };
    const body = { events: [makeEvent({ userId: 'm-1' }), makeEvent({ userId: 'm-2' }), { type: 'view' }] };

    // Act
    const res = await handler(apiEvent('POST', '/v1/events', { body }), context);

    // Assess
    expect(res.statusCode).toBe(202);
    const service = { service: 'recsys' };
    expect(points('EventsAccepted')).toEqual([
      { name: 'EventsAccepted', value: 2, unit: 'Count', dimensions: service },
    ]);
    expect(points('EventsRejected')).toEqual([
      { name: 'EventsRejected', value: 1, unit: 'Count', dimensions: service },
    ]);
    expect(points('EventsRefused')).toEqual([
      { name: 'EventsRefused', value: 0, unit: 'Count', dimensions: service },
    ]);
    const [latency] = points('Latency');
    expect(latency).toMatchObject({
      unit: 'Milliseconds',
      dimensions: { service: 'recsys', route: '/v1/events' },
    });
    expect(latency!.value).toBeGreaterThan(0);
    expect(latency!.value).toBeLessThan(10_000);
  });

  it('ingest-events: events the lake cannot take now are counted as refused (503)', async () => {
    // Prepare: the same entry, its Firehose stream gone
    const { createIngestEventsHandler } = await import('../../functions/api/ingest-events/ingest-events.ts');
    const { ACTIVITY, awsEventSink, awsServingStore } = await import('../../shared/runtime/aws.ts');
    const { LAMBDA_API_OPTIONS } = await import('../../shared/runtime/lambda-tracing.ts');
    const handler = createIngestEventsHandler(
      {
        eventSink: awsEventSink({ ...process.env, RECSYS_EVENTS_STREAM: 'no-such-stream' }),
        store: awsServingStore([ACTIVITY]),
      },
      LAMBDA_API_OPTIONS,
    );

    // Act
    const res = await handler(apiEvent('POST', '/v1/events', { body: { events: [makeEvent()] } }), context);

    // Assess
    expect(res.statusCode).toBe(503);
    expect(points('EventsRefused').map((p) => p.value)).toEqual([1]);
    expect(points('EventsAccepted').map((p) => p.value)).toEqual([0]);
  });

  it('session recommendations with no model: served from the fallback, Fallback = 1', async () => {
    // Prepare
    const { handler } = (await import('../../functions/api/get-session-recommendations/handler.ts')) as {
      handler: Handler;
    };

    // Act
    const res = await handler(
      apiEvent('GET', '/v1/sessions/{sessionId}/recommendations', { pathParameters: { sessionId: 's-1' } }),
      context,
    );

    // Assess
    expect(JSON.parse(res.body)).toMatchObject({ variant: 'fallback', modelVersion: null });
    const served = points('RecommendationsServed').map((p) => p.dimensions);
    expect(served).toEqual([
      { service: 'recsys', source: 'fallback' },
      { service: 'recsys', variant: 'fallback' },
    ]);
    expect(points('Fallback').map((p) => p.value)).toEqual([1]);
    expect(points('Exposures')).toEqual([]);
  });

  it('recommendations, then a click: precomputed and fold-in sources, exposures and clicks per variant', async () => {
    // Prepare: counters with nothing live yet (earlier tests' events counted elsewhere), so a shopper with nothing
    // fresh is served the published list as it is.
    process.env.RECSYS_LIVE_COUNTERS_TABLE = await dynamo.createLiveCountersTable();
    await deployModel();
    const recommendations = (await import('../../functions/api/get-recommendations/handler.ts')) as {
      handler: Handler;
    };
    const ingest = (await import('../../functions/api/ingest-events/handler.ts')) as { handler: Handler };
    const feedback = (await import('../../functions/api/post-feedback/handler.ts')) as { handler: Handler };
    const [quiet, active] = [users[0]!, users[1]!];
    const ask = (userId: string) =>
      recommendations.handler(
        apiEvent('GET', '/v1/users/{userId}/recommendations', { pathParameters: { userId } }),
        context,
      );

    // Act: a shopper with only the published list, then one with a fresh view the model has not seen
    const first = JSON.parse((await ask(quiet)).body) as { variant: string; recommendationId: string };
    const precomputed = emfPoints(stdout);
    stdout.length = 0;
    await ingest.handler(
      apiEvent('POST', '/v1/events', { body: { events: [makeEvent({ userId: active, itemId: 'i35' })] } }),
      context,
    );
    const second = JSON.parse((await ask(active)).body) as { variant: string };
    const foldIn = emfPoints(stdout).filter((p) => p.name !== 'EventsAccepted');
    stdout.length = 0;
    const clicked = await feedback.handler(
      apiEvent('POST', '/v1/feedback', {
        body: { recommendationId: first.recommendationId, userId: quiet, itemId: 'i1', action: 'click' },
      }),
      context,
    );

    // Assess
    const dims = (ps: Point[], name: string) => ps.filter((p) => p.name === name).map((p) => p.dimensions);
    expect(['champion', 'challenger']).toContain(first.variant);
    expect(dims(precomputed, 'RecommendationsServed')).toEqual([
      { service: 'recsys', source: 'precomputed' },
      { service: 'recsys', variant: first.variant },
    ]);
    expect(precomputed.filter((p) => p.name === 'Exposures')).toEqual([
      {
        name: 'Exposures',
        value: 1,
        unit: 'Count',
        dimensions: { service: 'recsys', variant: first.variant },
      },
    ]);
    expect(precomputed.filter((p) => p.name === 'Fallback').map((p) => p.value)).toEqual([0]);
    expect(dims(foldIn, 'RecommendationsServed')).toEqual([
      { service: 'recsys', source: 'fold-in' },
      { service: 'recsys', variant: second.variant },
    ]);
    expect(clicked.statusCode).toBe(202);
    // The list was counted as exposed when served: the click adds a click only.
    expect(points('Clicks')).toEqual([
      { name: 'Clicks', value: 1, unit: 'Count', dimensions: { service: 'recsys', variant: first.variant } },
    ]);
    expect(points('Exposures')).toEqual([]);
  });

  it('evaluate: GateOutcome by status, under the stage policy from RECSYS_GATE_POLICY', async () => {
    // Prepare: the model's artifact has no holdout users, so the gate rejects it
    const { handler } = (await import('../../functions/pipeline/evaluate-model/handler.ts')) as {
      handler: (event: unknown, context: Context) => Promise<{ status: string; reasons: string[] }>;
    };

    // Act
    const outcome = await handler(
      { modelVersion: version, stage: 'metrics', executionName: 'exec-1', fingerprint: 'f' },
      context,
    );

    // Assess
    expect(outcome.status).toBe('Rejected');
    expect(outcome.reasons).toContain('FAILED users: 0 held-out users (at least 7 required)');
    expect(points('GateOutcome')).toEqual([
      { name: 'GateOutcome', value: 1, unit: 'Count', dimensions: { service: 'recsys', status: 'Rejected' } },
    ]);
  });

  it('activate: ModelActivated and RetrainDuration from the execution start', async () => {
    // Prepare
    const { handler } = (await import('../../functions/pipeline/activate-model/handler.ts')) as {
      handler: (event: unknown, context: Context) => Promise<{ champion: string }>;
    };
    const startedAt = new Date(Date.now() - 95_000).toISOString();

    // Act
    const deployment = await handler({ modelVersion: 'v-next', reason: 'retrain', startedAt }, context);

    // Assess
    expect(deployment.champion).toBe('v-next');
    expect(points('ModelActivated').map((p) => [p.value, p.dimensions])).toEqual([
      [1, { service: 'recsys' }],
    ]);
    const [duration] = points('RetrainDuration');
    expect(duration?.unit).toBe('Seconds');
    expect(duration!.value).toBeGreaterThanOrEqual(95);
    expect(duration!.value).toBeLessThan(95 + 30);
  });
});
