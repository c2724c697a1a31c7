import { describe, expect, it } from 'vitest';
import { DEFAULT_ASSUMPTIONS as A } from '../../../shared/cost/assumptions.ts';
import {
  apiGatewayCost,
  cloudWatchCost,
  dynamoDbCost,
  firehoseCost,
  kmsCost,
  lambdaCost,
  xrayCost,
} from '../../../shared/cost/components.ts';
import { artifactGb, firehoseObjectsPerDay, lakeTiers, s3Cost } from '../../../shared/cost/lake.ts';
import {
  glueCost,
  stateTransitionsPerRun,
  stepFunctionsCost,
  trainingCost,
  trainingRun,
} from '../../../shared/cost/training.ts';
import { DAYS_PER_MONTH } from '../../../shared/cost/workload.ts';
import { LIST_TTL_SECONDS } from '../../../shared/registry/list-expiry.ts';
import { DAILY, DEV, GB, P, PROD, SHEET, WORKED } from './worked-example.ts';

// Every figure below is the worked example (1M events/day, 100k shoppers, 50k products, 20 requests/s, daily
// retrain, 90 days of history, prod sizes) with the shipped eu-west-1 prices; a month is 730 h = 2,628,000 s.
const R6G = SHEET.instances['r6g.2xlarge']!;
const usdOf = (c: { items: { what: string; usd: number }[] }, what: string) =>
  c.items.find((i) => i.what.startsWith(what))!.usd;

describe('Cost: API Gateway', () => {
  it('bills ingest and serving requests at the REST price, and the responses out', () => {
    const c = apiGatewayCost(WORKED, A, P);
    // ingest 1,000,000 × 30.4167 = 30,416,667 requests (1 event a request); serving 20 × 2,628,000 = 52,560,000
    // (30,416,667 + 52,560,000) × $3.50/M = $290.42, all in the first tier (333M)
    expect(c.items[0]!.quantity).toBeCloseTo(30_416_666.67, 1);
    expect(c.items[1]!.quantity).toBe(52_560_000);
    expect(usdOf(c, 'POST') + usdOf(c, 'GET')).toBeCloseTo(290.418, 3);
    // 52,560,000 × 1,500 bytes / 2^30 = 73.43 GB × $0.09 = $6.61
    expect(usdOf(c, 'data transfer')).toBeCloseTo(6.608, 3);
    expect(c.usd).toBeCloseTo(297.027, 3);
  });

  it('bills fewer ingest calls when clients batch events', () => {
    // 30,416,667 / 10 = 3,041,667 requests × $3.50/M = $10.65
    expect(usdOf(apiGatewayCost({ ...WORKED, eventsPerRequest: 10 }, A, P), 'POST')).toBeCloseTo(10.646, 3);
  });
});

describe('Cost: Lambda', () => {
  it("bills requests and GB-seconds at the stage's memory, Arm prices", () => {
    const c = lambdaCost(WORKED, PROD, A, P);
    // invocations 30,416,667 + 52,560,000 + 30.4167 runs × 20 = 82,977,275 × $0.20/M = $16.60
    expect(usdOf(c, 'requests')).toBeCloseTo(16.595, 3);
    // (30,416,667 × 0.040 s + 52,560,000 × 0.050 s) × 1 GB = 3,844,667 GB-s × $0.0000133334 = $51.262
    expect(c.items[1]!.quantity).toBeCloseTo(3_844_666.67, 1);
    expect(c.items[1]!.usd).toBeCloseTo(51.262, 3);
    // 30.4167 runs × 600 GB-s = 18,250 GB-s × $0.0000133334 = $0.24
    expect(usdOf(c, 'retrain')).toBeCloseTo(0.2433, 4);
    expect(c.usd).toBeCloseTo(68.101, 3);
  });

  it('halves the GB-seconds at 512 MB (dev)', () => {
    // 3,844,667 × 0.5 = 1,922,333 GB-s
    expect(lambdaCost(WORKED, DEV, A, P).items[1]!.quantity).toBeCloseTo(1_922_333.33, 1);
  });
});

