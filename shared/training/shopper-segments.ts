import { segmentsOf } from '../domain/user-segments.ts';
import {
  DEFAULT_EVENT_WEIGHTS,
  type EventWeights,
  type InteractionRecord,
  toEpochMs,
} from '../model/interactions.ts';
import type { ShopperProfile } from './shoppers-input.ts';

/** The artifact file serving's cold start reads (docs/model-artifact.md). */
export const SEGMENTS_FILE = 'segments.json';

export interface SegmentOptions {
  /** Items kept per segment. */
  top?: number;
  /** A segment needs this many shoppers with history: fewer is noise, and could single a shopper out. */
  minShoppers?: number;
  /** An interaction counts 0.5^(age / halfLifeDays), age from the newest event: popular, leaning to trending. */
  halfLifeDays?: number;
  weights?: Partial<EventWeights>;
}

export interface SegmentLists {
  /** Segment key → [itemId, score], best first. */
  segments: Record<string, [string, number][]>;
  /** Segment key → shoppers with history in it. */
  shoppers: Record<string, number>;
}

/**
 * What is popular and trending among similar shoppers (same country, age band …: shared/domain/user-segments.ts),
 * from the lake's profiles joined with the training events: per segment, each item scores the shoppers of the
 * segment whose interactions with it sum to a positive weight, each counted by the decay of their latest one.
 */
export function segmentLists(
  records: readonly InteractionRecord[],
  profiles: ReadonlyMap<string, ShopperProfile>,
  options: SegmentOptions = {},
): SegmentLists {
  const top = options.top ?? 100;
  const minShoppers = options.minShoppers ?? 5;
  const halfLifeMs = (options.halfLifeDays ?? 30) * 86_400_000;
  const weights = { ...DEFAULT_EVENT_WEIGHTS, ...options.weights };
  // Per (shopper, item): summed weight and the latest time.
  const pairs = new Map<string, Map<string, { w: number; at: number }>>();
  let newest = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (!profiles.has(r.userId)) continue;
    const at = toEpochMs(r.timestamp);
    if (at > newest) newest = at;
    let items = pairs.get(r.userId);
    if (items === undefined) {
      items = new Map();
      pairs.set(r.userId, items);
    }
    const pair = items.get(r.itemId) ?? { w: 0, at };
    const w = weights[r.type] ?? 0;
    // A veto (not_interested) outweighs everything, as in training.
    pair.w += Number.isFinite(w) ? w : Number.NEGATIVE_INFINITY;
    pair.at = Math.max(pair.at, at);
    items.set(r.itemId, pair);
  }
  const scores = new Map<string, Map<string, number>>();
  const shoppers: Record<string, number> = {};
  for (const [userId, items] of pairs) {
    const keys = segmentsOf(profiles.get(userId)!).map((s) => s.key);
    for (const key of keys) {
      shoppers[key] = (shoppers[key] ?? 0) + 1;
      let seg = scores.get(key);
      if (seg === undefined) {
        seg = new Map();
        scores.set(key, seg);
      }
      for (const [itemId, { w, at }] of items)
        if (w > 0) seg.set(itemId, (seg.get(itemId) ?? 0) + 0.5 ** ((newest - at) / halfLifeMs));
    }
  }
  const segments: Record<string, [string, number][]> = {};
  for (const [key, seg] of [...scores].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if ((shoppers[key] ?? 0) < minShoppers) {
      delete shoppers[key];
      continue;
    }
    segments[key] = [...seg]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, top)
      .map(([itemId, s]) => [itemId, Math.fround(s)]);
  }
  for (const key of Object.keys(shoppers)) if (segments[key] === undefined) delete shoppers[key];
  return { segments, shoppers };
}
