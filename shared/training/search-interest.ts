import type { EventType } from '../domain/event.ts';
import { EVENT_WEIGHTS_CONFIG, type InteractionRecord, toEpochMs } from '../model/interactions.ts';

/**
 * Search as a signal. A search states what the shopper wants in his own words; the item he then clicks, puts in
 * the cart or buys is the answer he chose, a stronger sign of interest than the same click while browsing. So each
 * such item gets one extra record of type `search` (weight `search` of event-weights.json) per search it followed
 * within `searchWindowMinutes` — also when the event carries the search's `query` itself (a click on a result).
 * Views are not follow-ups: a results page shows many items, a view of one proves no choice.
 */
export const FOLLOW_UP_TYPES: ReadonlySet<EventType> = new Set(['click', 'add_to_cart', 'purchase']);

/** The searches of each signed-in shopper, as epoch ms (any order). */
export type SearchTimes = Map<string, number[]>;

export function addSearch(searches: SearchTimes, userId: string, at: number): void {
  const list = searches.get(userId);
  if (list === undefined) searches.set(userId, [at]);
  else list.push(at);
}

/** The newest search at or before `at`, or −∞ (`times` ascending). */
function lastSearchAtOrBefore(times: readonly number[], at: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? times[lo - 1]! : Number.NEGATIVE_INFINITY;
}

/**
 * The `search` records for the follow-ups among `records`: one per (shopper, item, search), timed at the first
 * follow-up read, with the eventId `<follow-up eventId>:search` (so a rerun reads the same ids).
 */
export function searchFollowUps(
  records: readonly InteractionRecord[],
  searches: SearchTimes,
  windowMinutes = EVENT_WEIGHTS_CONFIG.searchWindowMinutes,
): InteractionRecord[] {
  if (searches.size === 0) return [];
  const windowMs = windowMinutes * 60_000;
  for (const times of searches.values()) times.sort((a, b) => a - b);
  const seen = new Set<string>();
  const out: InteractionRecord[] = [];
  for (const r of records) {
    if (!FOLLOW_UP_TYPES.has(r.type)) continue;
    const times = searches.get(r.userId);
    if (times === undefined) continue;
    const at = toEpochMs(r.timestamp);
    const search = lastSearchAtOrBefore(times, at);
    if (!(at - search <= windowMs)) continue;
    const key = `${r.userId}\u0000${r.itemId}\u0000${search}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      userId: r.userId,
      itemId: r.itemId,
      type: 'search',
      timestamp: r.timestamp,
      ...(r.eventId !== undefined ? { eventId: `${r.eventId}:search` } : {}),
    });
  }
  return out;
}
