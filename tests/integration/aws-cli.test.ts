import { gzipSync } from 'node:zlib';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStartRetrain } from '../../functions/pipeline/start-retrain/start-retrain.ts';
import { createDynamoDbPublicationStore } from '../../shared/adapters/aws/dynamodb-publication-store.ts';
import { describeS3Lake } from '../../shared/adapters/aws/s3-lake-description.ts';
import { createStepFunctionsExecutions } from '../../shared/adapters/aws/step-functions-executions.ts';
import { DEFAULT_ASSUMPTIONS } from '../../shared/cost/assumptions.ts';
import { parsePriceSheet } from '../../shared/cost/prices.ts';
import { trainingRun } from '../../shared/cost/training.ts';
import type { PublicationStore } from '../../shared/ports/publication-store.ts';
import { ExecutionAlreadyExistsError } from '../../shared/ports/retrain-executions.ts';
import { createModelPackageInput } from '../../shared/registry/model-package.ts';
import { retrainExecutionName } from '../../shared/registry/start-retrain.ts';
import { manifest } from '../contract/model-registry.contract.ts';
import { type CliRun, runCli } from '../fixtures/training-data.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { loadJson, loadYaml } from '../helpers/cloudformation.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';

/**
 * `recsys … --aws --stage dev` through the real CLI entry (node local/cli/bin.js) against the stand-ins: the stack
 * recsys-dev in moto_server names a state machine, a lake bucket and a package group in moto and the publication
 * tables in dynalite, as the deployed stack's outputs (resources/outputs.yml) name the real ones.
 */
const STAGE = 'dev';
const V1 = '20261101T000000Z-0000aaaa';
const V2 = '20261102T000000Z-0000bbbb';
const DAY = 86_400;
const NO_TRACE = /\n\s+at /;

let moto: MotoServer;
let dynalite: Dynalite;
let sfn: SFNClient;
let s3: S3Client;
let sagemaker: SageMakerClient;
let store: PublicationStore;
let stateMachineArn: string;
let env: NodeJS.ProcessEnv;
const bucket = 'recsys-dev-lake';
const lakeKeys: string[] = [];
let lakeBytes = 0;
let v1ListsExpire: number;

const cli = (args: string[]): Promise<CliRun> => runCli(args, env);

async function putLakeObject(day: string, events: number): Promise<void> {
  const lines = Array.from({ length: events }, (_, i) =>
    JSON.stringify({ eventId: `e-${day}-${i}`, type: 'view', userId: `u${i % 7}`, itemId: `i${i % 5}` }),
  );
  const body = gzipSync(`${lines.join('\n')}\n`);
  const key = `raw/events/year=2026/month=11/day=${day}/recsys-dev-events-1-2026-11-${day}-10-00-00-${day}aa.gz`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  lakeKeys.push(key);
  lakeBytes += body.length;
}

const lake = () => ({ newestKey: [...lakeKeys].sort().at(-1) as string, objects: lakeKeys.length });

async function executions() {
  const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  return out.executions ?? [];
}

async function inputOf(name: string): Promise<unknown> {
  const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  return JSON.parse(d.input ?? 'null');
}

async function register(version: string, status: 'Approved' | 'PendingManualApproval', ndcg: number) {
  await sagemaker.send(
    new CreateModelPackageCommand(
      createModelPackageInput({
        groupName: 'recsys-dev',
        status,
        manifest: manifest(version),
        artifactUri: `s3://${bucket}/models/${version}/`,
        metrics: { k: 10, 'model.ndcg': ndcg, 'baseline.ndcg': 0.1111 },
        gate: { passed: true, reasons: ['passed: model.ndcg above popularity'] },
        executionName: `retrain-${version}`,
        fingerprint: version.slice(-8),
      }),
    ),
  );
}

