import type { InteractionRecord } from '../model/interactions.ts';
import { DEFAULT_EVENT_WEIGHTS, EVENT_WEIGHTS_CONFIG, toEpochMs } from '../model/interactions.ts';

/**
 * Exposure without a click as a weak negative: an item shown to a signed-in shopper (the impressions zone,
 * raw/impressions) that the shopper did nothing positive with afterwards. Each such exposure becomes a training
 * record of `exposureWithoutClick` weight (event-weights.json), so it lowers the confidence of a pair the shopper
 * did interact with before being shown it again and again. A pair with no positive event at all gets none: its
 * summed confidence could only be negative, which training drops, and the implicit models already treat an
 * unobserved pair as a negative.
 */
export function createExposureCollector() {
  /** `<userId>\0<itemId>` → exposure times (epoch ms) with the list's id. */
  const exposed = new Map<string, { at: number; id: string }[]>();
  const seen = new Set<string>();
  let lists = 0;
  return {
    add(value: unknown) {
      const i = value as {
        recommendationId?: unknown;
        shopper?: unknown;
        items?: unknown;
        timestamp?: unknown;
      };
      if (typeof i.recommendationId !== 'string' || seen.has(i.recommendationId)) return;
      if (typeof i.shopper !== 'string' || !i.shopper.startsWith('u:') || !Array.isArray(i.items)) return;
      const at = typeof i.timestamp === 'string' ? Date.parse(i.timestamp) : Number.NaN;
      if (!Number.isFinite(at)) return;
      seen.add(i.recommendationId);
      lists++;
      const userId = i.shopper.slice(2);
      for (const item of i.items) {
        if (typeof item !== 'string') continue;
        const key = `${userId}\u0000${item}`;
        let times = exposed.get(key);
        if (times === undefined) {
          times = [];
          exposed.set(key, times);
        }
        times.push({ at, id: i.recommendationId });
      }
    },
    get lists() {
      return lists;
    },
    /** The weak-negative records: exposures after the pair's last positive event (or of a pair without one). */
    records(events: readonly InteractionRecord[], weight = exposureWeight()): InteractionRecord[] {
      if (weight === 0 || exposed.size === 0) return [];
      const lastPositive = new Map<string, number>();
      for (const r of events) {
        if (!(DEFAULT_EVENT_WEIGHTS[r.type] > 0)) continue;
        const key = `${r.userId}\u0000${r.itemId}`;
        const t = toEpochMs(r.timestamp);
        if (!(t <= (lastPositive.get(key) ?? Number.NEGATIVE_INFINITY))) lastPositive.set(key, t);
      }
      const out: InteractionRecord[] = [];
      for (const [key, times] of exposed) {
        // Only a pair with a positive event can lose confidence; any other stays unobserved anyway.
        const last = lastPositive.get(key);
        if (last === undefined) continue;
        const at = key.indexOf('\u0000');
        for (const { at: t, id } of times)
          if (t > last)
            out.push({
              userId: key.slice(0, at),
              itemId: key.slice(at + 1),
              // A sighting: the record's type for the splits; its confidence is `weight`, not the view's.
              type: 'view',
              weight,
              // Stamped with the pair's last event, so what training dates by events (the newest event, an
              // item's last sighting, decay, the temporal splits) stays as the events alone make it.
              timestamp: last,
              eventId: `exposure:${id}:${key.slice(at + 1)}`,
            });
      }
      return out;
    },
  };
}

/** event-weights.json's `exposureWithoutClick` (0 when absent: exposures are then not used). */
function exposureWeight(): number {
  return EVENT_WEIGHTS_CONFIG.exposureWithoutClick ?? 0;
}
