import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asArray,
  type CfnResource,
  type CfnTemplate,
  loadJson,
  loadYaml,
  type PolicyStatement,
  readZip,
  referencedLogicalIds,
  resource,
  resourcesOfType,
} from '../helpers/cloudformation.ts';
import { PACKAGE_TIMEOUT_MS, packagedStage } from '../helpers/sls-package.ts';

const STAGE = 'ci';
const PACKAGE_VERSION = loadJson<{ version: string }>(new URL('../../package.json', import.meta.url)).version;
/**
 * The stage's model package group is referred to by its name (the resource has no name attribute to GetAtt), so
 * these grants and RECSYS_MODEL_PACKAGE_GROUP hold the name itself rather than a logical id.
 */
const MODEL_PACKAGE_GROUP = `recsys-${STAGE}`;
const MODEL_PACKAGES = `:model-package/${MODEL_PACKAGE_GROUP}/*`;

/** What each function must be: its route, and the only grants its role may hold (action → logical ids). */
const FUNCTIONS: Record<
  string,
  {
    /** HTTP functions: their route. The retrain pipeline's functions have none. */
    method?: string;
    path?: string;
    apiKey?: boolean;
    env: string[];
    grants: Record<string, string[]>;
    /**
     * Actions IAM cannot scope to a stack resource (List* calls with no resource type, EMR clusters created at run
     * time): action → what its Resource must contain instead of a logical id.
     */
    unscoped?: Record<string, string>;
  }
