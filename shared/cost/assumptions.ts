/**
 * Figures the estimate needs that no price sheet gives: sizes, durations and counts of this system. Each says
 * where it comes from; docs/cost.md lists them with the formulas. Passed whole, so a test or a caller can vary one.
 */
export interface Assumptions {
  /** Bytes of one event as a JSON line in the lake (and as sent to Personalize). */
  eventBytes: number;
  /** Uncompressed over GZIP size of the lake's JSON lines. */
  gzipRatio: number;
  /** One activity row in DynamoDB, with the 100 bytes of per-item overhead DynamoDB bills. */
  activityRowBytes: number;
  /** Days an activity row lives (ACTIVITY_LIMITS.ttlSeconds). */
  activityTtlDays: number;
  /** One published list (50 items) as a DynamoDB item. */
  listItemBytes: number;
  /**
   * Days a version's published lists live in the lists table (LIST_TTL_SECONDS in shared/registry/list-expiry.ts):
   * every version published in that window is stored, the serving one refreshed before it expires.
   */
  listTtlDays: number;
  catalogItemBytes: number;
  /** Read request units of one GET recommendations (eventually consistent reads, half a unit per 4 KB). */
  readUnitsPerRequest: { list: number; activity: number; exclusions: number; catalogItems: number };
  /** Bytes of one recommendations response on the wire (JSON of 10 items, gzip above 1 KiB). */
  responseBytes: number;
  /** Customer managed KMS keys in the stack (resources/emr.yml). */
  kmsKeys: number;
  /** Average billed Lambda duration. */
  ingestMs: number;
  servingMs: number;
  /** The state machine's Lambdas (prepare, evaluate, list parts, write parts, check, activate) per run. */
  pipelineInvocationsPerRun: number;
  pipelineGbSecondsPerRun: number;
  /** Log bytes per Lambda invocation (START/END/REPORT lines, one log line, the EMF metrics blob). */
  logBytesPerInvocation: number;
  /** API Gateway access log bytes per request. */
  accessLogBytesPerRequest: number;
  /** Stored (compressed) over ingested log bytes. */
  logStorageRatio: number;
  customMetrics: number;
  alarms: number;
  dashboards: number;
  /** X-Ray's default sampling rule: the first request each second, then this share of the rest. */
  traceReservoirPerSecond: number;
  traceRate: number;
  /** Training throughput and fixed time per run; events per vCPU-second of the nodes that train. */
  emr: { eventsPerVcpuSecond: number; overheadSeconds: number; ebsGbPerInstance: number };
  singleMachine: { eventsPerVcpuSecond: number; overheadSeconds: number; ebsGbPerInstance: number };
  /** TrainStep's TimeoutSeconds in statemachines/retrain.asl.yml. */
  trainStepTimeoutSeconds: number;
  crawler: { dpu: number; billedMinutes: number };
  /** GetCrawler polls (20 s apart) before the crawl is READY. */
  crawlPolls: number;
  /** Lines per recommendation part file (docs/model-artifact.md), one Map child each. */
  usersPerPart: number;
  recommendationsPerUser: number;
  /** Bytes of one [itemId, score] pair in a part file. */
  recommendationBytes: number;
  firehoseRecordRoundingBytes: number;
  /** S3 lifecycle leaves objects smaller than this in STANDARD (the default since September 2024). */
  s3MinTransitionBytes: number;
  personalize: {
    trainingHoursPerMillionInteractions: number;
    minTrainingHoursPerRun: number;
    minTps: number;
  };
}

export const DEFAULT_ASSUMPTIONS: Readonly<Assumptions> = Object.freeze({
  // The test lakes measure 188 bytes a line with short ids; real ids and properties make it longer.
  eventBytes: 250,
  // Measured: 5.1 over the lakes the test suite writes.
  gzipRatio: 5,
  activityRowBytes: 350,
  activityTtlDays: 90,
  // pk, modelVersion, userId and 50 [itemId, score] pairs as JSON.
  listItemBytes: 1400,
  listTtlDays: 30,
  catalogItemBytes: 1000,
  // List ≤ 4 KB: 0.5; 50 activity rows ≈ 12 KB: 1.5; exclusions: 0.5; catalog rows not in the 30 s cache: 10 × 0.5.
  readUnitsPerRequest: { list: 0.5, activity: 1.5, exclusions: 0.5, catalogItems: 10 },
  responseBytes: 1500,
  kmsKeys: 1,
  ingestMs: 40,
  servingMs: 50,
  pipelineInvocationsPerRun: 20,
  pipelineGbSecondsPerRun: 600,
  logBytesPerInvocation: 1500,
  accessLogBytesPerRequest: 400,
  logStorageRatio: 0.15,
  // What issue 13's observability adds: metrics by outcome, variant and source; ~15 alarms; one dashboard.
  customMetrics: 25,
  alarms: 15,
  dashboards: 1,
  traceReservoirPerSecond: 1,
  traceRate: 0.05,
  // Not measured on EMR. Spark local mode ran the job on 5M events in minutes on 2 cores (ARCHITECTURE: 6.7×
  // faster than 2,000 + 770 s of top-N alone), ~5,000 events per core-second; halved for S3 reads and shuffles
  // between nodes. Overhead: cluster provisioning and bootstrap (~7 min) and Spark start-up.
  emr: { eventsPerVcpuSecond: 2500, overheadSeconds: 600, ebsGbPerInstance: 64 },
  singleMachine: { eventsPerVcpuSecond: 5000, overheadSeconds: 300, ebsGbPerInstance: 64 },
  trainStepTimeoutSeconds: 7200,
  crawler: { dpu: 2, billedMinutes: 10 },
  crawlPolls: 9,
  usersPerPart: 10000,
  recommendationsPerUser: 50,
  recommendationBytes: 25,
  firehoseRecordRoundingBytes: 5 * 1024,
  s3MinTransitionBytes: 128 * 1024,
  // A guess: Personalize publishes no training throughput. Read SolutionVersion.trainingHours and pass it.
  personalize: { trainingHoursPerMillionInteractions: 0.5, minTrainingHoursPerRun: 1, minTps: 1 },
});
