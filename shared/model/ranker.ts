import type { Neighbours } from './neighbours.ts';
import type { Scorer } from './scorer.ts';
import type { Csr } from './sparse.ts';
import { topKExcluding } from './topk.ts';

/**
 * The learned second stage: a small MLP (features → tanh hidden layer → score, plus a linear path that starts
 * at the first stage's own score, so that training corrects the first stage rather than relearning it), trained
 * with a pairwise
 * logistic loss to put a shopper's held-out items above the other candidates of the first stage. It reranks
 * the first stage's top candidates; its features come only from what every artifact carries (popularity,
 * recent popularity, the item neighbours, the shopper's history), so training and serving compute them the
 * same way (`rankerFeatures`).
 */
export interface RankerModel {
  kind: 'mlp-pairwise';
  /** How many first-stage candidates it reranks. */
  candidates: number;
  features: readonly string[];
  /** Standardisation of each input feature. */
  mean: number[];
  std: number[];
  hidden: number;
  /** hidden × features, row-major. */
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number;
  /** The linear path: one weight per standardised feature. */
  linear: number[];
}

export const RANKER_FEATURES = [
  'first-stage score (min–max over the candidates)',
  'first-stage rank discount 1/log2(rank + 2)',
  'log popularity',
  'log recent popularity',
  'trend: log (recent + 1) / (popularity + 1)',
  'mean neighbour similarity to the shopper’s items',
  'max neighbour similarity to the shopper’s items',
  'mean content similarity to the shopper’s items',
  'shopper activity: log (1 + items)',
  'distance to the shopper’s usual popularity band',
] as const;
export const RANKER_FEATURE_COUNT = RANKER_FEATURES.length;

/** What the features read: the fields every trained or loaded model has. */
export interface RankerContext {
  popularity: Float32Array;
  recentPopularity?: Float32Array;
  neighbours: Neighbours;
  contentNeighbours?: Neighbours;
}

/** A shopper's side of the features, computed once per request or validation user. */
export interface ShopperProfile {
  /** The shopper's items whose neighbour rows feed the similarity features (at most PROFILE_ITEMS). */
  items: ArrayLike<number>;
  /** Mean log popularity of the shopper's items. */
  band: number;
}

/** At most this many of a shopper's items feed the profile: a heavy shopper's row stays a bounded cost. */
const PROFILE_ITEMS = 200;

/** The shopper's items (training row plus fresh ones) and their popularity band. */
export function shopperProfile(ctx: RankerContext, allItems: ArrayLike<number>): ShopperProfile {
  const items =
    allItems.length > PROFILE_ITEMS ? Array.prototype.slice.call(allItems, 0, PROFILE_ITEMS) : allItems;
  let band = 0;
  for (let q = 0; q < items.length; q++) band += Math.log1p(Math.max(0, ctx.popularity[items[q]!] ?? 0));
  return { items, band: items.length > 0 ? band / items.length : 0 };
}

/**
 * The candidates' similarity to a shopper's items: an open-addressing table from candidate item to slot, and
 * per slot Σ neighbour similarity, max similarity and Σ content similarity. The shopper's neighbour rows are
 * scanned once and only entries naming a candidate are summed: a table of a few hundred slots stays in the
 * first-level cache, where summing into a per-item map (or a catalogue-wide array) missed it on almost every
 * one of the thousands of entries. Kept between calls: features are built synchronously, one call at a time.
 */
const table = { keys: new Int32Array(512), sums: new Float64Array(3 * 512) };

function tableBits(m: number): number {
  let bits = 4;
  while (1 << bits < 2 * m) bits++;
  return bits;
}

function slotOf(keys: Int32Array, mask: number, shift: number, j: number): number {
  let h = Math.imul(j, 0x9e3779b1) >>> shift;
  for (;;) {
    const k = keys[h]!;
    if (k === j || k === -1) return h;
    h = (h + 1) & mask;
  }
}

