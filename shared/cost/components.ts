import type { Assumptions } from './assumptions.ts';
import { type Prices, tieredCost } from './prices.ts';
import { DAYS_PER_MONTH, GB, SECONDS_PER_MONTH, type StageSizes, type Workload } from './workload.ts';

/**
 * One priced quantity. `kind` says what survives a month without traffic: `storage` (data already kept) and
 * `fixed` (billed whether used or not) do; `usage` does not.
 */
interface LineItem {
  what: string;
  quantity: number;
  unit: string;
  usd: number;
  kind: 'usage' | 'storage' | 'fixed';
}

export interface Component {
  name: string;
  usd: number;
  items: LineItem[];
  notes: string[];
}

export function component(name: string, items: LineItem[], notes: string[] = []): Component {
  return { name, usd: items.reduce((s, i) => s + i.usd, 0), items, notes };
}

/** Requests a month reaching the API: ingestion calls and recommendation reads. */
function apiRequests(w: Workload): { ingest: number; serving: number } {
  return {
    ingest: (w.eventsPerDay * DAYS_PER_MONTH) / w.eventsPerRequest,
    serving: w.requestsPerSecond * SECONDS_PER_MONTH,
  };
}

export function apiGatewayCost(w: Workload, a: Assumptions, p: Prices): Component {
  const { ingest, serving } = apiRequests(w);
  // Tiers apply to the month's total, so the split between the two lines is pro rata.
  const usd = tieredCost(ingest + serving, p.apiGatewayRestRequests, 1e6);
  const share = ingest + serving > 0 ? ingest / (ingest + serving) : 0;
  const outGb = (serving * a.responseBytes) / GB;
  return component('API Gateway', [
    { what: 'POST /v1/events', quantity: ingest, unit: 'requests', usd: usd * share, kind: 'usage' },
    {
      what: 'GET recommendations',
      quantity: serving,
      unit: 'requests',
      usd: usd * (1 - share),
      kind: 'usage',
    },
    {
      what: 'data transfer out (responses)',
      quantity: outGb,
      unit: 'GB',
      usd: outGb * p.dataTransferOutGb.usd,
      kind: 'usage',
    },
  ]);
}

export function lambdaCost(w: Workload, s: StageSizes, a: Assumptions, p: Prices): Component {
  const { ingest, serving } = apiRequests(w);
  const gb = s.lambdaMemoryMb / 1024;
  const apiGbSeconds = ((ingest * a.ingestMs + serving * a.servingMs) / 1000) * gb;
  const pipelineInvocations = w.runsPerMonth * a.pipelineInvocationsPerRun;
  const pipelineGbSeconds = w.runsPerMonth * a.pipelineGbSecondsPerRun;
  const invocations = ingest + serving + pipelineInvocations;
  return component('Lambda', [
    {
      what: 'requests',
      quantity: invocations,
      unit: 'invocations',
      usd: (invocations / 1e6) * p.lambdaRequests.usd,
      kind: 'usage',
    },
    {
      what: `API duration at ${s.lambdaMemoryMb} MB (${a.ingestMs} ms ingest, ${a.servingMs} ms serving)`,
      quantity: apiGbSeconds,
      unit: 'GB-s',
      usd: apiGbSeconds * p.lambdaArmGbSecond.usd,
      kind: 'usage',
    },
    {
      what: 'retrain pipeline functions',
      quantity: pipelineGbSeconds,
      unit: 'GB-s',
      usd: pipelineGbSeconds * p.lambdaArmGbSecond.usd,
      kind: 'usage',
    },
  ]);
}

/** Direct PUT bills each record rounded up to 5 KB; the API sends one record per event. */
export function firehoseCost(w: Workload, a: Assumptions, p: Prices): Component {
  const r = a.firehoseRecordRoundingBytes;
  const billedBytes = Math.ceil(a.eventBytes / r) * r;
  const gb = (w.eventsPerDay * DAYS_PER_MONTH * billedBytes) / GB;
  return component(
    'Kinesis Data Firehose',
    [
      {
        what: `ingested, ${billedBytes / 1024} KB per event`,
        quantity: gb,
        unit: 'GB',
        usd: gb * p.firehoseIngestGb.usd,
        kind: 'usage',
      },
    ],
    [
      `an event is ${a.eventBytes} bytes but billed as ${billedBytes / 1024} KB: batching events into one record would cut this line`,
    ],
  );
}

