import type { TestSet } from '../evaluation/evaluate.ts';
import { listMetrics, MetricsAccumulator } from '../evaluation/metrics.ts';
import { normalise } from '../model/hybrid.ts';
import type { Csr } from '../model/sparse.ts';
import { topK } from '../model/topk.ts';
import { modelScorer, type TrainedModel } from '../model/trained-model.ts';

/** Normalised scores of each validation user, training items already set to −Infinity. */
export function scoreMatrix(model: TrainedModel, set: TestSet, history: Csr): Float32Array {
  const n = model.itemIds.length;
  const out = new Float32Array(set.users.length * n);
  const scorer = modelScorer(model);
  for (let t = 0; t < set.users.length; t++) {
    const u = set.users[t]!;
    const row = out.subarray(t * n, (t + 1) * n);
    scorer.scoreUser(u, row);
    normalise(row, 'zscore');
    for (let p = history.indptr[u]!; p < history.indptr[u + 1]!; p++)
      row[history.indices[p]!] = Number.NEGATIVE_INFINITY;
  }
  return out;
}

/** The cached score matrices of the validation users (rows of `set`), one per blend component. */
export interface BlendInput {
  mats: readonly Float32Array[];
  set: TestSet;
  /** Catalog size (columns of each matrix). */
  n: number;
  k: number;
}

/** base += Σ_c w_c · mats[c] over every row, skipping component `skip` and zero weights (0 · −∞ is NaN). */
function accumulate(
  base: Float32Array,
  mats: readonly Float32Array[],
  weights: readonly number[],
  skip: number,
) {
  for (let c = 0; c < mats.length; c++) {
    const w = weights[c]!;
    if (w === 0 || c === skip) continue;
    const m = mats[c]!;
    for (let j = 0; j < base.length; j++) base[j]! += w * m[j]!;
  }
}

/**
 * nDCG@k of `base + w · extra` for each of `rows` (validation row indices), written into `perUser[row]` when
 * given; returns the mean over the rows. One fused pass per user into a reused buffer.
 */
function ndcgOfRows(
  input: BlendInput,
  base: Float32Array,
  extra: Float32Array | undefined,
  w: number,
  rows: Int32Array,
  perUser?: Float64Array,
): number {
  const { n, k, set } = input;
  const buf = new Float32Array(n);
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  let sum = 0;
  for (const t of rows) {
    const o = t * n;
    if (extra === undefined || w === 0) buf.set(base.subarray(o, o + n));
    else for (let j = 0; j < n; j++) buf[j] = base[o + j]! + w * extra[o + j]!;
    const got = topK(buf, k, idx, sc);
    const m = listMetrics(idx, got, set.relevant[t]!, k).ndcg;
    if (perUser !== undefined) perUser[t] = m;
    sum += m;
  }
  return rows.length > 0 ? sum / rows.length : 0;
}

const WEIGHT_GRID = [0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1];

/**
 * Coordinate ascent on the blend weights over `rows`: component 0 (the best single model) is the anchor at
 * weight 1, every other weight is tried on the grid, up to `rounds` rounds while `more()` allows.
 */
function searchWeights(input: BlendInput, rows: Int32Array, rounds: number, more: () => boolean) {
  const { mats, set, n } = input;
  const weights: number[] = mats.map((_, c) => (c === 0 ? 1 : 0));
  const base0 = new Float32Array(set.users.length * n);
  accumulate(base0, mats, weights, -1);
  let best = ndcgOfRows(input, base0, undefined, 0, rows);
  for (let round = 0; round < rounds && (round === 0 || more()); round++) {
    let improved = false;
    for (let c = 1; c < mats.length; c++) {
      // Everything but component c, summed once; each trial weight is then one fused pass.
      const base = new Float32Array(set.users.length * n);
      accumulate(base, mats, weights, c);
      for (const w of WEIGHT_GRID) {
        if (w === weights[c]) continue;
        const score = ndcgOfRows(input, base, mats[c], w, rows);
        if (score > best + 1e-6) {
          best = score;
          weights[c] = w;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return weights;
}

/** The blend's scores of every validation user (users × n). */
export function blendScores(input: BlendInput, weights: readonly number[]): Float32Array {
  const base = new Float32Array(input.set.users.length * input.n);
  accumulate(base, input.mats, weights, -1);
  return base;
}

/** Per-user nDCG@k of the blend with `weights` on `rows` (into `perUser`). */
function blendPerUser(
  input: BlendInput,
  weights: readonly number[],
  rows: Int32Array,
  perUser: Float64Array,
) {
  const base = new Float32Array(input.set.users.length * input.n);
  accumulate(base, input.mats, weights, -1);
  ndcgOfRows(input, base, undefined, 0, rows, perUser);
}

/** Every metric of the blend with `weights` on all validation users, plus each user's nDCG@k. */
export function blendMetrics(input: BlendInput, weights: readonly number[]) {
  const { set, n, k } = input;
  const base = new Float32Array(set.users.length * n);
  accumulate(base, input.mats, weights, -1);
  const acc = new MetricsAccumulator(k, n);
  const perUser = new Float64Array(set.users.length);
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  for (let t = 0; t < set.users.length; t++) {
    const got = topK(base.subarray(t * n, (t + 1) * n), k, idx, sc);
    perUser[t] = acc.add(idx, got, set.relevant[t]!).ndcg;
  }
  return { metrics: acc.result(), perUser };
}

/**
 * The blend's weights fitted on all validation users, and its honest per-user scores: two-fold cross-fitting
 * over the shoppers (weights searched on one half score the other half), so that the blend is not credited
 * with what its weight search learnt from the very shoppers it is judged on.
 */
export function crossFittedBlend(input: BlendInput, rounds: number, more: () => boolean) {
  const users = input.set.users.length;
  const folds = [0, 1].map((f) => Int32Array.from({ length: users }, (_, t) => t).filter((t) => t % 2 === f));
  const all = Int32Array.from({ length: users }, (_, t) => t);
  const outOfFold = new Float64Array(users);
  for (let f = 0; f < 2; f++) {
    const w = searchWeights(input, folds[f]!, rounds, more);
    blendPerUser(input, w, folds[1 - f]!, outOfFold);
  }
  return { weights: searchWeights(input, all, rounds, more), outOfFold };
}
