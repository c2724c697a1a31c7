import type { LiveCounters } from '../ports/live-counters.ts';

type CounterRead = Promise<Map<number, Map<string, number>>>;

/**
 * Live trending's counter reads, shared for `ttlMs` within a process. On Lambda a window's read is one DynamoDB
 * Query per bucket (13, 25 or 29, paginated): answering every `GET /v1/trending` with its own read would cost
 * that many queries per request, for counts that move by a few events a second. So a container reads each window
 * at most once per `ttlMs`, and requests arriving meanwhile (or while the read is in flight) share that read: the
 * list is at most `ttlMs` behind the events. A failed read is not kept, so the next request tries again.
 * `ttlMs` 0 reads on every request (the local server: sqlite reads cost nothing, and a click shows at once).
 */
export function cacheCounterReads(
  counters: Pick<LiveCounters, 'read'>,
  ttlMs: number,
  now: () => number = Date.now,
): Pick<LiveCounters, 'read'> {
  if (!(ttlMs > 0)) return counters;
  // Keyed by the exact bucket list: when the window slides past a bucket edge, its next read is a new entry.
  const reads = new Map<string, { at: number; value: CounterRead }>();
  return {
    read(series, buckets) {
      const key = `${series}\u0000${buckets.join(',')}`;
      const t = now();
      const kept = reads.get(key);
      if (kept !== undefined && t - kept.at < ttlMs) return kept.value;
      for (const [k, r] of reads) if (t - r.at >= ttlMs) reads.delete(k);
      const value = counters.read(series, buckets);
      reads.set(key, { at: t, value });
      value.catch(() => {
        if (reads.get(key)?.value === value) reads.delete(key);
      });
      return value;
    },
  };
}
