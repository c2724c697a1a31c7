import type { Assumptions } from './assumptions.ts';
import {
  apiGatewayCost,
  type Component,
  cloudWatchCost,
  dynamoDbCost,
  firehoseCost,
  kmsCost,
  lambdaCost,
  xrayCost,
} from './components.ts';
import { s3Cost } from './lake.ts';
import {
  type PersonalizeOptions,
  personalizeBatchUsd,
  personalizeCost,
  personalizeIdleUsd,
} from './personalize.ts';
import type { PriceSheet } from './prices.ts';
import {
  glueCost,
  NOTHING_NEW_TRANSITIONS,
  stepFunctionsCost,
  type TrainingRun,
  trainingCost,
  trainingRun,
} from './training.ts';
import { checkWorkload, type StageSizes, type Workload, WorkloadError } from './workload.ts';

export interface Estimate {
  region: string;
  pricesAsOf: string;
  caveat: string;
  workload: Workload;
  stage: StageSizes;
  components: Component[];
  monthlyUsd: number;
  trainingRun: TrainingRun;
  personalize: Component & { batchAlternativeUsd: number; idleUsd: number };
  /** Ours over Personalize (real time). */
  ratio: number;
  /** Ours over Personalize without its training line, whose hours are a guess unless given. */
  ratioWithoutTraining: number;
  idle: { usd: number; items: { component: string; what: string; usd: number }[]; personalizeUsd: number };
}

export function estimate(
  w: Workload,
  s: StageSizes,
  a: Assumptions,
  sheet: PriceSheet,
  o: PersonalizeOptions = {},
): Estimate {
  checkWorkload(w);
  const instance = sheet.instances[s.instanceType];
  if (instance === undefined)
    throw new WorkloadError(
      `instance type ${s.instanceType} has no price in the price sheet; priced: ${Object.keys(sheet.instances).join(', ')}`,
    );
  if (!Number.isInteger(s.coreCount) || s.coreCount < 1)
    throw new WorkloadError(`EMR core count must be an integer ≥ 1, got ${s.coreCount}`);
  const p = sheet.prices;
  const components = [
    apiGatewayCost(w, a, p),
    lambdaCost(w, s, a, p),
    firehoseCost(w, a, p),
    s3Cost(w, s, a, p),
    dynamoDbCost(w, a, p),
    trainingCost(w, s, a, p, instance),
    glueCost(w, a, p),
    stepFunctionsCost(w, a, p),
    cloudWatchCost(w, s, a, p),
    xrayCost(w, a, p),
    kmsCost(a, p),
  ];
  const monthlyUsd = components.reduce((sum, c) => sum + c.usd, 0);
  const personalize = {
    ...personalizeCost(w, a, p, o),
    batchAlternativeUsd: personalizeBatchUsd(w, p),
    idleUsd: personalizeIdleUsd(a, p),
  };
  return {
    region: sheet.region,
    pricesAsOf: sheet.pricesAsOf,
    caveat: sheet.caveat,
    workload: w,
    stage: s,
    components,
    monthlyUsd,
    trainingRun: trainingRun(w, s, a, p, instance),
    personalize,
    ratio: monthlyUsd / personalize.usd,
    ratioWithoutTraining:
      monthlyUsd / (personalize.usd - (personalize.items.find((i) => i.unit === 'training hours')?.usd ?? 0)),
    idle: idleMonth(components, w, a, sheet),
  };
}

/**
 * A month with no events and no requests after `historyDays` of traffic: what is stored stays billed, fixed fees
 * stay, and each scheduled run stops at NothingNew (the data's fingerprint is unchanged), so no cluster starts.
 */
function idleMonth(
  components: Component[],
  w: Workload,
  a: Assumptions,
  sheet: PriceSheet,
): Estimate['idle'] {
  const items = components.flatMap((c) =>
    c.items
      .filter((i) => i.kind !== 'usage' && i.usd > 0)
      .map((i) => ({ component: c.name, what: i.what, usd: i.usd })),
  );
  const transitions = w.runsPerMonth * NOTHING_NEW_TRANSITIONS;
  const runsUsd = (transitions / 1000) * sheet.prices.stepFunctionsStateTransitions.usd;
  if (w.runsPerMonth > 0)
    items.push({ component: 'Step Functions', what: 'scheduled runs ending at NothingNew', usd: runsUsd });
  return {
    usd: items.reduce((s, i) => s + i.usd, 0),
    items,
    personalizeUsd: personalizeIdleUsd(a, sheet.prices),
  };
}