describe('Cost: Firehose', () => {
  it('bills every 250-byte event as 5 KB', () => {
    // 30,416,667 events × 5,120 bytes / 2^30 = 145.038 GB × $0.031 = $4.496
    const c = firehoseCost(WORKED, A, P);
    expect(c.items[0]!.quantity).toBeCloseTo(145.038, 3);
    expect(c.usd).toBeCloseTo(4.496, 3);
    // 5,121 bytes round up to 10 KB: twice the bill
    expect(firehoseCost(WORKED, { ...A, eventBytes: 5121 }, P).usd).toBeCloseTo(2 * 4.496, 2);
  });

  it('delivers an object when the buffer fills or its interval passes, whichever is first', () => {
    // 1M × 250 bytes / 86,400 s = 2,893.5 B/s; 64 MiB fill in 23,193 s > 300 s: 86,400 / 300 = 288 a day
    expect(firehoseObjectsPerDay(WORKED, PROD, A)).toBeCloseTo(288, 6);
    // dev (1 MiB, 60 s): 1 MiB fills in 362 s > 60 s: 1,440 a day
    expect(firehoseObjectsPerDay(WORKED, DEV, A)).toBeCloseTo(1440, 6);
    // 100M events/day on dev: 289,352 B/s fill 1 MiB in 3.624 s: 86,400 / 3.624 = 23,842 a day
    expect(firehoseObjectsPerDay({ ...WORKED, eventsPerDay: 1e8 }, DEV, A)).toBeCloseTo(23_841.86, 1);
    expect(firehoseObjectsPerDay({ ...WORKED, eventsPerDay: 0 }, PROD, A)).toBe(0);
  });
});

describe('Cost: S3', () => {
  it('places the lake in the lifecycle tiers by age', () => {
    // 1M × 250 / 5 = 50,000,000 bytes a day = 0.046566 GB; 50 MB / 288 = 173,611-byte objects ≥ 128 KiB: moved
    const t = lakeTiers(WORKED, PROD, A);
    expect(t.dailyGb).toBeCloseTo(0.0465661, 7);
    expect(t.transitions).toBe(true);
    expect([t.standardDays, t.iaDays, t.glacierDays]).toEqual([30, 60, 0]);
    // 365 days on prod (IA at 30, GLACIER_IR at 180): 30 + 150 + 185
    const y = lakeTiers({ ...WORKED, historyDays: 365 }, PROD, A);
    expect([y.standardDays, y.iaDays, y.glacierDays]).toEqual([30, 150, 185]);
  });

  it('leaves objects under 128 KiB in STANDARD', () => {
    // dev: 50 MB / 1,440 = 34,722-byte objects: lifecycle skips them, all 90 days stay STANDARD
    const t = lakeTiers(WORKED, DEV, A);
    expect(t.transitions).toBe(false);
    expect([t.standardDays, t.iaDays, t.glacierDays]).toEqual([90, 0, 0]);
  });

  it('bills storage per tier, artifacts, Firehose PUTs, transitions and the training reads', () => {
    const c = s3Cost(WORKED, PROD, A, P);
    // 30 × 0.046566 = 1.39698 GB × $0.023 = $0.03213; 60 × 0.046566 = 2.79397 GB × $0.0125 = $0.03492
    expect(usdOf(c, 'lake STANDARD')).toBeCloseTo(0.03213, 5);
    expect(usdOf(c, 'lake STANDARD_IA')).toBeCloseTo(0.03492, 5);
    expect(usdOf(c, 'lake GLACIER_IR')).toBe(0);
    // artifact: (100,000 + 50,000) × 128 × 4 + 100,000 × 50 × 25 = 201,800,000 bytes = 0.187941 GB;
    // 90 versions (one a day for 90 days) = 16.9147 GB × $0.023 = $0.38904
    expect(artifactGb(WORKED, PROD, A)).toBeCloseTo(0.187941, 6);
    expect(usdOf(c, 'model artifacts')).toBeCloseTo(0.38904, 5);
    // 288 × 30.4167 = 8,760 PUTs × $0.005/1,000 = $0.0438; 8,760 into IA × $0.01/1,000 = $0.0876
    expect(usdOf(c, 'PUTs')).toBeCloseTo(0.0438, 6);
    expect(usdOf(c, 'lifecycle')).toBeCloseTo(0.0876, 6);
    // each run GETs 288 × 90 = 25,920 objects: × 30.4167 = 788,400 × $0.0004/1,000 = $0.31536
    expect(usdOf(c, 'training reads (GETs)')).toBeCloseTo(0.31536, 5);
    // each run retrieves the 2.79397 GB in IA: × 30.4167 × $0.01 = $0.84983
    expect(usdOf(c, 'training reads (IA')).toBeCloseTo(0.84983, 5);
    expect(c.usd).toBeCloseTo(1.75272, 4);
  });
});

