import {
  DEFAULT_EVENT_WEIGHTS,
  type EventWeights,
  type InteractionRecord,
  toEpochMs,
} from './interactions.ts';
import type { Scorer } from './scorer.ts';
import type { Csc } from './sparse.ts';

/**
 * Global popularity: the number of distinct users with a positive pair per item ('users'), or the summed
 * confidence ('confidence'). Distinct users is the default: one reseller buying an item 80 times should not
 * make it popular.
 */
export function popularity(csc: Csc, mode: 'users' | 'confidence' = 'users'): Float32Array {
  const out = new Float32Array(csc.rows);
  for (let j = 0; j < csc.rows; j++) {
    if (mode === 'users') out[j] = csc.indptr[j + 1]! - csc.indptr[j]!;
    else {
      let s = 0;
      for (let p = csc.indptr[j]!; p < csc.indptr[j + 1]!; p++) s += csc.values[p]!;
      out[j] = s;
    }
  }
  return out;
}

export function popularityScorer(pop: Float32Array): Scorer {
  return {
    name: 'popularity',
    scoreUser(_u, out) {
      out.set(pop);
    },
  };
}

export const TRENDING_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
export type TrendingWindow = keyof typeof TRENDING_WINDOWS;

/**
 * Trending: per window W, Σ weight × 2^(−age / (W/2)) over the item's events of the last W before `now`.
 * The half-life of half the window favours what is rising now over what was big at the window's start.
 */
export function trending(
  records: Iterable<InteractionRecord>,
  itemIndex: ReadonlyMap<string, number>,
  now: number,
  weights: Partial<EventWeights> = {},
): Record<TrendingWindow, Float32Array> {
  const w: EventWeights = { ...DEFAULT_EVENT_WEIGHTS, ...weights };
  const n = itemIndex.size;
  const out = { '1h': new Float32Array(n), '24h': new Float32Array(n), '7d': new Float32Array(n) };
  forEachPositiveEvent(records, itemIndex, now, w, (j, weight, age) => {
    for (const key of ['1h', '24h', '7d'] as const) {
      const win = TRENDING_WINDOWS[key];
      if (age <= win) out[key][j]! += weight * 2 ** (-age / (win / 2));
    }
  });
  return out;
}

/**
 * Recent popularity: Σ weight × 2^(−age / halfLife) over each item's positive events before `now`. A long
 * history with a short half-life tracks seasonal demand (a gift shop in the weeks before Christmas).
 */
export function decayedPopularity(
  records: Iterable<InteractionRecord>,
  itemIndex: ReadonlyMap<string, number>,
  now: number,
  halfLifeDays: number,
  weights: Partial<EventWeights> = {},
): Float32Array {
  const w: EventWeights = { ...DEFAULT_EVENT_WEIGHTS, ...weights };
  const out = new Float32Array(itemIndex.size);
  const halfLife = halfLifeDays * 86_400_000;
  forEachPositiveEvent(records, itemIndex, now, w, (j, weight, age) => {
    out[j]! += weight * 2 ** (-age / halfLife);
  });
  return out;
}

/**
 * The events both recency scores count: each eventId once, positive finite weights only (trending and recent
 * popularity measure attention, not sentiment: vetoes and negatives are left out), known items, not after `now`.
 */
function forEachPositiveEvent(
  records: Iterable<InteractionRecord>,
  itemIndex: ReadonlyMap<string, number>,
  now: number,
  w: EventWeights,
  visit: (item: number, weight: number, ageMs: number) => void,
): void {
  const seen = new Set<string>();
  for (const r of records) {
    if (r.eventId !== undefined) {
      if (seen.has(r.eventId)) continue;
      seen.add(r.eventId);
    }
    const weight = r.weight ?? w[r.type];
    if (!(weight > 0) || !Number.isFinite(weight)) continue;
    const j = itemIndex.get(r.itemId);
    if (j === undefined) continue;
    const age = now - toEpochMs(r.timestamp);
    if (age < 0) continue;
    visit(j, weight, age);
  }
}