beforeAll(async () => {
  [moto, dynalite] = await Promise.all([startMotoServer(), startDynalite()]);
  const config = awsClientConfig(moto.endpoint);
  sfn = new SFNClient(config);
  s3 = new S3Client(config);
  sagemaker = new SageMakerClient(config);
  const tables = await dynalite.createPublicationTables();
  store = createDynamoDbPublicationStore({ client: dynalite.client, ...tables });

  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await putLakeObject('01', 40);
  await putLakeObject('02', 25);
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'recsys-dev-retrain',
      roleArn: 'arn:aws:iam::123456789012:role/recsys-dev-retrain',
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    }),
  );
  stateMachineArn = machine.stateMachineArn as string;
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'recsys-dev' }));
  await register(V1, 'Approved', 0.2345);
  await register(V2, 'PendingManualApproval', 0.3456);
  const now = Math.floor(Date.now() / 1000);
  v1ListsExpire = now + 5 * DAY;
  await store.putRecommendations(V1, [{ userId: 'u1', items: [['i1', 1]] }], v1ListsExpire);
  await store.putRecommendations(V2, [{ userId: 'u1', items: [['i2', 1]] }], now + 30 * DAY);
  await store.putDeployment(
    { revision: 1, champion: V1, updatedAt: '2026-11-01T00:00:00.000Z', reason: 'retrain' },
    undefined,
  );

  // The stack's outputs, by the keys resources/outputs.yml declares.
  const declared = Object.keys(
    loadYaml<{ Outputs: Record<string, unknown> }>(new URL('../../resources/outputs.yml', import.meta.url))
      .Outputs,
  );
  const values: Record<string, string> = {
    RetrainStateMachineArn: stateMachineArn,
    RecommendationListsTableName: tables.listsTable,
    DeploymentTableName: tables.deploymentTable,
    LakeBucketName: bucket,
    ModelPackageGroupName: 'recsys-dev',
  };
  expect(declared).toEqual(expect.arrayContaining(Object.keys(values)));
  const cfn = new CloudFormationClient(config);
  await cfn.send(
    new CreateStackCommand({
      StackName: 'recsys-dev',
      TemplateBody: JSON.stringify({
        Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { Value: v }])),
      }),
    }),
  );
  cfn.destroy();

  env = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_PROFILE: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}, 90_000);

afterAll(async () => {
  for (const c of [sfn, s3, sagemaker]) c?.destroy();
  await Promise.all([moto?.stop(), dynalite?.stop()]);
});