> = {
  GetOpenApi: { method: 'GET', path: '/openapi.yaml', apiKey: false, env: [], grants: {} },
  IngestEvents: {
    method: 'POST',
    path: '/v1/events',
    apiKey: true,
    env: ['RECSYS_EVENTS_STREAM', 'RECSYS_ACTIVITY_TABLE', 'RECSYS_LIVE_COUNTERS_TABLE'],
    grants: {
      'firehose:PutRecordBatch': ['EventsDeliveryStream'],
      'dynamodb:BatchWriteItem': ['ActivityTable'],
      'dynamodb:UpdateItem': ['LiveCountersTable'],
    },
  },
  PutItems: {
    method: 'PUT',
    path: '/v1/items',
    apiKey: true,
    env: ['RECSYS_ITEMS_STREAM', 'RECSYS_CATALOG_TABLE'],
    grants: {
      'firehose:PutRecordBatch': ['ItemsDeliveryStream'],
      'dynamodb:PutItem': ['CatalogTable'],
      'dynamodb:BatchWriteItem': ['CatalogTable'],
    },
  },
  GetItem: {
    method: 'GET',
    path: '/v1/items/{itemId}',
    apiKey: true,
    env: ['RECSYS_CATALOG_TABLE'],
    grants: { 'dynamodb:GetItem': ['CatalogTable'] },
  },
  Health: { method: 'GET', path: '/health', apiKey: false, env: [], grants: {} },
  // Shoppers (issue 16).
  PutUsers: {
    method: 'PUT',
    path: '/v1/users',
    apiKey: true,
    env: ['RECSYS_USERS_STREAM', 'RECSYS_USERS_TABLE'],
    grants: { 'firehose:PutRecordBatch': ['UsersDeliveryStream'], 'dynamodb:PutItem': ['UsersTable'] },
  },
  GetUser: {
    method: 'GET',
    path: '/v1/users/{userId}',
    apiKey: true,
    env: ['RECSYS_USERS_TABLE'],
    grants: { 'dynamodb:Query': ['UsersTable'] },
  },
  PutUserPreferences: {
    method: 'PUT',
    path: '/v1/users/{userId}/preferences',
    apiKey: true,
    env: ['RECSYS_USERS_TABLE'],
    grants: { 'dynamodb:PutItem': ['UsersTable'], 'dynamodb:GetItem': ['UsersTable'] },
  },
  DeleteUser: {
    method: 'DELETE',
    path: '/v1/users/{userId}',
    apiKey: true,
    env: [
      'RECSYS_USERS_STREAM',
      'RECSYS_USERS_TABLE',
      'RECSYS_LAKE_BUCKET',
      'RECSYS_ACTIVITY_TABLE',
      'RECSYS_FEEDBACK_TABLE',
      'RECSYS_LISTS_TABLE',
      'RECSYS_DEPLOYMENT_TABLE',
    ],
    grants: {
      'firehose:PutRecordBatch': ['UsersDeliveryStream'],
      's3:ListBucket': ['LakeBucket'],
      's3:GetObject': ['LakeBucket'],
      'dynamodb:DeleteItem': ['FeedbackTable', 'UsersTable'],
      'dynamodb:PutItem': ['UsersTable'],
      'dynamodb:Query': ['ActivityTable', 'FeedbackTable'],
      'dynamodb:BatchWriteItem': ['ActivityTable', 'RecommendationListsTable'],
      'dynamodb:GetItem': ['DeploymentTable'],
    },
  },
  GetRecommendations: {
    method: 'GET',
    path: '/v1/users/{userId}/recommendations',
    apiKey: true,
    env: [
      'RECSYS_LAKE_BUCKET',
      'RECSYS_DEPLOYMENT_TABLE',
      'RECSYS_CATALOG_TABLE',
      'RECSYS_ACTIVITY_TABLE',
      'RECSYS_FEEDBACK_TABLE',
      'RECSYS_LISTS_TABLE',
      'RECSYS_COUNTERS_TABLE',
      'RECSYS_IMPRESSIONS_STREAM',
      'RECSYS_IMPRESSION_SAMPLE_RATE',
      'RECSYS_USERS_TABLE',
      'RECSYS_LIVE_COUNTERS_TABLE',
    ],
    grants: {
      'firehose:PutRecordBatch': ['ImpressionsDeliveryStream'],
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable', 'RecommendationListsTable'],
      'dynamodb:BatchGetItem': ['CatalogTable'],
      'dynamodb:Query': ['ActivityTable', 'FeedbackTable', 'LiveCountersTable', 'UsersTable'],
      'dynamodb:PutItem': ['FeedbackTable'],
      'dynamodb:DeleteItem': ['FeedbackTable'],
      'dynamodb:UpdateItem': ['ExperimentCountersTable'],
    },
  },
  GetSessionRecommendations: {
    method: 'GET',
    path: '/v1/sessions/{sessionId}/recommendations',
    apiKey: true,
    env: [
      'RECSYS_LAKE_BUCKET',
      'RECSYS_DEPLOYMENT_TABLE',
      'RECSYS_CATALOG_TABLE',
      'RECSYS_ACTIVITY_TABLE',
      'RECSYS_FEEDBACK_TABLE',
      'RECSYS_IMPRESSIONS_STREAM',
      'RECSYS_IMPRESSION_SAMPLE_RATE',
      'RECSYS_LIVE_COUNTERS_TABLE',
    ],
    grants: {
      'firehose:PutRecordBatch': ['ImpressionsDeliveryStream'],
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:BatchGetItem': ['CatalogTable'],
      'dynamodb:Query': ['ActivityTable', 'FeedbackTable', 'LiveCountersTable'],
    },
  },
  GetSimilarItems: {
    method: 'GET',
    path: '/v1/items/{itemId}/similar',
    apiKey: true,
    env: [
      'RECSYS_LAKE_BUCKET',
      'RECSYS_DEPLOYMENT_TABLE',
      'RECSYS_CATALOG_TABLE',
      'RECSYS_IMPRESSIONS_STREAM',
      'RECSYS_IMPRESSION_SAMPLE_RATE',
      'RECSYS_USERS_TABLE',
    ],
    grants: {
      'firehose:PutRecordBatch': ['ImpressionsDeliveryStream'],
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:BatchGetItem': ['CatalogTable'],
      'dynamodb:Query': ['UsersTable'],
    },
  },
  // "Bought together", carts and rerank (issue 16): the model from S3, the shopper's activity and exclusions.
  GetBoughtTogether: {
    method: 'GET',
    path: '/v1/items/{itemId}/bought-together',
    apiKey: true,
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_DEPLOYMENT_TABLE', 'RECSYS_CATALOG_TABLE'],
    grants: {
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:BatchGetItem': ['CatalogTable'],
    },
  },
  PostCartRecommendations: {
    method: 'POST',
    path: '/v1/carts/recommendations',
    apiKey: true,
    env: [
      'RECSYS_LAKE_BUCKET',
      'RECSYS_DEPLOYMENT_TABLE',
      'RECSYS_CATALOG_TABLE',
      'RECSYS_ACTIVITY_TABLE',
      'RECSYS_FEEDBACK_TABLE',
    ],
    grants: {
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:BatchGetItem': ['CatalogTable'],
      'dynamodb:Query': ['ActivityTable', 'FeedbackTable'],
    },
  },
  PostRerank: {
    method: 'POST',
    path: '/v1/users/{userId}/rerank',
    apiKey: true,
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_DEPLOYMENT_TABLE', 'RECSYS_ACTIVITY_TABLE', 'RECSYS_FEEDBACK_TABLE'],
    grants: {
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:Query': ['ActivityTable', 'FeedbackTable'],
    },
  },
  GetTrending: {
    method: 'GET',
    path: '/v1/trending',
    apiKey: true,
    env: [
      'RECSYS_LAKE_BUCKET',
      'RECSYS_DEPLOYMENT_TABLE',
      'RECSYS_CATALOG_TABLE',
      'RECSYS_LIVE_COUNTERS_TABLE',
      'RECSYS_IMPRESSIONS_STREAM',
      'RECSYS_IMPRESSION_SAMPLE_RATE',
      'RECSYS_USERS_TABLE',
    ],
    grants: {
      'firehose:PutRecordBatch': ['ImpressionsDeliveryStream'],
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:BatchGetItem': ['CatalogTable'],
      'dynamodb:Query': ['LiveCountersTable', 'UsersTable'],
    },
  },
  PostFeedback: {
    method: 'POST',
    path: '/v1/feedback',
    apiKey: true,
    env: [
      'RECSYS_EVENTS_STREAM',
      'RECSYS_ACTIVITY_TABLE',
      'RECSYS_FEEDBACK_TABLE',
      'RECSYS_COUNTERS_TABLE',
      'RECSYS_DEPLOYMENT_TABLE',
      'RECSYS_LIVE_COUNTERS_TABLE',
    ],
    grants: {
      'firehose:PutRecordBatch': ['EventsDeliveryStream'],
      'dynamodb:BatchWriteItem': ['ActivityTable'],
      'dynamodb:PutItem': ['FeedbackTable'],
      'dynamodb:DeleteItem': ['FeedbackTable'],
      'dynamodb:UpdateItem': ['ExperimentCountersTable', 'LiveCountersTable'],
      'dynamodb:GetItem': ['DeploymentTable'],
    },
  },
  GetExperiment: {
    method: 'GET',
    path: '/v1/experiments/{name}',
    apiKey: true,
    env: ['RECSYS_COUNTERS_TABLE', 'RECSYS_DEPLOYMENT_TABLE'],
    grants: {
      'dynamodb:Query': ['ExperimentCountersTable'],
      'dynamodb:GetItem': ['DeploymentTable'],
    },
  },
  // The operations console's routes (functions/api/admin-*), behind the API key.
  AdminModels: {
    method: 'GET',
    path: '/v1/admin/models',
    apiKey: true,
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_DEPLOYMENT_TABLE', 'RECSYS_MODEL_PACKAGE_GROUP'],
    grants: {
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'sagemaker:DescribeModelPackage': [],
      'sagemaker:ListModelPackages': [],
    },
    unscoped: { 'sagemaker:ListModelPackages': '"*"', 'sagemaker:DescribeModelPackage': MODEL_PACKAGES },
  },
  AdminModelAction: {
    method: 'POST',
    path: '/v1/admin/models/{version}/{action}',
    apiKey: true,
    env: ['RECSYS_MODEL_PACKAGE_GROUP', 'RECSYS_RETRAIN_STATE_MACHINE'],
    grants: {
      'sagemaker:DescribeModelPackage': [],
      'sagemaker:UpdateModelPackage': [],
      'sagemaker:ListModelPackages': [],
      'states:StartExecution': ['RetrainStateMachine'],
    },
    unscoped: {
      'sagemaker:ListModelPackages': '"*"',
      'sagemaker:DescribeModelPackage': MODEL_PACKAGES,
      'sagemaker:UpdateModelPackage': MODEL_PACKAGES,
    },
  },
  AdminListRuns: {
    method: 'GET',
    path: '/v1/admin/runs',
    apiKey: true,
    env: ['RECSYS_RETRAIN_STATE_MACHINE'],
    grants: { 'states:ListExecutions': ['RetrainStateMachine'] },
  },
  AdminGetRun: {
    method: 'GET',
    path: '/v1/admin/runs/{name}',
    apiKey: true,
    env: ['RECSYS_RETRAIN_STATE_MACHINE'],
    grants: { 'states:DescribeExecution': ['RetrainStateMachine'] },
  },
  AdminStartRun: {
    method: 'POST',
    path: '/v1/admin/runs',
    apiKey: true,
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_RETRAIN_STATE_MACHINE'],
    grants: {
      'states:StartExecution': ['RetrainStateMachine'],
      'states:DescribeExecution': [],
      's3:ListBucket': ['LakeBucket'],
    },
    unscoped: { 'states:DescribeExecution': `:execution:recsys-${STAGE}-retrain:*` },
  },
  AdminStartExperiment: {
    method: 'POST',
    path: '/v1/admin/experiments',
    apiKey: true,
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_DEPLOYMENT_TABLE'],
    grants: {
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:PutItem': ['DeploymentTable'],
    },
  },
  AdminExperimentAction: {
    method: 'POST',
    path: '/v1/admin/experiments/{name}/{action}',
    apiKey: true,
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_DEPLOYMENT_TABLE'],
    grants: {
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable'],
      'dynamodb:PutItem': ['DeploymentTable'],
    },
  },
  AdminData: {
    method: 'GET',
    path: '/v1/admin/data',
    apiKey: true,
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_CATALOG_TABLE', 'RECSYS_LIVE_COUNTERS_TABLE'],
    grants: {
      's3:ListBucket': ['LakeBucket'],
      's3:GetObject': ['LakeBucket'],
      'dynamodb:Query': ['LiveCountersTable'],
      'dynamodb:Scan': ['CatalogTable'],
    },
  },
  AdminCompare: {
    method: 'GET',
    path: '/v1/admin/users/{userId}/recommendations',
    apiKey: true,
    env: [
      'RECSYS_LAKE_BUCKET',
      'RECSYS_LISTS_TABLE',
      'RECSYS_CATALOG_TABLE',
      'RECSYS_ACTIVITY_TABLE',
      'RECSYS_FEEDBACK_TABLE',
    ],
    grants: {
      's3:GetObject': ['LakeBucket'],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['RecommendationListsTable'],
      'dynamodb:BatchGetItem': ['CatalogTable'],
      'dynamodb:Query': ['ActivityTable', 'FeedbackTable'],
    },
  },
  // The retrain state machine's Task functions and its EventBridge handlers (functions/pipeline/*).
  PrepareRun: {
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_MODEL_PACKAGE_GROUP'],
    grants: {
      's3:ListBucket': ['LakeBucket'],
      'sagemaker:DescribeModelPackage': [],
      'sagemaker:ListModelPackages': [],
    },
    unscoped: { 'sagemaker:ListModelPackages': '"*"', 'sagemaker:DescribeModelPackage': MODEL_PACKAGES },
  },
  EvaluateModel: {
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_MODEL_PACKAGE_GROUP'],
    grants: {
      's3:GetObject': ['LakeBucket'],
      'sagemaker:DescribeModelPackage': [],
      'sagemaker:ListModelPackages': [],
    },
    unscoped: { 'sagemaker:ListModelPackages': '"*"', 'sagemaker:DescribeModelPackage': MODEL_PACKAGES },
  },
  ListRecommendationParts: { env: ['RECSYS_LAKE_BUCKET'], grants: { 's3:GetObject': ['LakeBucket'] } },
  WriteRecommendations: {
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_LISTS_TABLE'],
    grants: { 's3:GetObject': ['LakeBucket'], 'dynamodb:BatchWriteItem': ['RecommendationListsTable'] },
  },
  CheckPublication: {
    env: ['RECSYS_LAKE_BUCKET', 'RECSYS_LISTS_TABLE'],
    grants: { 's3:GetObject': ['LakeBucket'], 'dynamodb:GetItem': ['RecommendationListsTable'] },
  },
  ActivateModel: {
    env: ['RECSYS_DEPLOYMENT_TABLE'],
    grants: { 'dynamodb:GetItem': ['DeploymentTable'], 'dynamodb:PutItem': ['DeploymentTable'] },
  },
  CleanupClusters: {
    env: [],
    grants: {
      'elasticmapreduce:ListClusters': [],
      'elasticmapreduce:DescribeCluster': [],
      'elasticmapreduce:TerminateJobFlows': [],
      'sqs:SendMessage': ['EventHandlersDeadLetterQueue'],
    },
    unscoped: {
      'elasticmapreduce:ListClusters': '"*"',
      'elasticmapreduce:DescribeCluster': ':cluster/*',
      'elasticmapreduce:TerminateJobFlows': ':cluster/*',
    },
  },
  StartRetrain: {
    env: [
      'RECSYS_LAKE_BUCKET',
      'RECSYS_LISTS_TABLE',
      'RECSYS_DEPLOYMENT_TABLE',
      'RECSYS_RETRAIN_STATE_MACHINE',
    ],
    grants: {
      'states:StartExecution': ['RetrainStateMachine'],
      'states:DescribeExecution': [],
      's3:ListBucket': ['LakeBucket'],
      'dynamodb:GetItem': ['DeploymentTable', 'RecommendationListsTable'],
    },
    unscoped: { 'states:DescribeExecution': `:execution:recsys-${STAGE}-retrain:*` },
  },
  ModelApproval: {
    env: ['RECSYS_MODEL_PACKAGE_GROUP', 'RECSYS_DEPLOYMENT_TABLE', 'RECSYS_RETRAIN_STATE_MACHINE'],
    grants: {
      'sagemaker:DescribeModelPackage': [],
      'sagemaker:ListModelPackages': [],
      'dynamodb:GetItem': ['DeploymentTable'],
      'states:StartExecution': ['RetrainStateMachine'],
      'sqs:SendMessage': ['EventHandlersDeadLetterQueue'],
    },
    unscoped: {
      'sagemaker:ListModelPackages': '"*"',
      'sagemaker:DescribeModelPackage': MODEL_PACKAGES,
    },
  },
};

