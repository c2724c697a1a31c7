import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePriceSheet } from '../../../shared/cost/prices.ts';
import type { StageSizes, Workload } from '../../../shared/cost/workload.ts';

/** The shipped eu-west-1 sheet: the tests' arithmetic uses its prices, so a price change shows up here. */
export const SHEET = parsePriceSheet(
  JSON.parse(
    readFileSync(
      fileURLToPath(new URL('../../../shared/cost/prices-eu-west-1.json', import.meta.url)),
      'utf8',
    ),
  ),
  'prices-eu-west-1.json',
);
export const P = SHEET.prices;

/** Issue 13's worked example: 1M events/day, 100k shoppers, 50k products, 20 requests/s, daily retrain. */
export const WORKED: Workload = {
  eventsPerDay: 1_000_000,
  shoppers: 100_000,
  products: 50_000,
  requestsPerSecond: 20,
  runsPerMonth: 730 / 24,
  engine: 'emr',
  eventsPerRequest: 1,
  historyDays: 90,
};

/** serverless.yml `params` of prod (default merged with prod), written out so the arithmetic below is checkable. */
export const PROD: StageSizes = {
  stage: 'prod',
  lambdaMemoryMb: 1024,
  logRetentionDays: 90,
  firehoseBufferMiB: 64,
  firehoseBufferSeconds: 300,
  rawInfrequentAccessDays: 30,
  rawGlacierDays: 180,
  instanceType: 'r6g.2xlarge',
  coreCount: 4,
  alsRank: 128,
};

export const DEV: StageSizes = {
  stage: 'dev',
  lambdaMemoryMb: 512,
  logRetentionDays: 14,
  firehoseBufferMiB: 1,
  firehoseBufferSeconds: 60,
  rawInfrequentAccessDays: 30,
  rawGlacierDays: 90,
  instanceType: 'm6g.xlarge',
  coreCount: 2,
  alsRank: 64,
};

/** A month of daily runs: 730 h / 24 h. */
export const DAILY = 730 / 24;
export const GB = 1024 ** 3;
