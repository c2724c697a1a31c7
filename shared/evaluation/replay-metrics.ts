import type { FreshnessTrial } from '../model/fold-in-freshness.ts';

/**
 * The figures of a replay (bench/replay.bench.ts): each purchase of an item new to the shopper, asked before it
 * happened, is one case with the item's rank in the list served (0 when it was not in the top k). Hit rate@k,
 * nDCG@k (one relevant item: 1 / log2(rank + 1)) and MRR@k (1 / rank) are means over the cases; the staleness
 * curve is the hit rate per bucket of days since training; stability counts how many of a list survive one event.
 */

/** 1-based rank of `item` in the first `k` of `list`, 0 when it is not there. */
export function rankIn(list: readonly string[], item: string, k: number): number {
  const at = list.indexOf(item);
  return at >= 0 && at < k ? at + 1 : 0;
}

export interface ReplayRow {
  mode: string;
  cases: number;
  hitRate: number;
  ndcg: number;
  mrr: number;
}

export interface CurvePoint {
  /** First day of the bucket, in whole days since training. */
  fromDay: number;
  cases: number;
  hitRate: number;
}

interface Sums {
  cases: number;
  hits: number;
  ndcg: number;
  mrr: number;
  byBucket: Map<number, { cases: number; hits: number }>;
}

/** Cases per mode, summed as they come (a replay has tens of thousands). */
export class ReplayTally {
  private readonly sums = new Map<string, Sums>();
  private readonly bucketDays: number;

  constructor(modes: readonly string[], bucketDays = 7) {
    this.bucketDays = bucketDays;
    for (const m of modes) this.sums.set(m, { cases: 0, hits: 0, ndcg: 0, mrr: 0, byBucket: new Map() });
  }

  /** One case of `mode`: the item's rank (0: missed), `day` whole days after training. */
  add(mode: string, day: number, rank: number): void {
    const s = this.sums.get(mode);
    if (s === undefined) throw new Error(`unknown replay mode ${mode}`);
    s.cases++;
    const bucket = Math.floor(Math.max(0, day) / this.bucketDays) * this.bucketDays;
    const b = s.byBucket.get(bucket) ?? { cases: 0, hits: 0 };
    b.cases++;
    if (rank > 0) {
      s.hits++;
      s.ndcg += 1 / Math.log2(rank + 1);
      s.mrr += 1 / rank;
      b.hits++;
    }
    s.byBucket.set(bucket, b);
  }

  rows(): ReplayRow[] {
    return [...this.sums].map(([mode, s]) => ({
      mode,
      cases: s.cases,
      hitRate: s.cases > 0 ? s.hits / s.cases : 0,
      ndcg: s.cases > 0 ? s.ndcg / s.cases : 0,
      mrr: s.cases > 0 ? s.mrr / s.cases : 0,
    }));
  }

  /** Hit rate per bucket of days since training, buckets in order. */
  curve(mode: string): CurvePoint[] {
    const s = this.sums.get(mode);
    if (s === undefined) return [];
    return [...s.byBucket]
      .sort((a, b) => a[0] - b[0])
      .map(([fromDay, b]) => ({ fromDay, cases: b.cases, hitRate: b.hits / b.cases }));
  }
}

/** How many of `before` are still in `after` (the top k of a list before and after one event). */
export function keptCount(before: readonly string[], after: readonly string[]): number {
  const now = new Set(after);
  let kept = 0;
  for (const id of before) if (now.has(id)) kept++;
  return kept;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The calibration's choice: the trial with the best hit rate (the earlier on a tie). Not the most responsive within
 * the noise: with a fresh event's weight reaching every member, 16 against 1 cost hit rate on the calibration month
 * and kept 3 of a long-history shopper's top 10 after one view (bench:replay, docs/freshness.md).
 */
export function bestTrial(trials: readonly FreshnessTrial[]): FreshnessTrial {
  const first = trials[0];
  if (first === undefined) throw new Error('no calibration trial to choose from');
  let top = first;
  for (const t of trials) if (t.hitRate > top.hitRate) top = t;
  return top;
}