/** Every function's role also holds the X-Ray grant (provider.iam.role.statements): X-Ray takes only '*'. */
const XRAY_GRANTS = { 'xray:PutTraceSegments': [], 'xray:PutTelemetryRecords': [] };
const XRAY_UNSCOPED = { 'xray:PutTraceSegments': '"*"', 'xray:PutTelemetryRecords': '"*"' };

type StageParams = Record<string, string | number>;

interface ServerlessConfig {
  params: Record<string, StageParams>;
}

function stageParams(stage: string): StageParams {
  const { params } = loadYaml<ServerlessConfig>(new URL('../../serverless.yml', import.meta.url));
  return { ...params.default, ...(params[stage] ?? {}) };
}

/** Stand-in values for what CloudFormation resolves at deploy time, so a bundle can be loaded offline. */
function offlineEnvironment(variables: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[name] = value;
    else {
      const [logicalId] = referencedLogicalIds(value);
      if (logicalId === undefined) throw new Error(`cannot stand in for ${name}=${JSON.stringify(value)}`);
      env[name] = `${STAGE}-${logicalId}`;
    }
  }
  return env;
}

/** Imports a bundle in a fresh Node (the runtime running this test: 22), outside the repository's node_modules. */
/** The functions whose bundles are invoked, and the path each is called with. */
const INVOKED: Record<string, string> = {
  HealthLambdaFunction: '/health',
  GetOpenApiLambdaFunction: '/openapi.yaml',
};

