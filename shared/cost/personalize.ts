import type { Assumptions } from './assumptions.ts';
import { type Component, component } from './components.ts';
import { type Prices, tieredCost } from './prices.ts';
import { DAYS_PER_MONTH, GB, HOURS_PER_MONTH, type Workload } from './workload.ts';

export interface PersonalizeOptions {
  /** Billed training hours of one full retrain; estimated from the interactions when absent. */
  trainingHoursPerRun?: number;
}

/** Billed training hours of one retrain on `historyDays` of interactions (a guess unless given: see assumptions). */
export function personalizeTrainingHours(w: Workload, a: Assumptions, o: PersonalizeOptions = {}): number {
  if (o.trainingHoursPerRun !== undefined) return o.trainingHoursPerRun;
  const millions = (w.eventsPerDay * w.historyDays) / 1e6;
  return Math.max(
    a.personalize.minTrainingHoursPerRun,
    millions * a.personalize.trainingHoursPerMillionInteractions,
  );
}

/**
 * Amazon Personalize for the same workload, real time: events streamed in (PutEvents), a full retrain per run, and a
 * custom campaign answering the same requests. The campaign bills max(minimum provisioned TPS, TPS used) every hour,
 * so traffic at a steady average is the cheapest case; peaks only add.
 */
export function personalizeCost(
  w: Workload,
  a: Assumptions,
  p: Prices,
  o: PersonalizeOptions = {},
): Component {
  const ingestGb = (w.eventsPerDay * DAYS_PER_MONTH * a.eventBytes) / GB;
  const hoursPerRun = personalizeTrainingHours(w, a, o);
  const trainingHours = w.runsPerMonth * hoursPerRun;
  const tpsHours = Math.max(a.personalize.minTps, w.requestsPerSecond) * HOURS_PER_MONTH;
  return component(
    'Amazon Personalize (real-time campaign)',
    [
      {
        what: 'events ingested',
        quantity: ingestGb,
        unit: 'GB',
        usd: ingestGb * p.personalizeIngestGb.usd,
        kind: 'usage',
      },
      {
        what: `training, ${round(hoursPerRun)} h a run`,
        quantity: trainingHours,
        unit: 'training hours',
        usd: trainingHours * p.personalizeTrainingHour.usd,
        kind: 'usage',
      },
      {
        what: `campaign, ${Math.max(a.personalize.minTps, w.requestsPerSecond)} TPS provisioned or used`,
        quantity: tpsHours,
        unit: 'TPS-hours',
        usd: tieredCost(tpsHours, p.personalizeTpsHour),
        kind: 'usage',
      },
    ],
    o.trainingHoursPerRun === undefined
      ? [
          `training hours are a guess (${a.personalize.trainingHoursPerMillionInteractions} h per million interactions): pass the trainingHours of a real solution version`,
        ]
      : [],
  );
}

/** Batch inference instead of a campaign: one recommendation per shopper per run, no real-time requests. */
export function personalizeBatchUsd(w: Workload, p: Prices): number {
  return tieredCost(w.runsPerMonth * w.shoppers, p.personalizeBatchRecommendations, 1000);
}

/** A month without traffic or retraining: the campaign still bills its minimum TPS. */
export function personalizeIdleUsd(a: Assumptions, p: Prices): number {
  return tieredCost(a.personalize.minTps * HOURS_PER_MONTH, p.personalizeTpsHour);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
