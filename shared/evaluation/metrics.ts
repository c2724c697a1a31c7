import type { ArtifactMetrics } from '../model/artifact.ts';
/**
 * Ranking metrics at k with binary relevance. Each function takes the ranked list (best first, `n` entries,
 * n ≤ k) and the user's relevant items as a Set. Definitions (all averaged over evaluated users):
 * - precision@k = hits / k (a short list is not rewarded for being short)
 * - recall@k = hits / |relevant|
 * - nDCG@k = Σ_hits 1/log2(rank+1) / Σ_{r ≤ min(|relevant|, k)} 1/log2(r+1), ranks from 1
 * - AP@k = Σ_hits precision@rank / min(|relevant|, k); MAP is its mean
 * - RR = 1 / rank of the first hit (0 if none); hit rate = 1 if any hit
 */
export interface ListMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  ap: number;
  rr: number;
  hit: number;
}

const LOG2_DISCOUNT = Array.from({ length: 1025 }, (_, r) => (r === 0 ? 0 : 1 / Math.log2(r + 1)));

function discount(rank: number): number {
  return rank < LOG2_DISCOUNT.length ? LOG2_DISCOUNT[rank]! : 1 / Math.log2(rank + 1);
}

export function listMetrics(
  ranked: ArrayLike<number>,
  n: number,
  relevant: ReadonlySet<number>,
  k: number,
): ListMetrics {
  const m = Math.min(n, k);
  let hits = 0;
  let dcg = 0;
  let apSum = 0;
  let rr = 0;
  for (let r = 0; r < m; r++) {
    if (!relevant.has(ranked[r]!)) continue;
    hits++;
    dcg += discount(r + 1);
    apSum += hits / (r + 1);
    if (rr === 0) rr = 1 / (r + 1);
  }
  const ideal = Math.min(relevant.size, k);
  let idcg = 0;
  for (let r = 1; r <= ideal; r++) idcg += discount(r);
  return {
    precision: k > 0 ? hits / k : 0,
    recall: relevant.size > 0 ? hits / relevant.size : 0,
    ndcg: idcg > 0 ? dcg / idcg : 0,
    ap: ideal > 0 ? apSum / ideal : 0,
    rr,
    hit: hits > 0 ? 1 : 0,
  };
}

/** The manifest's metrics (shared/model/artifact.ts), as evaluation computes them: always with k and users. */
export interface Metrics extends ArtifactMetrics {
  k: number;
  users: number;
}

/** Accumulates per-user list metrics and the set of recommended items into the averaged Metrics. */
export class MetricsAccumulator {
  readonly k: number;
  readonly itemCount: number;
  private readonly shown: Uint8Array;
  private distinct = 0;
  private n = 0;
  private sums = { precision: 0, recall: 0, ndcg: 0, ap: 0, rr: 0, hit: 0 };

  constructor(k: number, itemCount: number) {
    this.k = k;
    this.itemCount = itemCount;
    this.shown = new Uint8Array(itemCount);
  }

  add(ranked: ArrayLike<number>, n: number, relevant: ReadonlySet<number>): ListMetrics {
    const m = listMetrics(ranked, n, relevant, this.k);
    for (let r = 0; r < Math.min(n, this.k); r++) {
      const j = ranked[r]!;
      if (this.shown[j] === 0) {
        this.shown[j] = 1;
        this.distinct++;
      }
    }
    this.n++;
    this.sums.precision += m.precision;
    this.sums.recall += m.recall;
    this.sums.ndcg += m.ndcg;
    this.sums.ap += m.ap;
    this.sums.rr += m.rr;
    this.sums.hit += m.hit;
    return m;
  }

  result(): Metrics {
    const d = this.n > 0 ? this.n : 1;
    return {
      k: this.k,
      users: this.n,
      precision: this.sums.precision / d,
      recall: this.sums.recall / d,
      ndcg: this.sums.ndcg / d,
      map: this.sums.ap / d,
      mrr: this.sums.rr / d,
      hitRate: this.sums.hit / d,
      coverage: this.itemCount > 0 ? this.distinct / this.itemCount : 0,
    };
  }
}