function loadBundle(
  file: string,
  exportName: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Only /health and /openapi.yaml are invoked: they touch nothing; the others are loaded, since calling them
  // would reach AWS.
  const script = `
    const mod = await import(${JSON.stringify(`file://${file}`)});
    const handler = mod[${JSON.stringify(exportName)}];
    const out = { handlerType: typeof handler };
    if (process.env.INVOKE) {
      const event = { httpMethod: 'GET', path: process.env.INVOKE, resource: process.env.INVOKE, headers: {}, body: null,
        isBase64Encoded: false, pathParameters: null, queryStringParameters: null,
        requestContext: { requestId: 'package-test' } };
      const context = { functionName: 'health', awsRequestId: 'package-test', getRemainingTimeInMillis: () => 5000 };
      const response = await handler(event, context);
      out.statusCode = response.statusCode;
      out.body = response.body;
    }
    process.stdout.write(JSON.stringify(out));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dirname(file),
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function roleStatements(role: CfnResource): PolicyStatement[] {
  const policies = asArray(
    role.Properties?.Policies as { PolicyDocument: { Statement: PolicyStatement[] } }[],
  );
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function isLogStatement(statement: PolicyStatement): boolean {
  return asArray(statement.Action).every((action) => action.startsWith('logs:'));
}

/** `/v1/items/{itemId}` from a method's ResourceId, walking the ParentId chain up to the API root. */
function methodPath(template: CfnTemplate, resourceId: unknown): string {
  const parts: string[] = [];
  let current = resourceId;
  for (;;) {
    const [logicalId] = referencedLogicalIds(current);
    if (logicalId === undefined) throw new Error(`unresolvable API resource ${JSON.stringify(current)}`);
    if (logicalId === 'ApiGatewayRestApi') break;
    const apiResource = resource(template, logicalId);
    parts.unshift(String(apiResource.Properties?.PathPart));
    current = apiResource.Properties?.ParentId;
  }
  return `/${parts.join('/')}`;
}

describe('Infrastructure: sls package --stage ci', () => {
  let outDir: string;
  let template: CfnTemplate;
  const params = stageParams(STAGE);

  beforeAll(async () => {
    outDir = await packagedStage(STAGE);
    template = loadJson<CfnTemplate>(join(outDir, 'cloudformation-template-update-stack.json'));
  }, PACKAGE_TIMEOUT_MS + 10_000);

  it('returns every function on nodejs22.x arm64 with the shared and its own environment', () => {
    // Prepare
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');

    // Act
    const names = functions.map(([logicalId]) => logicalId.replace(/LambdaFunction$/, '')).sort();

    // Assess
    expect(names).toEqual(Object.keys(FUNCTIONS).sort());
    for (const [logicalId, fn] of functions) {
      const expected = FUNCTIONS[logicalId.replace(/LambdaFunction$/, '')]!;
      const props = fn.Properties!;
      expect(props.Runtime, logicalId).toBe('nodejs22.x');
      expect(props.Architectures, logicalId).toEqual(['arm64']);
      expect(props.MemorySize, logicalId).toBe(params.lambdaMemoryMb);
      expect(props.TracingConfig, logicalId).toEqual({ Mode: 'Active' });
      const variables = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables, logicalId).toMatchObject({
        RECSYS_RUNTIME: 'aws',
        POWERTOOLS_SERVICE_NAME: 'recsys',
        POWERTOOLS_METRICS_NAMESPACE: `recsys/${STAGE}`,
        LOG_LEVEL: params.logLevel,
        RECSYS_VERSION: PACKAGE_VERSION,
      });
      for (const name of expected.env) {
        if (name === 'RECSYS_MODEL_PACKAGE_GROUP')
          expect(variables[name], logicalId).toBe(MODEL_PACKAGE_GROUP);
        else if (name === 'RECSYS_IMPRESSION_SAMPLE_RATE')
          expect(variables[name], logicalId).toBe(String(params.impressionSampleRate));
        else expect(referencedLogicalIds(variables[name]).length, `${logicalId} ${name}`).toBe(1);
      }
      expect(props.Tags, logicalId).toEqual(
        expect.arrayContaining([
          { Key: 'stage', Value: STAGE },
          { Key: 'application', Value: 'recsys' },
        ]),
      );
    }
  });

  it('returns a zip per function holding only an ESM bundle that loads on Node 22 with the template env', async () => {
    // Prepare
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const extractRoot = join(outDir, 'extracted');

    for (const [logicalId, fn] of functions) {
      const props = fn.Properties!;
      const zipPath = join(outDir, basename((props.Code as { S3Key: string }).S3Key));
      expect(existsSync(zipPath), zipPath).toBe(true);
      const handler = String(props.Handler);
      const bundlePath = `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;

      // Act
      const entries = readZip(zipPath);
      const target = join(extractRoot, logicalId);
      for (const [name, bytes] of entries) {
        mkdirSync(dirname(join(target, name)), { recursive: true });
        writeFileSync(join(target, name), bytes);
      }
      const env = offlineEnvironment((props.Environment as { Variables: Record<string, unknown> }).Variables);
      // `file.export`: one file may hold the entries of several functions (the admin runs' three routes).
      const loaded = await loadBundle(join(target, bundlePath), handler.slice(handler.lastIndexOf('.') + 1), {
        ...env,
        INVOKE: INVOKED[logicalId] ?? '',
      });

      // Assess
      expect([...entries.keys()].sort(), logicalId).toEqual([bundlePath, `${bundlePath}.map`]);
      expect(loaded.code, `${logicalId}: ${loaded.stderr}`).toBe(0);
      const result = JSON.parse(loaded.stdout) as { handlerType: string; statusCode?: number; body?: string };
      expect(result.handlerType, logicalId).toBe('function');
      if (logicalId === 'HealthLambdaFunction') expect(result.statusCode).toBe(200);
      if (logicalId === 'GetOpenApiLambdaFunction') {
        // The spec travels inside the bundle: the file as it was when packaged, byte for byte.
        expect(result.statusCode).toBe(200);
        expect(result.body).toBe(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
      }
    }
  });

  it('returns one role per function whose statements name only that function’s resources', () => {
    // Prepare
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const rolesInUse = new Set<string>();

    for (const [logicalId, fn] of functions) {
      const expected = FUNCTIONS[logicalId.replace(/LambdaFunction$/, '')]!;

      // Act
      const [roleId] = referencedLogicalIds(fn.Properties!.Role);
      const statements = roleStatements(resource(template, roleId!));
      const grants: Record<string, string[]> = {};
      for (const statement of statements.filter((s) => !isLogStatement(s))) {
        for (const action of asArray(statement.Action)) {
          grants[action] = asArray(statement.Resource)
            .flatMap((r) => referencedLogicalIds(r))
            .sort();
        }
      }

      // Assess
      expect(roleId, logicalId).not.toBe('IamRoleLambdaExecution');
      expect(rolesInUse.has(roleId!), `${roleId} shared`).toBe(false);
      rolesInUse.add(roleId!);
      expect(grants, logicalId).toEqual({ ...XRAY_GRANTS, ...expected.grants });
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        for (const action of asArray(statement.Action)) expect(action, logicalId).not.toContain('*');
        const unscoped: Record<string, string> = { ...XRAY_UNSCOPED, ...expected.unscoped };
        if (asArray(statement.Action).every((a) => a in unscoped)) {
          for (const a of asArray(statement.Action))
            expect(JSON.stringify(statement.Resource), `${logicalId} ${a}`).toContain(unscoped[a]);
          continue;
        }
        for (const target of asArray(statement.Resource)) {
          expect(target, logicalId).not.toBe('*');
          if (!isLogStatement(statement)) expect(referencedLogicalIds(target).length, logicalId).toBe(1);
        }
      }
      const logs = statements.filter(isLogStatement);
      expect(logs).toHaveLength(1);
      const functionName = String(fn.Properties!.FunctionName);
      for (const target of asArray(logs[0]!.Resource)) {
        expect(JSON.stringify(target)).toContain(`:log-group:/aws/lambda/${functionName}:`);
      }
    }
  });

  it('returns the retrain schedule as a rule on the startRetrain function, none on the state machine itself', () => {
    // Act
    const rules = resourcesOfType(template, 'AWS::Events::Rule')
      .map(
        ([, r]) =>
          r.Properties as { ScheduleExpression?: string; Targets: { Arn: unknown; Input?: string }[] },
      )
      .filter((r) => r.ScheduleExpression !== undefined);

    // Assess: one schedule, its target the function (a scheduled and a manual start then share one name).
    expect(rules.map((r) => r.ScheduleExpression)).toEqual([params.retrainSchedule]);
    expect(rules[0]?.Targets.map((t) => referencedLogicalIds(t.Arn))).toEqual([
      ['StartRetrainLambdaFunction'],
    ]);
    expect(JSON.parse(rules[0]?.Targets[0]?.Input ?? '{}')).toEqual({ trigger: 'schedule' });
    expect(resourcesOfType(template, 'AWS::Lambda::Permission').map(([, p]) => p.Properties)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' }),
      ]),
    );
  });

  it('returns every route, each on its function, with an API key required on all but /health', () => {
    // Prepare
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties?.HttpMethod !== 'OPTIONS',
    );

    // Act
    const routes = methods.map(([, m]) => ({
      route: `${String(m.Properties!.HttpMethod)} ${methodPath(template, m.Properties!.ResourceId)}`,
      apiKeyRequired: m.Properties!.ApiKeyRequired === true,
      integration: JSON.stringify(m.Properties!.Integration),
    }));

    // Assess
    expect(routes.map((r) => r.route).sort()).toEqual(
      Object.values(FUNCTIONS)
        .filter((f) => f.method !== undefined)
        .map((f) => `${f.method} ${f.path}`)
        .sort(),
    );
    for (const [name, expected] of Object.entries(FUNCTIONS)) {
      if (expected.method === undefined) continue;
      const route = routes.find((r) => r.route === `${expected.method} ${expected.path}`)!;
      expect(route.apiKeyRequired, route.route).toBe(expected.apiKey);
      expect(route.integration, route.route).toContain(`"${name}LambdaFunction"`);
      expect(route.integration, route.route).toContain('AWS_PROXY');
    }
  });

  it('returns an API key bound to a usage plan throttled by the stage params', () => {
    // Prepare
    const [plans, keys, planKeys] = [
      resourcesOfType(template, 'AWS::ApiGateway::UsagePlan'),
      resourcesOfType(template, 'AWS::ApiGateway::ApiKey'),
      resourcesOfType(template, 'AWS::ApiGateway::UsagePlanKey'),
    ];

    // Act
    const [planId, plan] = plans[0]!;
    const [keyId, key] = keys[0]!;
    const binding = planKeys[0]![1].Properties!;

    // Assess
    expect([plans.length, keys.length, planKeys.length]).toEqual([1, 1, 1]);
    expect(plan.Properties!.Throttle).toEqual({
      RateLimit: params.apiRateLimit,
      BurstLimit: params.apiBurstLimit,
    });
    const stages = plan.Properties!.ApiStages as { ApiId: unknown; Stage: string }[];
    expect(stages.map((s) => [referencedLogicalIds(s.ApiId)[0], s.Stage])).toEqual([
      ['ApiGatewayRestApi', STAGE],
    ]);
    expect(key.Properties!.Enabled).toBe(true);
    expect(key.Properties).not.toHaveProperty('Value');
    expect(referencedLogicalIds(binding.KeyId)).toEqual([keyId]);
    expect(referencedLogicalIds(binding.UsagePlanId)).toEqual([planId]);
  });

  it('returns CORS preflights that allow the storefront’s origin only, one per route path', () => {
    // Prepare
    const preflights = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties?.HttpMethod === 'OPTIONS',
    );
    const routePaths = new Set(
      Object.values(FUNCTIONS)
        .filter((f) => f.method !== undefined)
        .map((f) => f.path),
    );

    // Act
    const answers = preflights.map(([, m]) => {
      const integration = m.Properties!.Integration as {
        Type: string;
        IntegrationResponses: { ResponseParameters: Record<string, unknown> }[];
      };
      return {
        path: methodPath(template, m.Properties!.ResourceId),
        type: integration.Type,
        headers: integration.IntegrationResponses[0]!.ResponseParameters,
      };
    });

    // Assess
    expect(answers.map((a) => a.path).sort()).toEqual([...routePaths].sort());
    for (const answer of answers) {
      expect(answer.type, answer.path).toBe('MOCK');
      expect(answer.headers['method.response.header.Access-Control-Allow-Origin'], answer.path).toEqual({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a JS template
        'Fn::Sub': "'https://${WebDistribution.DomainName}'",
      });
      expect(answer.headers['method.response.header.Vary'], answer.path).toBe("'Origin'");
    }
  });

  it('returns JSON gateway responses with CORS for API Gateway’s own 4xx and 5xx', () => {
    // Prepare
    const responses = resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse').map(
      ([, r]) => r.Properties!,
    );

    // Act
    const byType = new Map(responses.map((r) => [String(r.ResponseType), r]));

    // Assess
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      const response = byType.get(type);
      expect(response, type).toBeDefined();
      expect(referencedLogicalIds(response!.RestApiId)).toEqual(['ApiGatewayRestApi']);
      expect(response!.ResponseParameters).toHaveProperty(
        'gatewayresponse.header.Access-Control-Allow-Origin',
      );
      const body = (response!.ResponseTemplates as Record<string, string>)['application/json']!;
      expect(body).toContain('$context.requestId');
      // The body must stay valid JSON once API Gateway substitutes its variables.
      const rendered = body
        .replace('$context.error.messageString', JSON.stringify('Forbidden'))
        .replaceAll(/\$context\.[A-Za-z.]+/g, 'x');
      expect(() => JSON.parse(rendered)).not.toThrow();
    }
  });

  it('returns KMS-encrypted log groups kept logRetentionDays: functions, API access log, state machine, Firehose', () => {
    // Prepare
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    const names = groups.map(([, g]) => String(g.Properties!.LogGroupName));
    const machine = resource(template, 'RetrainStateMachine').Properties!;

    // Assess
    for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function'))
      expect(names).toContain(`/aws/lambda/${String(fn.Properties!.FunctionName)}`);
    expect(names).toEqual(
      expect.arrayContaining([
        `/aws/api-gateway/recsys-${STAGE}`,
        `/aws/vendedlogs/states/recsys-${STAGE}-retrain`,
      ]),
    );
    for (const [id, group] of groups) {
      expect(group.Properties!.RetentionInDays, id).toBe(params.logRetentionDays);
      expect(group.Properties!.KmsKeyId, id).toEqual({ 'Fn::GetAtt': ['ObservabilityKey', 'Arn'] });
    }
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    // Failed states only, and never the execution's input and output (shoppers' ids).
    expect(machine.LoggingConfiguration).toEqual({
      Level: params.stateMachineLogLevel,
      IncludeExecutionData: false,
      Destinations: [
        { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['RetrainStateMachineLogGroup', 'Arn'] } } },
      ],
    });
  });

  it('returns X-Ray on the API stage and JSON access logs, applied by the framework after the stack deploys', () => {
    // Prepare: the stage's tracing and access log settings are not template resources; the framework sets them on
    // the stage from the packaged service state, the account's log role from ApiGatewayAccount.
    const state = loadJson<{
      service: { provider: { tracing: unknown; logs: { restApi: Record<string, unknown> } } };
    }>(join(outDir, 'serverless-state.json'));
    const { tracing, logs } = state.service.provider;

    // Act
    const format = String(logs.restApi.format);
    const line = JSON.parse(format.replaceAll(/\$context\.[A-Za-z.]+/g, 'x')) as Record<string, string>;

    // Assess
    expect(tracing).toEqual({ apiGateway: true, lambda: true });
    expect(logs.restApi).toMatchObject({
      accessLogging: true,
      executionLogging: false,
      roleManagedExternally: true,
    });
    expect(Object.keys(line)).toEqual(
      expect.arrayContaining(['requestId', 'status', 'latencyMs', 'resource', 'xrayTraceId']),
    );
    expect(resource(template, 'ApiGatewayAccount').Properties!.CloudWatchRoleArn).toEqual({
      'Fn::GetAtt': ['ApiGatewayCloudWatchRole', 'Arn'],
    });
  });

  it('returns a retained lake bucket: encrypted, versioned, private, owner-enforced, TLS-only, tiered raw zone', () => {
    // Prepare
    const bucket = resource(template, 'LakeBucket');
    const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy').filter(
      ([, p]) => referencedLogicalIds(p.Properties!.Bucket)[0] === 'LakeBucket',
    );

    // Act
    const props = bucket.Properties!;
    const sse = (
      props.BucketEncryption as {
        ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string } }[];
      }
    ).ServerSideEncryptionConfiguration;
    const statements = policies.flatMap(
      ([, p]) => (p.Properties!.PolicyDocument as { Statement: PolicyStatement[] }).Statement,
    );
    const tlsDeny = statements.find(
      (s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
    );
    const rules = (props.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    const raw = rules.find((r) => r.Prefix === 'raw/');

    // Assess
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(['AES256', 'aws:kms']).toContain(sse[0]?.ServerSideEncryptionByDefault.SSEAlgorithm);
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(tlsDeny).toBeDefined();
    expect(tlsDeny!.Principal).toBe('*');
    expect(asArray(tlsDeny!.Action)).toEqual(['s3:*']);
    expect(asArray(tlsDeny!.Resource).map((r) => JSON.stringify(r))).toEqual([
      JSON.stringify({ 'Fn::GetAtt': ['LakeBucket', 'Arn'] }),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JS template
      JSON.stringify({ 'Fn::Sub': '${LakeBucket.Arn}/*' }),
    ]);
    expect(raw).toMatchObject({
      Status: 'Enabled',
      Transitions: [
        { StorageClass: 'STANDARD_IA', TransitionInDays: params.rawInfrequentAccessDays },
        { StorageClass: 'GLACIER_IR', TransitionInDays: params.rawGlacierDays },
      ],
      NoncurrentVersionExpiration: { NoncurrentDays: params.noncurrentVersionDays },
    });
  });

  it('returns Direct PUT Firehose streams into year/month/day partitions, GZIP, error prefix, encrypted, logged', () => {
    for (const [zone, logicalId] of [
      ['events', 'EventsDeliveryStream'],
      ['items', 'ItemsDeliveryStream'],
    ] as const) {
      // Prepare
      const stream = resource(template, logicalId).Properties!;

      // Act
      const destination = stream.ExtendedS3DestinationConfiguration as Record<string, unknown>;
      const logging = destination.CloudWatchLoggingOptions as Record<string, unknown>;

      // Assess
      expect(stream.DeliveryStreamType).toBe('DirectPut');
      expect(stream.DeliveryStreamName).toBe(`recsys-${STAGE}-${zone}`);
      expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
      expect(referencedLogicalIds(destination.BucketARN)).toEqual(['LakeBucket']);
      expect(destination.Prefix).toBe(
        `raw/${zone}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
      );
      expect(destination.ErrorOutputPrefix).toBe(
        `errors/${zone}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
      );
      expect(destination.CompressionFormat).toBe('GZIP');
      expect(destination.BufferingHints).toEqual({
        SizeInMBs: params.firehoseBufferMiB,
        IntervalInSeconds: params.firehoseBufferSeconds,
      });
      expect(logging.Enabled).toBe(true);
      expect(referencedLogicalIds(logging.LogGroupName)).toHaveLength(1);
      expect(referencedLogicalIds(logging.LogStreamName)).toHaveLength(1);
      expect(referencedLogicalIds(destination.RoleARN)).toEqual(['FirehoseDeliveryRole']);
    }
  });

  it('returns a Firehose delivery role trusted by Firehose only, with exactly its S3 actions on the lake', () => {
    // Prepare
    const role = resource(template, 'FirehoseDeliveryRole').Properties!;

    // Act
    const trust = (role.AssumeRolePolicyDocument as { Statement: PolicyStatement[] }).Statement;
    const statements = roleStatements({ Type: 'AWS::IAM::Role', Properties: role });
    const s3 = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('s3:')));
    const s3Actions = s3.flatMap((s) => asArray(s.Action)).sort();
    const s3Targets = s3.flatMap((s) => asArray(s.Resource).map((r) => JSON.stringify(r)));

    // Assess
    expect(trust).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' } }),
    ]);
    expect(s3Actions).toEqual([
      's3:AbortMultipartUpload',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:PutObject',
    ]);
    for (const target of s3Targets) expect(target).toContain('LakeBucket');
    for (const statement of statements) {
      for (const action of asArray(statement.Action)) expect(action).not.toContain('*');
      for (const target of asArray(statement.Resource)) expect(target).not.toBe('*');
    }
  });

  it('returns every DynamoDB table with point-in-time recovery and encryption', () => {
    // Prepare
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');

    // Act
    const unprotected = tables
      .filter(
        ([, t]) =>
          (t.Properties?.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean })
            ?.PointInTimeRecoveryEnabled !== true,
      )
      .map(([logicalId]) => logicalId);

    // Assess
    expect(tables.map(([logicalId]) => logicalId).sort()).toEqual([
      'ActivityTable',
      'CatalogTable',
      'DeploymentTable',
      'ExperimentCountersTable',
      'FeedbackTable',
      'LiveCountersTable',
      'RecommendationListsTable',
      'UsersTable',
    ]);
    expect(unprotected).toEqual([]);
    for (const [logicalId, table] of tables)
      expect(table.Properties?.SSESpecification, logicalId).toMatchObject({ SSEEnabled: true });
  });

  it("returns every DynamoDB table in the stage's capacity mode: on-demand, or provisioned with the stage's units", () => {
    // Prepare
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
    const conditions = (template as unknown as { Conditions?: Record<string, unknown> }).Conditions;

    // Assess: the mode is the param; the units exist only when the condition holds (PROVISIONED).
    expect(params.tableBillingMode).toBe('PAY_PER_REQUEST');
    expect(conditions?.ProvisionedTables).toEqual({ 'Fn::Equals': ['PAY_PER_REQUEST', 'PROVISIONED'] });
    for (const [logicalId, table] of tables) {
      expect(table.Properties?.BillingMode, logicalId).toEqual({
        'Fn::If': ['ProvisionedTables', 'PROVISIONED', 'PAY_PER_REQUEST'],
      });
      expect(table.Properties?.ProvisionedThroughput, logicalId).toEqual({
        'Fn::If': [
          'ProvisionedTables',
          { ReadCapacityUnits: params.tableReadCapacity, WriteCapacityUnits: params.tableWriteCapacity },
          { Ref: 'AWS::NoValue' },
        ],
      });
    }
  });

  it('returns both DynamoDB tables with point-in-time recovery, encryption, and TTL on activity', () => {
    // Prepare
    const catalog = resource(template, 'CatalogTable').Properties!;
    const activity = resource(template, 'ActivityTable').Properties!;

    // Act
    const tables = [catalog, activity];

    // Assess
    for (const table of tables) {
      expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.SSESpecification).toMatchObject({ SSEEnabled: true });
    }
    expect(catalog.TableName).toBe(`recsys-${STAGE}-catalog`);
    expect(activity.TableName).toBe(`recsys-${STAGE}-activity`);
    expect(catalog.KeySchema).toEqual([{ AttributeName: 'itemId', KeyType: 'HASH' }]);
    expect(activity.KeySchema).toEqual([
      { AttributeName: 'shopperKey', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(activity.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('returns an Athena workgroup over the Glue database with enforced, encrypted results and three named queries', () => {
    // Prepare
    const [[workGroupId, workGroup]] = resourcesOfType(template, 'AWS::Athena::WorkGroup') as [
      [string, CfnResource],
    ];
    const queries = resourcesOfType(template, 'AWS::Athena::NamedQuery');

    // Act
    const config = workGroup.Properties!.WorkGroupConfiguration as Record<string, unknown>;
    const results = config.ResultConfiguration as {
      OutputLocation: unknown;
      EncryptionConfiguration: unknown;
    };
    const database = resource(template, 'GlueDatabase').Properties!.DatabaseInput as { Name: string };

    // Assess
    expect(workGroup.Properties!.Name).toBe(`recsys-${STAGE}`);
    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(Number(config.BytesScannedCutoffPerQuery)).toBe(Number(params.athenaBytesScannedCutoff));
    expect(results.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(referencedLogicalIds(results.OutputLocation)).toEqual(['LakeBucket']);
    expect(JSON.stringify(results.OutputLocation)).toContain('/athena-results/');
    expect(queries.map(([, q]) => q.Properties!.Name).sort()).toEqual([
      'active-shoppers-per-day',
      'events-per-day-and-type',
      'top-items-last-30-days',
    ]);
    for (const [logicalId, query] of queries) {
      expect(query.Properties!.Database, logicalId).toBe(database.Name);
      expect(referencedLogicalIds(query.Properties!.WorkGroup), logicalId).toEqual([workGroupId]);
      expect(String(query.Properties!.QueryString), logicalId).toMatch(/\bFROM events\b/);
    }
  });

  it('returns a Glue crawler over the four raw zones whose role may list and read those prefixes only', () => {
    // Prepare
    const [[, crawler]] = resourcesOfType(template, 'AWS::Glue::Crawler') as [[string, CfnResource]];
    const zones = ['events', 'items', 'users', 'impressions'];

    // Act
    const targets = (crawler.Properties!.Targets as { S3Targets: { Path: unknown }[] }).S3Targets;
    const role = resource(template, 'RawEventsCrawlerRole').Properties!;
    const statements = (
      role.Policies as {
        PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
    const list = statements.find((st) => st.Action === 's3:ListBucket')!;
    const get = statements.find((st) => st.Action === 's3:GetObject')!;

    // Assess
    expect(targets.map((t) => JSON.stringify(t.Path))).toEqual(
      zones.map((z) => JSON.stringify({ 'Fn::Sub': `s3://\${LakeBucket}/raw/${z}/` })),
    );
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': zones.map((z) => `raw/${z}/*`) } });
    expect((get.Resource as unknown[]).map((r) => JSON.stringify(r))).toEqual(
      zones.map((z) => JSON.stringify({ 'Fn::Sub': `\${LakeBucket.Arn}/raw/${z}/*` })),
    );
  });

  it('returns outputs naming the bucket, streams, tables and the API URL', () => {
    // Prepare
    const outputs = template.Outputs ?? {};

    // Act
    const refs = Object.fromEntries(
      Object.entries(outputs).map(([name, o]) => [name, referencedLogicalIds(o.Value)[0]]),
    );

    // Assess
    expect(refs).toMatchObject({
      LakeBucketName: 'LakeBucket',
      EventsDeliveryStreamName: 'EventsDeliveryStream',
      ItemsDeliveryStreamName: 'ItemsDeliveryStream',
      CatalogTableName: 'CatalogTable',
      ActivityTableName: 'ActivityTable',
    });
    expect(JSON.stringify(outputs.ServiceEndpoint?.Value)).toContain('ApiGatewayRestApi');
    expect(JSON.stringify(outputs.ServiceEndpoint?.Value)).toContain(`/${STAGE}`);
  });
});

describe('Infrastructure: stage params in serverless.yml', () => {
  // Limits that CloudFormation only reports at deploy time, checked for every stage before anyone deploys.
  for (const stage of ['dev', 'staging', 'prod', 'ci']) {
    it(`returns ${stage} params that S3 lifecycle, Firehose and API Gateway accept`, () => {
      // Prepare
      const config = loadYaml<ServerlessConfig>(new URL('../../serverless.yml', import.meta.url));

      // Act
      const p = stageParams(stage);

      // Assess
      expect(Object.keys(config.params)).toEqual(
        expect.arrayContaining(['default', 'dev', 'staging', 'prod']),
      );
      expect(['DEBUG', 'INFO', 'WARN', 'ERROR']).toContain(p.logLevel);
      expect(Number(p.firehoseBufferMiB)).toBeGreaterThanOrEqual(1);
      expect(Number(p.firehoseBufferMiB)).toBeLessThanOrEqual(128);
      expect(Number(p.firehoseBufferSeconds)).toBeGreaterThanOrEqual(0);
      expect(Number(p.firehoseBufferSeconds)).toBeLessThanOrEqual(900);
      // S3: STANDARD_IA no earlier than day 30, and GLACIER_IR at least 30 days after STANDARD_IA.
      expect(Number(p.rawInfrequentAccessDays)).toBeGreaterThanOrEqual(30);
      expect(Number(p.rawGlacierDays) - Number(p.rawInfrequentAccessDays)).toBeGreaterThanOrEqual(30);
      expect(Number(p.noncurrentVersionDays)).toBeGreaterThanOrEqual(1);
      expect(Number(p.apiBurstLimit)).toBeGreaterThanOrEqual(Number(p.apiRateLimit));
      expect(Number(p.lambdaMemoryMb)).toBeGreaterThanOrEqual(128);
      expect(Number(p.lambdaMemoryMb)).toBeLessThanOrEqual(10_240);
    });
  }
});