/** Fills the table for candidates `items`; returns the bit count of its size. */
function candidateSimilarity(ctx: RankerContext, shopper: ShopperProfile, items: ArrayLike<number>): number {
  const bits = tableBits(items.length);
  const size = 1 << bits;
  if (table.keys.length < size) {
    table.keys = new Int32Array(size);
    table.sums = new Float64Array(3 * size);
  }
  const { keys, sums } = table;
  const mask = size - 1;
  const shift = 32 - bits;
  keys.fill(-1, 0, size);
  sums.fill(0, 0, 3 * size);
  for (let c = 0; c < items.length; c++) {
    const j = items[c]!;
    if (j >= 0) keys[slotOf(keys, mask, shift, j)] = j;
  }
  const own = shopper.items;
  const scan = (nb: Neighbours | undefined, slot: 0 | 2) => {
    if (nb === undefined) return;
    const { k, indices, scores } = nb;
    for (let q = 0; q < own.length; q++) {
      const h = own[q]!;
      if (h < 0 || h >= nb.items) continue;
      for (let t = h * k, end = t + k; t < end; t++) {
        const j = indices[t]!;
        if (j < 0) break;
        const at = slotOf(keys, mask, shift, j);
        if (keys[at] !== j) continue;
        const s = scores[t]!;
        sums[3 * at + slot]! += s;
        if (slot === 0 && s > sums[3 * at + 1]!) sums[3 * at + 1] = s;
      }
    }
  };
  scan(ctx.neighbours, 0);
  scan(ctx.contentNeighbours, 2);
  return bits;
}

/** A shopper's training items: the row of `history`, or none for an unknown shopper. */
export function historyItems(history: Csr, user: number | undefined): Int32Array {
  if (user === undefined || user < 0 || user >= history.rows) return new Int32Array(0);
  return history.indices.subarray(history.indptr[user]!, history.indptr[user + 1]!);
}

/**
 * The features of candidates `items` (item indices, −1 for an id the model does not know), first-stage
 * scores `scores` in rank order, into `out` (candidates × RANKER_FEATURE_COUNT).
 */
export function rankerFeatures(
  ctx: RankerContext,
  shopper: ShopperProfile,
  items: ArrayLike<number>,
  scores: ArrayLike<number>,
  out: Float32Array,
): void {
  const m = items.length;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < m; c++) {
    const s = scores[c]!;
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  const span = hi > lo ? hi - lo : 1;
  const bits = candidateSimilarity(ctx, shopper, items);
  const { keys, sums } = table;
  const count = shopper.items.length;
  const denom = Math.max(1, count);
  const activity = Math.log1p(count);
  for (let c = 0; c < m; c++) {
    const j = items[c]!;
    const pop = j >= 0 ? Math.log1p(Math.max(0, ctx.popularity[j] ?? 0)) : 0;
    const recent =
      j >= 0 && ctx.recentPopularity !== undefined
        ? Math.log1p(Math.max(0, ctx.recentPopularity[j] ?? 0))
        : 0;
    const at = j >= 0 ? slotOf(keys, (1 << bits) - 1, 32 - bits, j) : -1;
    const o = c * RANKER_FEATURE_COUNT;
    out[o] = (scores[c]! - lo) / span;
    out[o + 1] = 1 / Math.log2(c + 2);
    out[o + 2] = pop;
    out[o + 3] = recent;
    out[o + 4] = recent - pop;
    out[o + 5] = at >= 0 ? sums[3 * at]! / denom : 0;
    out[o + 6] = at >= 0 ? sums[3 * at + 1]! : 0;
    out[o + 7] = at >= 0 ? sums[3 * at + 2]! / denom : 0;
    out[o + 8] = activity;
    out[o + 9] = count > 0 ? Math.abs(pop - shopper.band) : 0;
  }
}

/** The ranker's score of each candidate row of `features` into `out`. */
export function rankerScores(model: RankerModel, features: Float32Array, m: number, out: Float32Array): void {
  const f = RANKER_FEATURE_COUNT;
  const { hidden, w1, b1, w2, b2, mean, std, linear } = model;
  const x = new Float64Array(f);
  for (let c = 0; c < m; c++) {
    let s = b2;
    for (let i = 0; i < f; i++) {
      x[i] = (features[c * f + i]! - mean[i]!) / std[i]!;
      s += linear[i]! * x[i]!;
    }
    for (let h = 0; h < hidden; h++) {
      let a = b1[h]!;
      for (let i = 0; i < f; i++) a += w1[h * f + i]! * x[i]!;
      s += w2[h]! * Math.tanh(a);
    }
    out[c] = s;
  }
}

/** The features of one rerank, kept between calls (reranking is synchronous: no two calls share it at once). */
let featureScratch = new Float32Array(200 * RANKER_FEATURE_COUNT);

/**
 * Reranks first-stage candidates (best first) for one shopper: returns the permutation of positions, best
 * first, by the ranker's score (ties keep the first stage's order), and the scores in `scoresOut`.
 */