describe('Cost: DynamoDB on-demand', () => {
  it('bills activity writes, list writes, serving reads, storage and point-in-time recovery', () => {
    const c = dynamoDbCost(WORKED, A, P);
    // one activity row per event: 30,416,667 WRU × $0.71/M = $21.60
    expect(usdOf(c, 'activity')).toBeCloseTo(21.596, 3);
    // a 1,400-byte list is 2 WRU: 30.4167 × 100,000 × 2 = 6,083,333 WRU × $0.71/M = $4.32
    expect(usdOf(c, 'list writes')).toBeCloseTo(4.319, 3);
    // 0.5 + 1.5 + 0.5 + 10 × 0.5 = 7.5 RRU a request: 52,560,000 × 7.5 = 394,200,000 RRU × $0.14/M = $55.19
    expect(usdOf(c, 'reads')).toBeCloseTo(55.188, 3);
    // daily runs' lists live 30 days: 30 versions stored.
    // 90 × 1M × 350 + 30 × 100,000 × 1,400 + 50,000 × 1,000 = 35,750,000,000 bytes = 33.2948 GB
    // × $0.28 = $9.3225 storage, × $0.23 = $7.6578 PITR
    expect(c.items[3]!.quantity).toBeCloseTo(33.2948, 4);
    expect(usdOf(c, 'storage')).toBeCloseTo(9.3225, 4);
    expect(usdOf(c, 'point-in-time')).toBeCloseTo(7.6578, 3);
    expect(c.usd).toBeCloseTo(98.083, 3);
  });

  it('stores the lists of every version published within their 30-day TTL, and at least the serving one', () => {
    expect(A.listTtlDays * 86_400).toBe(LIST_TTL_SECONDS);
    // weekly runs: 4.345 × 30 / 30.4167 = 4.2857 versions × 100,000 × 1,400 = 600,000,000 bytes more than the rest
    const weekly = dynamoDbCost({ ...WORKED, runsPerMonth: DAYS_PER_MONTH / 7 }, A, P).items[3]!.quantity;
    const rest = (90 * 1e6 * 350 + 50_000 * 1000) / 2 ** 30;
    expect(weekly - rest).toBeCloseTo(((30 / 7) * 1e5 * 1400) / 2 ** 30, 6);
    // no runs at all: the serving version's lists alone
    const none = dynamoDbCost({ ...WORKED, runsPerMonth: 0 }, A, P).items[3]!.quantity;
    expect(none - rest).toBeCloseTo((1e5 * 1400) / 2 ** 30, 6);
  });

  it('keeps activity no longer than its 90-day TTL', () => {
    // 365 days of history hold the same 90 days of rows: 33.2948 GB
    expect(dynamoDbCost({ ...WORKED, historyDays: 365 }, A, P).items[3]!.quantity).toBeCloseTo(33.2948, 4);
  });
});

describe('Cost: training', () => {
  it('sizes an EMR run from the throughput figure and bills EC2 + EMR + EBS per instance-hour', () => {
    const run = trainingRun(WORKED, PROD, A, P, R6G);
    // 4 core × 8 vCPU = 32; 600 s + 90,000,000 / (2,500 × 32) = 600 + 1,125 = 1,725 s
    expect(run).toMatchObject({ instances: 5, trainingVcpus: 32, seconds: 1725 });
    // $0.451 + $0.101 + 64 GB × $0.088 / 730 = $0.559715 an instance-hour; 5 × 1,725 / 3,600 × $0.559715 = $1.34098
    expect(run.usdPerInstanceHour).toBeCloseTo(0.559715, 6);
    expect(run.usd).toBeCloseTo(1.34098, 5);
    // × 30.4167 runs = $40.79
    expect(trainingCost(WORKED, PROD, A, P, R6G).usd).toBeCloseTo(40.788, 3);
  });

  it('sizes the single-machine trainer as one node', () => {
    const w = { ...WORKED, engine: 'single-machine' as const };
    // 300 s + 90,000,000 / (5,000 × 8) = 300 + 2,250 = 2,550 s; 2,550 / 3,600 × $0.559715 = $0.39646 a run
    const run = trainingRun(w, PROD, A, P, R6G);
    expect(run).toMatchObject({ instances: 1, trainingVcpus: 8, seconds: 2550 });
    expect(run.usd).toBeCloseTo(0.39646, 5);
    expect(trainingCost(w, PROD, A, P, R6G).name).toBe('single-machine trainer');
  });

  it("says when a run would outlast TrainStep's timeout", () => {
    // dev, a year of history: 8 vCPUs, 600 + 365,000,000 / 20,000 = 18,850 s > 7,200 s
    const c = trainingCost({ ...WORKED, historyDays: 365 }, DEV, A, P, SHEET.instances['m6g.xlarge']!);
    expect(c.notes).toContain("a run would outlast TrainStep's 7200 s timeout: a bigger cluster is needed");
    expect(trainingCost(WORKED, PROD, A, P, R6G).notes.join()).not.toMatch(/outlast/);
  });
});

