import type { Assumptions } from './assumptions.ts';
import { type Component, component } from './components.ts';
import type { Prices } from './prices.ts';
import { DAYS_PER_MONTH, GB, type StageSizes, type Workload } from './workload.ts';

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
