import type { Assumptions } from './assumptions.ts';
import { type InstancePrice, type Prices, tieredCost } from './prices.ts';
import {
  DAYS_PER_MONTH,
  GB,
  HOURS_PER_MONTH,
  SECONDS_PER_MONTH,
  type StageSizes,
  type Workload,
} from './workload.ts';

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
export function apiRequests(w: Workload): { ingest: number; serving: number } {
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

/** Objects Firehose delivers a day: a buffer is flushed when full or when its interval has passed. */
export function firehoseObjectsPerDay(w: Workload, s: StageSizes, a: Assumptions): number {
  const bytesPerSecond = (w.eventsPerDay * a.eventBytes) / 86400;
  if (bytesPerSecond === 0) return 0;
  const secondsToFill = (s.firehoseBufferMiB * 1024 * 1024) / bytesPerSecond;
  return 86400 / Math.min(s.firehoseBufferSeconds, secondsToFill);
}

/** GB-days of the lake per storage class, for a lake `historyDays` old under the stage's lifecycle. */
export function lakeTiers(w: Workload, s: StageSizes, a: Assumptions) {
  const dailyGb = (w.eventsPerDay * a.eventBytes) / a.gzipRatio / GB;
  const objectsPerDay = firehoseObjectsPerDay(w, s, a);
  const objectBytes = objectsPerDay > 0 ? (dailyGb * GB) / objectsPerDay : 0;
  const transitions = objectBytes >= a.s3MinTransitionBytes;
  const h = w.historyDays;
  const standardDays = transitions ? Math.min(h, s.rawInfrequentAccessDays) : h;
  const iaDays = transitions
    ? Math.min(Math.max(h - s.rawInfrequentAccessDays, 0), s.rawGlacierDays - s.rawInfrequentAccessDays)
    : 0;
  const glacierDays = transitions ? Math.max(h - s.rawGlacierDays, 0) : 0;
  return { dailyGb, objectsPerDay, objectBytes, transitions, standardDays, iaDays, glacierDays };
}

/** One model version's artifact: factors (float32) of shoppers and products, and the published lists as JSON. */
export function artifactGb(w: Workload, s: StageSizes, a: Assumptions): number {
  const factors = (w.shoppers + w.products) * s.alsRank * 4;
  const lists = w.shoppers * a.recommendationsPerUser * a.recommendationBytes;
  return (factors + lists) / GB;
}

export function s3Cost(w: Workload, s: StageSizes, a: Assumptions, p: Prices): Component {
  const t = lakeTiers(w, s, a);
  const objectsPerMonth = t.objectsPerDay * DAYS_PER_MONTH;
  const standardGb = t.dailyGb * t.standardDays;
  const iaGb = t.dailyGb * t.iaDays;
  const glacierGb = t.dailyGb * t.glacierDays;
  // Every run reads the whole raw zone, so each run retrieves what has moved to the infrequent tiers.
  const retrievalUsd =
    w.runsPerMonth * (iaGb * p.s3RetrievalIaGb.usd + glacierGb * p.s3RetrievalGlacierIrGb.usd);
  const lakeObjects = t.objectsPerDay * w.historyDays;
  // Nothing expires models/: every version of the history stays (at least the one serving).
  const versionsKept = Math.max(1, w.runsPerMonth * (w.historyDays / DAYS_PER_MONTH));
  const modelsGb = artifactGb(w, s, a) * versionsKept;
  const intoIa = t.transitions && w.historyDays > s.rawInfrequentAccessDays ? objectsPerMonth : 0;
  const intoGlacier = t.transitions && w.historyDays > s.rawGlacierDays ? objectsPerMonth : 0;
  const notes = [
    `lake ${w.historyDays} days old: ${t.standardDays} days STANDARD, ${t.iaDays} STANDARD_IA (from day ${s.rawInfrequentAccessDays}), ${t.glacierDays} GLACIER_IR (from day ${s.rawGlacierDays})`,
  ];
  if (!t.transitions && t.objectsPerDay > 0)
    notes.push(
      `objects of ${Math.round(t.objectBytes / 1024)} KB stay in STANDARD: lifecycle skips objects under ${a.s3MinTransitionBytes / 1024} KB`,
    );
  return component(
    'S3',
    [
      {
        what: 'lake STANDARD',
        quantity: standardGb,
        unit: 'GB-month',
        usd: standardGb * p.s3StandardGbMonth.usd,
        kind: 'storage',
      },
      {
        what: 'lake STANDARD_IA',
        quantity: iaGb,
        unit: 'GB-month',
        usd: iaGb * p.s3StandardIaGbMonth.usd,
        kind: 'storage',
      },
      {
        what: 'lake GLACIER_IR',
        quantity: glacierGb,
        unit: 'GB-month',
        usd: glacierGb * p.s3GlacierIrGbMonth.usd,
        kind: 'storage',
      },
      {
        what: 'model artifacts (STANDARD)',
        quantity: modelsGb,
        unit: 'GB-month',
        usd: modelsGb * p.s3StandardGbMonth.usd,
        kind: 'storage',
      },
      {
        what: 'PUTs by Firehose',
        quantity: objectsPerMonth,
        unit: 'requests',
        usd: (objectsPerMonth / 1000) * p.s3PutRequests.usd,
        kind: 'usage',
      },
      {
        what: 'lifecycle transitions',
        quantity: intoIa + intoGlacier,
        unit: 'requests',
        usd: (intoIa / 1000) * p.s3TransitionToIa.usd + (intoGlacier / 1000) * p.s3TransitionToGlacierIr.usd,
        kind: 'usage',
      },
      {
        what: 'training reads (GETs)',
        quantity: w.runsPerMonth * lakeObjects,
        unit: 'requests',
        usd: ((w.runsPerMonth * lakeObjects) / 1000) * p.s3GetRequests.usd,
        kind: 'usage',
      },
      {
        what: 'training reads (IA/GLACIER_IR retrieval)',
        quantity: w.runsPerMonth * (iaGb + glacierGb),
        unit: 'GB',
        usd: retrievalUsd,
        kind: 'usage',
      },
    ],
    notes,
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
  const listsGb =
    (Math.min(a.listVersionsKept, Math.max(w.runsPerMonth, 1)) * w.shoppers * a.listItemBytes) / GB;
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

export interface TrainingRun {
  instances: number;
  trainingVcpus: number;
  seconds: number;
  usdPerInstanceHour: number;
  usd: number;
}

/** One retrain's cluster (EMR: a primary and `coreCount` core nodes) or single machine, from start to terminate. */
export function trainingRun(
  w: Workload,
  s: StageSizes,
  a: Assumptions,
  p: Prices,
  instance: InstancePrice,
): TrainingRun {
  const emr = w.engine === 'emr';
  const f = emr ? a.emr : a.singleMachine;
  const instances = emr ? 1 + s.coreCount : 1;
  // Spark's executors run on the core nodes; the primary only coordinates.
  const trainingVcpus = instance.vcpu * (emr ? s.coreCount : 1);
  const seconds =
    f.overheadSeconds + (w.eventsPerDay * w.historyDays) / (f.eventsPerVcpuSecond * trainingVcpus);
  const usdPerInstanceHour =
    instance.ec2PerHour + instance.emrPerHour + (f.ebsGbPerInstance * p.ebsGp3GbMonth.usd) / HOURS_PER_MONTH;
  return {
    instances,
    trainingVcpus,
    seconds,
    usdPerInstanceHour,
    usd: instances * (seconds / 3600) * usdPerInstanceHour,
  };
}

export function trainingCost(
  w: Workload,
  s: StageSizes,
  a: Assumptions,
  p: Prices,
  instance: InstancePrice,
): Component {
  const run = trainingRun(w, s, a, p, instance);
  const hours = w.runsPerMonth * run.instances * (run.seconds / 3600);
  const shape =
    w.engine === 'emr' ? `${s.instanceType}, 1 primary + ${s.coreCount} core` : `${s.instanceType}, one node`;
  const notes = [
    `${Math.round(run.seconds / 60)} min a run: ${(w.eventsPerDay * w.historyDays).toLocaleString('en-US')} events on ${run.trainingVcpus} vCPUs`,
  ];
  if (run.seconds > a.trainStepTimeoutSeconds)
    notes.push(
      `a run would outlast TrainStep's ${a.trainStepTimeoutSeconds} s timeout: a bigger cluster is needed`,
    );
  const name = w.engine === 'emr' ? 'EMR training' : 'single-machine trainer';
  return component(
    name,
    [
      {
        what: `EC2 + EMR + EBS (${shape})`,
        quantity: hours,
        unit: 'instance-hours',
        usd: w.runsPerMonth * run.usd,
        kind: 'usage',
      },
    ],
    notes,
  );
}

/** Standard-workflow transitions of one run that trains and publishes (statemachines/retrain.asl.yml). */
export function stateTransitionsPerRun(w: Workload, a: Assumptions): number {
  const start = 6; // Config, Route, Prepare, AlreadyTrained, StartCrawler, InitCrawlPolls
  const polls = (a.crawlPolls - 1) * 5 + 3; // Wait, Get, Ready?, Count, Deadline; the last poll stops at Ready?
  const train = 11; // CrawlOutcome … Activate, PublishParts included
  const parts = Math.ceil(w.shoppers / a.usersPerPart); // one Map child (one Task state) per part file
  return start + polls + train + parts;
}

/** A run with nothing new stops at NothingNew: Config, Route, Prepare, AlreadyTrained, NothingNew. */
export const NOTHING_NEW_TRANSITIONS = 5;

export function stepFunctionsCost(w: Workload, a: Assumptions, p: Prices): Component {
  const transitions = w.runsPerMonth * stateTransitionsPerRun(w, a);
  return component('Step Functions', [
    {
      what: 'state transitions',
      quantity: transitions,
      unit: 'transitions',
      usd: (transitions / 1000) * p.stepFunctionsStateTransitions.usd,
      kind: 'usage',
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

export function glueCost(w: Workload, a: Assumptions, p: Prices): Component {
  const dpuHours = w.runsPerMonth * a.crawler.dpu * (a.crawler.billedMinutes / 60);
  return component('Glue crawler', [
    {
      what: `crawls (${a.crawler.dpu} DPU, ${a.crawler.billedMinutes} min billed)`,
      quantity: dpuHours,
      unit: 'DPU-hours',
      usd: dpuHours * p.glueCrawlerDpuHour.usd,
      kind: 'usage',
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