describe('Cost: X-Ray', () => {
  it('records the first request each second and 5% of the rest', () => {
    // 82,976,667 requests / 2,628,000 s = 31.574 a second: 1 + 30.574 × 0.05 = 2.5287 traces a second
    // × 2,628,000 s = 6,645,433 traces × $5/M = $33.23
    const c = xrayCost(WORKED, A, P);
    expect(c.items[0]!.quantity).toBeCloseTo(6_645_433.33, 1);
    expect(c.usd).toBeCloseTo(33.2272, 4);
    // under one request a second, every request is traced: 0.5 × 2,628,000 = 1,314,000 traces
    expect(
      xrayCost({ ...WORKED, eventsPerDay: 0, requestsPerSecond: 0.5 }, A, P).items[0]!.quantity,
    ).toBeCloseTo(1_314_000, 3);
  });
});

describe('Cost: Step Functions, Glue, KMS', () => {
  it('counts the state transitions of a run that trains and publishes', () => {
    // 6 to the crawler + 8 polls × 5 + 3 for the ready poll + 11 to Activate + 10 parts (100,000 / 10,000) = 70
    expect(stateTransitionsPerRun(WORKED, A)).toBe(70);
    // 70 × 30.4167 = 2,129.2 transitions × $0.025/1,000 = $0.0532
    expect(stepFunctionsCost(WORKED, A, P).usd).toBeCloseTo(0.05323, 5);
  });

  it('bills a crawl per run at its 10-minute minimum', () => {
    // 30.4167 × 2 DPU × 10/60 h = 10.139 DPU-hours × $0.44 = $4.46
    expect(glueCost(WORKED, A, P).usd).toBeCloseTo(4.4611, 4);
  });

  it('bills the one customer managed key', () => {
    expect(kmsCost(A, P).usd).toBe(1);
  });
});

describe('Cost: CloudWatch', () => {
  it('bills logs ingested and stored over the retention, custom metrics, alarms and the dashboard', () => {
    const c = cloudWatchCost(WORKED, PROD, A, P);
    // 82,977,275 invocations × 1,500 bytes + 82,976,667 API requests × 400 bytes = 157,656,579,167 bytes
    // = 146.829 GB × $0.57 = $83.69
    expect(c.items[0]!.quantity).toBeCloseTo(146.829, 3);
    expect(usdOf(c, 'logs ingested')).toBeCloseTo(83.693, 3);
    // 146.829 GB × 90 / 30.4167 days × 0.15 = 65.168 GB × $0.03 = $1.955
    expect(usdOf(c, 'logs stored')).toBeCloseTo(1.955, 4);
    // 25 × $0.30 + 15 × $0.10 + 1 × $3 = $12
    expect(usdOf(c, 'custom metrics') + usdOf(c, 'alarms') + usdOf(c, 'dashboards')).toBeCloseTo(12, 6);
    expect(c.usd).toBeCloseTo(97.648, 3);
  });

  it('bills no metric without traffic', () => {
    const idle = cloudWatchCost(
      { ...WORKED, eventsPerDay: 0, requestsPerSecond: 0, runsPerMonth: 0 },
      PROD,
      A,
      P,
    );
    expect(usdOf(idle, 'custom metrics')).toBe(0);
    expect(usdOf(idle, 'logs ingested')).toBe(0);
  });
});

// 2^30 stays the unit of GB everywhere.
it('counts a GB as 2^30 bytes', () => {
  expect(GB).toBe(1_073_741_824);
  expect(DAILY).toBeCloseTo(30.4167, 4);
});
