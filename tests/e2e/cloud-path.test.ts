import { randomUUID } from 'node:crypto';
import { GetCrawlerCommand, GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ListModelPackagesCommand } from '@aws-sdk/client-sagemaker';
import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemTitle, plantedRecords } from '../fixtures/training-data.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import type { ExecutionRecord } from '../helpers/cloud/executions.ts';
import { type StandInOperator, standInOperator } from '../helpers/cloud/operator.ts';
import { deployStandInStage, type StandInStage } from '../helpers/cloud/stack.ts';

/**
 * The deployed system, offline: `sls package`'s artifacts and template "deployed" to moto_server and dynalite
 * (tests/helpers/cloud), the packaged Lambdas run with the environment the template gives them, and the packaged
 * state machine run by aws-local-stepfunctions with its EMR step running the real job. One shop, start to finish.
 */
const API_KEY = 'standin-key';
const USERS = 120;
const ITEMS = 40;

let stage: StandInStage;
let op: StandInOperator;
const timings: Record<string, number> = {};

async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[label] = (performance.now() - t0) / 1000;
  }
}

beforeAll(async () => {
  stage = await deployStandInStage('ci');
  op = standInOperator(stage, API_KEY);
}, 600_000);

afterAll(async () => {
  op?.close();
  console.log(
    `cloud path timings (s): ${JSON.stringify({ ...stage?.timings, ...timings }, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))}`,
  );
  await stage?.stop();
});