export function dynamoDbCost(w: Workload, a: Assumptions, p: Prices): Component {
  const { serving } = apiRequests(w);
  const activityWrites = w.eventsPerDay * DAYS_PER_MONTH;
  const listWrites = w.runsPerMonth * w.shoppers * Math.ceil(a.listItemBytes / 1024);
  const u = a.readUnitsPerRequest;
  const unitsPerRequest = u.list + u.activity + u.exclusions + u.catalogItems * 0.5;
  const reads = serving * unitsPerRequest;
  const activityGb = (Math.min(w.historyDays, a.activityTtlDays) * w.eventsPerDay * a.activityRowBytes) / GB;
  // Versions published within the lists' TTL, and at least the serving one (kept alive by the refresh).
  const versionsStored = Math.max((w.runsPerMonth * a.listTtlDays) / DAYS_PER_MONTH, 1);
  const listsGb = (versionsStored * w.shoppers * a.listItemBytes) / GB;
  const catalogGb = (w.products * a.catalogItemBytes) / GB;
  const storedGb = activityGb + listsGb + catalogGb;
  const wru = p.dynamoDbWriteRequestUnits.usd / 1e6;
  return component('DynamoDB (on-demand)', [
    {
      what: 'activity writes on ingest',
      quantity: activityWrites,
      unit: 'WRU',
      usd: activityWrites * wru,
      kind: 'usage',
    },
    {
      what: 'list writes on publish',
      quantity: listWrites,
      unit: 'WRU',
      usd: listWrites * wru,
      kind: 'usage',
    },
    {
      what: `reads on serving, ${unitsPerRequest} RRU a request`,
      quantity: reads,
      unit: 'RRU',
      usd: (reads / 1e6) * p.dynamoDbReadRequestUnits.usd,
      kind: 'usage',
    },
    {
      what: 'storage (activity, lists, catalog)',
      quantity: storedGb,
      unit: 'GB-month',
      usd: storedGb * p.dynamoDbStorageGbMonth.usd,
      kind: 'storage',
    },
    {
      what: 'point-in-time recovery',
      quantity: storedGb,
      unit: 'GB-month',
      usd: storedGb * p.dynamoDbPitrGbMonth.usd,
      kind: 'storage',
    },
  ]);
}

/** Traces recorded with tracing on (issue 13) under the default sampling rule, one trace per API request. */
export function xrayCost(w: Workload, a: Assumptions, p: Prices): Component {
  const { ingest, serving } = apiRequests(w);
  const perSecond = (ingest + serving) / SECONDS_PER_MONTH;
  const sampled =
    Math.min(perSecond, a.traceReservoirPerSecond) +
    Math.max(perSecond - a.traceReservoirPerSecond, 0) * a.traceRate;
  const traces = sampled * SECONDS_PER_MONTH;
  return component('X-Ray', [
    {
      what: `traces (${a.traceReservoirPerSecond}/s, then ${a.traceRate * 100}% of requests)`,
      quantity: traces,
      unit: 'traces',
      usd: (traces / 1e6) * p.xrayTracesRecorded.usd,
      kind: 'usage',
    },
  ]);
}

export function kmsCost(a: Assumptions, p: Prices): Component {
  return component('KMS', [
    {
      what: 'customer managed keys',
      quantity: a.kmsKeys,
      unit: 'keys',
      usd: a.kmsKeys * p.kmsKeyMonth.usd,
      kind: 'fixed',
    },
  ]);
}

export function cloudWatchCost(w: Workload, s: StageSizes, a: Assumptions, p: Prices): Component {
  const { ingest, serving } = apiRequests(w);
  const invocations = ingest + serving + w.runsPerMonth * a.pipelineInvocationsPerRun;
  const ingestedGb =
    (invocations * a.logBytesPerInvocation + (ingest + serving) * a.accessLogBytesPerRequest) / GB;
  // At steady state the groups hold `logRetentionDays` of logs, compressed.
  const storedGb = ingestedGb * (s.logRetentionDays / DAYS_PER_MONTH) * a.logStorageRatio;
  const active = ingest + serving > 0;
  return component('CloudWatch', [
    {
      what: 'logs ingested (Lambda, EMF, API access)',
      quantity: ingestedGb,
      unit: 'GB',
      usd: ingestedGb * p.cloudWatchLogsIngestGb.usd,
      kind: 'usage',
    },
    {
      what: `logs stored (${s.logRetentionDays} days)`,
      quantity: storedGb,
      unit: 'GB-month',
      usd: storedGb * p.cloudWatchLogsStorageGbMonth.usd,
      kind: 'storage',
    },
    // A metric costs only in the hours it receives data points.
    {
      what: 'custom metrics',
      quantity: active ? a.customMetrics : 0,
      unit: 'metrics',
      usd: active ? a.customMetrics * p.cloudWatchMetricMonth.usd : 0,
      kind: 'usage',
    },
    {
      what: 'alarms',
      quantity: a.alarms,
      unit: 'alarms',
      usd: a.alarms * p.cloudWatchAlarmMonth.usd,
      kind: 'fixed',
    },
    {
      what: 'dashboards',
      quantity: a.dashboards,
      unit: 'dashboards',
      usd: a.dashboards * p.cloudWatchDashboardMonth.usd,
      kind: 'fixed',
    },
  ]);
}
