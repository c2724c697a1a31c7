import { LIVE_WINDOWS, windowBuckets } from '../live/windows.ts';
import type { LiveCounters } from '../ports/live-counters.ts';
import type { ServingModel } from './model-cache.ts';

const DAY_MS = 86_400_000;

interface Snapshot {
  readAt: number;
  halfLifeDays: number;
  /** Item id → decayed count at `readAt`. */
  scores: Map<string, number>;
  /** The last vector built from it, for the model it was built for. */
  vector?: { model: ServingModel; values: Float32Array };
}

/**
 * The blend's live trend (shared/model/fold-in-freshness.ts, `trend`) from the counters ingestion keeps: every
 * shopper's events per item, each decayed by its age with the model's calibrated half-life, by the model's item
 * index. The 7-day window's six-hour buckets are what it reads (an event's age is its bucket's middle; older
 * events have left the counters, which at the default 3-day half-life drops what would weigh under a fifth).
 * One read serves a process for `refreshMs`, so a request costs no counter read of its own: once stale, the next
 * request starts a new read in the background and answers from the last one. Only the first read is waited for;
 * if it fails, the recommender reports it and answers without the trend, and the next request tries again.
 */
export function createLiveTrend(
  counters: Pick<LiveCounters, 'read'>,
  /** The trend moves over hours, not seconds: a minute on Lambda (DynamoDB queries), a second locally. */
  refreshMs: number,
): (model: ServingModel, now: number) => Promise<Float32Array | undefined> {
  let snapshot: Snapshot | undefined;
  let pending: Promise<Snapshot> | undefined;

  const read = async (now: number, halfLifeDays: number): Promise<Snapshot> => {
    const { series, bucketMs } = LIVE_WINDOWS['7d'];
    const buckets = windowBuckets('7d', now);
    const counts = await counters.read(
      series,
      buckets.map((b) => b.bucket),
    );
    const halfLifeMs = halfLifeDays * DAY_MS;
    const scores = new Map<string, number>();
    for (const { bucket, share } of buckets) {
      const decay = 0.5 ** (Math.max(0, now - (bucket + bucketMs / 2)) / halfLifeMs);
      for (const [item, amount] of counts.get(bucket) ?? [])
        scores.set(item, (scores.get(item) ?? 0) + amount * share * decay);
    }
    // Refunds (a batch the lake refused) can leave a counter at zero: only what still counts stays.
    for (const [item, score] of scores) if (!(score > 1e-9)) scores.delete(item);
    return { readAt: now, halfLifeDays, scores };
  };

  return async (model, now) => {
    const { weight, halfLifeDays } = model.freshness.trend;
    if (!(weight > 0)) return undefined;
    const refresh = () => {
      pending ??= read(now, halfLifeDays)
        .then((fresh) => {
          snapshot = fresh;
          return fresh;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    };
    let s = snapshot;
    if (s === undefined || s.halfLifeDays !== halfLifeDays) s = await refresh();
    else if (now - s.readAt >= refreshMs)
      // Stale: this request takes the last read, the next ones the new; a failed refresh is retried by the next.
      refresh().catch(() => {});
    // Nothing counted in the window (a new stage, a quiet week): no trend, and the published lists serve as they are.
    if (s.scores.size === 0) return undefined;
    if (s.vector?.model === model) return s.vector.values;
    const values = new Float32Array(model.model.itemIds.length);
    for (const [item, score] of s.scores) {
      const j = model.model.itemIndex.get(item);
      if (j !== undefined) values[j] = score;
    }
    s.vector = { model, values };
    return values;
  };
}