describe('CLI: recsys … --aws --stage (stack outputs → the deployed resources)', () => {
  it('exits 1 naming the problem: --aws without --stage, a stage with no stack, --dry-run without --aws', async () => {
    // Act
    const noStage = await cli(['retrain', '--aws']);
    const noStack = await cli(['models', '--aws', '--stage', 'nope']);
    const localDryRun = await cli(['retrain', '--dry-run', '--data-dir', '/nonexistent']);

    // Assess
    expect(noStage.code).toBe(1);
    expect(noStage.stderr).toBe(
      'error: --aws needs --stage NAME: which deployed stage (stack recsys-<stage>) to act on\n',
    );
    expect(noStack.code).toBe(1);
    expect(noStack.stderr).toMatch(/^error: no stack recsys-nope in us-east-1: deploy the stage/);
    expect(noStack.stderr).not.toMatch(NO_TRACE);
    expect(localDryRun.code).toBe(1);
    expect(localDryRun.stderr).toContain('--dry-run goes with --aws');
  });

  it('prints the dry run: the execution it would start, the lake, the cluster and the run’s cost; starts nothing', async () => {
    // Prepare
    const sheet = parsePriceSheet(
      loadJson(new URL('../../shared/cost/prices-eu-west-1.json', import.meta.url)),
      'prices',
    );
    const events = Math.round((lakeBytes * 5) / 250);
    const run = trainingRun(
      {
        eventsPerDay: events,
        historyDays: 1,
        engine: 'emr',
        shoppers: 0,
        products: 0,
        requestsPerSecond: 0,
        runsPerMonth: 1,
        eventsPerRequest: 1,
      },
      { coreCount: 2, instanceType: 'm6g.xlarge' } as never,
      DEFAULT_ASSUMPTIONS,
      sheet.prices,
      sheet.instances['m6g.xlarge'] as never,
    );

    // Act
    const dry = await cli(['retrain', '--aws', '--stage', STAGE, '--dry-run']);

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    const name = retrainExecutionName(lake(), { stage: STAGE, model: 'auto' });
    expect(dry.stdout.split('\n')).toEqual([
      'dry run on stack recsys-dev: nothing started',
      `  execution  ${name} would start (input {"trigger":"cli","model":"auto"})`,
      `  lake       s3://${bucket}/raw/events/: 2 objects, ${(lakeBytes / 1024 / 1024).toFixed(2)} MiB ≈ ${events} events`,
      '  cluster    3 × m6g.xlarge (1 primary + 2 core), 8 vCPUs training',
      `  estimate   ${(run.seconds / 60).toFixed(1)} min, $${run.usd.toFixed(2)} (3 × ${(run.seconds / 3600).toFixed(3)} h × $${run.usdPerInstanceHour.toFixed(4)}/instance-hour; eu-west-1 prices as of ${sheet.pricesAsOf})`,
      '',
    ]);
    expect(events).toBe(
      Math.round((lakeBytes * DEFAULT_ASSUMPTIONS.gzipRatio) / DEFAULT_ASSUMPTIONS.eventBytes),
    );
    expect(await executions()).toEqual([]);
  });

  it('starts one execution named by the data, republishes lists about to expire, and a second start is a no-op', async () => {
    // Act
    const first = await cli(['retrain', '--aws', '--stage', STAGE]);
    const second = await cli(['retrain', '--aws', '--stage', STAGE]);

    // Assess
    const name = retrainExecutionName(lake(), { stage: STAGE, model: 'auto' });
    const refresh = `refresh-${V1}-${v1ListsExpire}`;
    const arn = (n: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${n}`;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      `started ${name} (${arn(name)})\nlists about to expire: started ${refresh} (${arn(refresh)})\n`,
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      new RegExp(
        `^${name}: already started \\(RUNNING since 20\\d\\d-[-\\dT:.]+Z\\): nothing to do\nlists about to expire: ${refresh}: already started \\(RUNNING since [-\\dT:.]+Z\\): nothing to do\n$`,
      ),
    );
    expect((await executions()).map((e) => e.name).sort()).toEqual([refresh, name].sort());
    expect(await inputOf(name)).toEqual({ trigger: 'cli', model: 'auto' });
    expect(await inputOf(refresh)).toEqual({
      publishVersion: V1,
      reason: `refresh lists of ${V1} (expiring ${new Date(v1ListsExpire * 1000).toISOString()})`,
    });
  });

  it('trains once when the schedule (the start-retrain Lambda) and a person start at the same moment', async () => {
    // Prepare: new data, so a new name; the Lambda's factory on the same stand-ins as its handler.ts binds.
    await putLakeObject('03', 10);
    const config = awsClientConfig(moto.endpoint);
    const schedule = createStartRetrain({
      describeLake: describeS3Lake({ client: s3, bucket }),
      executions: createStepFunctionsExecutions({ client: new SFNClient(config), stateMachineArn }),
      stage: STAGE,
      model: 'auto',
    });
    const name = retrainExecutionName(lake(), { stage: STAGE, model: 'auto' });

    // Act
    const [scheduled, manual] = await Promise.all([
      schedule({ trigger: 'schedule' }),
      cli(['retrain', '--aws', '--stage', STAGE]),
    ]);

    // Assess
    expect(manual.code, manual.stderr).toBe(0);
    const started = [scheduled.retrain.outcome === 'started', manual.stdout.startsWith(`started ${name} `)];
    expect(started.filter(Boolean)).toHaveLength(1);
    expect(scheduled.retrain.name).toBe(name);
    if (scheduled.retrain.outcome === 'started') expect(manual.stdout).toContain(`${name}: already started`);
    expect((await executions()).filter((e) => e.name?.startsWith(name))).toHaveLength(1);
  });

  it('reports a taken name as ExecutionAlreadyExistsError (the adapter under the use case)', async () => {
    // Prepare
    const executions = createStepFunctionsExecutions({ client: sfn, stateMachineArn });
    const name = retrainExecutionName(lake(), { stage: STAGE, model: 'auto' });

    // Act
    const taken = executions.start(name, { trigger: 'someone else', model: 'auto' });

    // Assess
    await expect(taken).rejects.toBeInstanceOf(ExecutionAlreadyExistsError);
    await expect(taken).rejects.toThrow(`an execution named ${name} exists already`);
    expect(await executions.describe('never-started')).toBeUndefined();
  });

  it('retries data whose execution was stopped under the next attempt’s name', async () => {
    // Prepare
    const name = retrainExecutionName(lake(), { stage: STAGE, model: 'auto' });
    await sfn.send(
      new StopExecutionCommand({
        executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      }),
    );

    // Act
    const retry = await cli(['retrain', '--aws', '--stage', STAGE]);

    // Assess
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toMatch(new RegExp(`^started ${name}-2 \\(`));
  });

  it('lists the stage’s registered versions like `recsys models`, with the champion from the deployment table', async () => {
    // Act
    const models = await cli(['models', '--aws', '--stage', STAGE]);

    // Assess
    expect(models.code, models.stderr).toBe(0);
    expect(models.stdout.split('\n')).toEqual([
      '#    version                    status                 nDCG@10  popularity  gate    serves',
      `2    ${V2}  PendingManualApproval    0.3456      0.1111  passed  `,
      `1    ${V1}  Approved                 0.2345      0.1111  passed  champion`,
      '',
    ]);
  });

  it('approves through UpdateModelPackage, and refuses a version the group does not hold', async () => {
    // Act
    const approved = await cli(['approve', V2, '--aws', '--stage', STAGE, '--description', 'looked good']);
    const unknown = await cli(['reject', '20990101T000000Z-00000000', '--aws', '--stage', STAGE]);

    // Assess
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe(
      `${V2}: Approved; the modelApproval Lambda publishes and activates it (recsys runs --aws --stage dev)\n`,
    );
    const list = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: 'recsys-dev' }));
    const described = await Promise.all(
      (list.ModelPackageSummaryList ?? []).map((s) =>
        sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: s.ModelPackageArn })),
      ),
    );
    const v2 = described.find((d) => d.CustomerMetadataProperties?.modelVersion === V2);
    expect(v2).toMatchObject({ ModelApprovalStatus: 'Approved', ApprovalDescription: 'looked good' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'error: 20990101T000000Z-00000000 is not registered in recsys-dev (see recsys models --aws --stage dev)\n',
    );
  });

  it('rolls back by starting the state machine in publish mode', async () => {
    // Act
    const rollback = await cli(['rollback', V1, '--aws', '--stage', STAGE]);

    // Assess
    expect(rollback.code, rollback.stderr).toBe(0);
    const name = rollback.stdout.match(/^started (rollback-\S+) \(/)?.[1] as string;
    expect(name).toMatch(new RegExp(`^rollback-${V1}-\\d{13}$`));
    expect(rollback.stdout).toContain(`: ${V1}'s lists are republished, then it serves`);
    expect(await inputOf(name)).toEqual({ publishVersion: V1, reason: `rollback to ${V1}` });
  });

  it('prints the executions like `recsys runs`: status, last state, model, slowest state', async () => {
    // Act
    const text = await cli(['runs', '--aws', '--stage', STAGE]);
    const json = await cli(['runs', '--aws', '--stage', STAGE, '--json']);

    // Assess
    expect(text.code, text.stderr).toBe(0);
    const runs = JSON.parse(json.stdout) as { name: string; status: string; modelVersion?: string }[];
    // The first data's retrain and V1's refresh, the second data's stopped retrain and its retry, the rollback.
    expect(runs.map((r) => r.name.replace(/[\da-f]{16}/, 'FP').replace(/\d{13}$/, 'MS'))).toEqual([
      'retrain-FP',
      `refresh-${V1}-${v1ListsExpire}`,
      'retrain-FP',
      'retrain-FP-2',
      `rollback-${V1}-MS`,
    ]);
    const rollback = runs.find((r) => r.name.startsWith('rollback-'));
    expect(rollback).toMatchObject({
      status: 'RUNNING',
      outcome: 'A State',
      modelVersion: V1,
      // moto_server's canned history: one Pass state entered and left at the same instant.
      states: [{ name: 'A State', status: 'SUCCEEDED', enteredAt: '2020-01-01T00:00:10.000Z', seconds: 0 }],
    });
    expect(runs.filter((r) => r.status === 'ABORTED')).toHaveLength(1);
    expect(text.stdout).toMatch(
      new RegExp(
        `^\\S+Z  RUNNING   A State\\s+[\\d.]+ s  ${rollback?.name}  model ${V1}  \\(slowest: A State 0\\.0 s\\)$`,
        'm',
      ),
    );
  });

  it('starts and promotes an experiment in the deployment table', async () => {
    // Act
    const unknown = await cli([
      'experiment',
      'start',
      'x',
      '--challenger',
      'nope',
      '--aws',
      '--stage',
      STAGE,
    ]);
    const started = await cli([
      'experiment',
      'start',
      'exp1',
      '--challenger',
      V2,
      '--weight',
      '0.2',
      '--aws',
      '--stage',
      STAGE,
    ]);
    const during = await store.getDeployment();
    const promoted = await cli(['experiment', 'promote', 'exp1', '--aws', '--stage', STAGE]);
    const after = await store.getDeployment();

    // Assess
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: nope is not registered in recsys-dev\n');
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toBe(
      `experiment exp1 started — revision 2: champion ${V1}; experiment exp1: champion=${V1} (0.8), challenger=${V2} (0.2)\n`,
    );
    expect(during?.experiment?.variants).toEqual([
      { name: 'champion', modelVersion: V1, weight: 0.8 },
      { name: 'challenger', modelVersion: V2, weight: 0.2 },
    ]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toBe(`experiment exp1 promoted — revision 3: champion ${V2}\n`);
    expect(after).toMatchObject({ revision: 3, champion: V2, previousChampion: V1 });
  });

  it('renews the serving lists on schedule even when there is nothing to retrain on', async () => {
    // Prepare: the champion (V2 since the promotion) has lists expiring in three days; an empty lake.
    const expiresAt = Math.floor(Date.now() / 1000) + 3 * DAY;
    await store.putRecommendations(V2, [{ userId: 'u1', items: [['i2', 1]] }], expiresAt);
    await s3.send(new CreateBucketCommand({ Bucket: 'recsys-dev-empty' }));
    const schedule = createStartRetrain({
      describeLake: describeS3Lake({ client: s3, bucket: 'recsys-dev-empty' }),
      executions: createStepFunctionsExecutions({ client: sfn, stateMachineArn }),
      publications: store,
      stage: STAGE,
      model: 'auto',
    });

    // Act
    const run = schedule({ trigger: 'schedule' });

    // Assess
    await expect(run).rejects.toThrow('the raw events zone is empty');
    expect(await inputOf(`refresh-${V2}-${expiresAt}`)).toEqual({
      publishVersion: V2,
      reason: `refresh lists of ${V2} (expiring ${new Date(expiresAt * 1000).toISOString()})`,
    });
  });
});
