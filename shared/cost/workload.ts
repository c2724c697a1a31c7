/** What a shop runs (the workload) and what the stage deploys (its sizes), the two inputs of a cost estimate. */

/** AWS prices a month as 730 hours; so does every figure here. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
/** AWS bills "GB" of data and storage as 2^30 bytes. */
export const GB = 1024 ** 3;

export const ENGINES = ['emr', 'single-machine'] as const;
export type Engine = (typeof ENGINES)[number];

export interface Workload {
  eventsPerDay: number;
  shoppers: number;
  products: number;
  /** Average recommendation requests per second (GET …/recommendations). */
  requestsPerSecond: number;
  runsPerMonth: number;
  engine: Engine;
  /** Events per POST /v1/events call (1–500): a storefront sending each event as it happens sends 1. */
  eventsPerRequest: number;
  /** Days of events in the lake; the training job reads all of them (it reads the whole raw zone). */
  historyDays: number;
}

/** The stage's settings that cost depends on (serverless.yml `params`, default merged with the stage). */
export interface StageSizes {
  stage: string;
  lambdaMemoryMb: number;
  logRetentionDays: number;
  firehoseBufferMiB: number;
  firehoseBufferSeconds: number;
  rawInfrequentAccessDays: number;
  rawGlacierDays: number;
  /** The training cluster's (or the single-machine trainer's) instance type, and the EMR core node count. */
  instanceType: string;
  coreCount: number;
  alsRank: number;
}

export const CADENCES = {
  hourly: HOURS_PER_MONTH,
  daily: DAYS_PER_MONTH,
  weekly: HOURS_PER_MONTH / 168,
} as const;

export class WorkloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkloadError';
  }
}

/** `hourly`, `daily`, `weekly`, or a number of runs a month (0 allowed: never retrain). */
export function runsPerMonth(cadence: string): number {
  if (Object.hasOwn(CADENCES, cadence)) return CADENCES[cadence as keyof typeof CADENCES];
  const n = cadence.trim() === '' ? Number.NaN : Number(cadence);
  if (!Number.isFinite(n) || n < 0)
    throw new WorkloadError(`"${cadence}": expected hourly, daily, weekly or a number of runs a month (≥ 0)`);
  return n;
}

/** Fields that must hold for the formulas to mean anything; the message names the field. */
export function checkWorkload(w: Workload): void {
  const nonNegative: (keyof Workload)[] = [
    'eventsPerDay',
    'shoppers',
    'products',
    'requestsPerSecond',
    'runsPerMonth',
  ];
  for (const k of nonNegative) {
    const v = w[k] as number;
    if (!Number.isFinite(v) || v < 0) throw new WorkloadError(`${k} must be a number ≥ 0, got ${v}`);
  }
  if (!Number.isInteger(w.eventsPerRequest) || w.eventsPerRequest < 1 || w.eventsPerRequest > 500)
    throw new WorkloadError(
      `eventsPerRequest must be an integer 1–500 (the API's batch limit), got ${w.eventsPerRequest}`,
    );
  if (!Number.isFinite(w.historyDays) || w.historyDays < 1)
    throw new WorkloadError(`historyDays must be a number ≥ 1, got ${w.historyDays}`);
  if (!(ENGINES as readonly string[]).includes(w.engine))
    throw new WorkloadError(`engine must be one of ${ENGINES.join(', ')}, got ${w.engine}`);
}
