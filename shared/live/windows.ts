import type { EventType } from '../domain/event.ts';
import { DEFAULT_EVENT_WEIGHTS } from '../model/interactions.ts';
import type { CounterIncrement, LiveCounters } from '../ports/live-counters.ts';

/**
 * Live trending's sliding windows over bucketed counters. Each window reads the buckets of its own granularity:
 * a bucket a twelfth of the window or finer keeps the window's edge within ~8 % of its length, and the edge
 * bucket is weighted by the share of it still inside the window, so the sum slides instead of jumping.
 * 1h: 13 five-minute buckets; 24h: 25 hourly; 7d: 29 six-hourly. An event adds to one bucket of each.
 */
export const LIVE_WINDOWS = {
  '1h': { series: 'trend:5m', bucketMs: 300_000, windowMs: 3_600_000 },
  '24h': { series: 'trend:1h', bucketMs: 3_600_000, windowMs: 86_400_000 },
  '7d': { series: 'trend:6h', bucketMs: 21_600_000, windowMs: 604_800_000 },
} as const;
export type LiveWindow = keyof typeof LIVE_WINDOWS;

/** Events per UTC day (of the event's own timestamp) and type: member `<yyyy-mm-dd>#<type>`, one bucket (0). */
export const EVENTS_PER_DAY = 'events:day';

/** A client clock a little ahead is taken as now; further ahead, the event is not counted as trending. */
const FUTURE_SLACK_MS = 300_000;

/** The slice of a stored event the counters read. */
export interface CountedEvent {
  type: EventType;
  itemId?: string;
  timestamp: string;
}

/**
 * The increments a batch of accepted events makes, summed per counter: every event adds 1 to its day and type;
 * an event with an item and a positive weight (event-weights.json, as the trained trending counts) adds that
 * weight to the bucket of each window it still falls in. `sign` −1 takes a batch back out (what the lake refused).
 */
export function liveIncrements(events: readonly CountedEvent[], now: number, sign = 1): CounterIncrement[] {
  const sums = new Map<string, CounterIncrement>();
  const add = (series: string, bucket: number, member: string, amount: number, expiresAt?: number) => {
    const key = `${series}\u0000${bucket}\u0000${member}`;
    const found = sums.get(key);
    if (found !== undefined) found.amount += amount;
    else sums.set(key, { series, bucket, member, amount, ...(expiresAt !== undefined ? { expiresAt } : {}) });
  };
  for (const e of events) {
    add(EVENTS_PER_DAY, 0, `${e.timestamp.slice(0, 10)}#${e.type}`, sign);
    // A search's weight is training's bonus for the items chosen after it (search-interest.ts), not a count.
    const weight = e.type === 'search' ? 0 : DEFAULT_EVENT_WEIGHTS[e.type];
    if (e.itemId === undefined || !(weight > 0) || !Number.isFinite(weight)) continue;
    let t = Date.parse(e.timestamp);
    if (!Number.isFinite(t) || t > now + FUTURE_SLACK_MS) continue;
    t = Math.min(t, now);
    for (const { series, bucketMs, windowMs } of Object.values(LIVE_WINDOWS)) {
      if (now - t > windowMs) continue;
      const bucket = Math.floor(t / bucketMs) * bucketMs;
      // Needed until its end has left the window.
      add(series, bucket, e.itemId, sign * weight, Math.ceil((bucket + bucketMs + windowMs) / 1000));
    }
  }
  return [...sums.values()];
}

/** The buckets a window ending at `now` overlaps, oldest first, with the share of each inside the window. */
export function windowBuckets(window: LiveWindow, now: number): { bucket: number; share: number }[] {
  const { bucketMs, windowMs } = LIVE_WINDOWS[window];
  const from = now - windowMs;
  const out: { bucket: number; share: number }[] = [];
  for (let b = Math.floor(from / bucketMs) * bucketMs; b <= now; b += bucketMs)
    out.push({ bucket: b, share: Math.min(1, (b + bucketMs - from) / bucketMs) });
  return out;
}

/** The window's items by their weighted event count, highest first (ties by item id); empty when nothing counted. */
export async function liveTrending(
  counters: Pick<LiveCounters, 'read'>,
  window: LiveWindow,
  now: number,
): Promise<[itemId: string, score: number][]> {
  const buckets = windowBuckets(window, now);
  const read = await counters.read(
    LIVE_WINDOWS[window].series,
    buckets.map((b) => b.bucket),
  );
  const scores = new Map<string, number>();
  for (const { bucket, share } of buckets)
    for (const [item, amount] of read.get(bucket) ?? [])
      scores.set(item, (scores.get(item) ?? 0) + amount * share);
  return [...scores.entries()]
    .filter(([, s]) => s > 1e-9)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Events per day and type from the counters, days in order: the data statistics' chart. */
export async function eventsPerDay(
  counters: Pick<LiveCounters, 'read'>,
): Promise<{ day: string; counts: Record<string, number> }[]> {
  const days = new Map<string, Record<string, number>>();
  for (const [member, n] of (await counters.read(EVENTS_PER_DAY, [0])).get(0) ?? []) {
    const at = member.indexOf('#');
    const day = member.slice(0, at);
    if (n <= 0) continue;
    let counts = days.get(day);
    if (counts === undefined) {
      counts = {};
      days.set(day, counts);
    }
    counts[member.slice(at + 1)] = n;
  }
  return [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, counts]) => ({ day, counts }));
}
