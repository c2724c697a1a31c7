/**
 * Generated shops for the quality benchmark, as interaction records with times: shoppers in taste segments
 * (each favouring a Zipf-distributed slice of the catalogue), the rest of their picks following global
 * popularity, activity skewed like a shop's. Two variants:
 * - `timeless`: every event's time is uniform over the half-year, whatever was picked: time carries no signal.
 * - `seasonal`: items launch through the half-year and half of each pick is among the items launched in the
 *   three weeks before it (fashion, new releases); each shopper is active in a window of a month or two. What is
 *   new now is what sells now: time carries signal.
 * Deterministic from the seed.
 */
import type { InteractionRecord } from '../../shared/model/interactions.ts';
import { mulberry32 } from '../../shared/model/rng.ts';
import { zipf } from './planted.ts';

const DAY = 86_400_000;
const START = Date.parse('2024-01-01T00:00:00Z');
const SPAN_DAYS = 180;

export interface ShopOptions {
  users?: number;
  items?: number;
  segments?: number;
  meanPerUser?: number;
  seed?: number;
}

export function generatedShop(kind: 'timeless' | 'seasonal', o: ShopOptions = {}): InteractionRecord[] {
  const users = o.users ?? 4000;
  const items = o.items ?? 2000;
  const segments = o.segments ?? 20;
  const mean = o.meanPerUser ?? 20;
  const rand = mulberry32(o.seed ?? 7);
  const slice = Math.floor(items / 10);
  const sliceStart = Int32Array.from({ length: segments }, () => Math.floor(rand() * items));
  const globalRank = Int32Array.from({ length: items }, (_, i) => i);
  for (let i = items - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [globalRank[i], globalRank[j]] = [globalRank[j]!, globalRank[i]!];
  }
  // Items by launch day (seasonal): item id order is launch order, so the fresh ones are a contiguous range.
  const launch = Float64Array.from({ length: items }, (_, i) => (i / items) * SPAN_DAYS);
  const inSlice = zipf(slice, rand);
  const global = zipf(items, rand);
  const out: InteractionRecord[] = [];
  for (let u = 0; u < users; u++) {
    const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const want = Math.max(2, Math.min(items / 5, Math.round(mean * 0.55 * Math.exp(0.9 * g))));
    const segment = Math.floor(rand() * segments);
    const activeFrom = kind === 'seasonal' ? rand() * (SPAN_DAYS - 30) : 0;
    const activeDays = kind === 'seasonal' ? 30 + rand() * 30 : SPAN_DAYS;
    const seen = new Set<number>();
    for (let attempts = 0; seen.size < want && attempts < want * 20; attempts++) {
      const day = Math.min(SPAN_DAYS, activeFrom + rand() * activeDays);
      let item: number;
      if (kind === 'seasonal' && rand() < 0.5) {
        // Among the items launched in the last three weeks, the newest most likely.
        const hi = Math.min(items - 1, Math.floor((day / SPAN_DAYS) * items));
        const lo = Math.max(0, Math.floor(((day - 21) / SPAN_DAYS) * items));
        item = hi - Math.floor((hi - lo + 1) * rand() * rand());
        if (launch[item]! > day) continue;
      } else {
        item = rand() < 0.75 ? (sliceStart[segment]! + inSlice()) % items : globalRank[global()]!;
      }
      if (seen.has(item)) continue;
      seen.add(item);
      out.push({
        userId: `u${u}`,
        itemId: `i${item}`,
        type: 'purchase',
        value: 1,
        timestamp: START + Math.round(day * DAY),
        eventId: `${u}-${item}`,
      });
    }
  }
  return out;
}

/** The cut of the seasonal shop's temporal test: its last 30 days. */
export const SEASONAL_CUTOFF = START + (SPAN_DAYS - 30) * DAY;