describe('the deployed system on the stand-ins', () => {
  let first: ExecutionRecord;
  let firstVersion: string;

  it('takes a catalog and shoppers’ events through the API into the lake via Firehose', async () => {
    const items = Array.from({ length: ITEMS }, (_, j) => ({
      itemId: `i${j}`,
      title: itemTitle(`i${j}`),
      categories: [['Mugs', 'Lamps', 'Vases', 'Towels'][Math.floor(j / 10)] as string],
      price: 5 + j,
    }));
    const put = await stage.api.request('PUT', '/v1/items', { apiKey: API_KEY, body: { items } });
    expect(put.statusCode, JSON.stringify(put.body)).toBe(200);
    // The storefront's origin, and no other, may call the API: on the answers and on the preflights alike.
    const storefront = `https://${stage.resolver.getAtt('WebDistribution', 'DomainName')}`;
    expect(put.headers['access-control-allow-origin']).toBe(storefront);
    const preflight = await stage.api.request('OPTIONS', '/v1/items');
    expect(preflight).toMatchObject({
      statusCode: 200,
      headers: { 'access-control-allow-origin': storefront, vary: 'Origin' },
    });
    expect(preflight.headers['access-control-allow-methods']).toContain('PUT');

    const events = plantedRecords(USERS, ITEMS, 10).map((r) => ({
      eventId: randomUUID(),
      type: r.type,
      userId: r.userId,
      itemId: r.itemId,
      timestamp: new Date(r.timestamp).toISOString(),
    }));
    expect(
      await stage.api.request('POST', '/v1/events', { body: { events: events.slice(0, 1) } }),
    ).toMatchObject({
      statusCode: 403,
    });
    let accepted = 0;
    await timed('ingest', async () => {
      for (let i = 0; i < events.length; i += 500) {
        const r = await stage.api.request('POST', '/v1/events', {
          apiKey: API_KEY,
          body: { events: events.slice(i, i + 500) },
        });
        expect(r.statusCode, JSON.stringify(r.body).slice(0, 500)).toBe(202);
        accepted += (r.body as { accepted: number }).accepted;
      }
    });
    expect(accepted).toBe(USERS * 10);
    const delivered = await stage.firehose.flush();
    expect(
      delivered.every((k) =>
        /^raw\/(events|items)\/year=\d{4}\/month=\d{2}\/day=\d{2}\/recsys-ci-(events|items)-.*\.gz$/.test(k),
      ),
      delivered[0],
    ).toBe(true);
    const landed = await op.lakeLines('raw/events/');
    expect(landed).toHaveLength(USERS * 10);
    expect(new Set(landed.map((e) => e.eventId)).size).toBe(USERS * 10);
    expect((await op.lakeLines('raw/items/')).map((i) => i.itemId).sort()).toEqual(
      items.map((i) => i.itemId).sort(),
    );
  });

  it('`recsys retrain --aws --model popularity` crawls, trains on the primary node (the lake is under the threshold) once, gates, registers, publishes and activates', {
    timeout: 600_000,
  }, async () => {
    const started = await op.cli(['retrain', '--model', 'popularity']);
    expect(started.code, started.stderr).toBe(0);
    const name = /^started (retrain-[0-9a-f]+) \(/.exec(started.stdout)?.[1] as string;
    expect(name, started.stdout).toBeDefined();
    // The same data asked for again (a person, or the schedule at the same time): nothing starts.
    const again = await op.cli(['retrain', '--model', 'popularity']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${name}: already started`);
    const [run, ...more] = await timed('first retrain (single node, popularity)', () =>
      stage.stepFunctions.runPending(),
    );
    expect(more).toEqual([]);
    first = run as ExecutionRecord;
    expect(first.name).toBe(name);
    expect(first.error).toBeUndefined();
    expect(first.lastState, JSON.stringify((first.output as { evaluation?: unknown }).evaluation)).toBe(
      'Activate',
    );
    expect(first.states.map((s) => s.name)).toContain('TrainOnPrimary');
    expect(first.states.map((s) => s.name)).not.toContain('TrainStep');
    expect(first.steps[0]?.command.slice(2).join(' ')).toMatch(/--model popularity/);
    for (const s of first.states)
      timings[`single-node state ${s.name}${s.index !== undefined ? `#${s.index}` : ''}`] = s.seconds;
    firstVersion = (first.output as { model: { modelVersion: string } }).model.modelVersion;

    // The crawler ran, the cluster was created with the execution's tag, ran the step, and was terminated.
    const crawler = await new GlueClient(awsClientConfig(stage.moto.endpoint)).send(
      new GetCrawlerCommand({ Name: stage.name('RawEventsCrawler') }),
    );
    expect(crawler.Crawler?.State).toBe('READY');
    expect(crawler.Crawler?.LastCrawl?.StartTime).toBeDefined();
    const all = await op.clusters();
    expect(all).toHaveLength(1);
    expect(all[0]?.Status?.State).toBe('TERMINATED');
    expect(all[0]?.Tags).toContainEqual({ Key: 'recsys:execution', Value: first.executionArn });
    // The TypeScript trainer's route: a single-node cluster, no core node idling while the primary trains.
    expect(await op.clusterShape(first.executionArn)).toEqual(['MASTER × 1']);

    // The artifact the trainer wrote is the model asked for, where evaluate and serving read it.
    const manifest = JSON.parse(
      (await (
        await op.s3.send(
          new GetObjectCommand({
            Bucket: stage.name('LakeBucket'),
            Key: `models/${firstVersion}/manifest.json`,
          }),
        )
      ).Body?.transformToString()) ?? '{}',
    ) as { version: string; model: { kind: string } };
    expect(manifest).toMatchObject({ version: firstVersion, model: { kind: 'popularity' } });

    // Registered in the stage's model package group with the gate's verdict.
    const packages = await op.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: 'recsys-ci' }),
    );
    expect(packages.ModelPackageSummaryList?.map((p) => p.ModelApprovalStatus)).toEqual(['Approved']);

    // Every shopper's list is in DynamoDB under the version, and the version serves.
    expect((await op.publications.getDeployment())?.champion).toBe(firstVersion);
    for (const u of ['u0', 'u57', `u${USERS - 1}`]) {
      const list = await op.publications.getRecommendations(firstVersion, u);
      expect(list?.length, u).toBeGreaterThanOrEqual(10);
    }
  });

  it('serves the new version with reasons, and one new event changes the next answer', async () => {
    const before = await op.recommend('u1', '?k=10');
    expect(before.statusCode, JSON.stringify(before.body)).toBe(200);
    const body = before.body as { modelVersion: string; items: { itemId: string; reason?: unknown }[] };
    expect(body.modelVersion).toBe(firstVersion);
    expect(body.items).toHaveLength(10);
    for (const item of body.items) expect(item.reason, item.itemId).toBeDefined();
    const published = (await op.publications.getRecommendations(firstVersion, 'u1'))?.map(([id]) => id) ?? [];
    expect(published.slice(0, 3)).toContain(body.items[0]?.itemId);

    const top = body.items[0]?.itemId as string;
    const posted = await stage.api.request('POST', '/v1/events', {
      apiKey: API_KEY,
      body: {
        events: [
          {
            eventId: randomUUID(),
            type: 'purchase',
            userId: 'u1',
            itemId: top,
            timestamp: new Date().toISOString(),
          },
        ],
      },
    });
    expect(posted.statusCode).toBe(202);
    await stage.firehose.flush();
    const after = (await op.recommend('u1', '?k=10')).body as { items: { itemId: string }[] };
    expect(after.items.map((i) => i.itemId)).not.toContain(top);
  });
});

describe('a second version, approvals and rollbacks through EventBridge', () => {
  let v1: string;
  let v2: string;

  it('a run sent to Spark (the route beyond the threshold) runs the real EMR job, and its ALS version serves', {
    timeout: 900_000,
  }, async () => {
    v1 = (await op.publications.getDeployment())?.champion as string;
    const run = await timed('second retrain (Spark, als)', () =>
      op.startAndRun('manual-spark', { trigger: 'cli', engine: 'spark', model: 'als' }),
    );
    expect(run.error).toBeUndefined();
    expect(run.lastState, JSON.stringify((run.output as { evaluation?: unknown }).evaluation)).toBe(
      'Activate',
    );
    expect(run.states.map((s) => s.name)).toContain('TrainStep');
    expect(run.steps[0]?.command.join(' ')).toMatch(/spark-submit .*train_als\.py .*--model als/);
    expect(await op.clusterShape(run.executionArn)).toEqual(['CORE × 2', 'MASTER × 1']);
    for (const s of run.states)
      timings[`spark state ${s.name}${s.index !== undefined ? `#${s.index}` : ''}`] = s.seconds;
    v2 = (run.output as { model: { modelVersion: string } }).model.modelVersion;
    expect(v2).not.toBe(v1);
    expect(await op.publications.getDeployment()).toMatchObject({ champion: v2, previousChampion: v1 });
    for (const c of await op.clusters()) expect(c.Status?.State).toBe('TERMINATED');
    expect(await op.servedVersion('u5')).toBe(v2);
    const models = await op.cli(['models']);
    expect(models.code, models.stderr).toBe(0);
    expect(models.stdout).toMatch(new RegExp(`^2\\s+${v2}\\s+Approved\\s.*champion$`, 'm'));
    expect(models.stdout).toMatch(new RegExp(`^1\\s+${v1}\\s+Approved\\s`, 'm'));
  });

  /** What SageMaker puts on the bus when a package's approval changes (console, API, `recsys approve --aws`). */
  const approvalEvent = (version: string, status: 'Approved' | 'Rejected') => ({
    source: 'aws.sagemaker',
    'detail-type': 'SageMaker Model Package State Change',
    detail: {
      ModelPackageGroupName: 'recsys-ci',
      ModelApprovalStatus: status,
      LastModifiedTime: new Date().toISOString(),
      CustomerMetadataProperties: { modelVersion: version },
    },
  });

  it('rejecting the serving version rolls back to the other approved one', { timeout: 300_000 }, async () => {
    const deliveries = await stage.bus.put(approvalEvent(v2, 'Rejected'));
    // The approval function acts; the alarm topic gets the notice with the package's metrics.
    expect(deliveries.map((d) => d.target.split(':')[2]).sort()).toEqual(['lambda', 'sns']);
    expect(deliveries.find((d) => d.target.startsWith('arn:aws:lambda:'))?.result).toMatchObject({
      action: 'rolling-back',
      from: v2,
      to: v1,
    });
    expect(deliveries.find((d) => d.target.startsWith('arn:aws:sns:'))?.result).toMatch(
      /^"recsys ci: model package \S* is Rejected\."/,
    );
    const [publish] = await stage.stepFunctions.runPending();
    expect(publish?.error).toBeUndefined();
    expect(publish?.states.map((s) => s.name)).not.toContain('TrainOnPrimary');
    expect(publish?.lastState).toBe('Activate');
    expect((await op.publications.getDeployment())?.champion).toBe(v1);
    expect(await op.servedVersion('u5')).toBe(v1);
  });

  it('approving a version publishes and activates it; approving the serving one changes nothing', {
    timeout: 300_000,
  }, async () => {
    const deliveries = await stage.bus.put(approvalEvent(v2, 'Approved'));
    expect(deliveries[0]?.result).toMatchObject({ action: 'publishing', modelVersion: v2 });
    const [publish] = await stage.stepFunctions.runPending();
    expect(publish?.lastState).toBe('Activate');
    expect((await op.publications.getDeployment())?.champion).toBe(v2);
    const again = await stage.bus.put(approvalEvent(v2, 'Approved'));
    expect(again[0]?.result).toMatchObject({ action: 'ignored' });
    expect(await stage.stepFunctions.runPending()).toEqual([]);
    // Events of other groups or statuses reach no rule.
    expect(
      await stage.bus.put({
        ...approvalEvent(v2, 'Approved'),
        detail: { ...approvalEvent(v2, 'Approved').detail, ModelPackageGroupName: 'other' },
      }),
    ).toEqual([]);
    const packages = await op.sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: 'recsys-ci' }),
    );
    expect(packages.ModelPackageSummaryList?.map((p) => p.ModelApprovalStatus)).toEqual([
      'Approved',
      'Approved',
    ]);
  });
});

describe('an experiment and feedback through the cloud path', () => {
  it('starts with `recsys experiment start --aws`, splits shoppers, counts exposures and clicks, and promotes', {
    timeout: 300_000,
  }, async () => {
    const deployment = await op.publications.getDeployment();
    const champion = deployment?.champion as string;
    const challenger = deployment?.previousChampion as string;
    const started = await op.cli([
      'experiment',
      'start',
      'ab1',
      '--challenger',
      challenger,
      '--weight',
      '0.5',
    ]);
    expect(started.code, started.stderr).toBe(0);
    expect(
      (await op.publications.getDeployment())?.experiment?.variants.map((v) => [v.name, v.modelVersion]),
    ).toEqual([
      ['champion', champion],
      ['challenger', challenger],
    ]);
    await op.afterDeploymentChange();
    const served: Record<string, number> = {};
    let clicks = 0;
    for (let u = 10; u < 50; u++) {
      const r = await op.recommend(`u${u}`, '?k=5');
      const body = r.body as {
        recommendationId: string;
        modelVersion: string;
        variant?: string;
        items: { itemId: string }[];
      };
      expect(r.statusCode).toBe(200);
      served[body.modelVersion] = (served[body.modelVersion] ?? 0) + 1;
      if (u % 4 === 0) {
        const fb = await stage.api.request('POST', '/v1/feedback', {
          apiKey: API_KEY,
          body: {
            recommendationId: body.recommendationId,
            userId: `u${u}`,
            itemId: body.items[0]?.itemId,
            action: 'click',
            timestamp: new Date().toISOString(),
          },
        });
        expect(fb.statusCode, JSON.stringify(fb.body)).toBe(202);
        clicks += 1;
      }
    }
    expect(Object.keys(served).sort()).toEqual([champion, challenger].sort());
    const report = await stage.api.request('GET', '/v1/experiments/ab1', { apiKey: API_KEY });
    expect(report.statusCode).toBe(200);
    const variants = (
      report.body as {
        variants: { variant: string; modelVersion: string; exposures: number; clicks: number }[];
      }
    ).variants;
    expect(variants.map((v) => v.exposures).reduce((a, b) => a + b, 0)).toBe(40);
    expect(variants.map((v) => v.clicks).reduce((a, b) => a + b, 0)).toBe(clicks);
    for (const v of variants) expect(v.exposures, v.variant).toBe(served[v.modelVersion]);

    const promoted = await op.cli(['experiment', 'promote', 'ab1']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const after = await op.publications.getDeployment();
    expect(after?.champion).toBe(challenger);
    expect(after?.experiment).toBeUndefined();
    expect(await op.servedVersion('u11')).toBe(challenger);
  });

  it('`recsys rollback --aws` republishes and activates the version asked for', {
    timeout: 300_000,
  }, async () => {
    const target = (await op.publications.getDeployment())?.previousChampion as string;
    const rollback = await op.cli(['rollback', target]);
    expect(rollback.code, rollback.stderr).toBe(0);
    const [run] = await stage.stepFunctions.runPending();
    expect(run?.input).toMatchObject({ publishVersion: target });
    expect(run?.lastState).toBe('Activate');
    expect((await op.publications.getDeployment())?.champion).toBe(target);

    // `recsys reject --aws` of the serving version: SageMaker's state change reaches modelApproval, which rolls
    // back to the other approved version.
    const other = (await op.publications.getDeployment())?.previousChampion as string;
    const reject = await op.cli(['reject', target, '--description', 'offline test']);
    expect(reject.code, reject.stderr).toBe(0);
    const deliveries = await stage.bus.put({
      source: 'aws.sagemaker',
      'detail-type': 'SageMaker Model Package State Change',
      detail: {
        ModelPackageGroupName: 'recsys-ci',
        ModelApprovalStatus: 'Rejected',
        LastModifiedTime: new Date().toISOString(),
        CustomerMetadataProperties: { modelVersion: target },
      },
    });
    expect(deliveries.find((d) => d.target.startsWith('arn:aws:lambda:'))?.result).toMatchObject({
      action: 'rolling-back',
      from: target,
      to: other,
    });
    const [back] = await stage.stepFunctions.runPending();
    expect(back?.lastState).toBe('Activate');
    expect((await op.publications.getDeployment())?.champion).toBe(other);
    const models = await op.cli(['models']);
    expect(models.stdout).toMatch(new RegExp(`^\\d+\\s+${target}\\s+Rejected\\s`, 'm'));
  });
});

describe('a failure at any state of a retrain', () => {
  it('ends the execution with every cluster terminated and the previous version still serving', {
    timeout: 900_000,
  }, async () => {
    await op.afterDeploymentChange();
    const serving = (await op.publications.getDeployment())?.champion as string;
    expect(serving).toBeDefined();
    // Every Task state a successful retrain passes through on either trainer route, in order (Map iterations once).
    const taskStates = new Set(
      Object.entries(stage.definition.States as Record<string, { Type: string }>)
        .filter(([, s]) => s.Type === 'Task')
        .map(([n]) => n),
    );
    const passed = [
      ...new Set(
        stage.stepFunctions
          .records()
          .filter(
            (r) => r.status === 'SUCCEEDED' && r.lastState === 'Activate' && !('publishVersion' in r.input),
          )
          .flatMap((r) => r.states.map((s) => s.name)),
      ),
    ].filter((n) => taskStates.has(n) || n === 'WriteRecommendations');
    expect(passed).toEqual(
      expect.arrayContaining(['Prepare', 'TrainStep', 'TrainOnPrimary', 'WriteRecommendations', 'Activate']),
    );
    const outcomes: Record<string, string> = {};
    let n = 0;
    for (const state of passed) {
      // New data, so the run trains rather than finding this data's version registered already.
      const event = {
        eventId: randomUUID(),
        type: 'view',
        userId: `u${n % USERS}`,
        itemId: `i${n % ITEMS}`,
        timestamp: new Date().toISOString(),
      };
      n += 1;
      expect(
        (await stage.api.request('POST', '/v1/events', { apiKey: API_KEY, body: { events: [event] } }))
          .statusCode,
      ).toBe(202);
      await stage.firehose.flush();
      const name = `inject-${state}`;
      // A failure in the Spark step is injected on the Spark route; every other state on the single-node route.
      const input = state === 'TrainStep' ? { trigger: 'cli', engine: 'spark' } : { trigger: 'cli' };
      await op.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: stage.resolver.ref('RetrainStateMachine'),
          name,
          input: JSON.stringify(input),
        }),
      );
      const [pending] = await op.sfn
        .send(new ListExecutionsCommand({ stateMachineArn: stage.resolver.ref('RetrainStateMachine') }))
        .then((l) => (l.executions ?? []).filter((e) => e.name === name));
      expect(pending).toBeDefined();
      const record = await stage.stepFunctions.execute(name, input, {
        inject: (s) =>
          s === state
            ? Object.assign(new Error(`injected at ${state}`), { name: 'Injected.Failure' })
            : undefined,
      });
      expect(record.status, `${state}: ${record.states.map((x) => x.name).join(' → ')}`).toBe('FAILED');
      outcomes[state] = `${record.lastState}: ${record.error?.name}`;
      // The execution's FAILED status change goes to the cleanup rule, as EventBridge would send it.
      const deliveries = await stage.bus.put({
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: {
          executionArn: record.executionArn,
          stateMachineArn: stage.resolver.ref('RetrainStateMachine'),
          name,
          status: 'FAILED',
        },
      });
      expect(deliveries.map((d) => d.error)).toEqual([undefined, undefined]);
      expect(deliveries.find((d) => d.target.startsWith('arn:aws:sns:'))?.result).toContain(
        `retrain execution ${name} is FAILED`,
      );
      for (const c of await op.clusters())
        expect(c.Status?.State, `${state}: cluster ${c.Id}`).toBe('TERMINATED');
      expect((await op.publications.getDeployment())?.champion, state).toBe(serving);
      const answer = (await op.recommend('u3')).body as { modelVersion: string };
      expect(answer.modelVersion, state).toBe(serving);
    }
    console.log(`injected failures (state → terminal state: error): ${JSON.stringify(outcomes)}`);
  });
});