export function rerank(
  model: RankerModel,
  ctx: RankerContext,
  shopper: ShopperProfile,
  items: ArrayLike<number>,
  scores: ArrayLike<number>,
  scoresOut: Float32Array,
): Int32Array {
  const m = Math.min(items.length, model.candidates);
  if (featureScratch.length < m * RANKER_FEATURE_COUNT)
    featureScratch = new Float32Array(m * RANKER_FEATURE_COUNT);
  const feats = featureScratch;
  rankerFeatures(
    ctx,
    shopper,
    items.length > m ? Array.prototype.slice.call(items, 0, m) : items,
    scores,
    feats,
  );
  rankerScores(model, feats, m, scoresOut);
  const order = new Int32Array(m);
  for (let c = 0; c < m; c++) order[c] = c;
  order.sort((a, b) => scoresOut[b]! - scoresOut[a]! || a - b);
  return order;
}

/**
 * Serving's second stage: reranks a request's candidates (best first; `index` −1 for ids the model does not
 * know) for the shopper `user` (training row, if any) plus the items of his fresh events. Returns the
 * candidates' positions in the ranker's order and its score per position.
 */
export function rerankCandidates(
  model: RankerContext & { ranker: RankerModel; history: Csr },
  user: number | undefined,
  fresh: Iterable<number>,
  candidates: readonly { index: number; score: number }[],
): { order: Int32Array; scores: Float32Array } {
  const own = historyItems(model.history, user);
  const extra: number[] = [];
  for (const j of fresh) if (j >= 0) extra.push(j);
  let items = own;
  if (extra.length > 0) {
    items = new Int32Array(own.length + extra.length);
    items.set(own);
    items.set(extra, own.length);
  }
  const m = Math.min(candidates.length, model.ranker.candidates);
  const idx = new Int32Array(m);
  const sc = new Float32Array(m);
  for (let c = 0; c < m; c++) {
    idx[c] = candidates[c]!.index;
    sc[c] = candidates[c]!.score;
  }
  const scores = new Float32Array(m);
  const order = rerank(model.ranker, model, shopperProfile(model, items), idx, sc, scores);
  return { order, scores };
}

/**
 * A scorer whose ranking is the first stage's top `ranker.candidates` (the shopper's `history` items excluded)
 * reranked by `ranker`, nothing else ranked: what the precomputed lists and serving show, for evaluation.
 */
export function rankedScorer(first: Scorer, ranker: RankerModel, ctx: RankerContext, history: Csr): Scorer {
  const m = ranker.candidates;
  const idx = new Int32Array(m);
  const sc = new Float32Array(m);
  const out = new Float32Array(m);
  return {
    name: `${first.name} + ranker`,
    scoreUser(u, scores) {
      first.scoreUser(u, scores);
      const got = topKExcluding(scores, history, u, m, idx, sc);
      const order = rerank(
        ranker,
        ctx,
        shopperProfile(ctx, historyItems(history, u)),
        idx.subarray(0, got),
        sc.subarray(0, got),
        out,
      );
      // Only the reranked candidates are ranked, in the ranker's order.
      scores.fill(Number.NEGATIVE_INFINITY);
      for (let r = 0; r < order.length; r++) scores[idx[order[r]!]!] = order.length - r;
    },
  };
}

/** Reads and checks `ranker.json`; throws naming the field that is wrong. */
export function parseRanker(json: unknown): RankerModel {
  const r = json as Partial<RankerModel>;
  const f = RANKER_FEATURE_COUNT;
  const problem = (field: string, want: string) => new Error(`ranker.json: ${field} must be ${want}`);
  const numbers = (a: unknown, n: number, field: string) => {
    if (!Array.isArray(a) || a.length !== n || !a.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw problem(field, `${n} finite numbers`);
  };
  if (r.kind !== 'mlp-pairwise') throw problem('kind', '"mlp-pairwise"');
  if (!Number.isInteger(r.hidden) || r.hidden! < 1) throw problem('hidden', 'a positive integer');
  if (!Number.isInteger(r.candidates) || r.candidates! < 1) throw problem('candidates', 'a positive integer');
  if (!Array.isArray(r.features) || r.features.length !== f) throw problem('features', `${f} names`);
  numbers(r.mean, f, 'mean');
  numbers(r.std, f, 'std');
  if (!r.std!.every((s) => s > 0)) throw problem('std', 'positive');
  numbers(r.w1, r.hidden! * f, 'w1');
  numbers(r.b1, r.hidden!, 'b1');
  numbers(r.w2, r.hidden!, 'w2');
  numbers(r.linear, f, 'linear');
  if (typeof r.b2 !== 'number' || !Number.isFinite(r.b2)) throw problem('b2', 'a finite number');
  return r as RankerModel;
}
