import { describe, expect, it } from 'vitest';
import { DEFAULT_ASSUMPTIONS as A } from '../../../shared/cost/assumptions.ts';
import { estimate } from '../../../shared/cost/estimate.ts';
import {
  personalizeBatchUsd,
  personalizeCost,
  personalizeIdleUsd,
  personalizeTrainingHours,
} from '../../../shared/cost/personalize.ts';
import { WorkloadError } from '../../../shared/cost/workload.ts';
import { P, PROD, SHEET, WORKED } from './worked-example.ts';

describe('Cost: Amazon Personalize for the same workload', () => {
  it('bills events ingested, training hours and the campaign TPS-hours', () => {
    const c = personalizeCost(WORKED, A, P);
    // 30,416,667 events × 250 bytes / 2^30 = 7.0818 GB × $0.05 = $0.354
    expect(c.items[0]!.usd).toBeCloseTo(0.3541, 4);
    // 90 days × 1M = 90M interactions × 0.5 h per million = 45 h a run; × 30.4167 = 1,368.75 h × $0.24 = $328.50
    expect(personalizeTrainingHours(WORKED, A)).toBe(45);
    expect(c.items[1]!.usd).toBeCloseTo(328.5, 6);
    // 20 TPS × 730 h = 14,600 TPS-hours, first tier: × $0.20 = $2,920
    expect(c.items[2]!.quantity).toBe(14_600);
    expect(c.items[2]!.usd).toBeCloseTo(2920, 6);
    expect(c.usd).toBeCloseTo(3248.854, 3);
  });

  it('takes real training hours when given, and at least an hour a run otherwise', () => {
    // 10 h × 30.4167 runs × $0.24 = $73.00
    expect(personalizeCost(WORKED, A, P, { trainingHoursPerRun: 10 }).items[1]!.usd).toBeCloseTo(73, 6);
    // 1,000 events a day × 90 days = 0.09M interactions × 0.5 = 0.045 h: billed as the 1 h minimum
    expect(personalizeTrainingHours({ ...WORKED, eventsPerDay: 1000 }, A)).toBe(1);
  });

  it('bills the minimum of 1 TPS without traffic, and batch per recommendation', () => {
    // 1 TPS × 730 h × $0.20 = $146
    expect(personalizeIdleUsd(A, P)).toBeCloseTo(146, 6);
    expect(personalizeCost({ ...WORKED, requestsPerSecond: 0.2 }, A, P).items[2]!.quantity).toBe(730);
    // 100,000 shoppers × 30.4167 runs = 3,041,667 recommendations / 1,000 × $0.067 = $203.79
    expect(personalizeBatchUsd(WORKED, P)).toBeCloseTo(203.7917, 4);
  });
});

describe('Cost: the estimate of the worked example', () => {
  const e = estimate(WORKED, PROD, A, SHEET);

  it('adds the components to the monthly bill and sets it beside Personalize', () => {
    // 297.03 API Gateway + 68.10 Lambda + 4.50 Firehose + 1.75 S3 + 98.08 DynamoDB + 40.79 EMR + 4.46 Glue
    // + 0.05 Step Functions + 97.65 CloudWatch + 33.23 X-Ray + 1.00 KMS = $646.64
    expect(e.components.map((c) => c.name)).toEqual([
      'API Gateway',
      'Lambda',
      'Kinesis Data Firehose',
      'S3',
      'DynamoDB (on-demand)',
      'EMR training',
      'Glue crawler',
      'Step Functions',
      'CloudWatch',
      'X-Ray',
      'KMS',
    ]);
    expect(e.monthlyUsd).toBeCloseTo(646.64, 2);
    // 646.64 / 3,248.85 = 0.1990: just under a fifth of Personalize
    expect(e.ratio).toBeCloseTo(0.199, 4);
    // without Personalize's (guessed) training: 646.64 / (3,248.85 − 328.50) = 0.2214
    expect(e.ratioWithoutTraining).toBeCloseTo(0.2214, 4);
  });

  it('keeps only storage and fixed fees in an idle month', () => {
    // S3 0.0321 + 0.0349 + 0.3890 + DynamoDB 9.3225 + 7.6578 + logs stored 1.9550 + alarms 1.50 + dashboard 3.00
    // + KMS 1.00 + 30.4167 runs × 5 transitions × $0.025/1,000 (0.0038) = $24.895
    expect(e.idle.usd).toBeCloseTo(24.895, 3);
    expect(e.idle.items.map((i) => `${i.component}: ${i.what}`)).toEqual([
      'S3: lake STANDARD',
      'S3: lake STANDARD_IA',
      'S3: model artifacts (STANDARD)',
      'DynamoDB (on-demand): storage (activity, lists, catalog)',
      'DynamoDB (on-demand): point-in-time recovery',
      'CloudWatch: logs stored (90 days)',
      'CloudWatch: alarms',
      'CloudWatch: dashboards',
      'KMS: customer managed keys',
      'Step Functions: scheduled runs ending at NothingNew',
    ]);
    expect(e.idle.personalizeUsd).toBeCloseTo(146, 6);
  });
});

describe('Cost: bad input', () => {
  it('names the field that is wrong', () => {
    expect(() => estimate({ ...WORKED, eventsPerDay: -1 }, PROD, A, SHEET)).toThrow(
      new WorkloadError('eventsPerDay must be a number ≥ 0, got -1'),
    );
    expect(() => estimate({ ...WORKED, eventsPerRequest: 501 }, PROD, A, SHEET)).toThrow(
      "eventsPerRequest must be an integer 1–500 (the API's batch limit), got 501",
    );
    expect(() => estimate({ ...WORKED, historyDays: 0 }, PROD, A, SHEET)).toThrow(
      'historyDays must be a number ≥ 1, got 0',
    );
    expect(() => estimate(WORKED, { ...PROD, coreCount: 0 }, A, SHEET)).toThrow(
      'EMR core count must be an integer ≥ 1, got 0',
    );
  });

  it('refuses an instance type the sheet has no price for, listing those it has', () => {
    expect(() => estimate(WORKED, { ...PROD, instanceType: 'x9.large' }, A, SHEET)).toThrow(
      'instance type x9.large has no price in the price sheet; priced: m5.xlarge, m6g.xlarge, m6g.2xlarge, r6g.xlarge, r6g.2xlarge, r6g.4xlarge',
    );
  });
});
