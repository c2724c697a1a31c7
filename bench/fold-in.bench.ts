/**
 * Real-time fold-in latency: a user's vector from fresh events given fixed item factors (one ALS half-step
 * for one user, Cholesky on f×f), the scores of the whole catalog and the top-10 without the user's items.
 *   1. Online Retail iALS (64 factors, trained on the README split): 20 fresh events per user, every user.
 *   2. A generated catalog of 50,000 items × 64 factors: 50 items per user (the figure), 2,000 users.
 *   3. EASE on Online Retail: the same 20 events summed over the item-item weights, plus top-10.
 *   4. Serving's whole-blend fold-in (shared/model/fold-in.ts) on the 50,000 × 64 catalog: a known shopper with 50
 *      training items and one fresh event — their trained vector moved by two fold-ins (new row minus training
 *      row), every item scored, the top 10 outside the row. The training row's fold-in is kept per shopper after
 *      their first request (as serving keeps it), so the timed round measures a returning shopper.
 *   5. The learned ranker on: case 2 plus the top 200 reranked by the second stage (features from popularity,
 *      recency and 50 neighbours per item of the shopper's events; an 8-unit MLP), as serving does after fold-in.
 * Prints median and p99 per user in milliseconds. Scoring runs on the WebAssembly SIMD kernel as in serving;
 * RECSYS_SIMD=0 npx node bench/fold-in.bench.ts gives the JavaScript loop's figures for comparison.
 * Run: npx node bench/fold-in.bench.ts
 */
import { easeScorer, trainEase } from '../shared/model/ease.ts';
import { type BlendPlan, blendScores, foldInRow } from '../shared/model/fold-in.ts';
import { gramian, type IalsModel, trainIals } from '../shared/model/ials.ts';
import { foldIn, scoreAll } from '../shared/model/ials-scoring.ts';
import type { Neighbours } from '../shared/model/neighbours.ts';
import { emptyNeighbours } from '../shared/model/neighbours.ts';
import { shutdownPool } from '../shared/model/parallel.ts';
import {
  RANKER_FEATURE_COUNT,
  RANKER_FEATURES,
  type RankerContext,
  type RankerModel,
  rerank,
  shopperProfile,
} from '../shared/model/ranker.ts';
import { mulberry32 } from '../shared/model/rng.ts';
import { itemScorer } from '../shared/model/simd/kernels.ts';
import { topK, topKExcluding } from '../shared/model/topk.ts';
import { loadOnlineRetail } from './lib/online-retail-split.ts';

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Wall time per user, and CPU time of the whole timed round divided by the users (this thread's user + system
 * time: what the work costs when the core is not shared; the wall figures include time the scheduler gave
 * to other processes on a busy machine).
 */
function report(name: string, times: number[], cpuMs: number): void {
  const s = Float64Array.from(times).sort();
  console.log(
    `${name.padEnd(52)} wall median ${quantile(s, 0.5).toFixed(3)} ms  p99 ${quantile(s, 0.99).toFixed(3)} ms  ` +
      `cpu mean ${(cpuMs / s.length).toFixed(3)} ms  (${s.length} users)`,
  );
}

let cpuStart = process.cpuUsage();
function startCpu(): void {
  cpuStart = process.cpuUsage();
}
function cpuMs(): number {
  const d = process.cpuUsage(cpuStart);
  return (d.user + d.system) / 1000;
}

type Factors = Pick<IalsModel, 'itemFactors' | 'factors' | 'params'>;

/** A second stage to time: the serving path with a ranker over the top `candidates`. */
interface SecondStage {
  ranker: RankerModel;
  ctx: RankerContext;
}

/**
 * Times fold-in + scoring + top-10 for each user's item list (with a ranker: top-`candidates`, reranked, of
 * which the first 10 are kept); returns per-user milliseconds.
 */
function timeFoldIn(
  model: Factors,
  items: number,
  users: Int32Array[],
  values: Float32Array[],
  second?: SecondStage,
): [number[], number] {
  const f = model.factors;
  const gram = new Float64Array(f * f);
  gramian(model.itemFactors, items, f, model.params.regularization, gram);
  const work = new Float64Array(2 * f * f + 2 * f);
  const x = new Float32Array(f);
  const scores = new Float32Array(items);
  const depth = second?.ranker.candidates ?? 10;
  const idx = new Int32Array(depth);
  const sc = new Float32Array(depth);
  const reranked = new Float32Array(depth);
  const times: number[] = [];
  // Serving's path: the WebAssembly SIMD kernel over factors copied into its memory once per model, or the
  // JavaScript loop where the kernels cannot run (RECSYS_SIMD=0 forces it, for the comparison).
  const simd = itemScorer(model.itemFactors, items, f);
  for (let round = 0; round < 2; round++) {
    // The first round warms the JIT up and is not recorded.
    startCpu();
    for (let t = 0; t < users.length; t++) {
      const its = users[t]!;
      const started = performance.now();
      foldIn(model, gram, its, values[t]!, x, work);
      let all: Float32Array = scores;
      if (simd !== undefined) all = simd.score(x);
      else scoreAll(x, 0, model.itemFactors, f, scores);
      for (let q = 0; q < its.length; q++) all[its[q]!] = Number.NaN;
      const got = topK(all, depth, idx, sc);
      if (second !== undefined) {
        const order = rerank(
          second.ranker,
          second.ctx,
          shopperProfile(second.ctx, its),
          idx.subarray(0, got),
          sc.subarray(0, got),
          reranked,
        );
        if (order.length < Math.min(10, got)) throw new Error('the ranker lost candidates');
      }
      if (round === 1) times.push(performance.now() - started);
    }
  }
  return [times, cpuMs()];
}

/**
 * Serving's path for a known shopper with one fresh event (iALS alone: the blend's one member): the training rows
 * are the users' item lists, each user's trained vector random, the fresh event one more random item.
 */
function timeBlend(
  model: Factors,
  items: number,
  users: Int32Array[],
  values: Float32Array[],
  rand: () => number,
): [number[], number] {
  const f = model.factors;
  const indptr = new Int32Array(users.length + 1);
  users.forEach((u, i) => {
    indptr[i + 1] = indptr[i]! + u.length;
  });
  const indices = new Int32Array(indptr[users.length]!);
  const vals = new Float32Array(indices.length);
  users.forEach((u, i) => {
    const order = Array.from(u.keys()).sort((a, b) => u[a]! - u[b]!);
    order.forEach((q, t) => {
      indices[indptr[i]! + t] = u[q]!;
      vals[indptr[i]! + t] = values[i]![q]!;
    });
  });
  const history = { rows: users.length, cols: items, indptr, indices, values: vals };
  const gram = new Float64Array(f * f);
  gramian(model.itemFactors, items, f, model.params.regularization, gram);
  const userFactors = Float32Array.from({ length: users.length * f }, () => (rand() - 0.5) * 0.2);
  const plan: BlendPlan = {
    members: [{ kind: 'ials', weight: 1 }],
    normalisation: 'none',
    statics: [undefined],
    factors: { factors: f, itemFactors: model.itemFactors, userFactors, params: model.params, gram },
    knn: emptyNeighbours(items, 0),
  };
  const fresh = users.map(() => new Map([[Math.floor(rand() * items), { value: 5, presence: 1 }]]));
  const scores = new Float32Array(items);
  const idx = new Int32Array(10);
  const sc = new Float32Array(10);
  const times: number[] = [];
  for (let round = 0; round < 2; round++) {
    startCpu();
    for (let u = 0; u < users.length; u++) {
      const started = performance.now();
      const row = foldInRow(history, u, fresh[u]!);
      blendScores(plan, history, u, row, scores);
      topKExcluding(scores, history, u, 10, idx, sc);
      if (round === 1) times.push(performance.now() - started);
    }
  }
  return [times, cpuMs()];
}

/** A ranker with random weights over a generated catalogue's popularity and 50 random neighbours per item. */
function generatedSecondStage(items: number, rand: () => number): SecondStage {
  const k = 50;
  const neighbours: Neighbours = {
    k,
    items,
    indices: Int32Array.from({ length: items * k }, () => Math.floor(rand() * items)),
    scores: Float32Array.from({ length: items * k }, () => rand()),
  };
  const popularity = Float32Array.from({ length: items }, () => Math.floor(rand() ** 3 * 5000));
  const recentPopularity = popularity.map((p) => p * rand());
  const f = RANKER_FEATURE_COUNT;
  const hidden = 8;
  const w = (n: number) => Array.from({ length: n }, () => rand() - 0.5);
  return {
    ctx: { popularity, recentPopularity, neighbours },
    ranker: {
      kind: 'mlp-pairwise',
      candidates: 200,
      features: [...RANKER_FEATURES],
      mean: new Array(f).fill(0),
      std: new Array(f).fill(1),
      hidden,
      w1: w(hidden * f),
      b1: w(hidden),
      w2: w(hidden),
      b2: 0,
      linear: w(f),
    },
  };
}

const split = await loadOnlineRetail();
const ix = split.interactions;
const rand = mulberry32(7);

// Each user's 20 "fresh" events: their 20 most recent distinct training items (or all, if fewer), value 5
// (a purchase), so the fold-in sees realistic co-bought items.
const lastItems: Int32Array[] = [];
const lastValues: Float32Array[] = [];
{
  const newest = new Map<string, Map<number, number>>();
  for (const r of split.train) {
    const j = ix.itemIndex.get(r.itemId)!;
    let m = newest.get(r.userId);
    if (m === undefined) {
      m = new Map();
      newest.set(r.userId, m);
    }
    m.set(j, Math.max(m.get(j) ?? 0, Number(r.timestamp)));
  }
  for (const m of newest.values()) {
    const its = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
    lastItems.push(Int32Array.from(its, (e) => e[0]));
    lastValues.push(new Float32Array(its.length).fill(5));
  }
}

const ials = trainIals(ix.csr, ix.csc, {
  factors: 64,
  iterations: 10,
  regularization: 0.1,
  alpha: 1,
  transform: 'log',
  seed: 42,
});
report(
  `iALS Online Retail ${ix.itemIds.length} items × 64, ≤20 events`,
  ...timeFoldIn(ials, ix.itemIds.length, lastItems, lastValues),
);

{
  const items = 50_000;
  const f = 64;
  const itemFactors = new Float32Array(items * f);
  for (let i = 0; i < itemFactors.length; i++) itemFactors[i] = (rand() - 0.5) * 0.2;
  const users: Int32Array[] = [];
  const values: Float32Array[] = [];
  for (let u = 0; u < 2000; u++) {
    const set = new Set<number>();
    while (set.size < 50) set.add(Math.floor(rand() * items));
    users.push(Int32Array.from(set));
    values.push(Float32Array.from(set, () => 1 + Math.floor(rand() * 5)));
  }
  const model: Factors = {
    itemFactors,
    factors: f,
    params: {
      factors: f,
      iterations: 0,
      alpha: 1,
      transform: 'log',
      regularization: 0.1,
      cgSteps: 3,
      seed: 0,
    },
  };
  report('generated 50,000 items × 64, 50 events', ...timeFoldIn(model, items, users, values));
  report('whole-blend fold-in, 50,000 × 64, 50 + 1 fresh', ...timeBlend(model, items, users, values, rand));
  report(
    'generated 50,000 items × 64, 50 events + ranker on top 200',
    ...timeFoldIn(model, items, users, values, generatedSecondStage(items, rand)),
  );
  report(
    'generated 50,000 items × 64, 20 events',
    ...timeFoldIn(
      model,
      items,
      users.map((u) => u.slice(0, 20)),
      values.map((v) => v.slice(0, 20)),
    ),
  );
}

{
  const ease = trainEase(ix.csr, { lambda: 500 });
  const n = ix.itemIds.length;
  // EASE needs no solve: the fresh events form the user's row; score = x · B.
  const history = {
    rows: lastItems.length,
    cols: n,
    indptr: new Int32Array(lastItems.length + 1),
    indices: new Int32Array(lastItems.reduce((s, a) => s + a.length, 0)),
    values: new Float32Array(lastItems.reduce((s, a) => s + a.length, 0)),
  };
  let w = 0;
  lastItems.forEach((its, u) => {
    const sorted = Int32Array.from(its).sort();
    history.indices.set(sorted, w);
    history.values.fill(5, w, w + sorted.length);
    w += sorted.length;
    history.indptr[u + 1] = w;
  });
  const scorer = easeScorer(ease, history);
  const scores = new Float32Array(n);
  const idx = new Int32Array(10);
  const sc = new Float32Array(10);
  const times: number[] = [];
  for (let round = 0; round < 2; round++) {
    startCpu();
    for (let u = 0; u < history.rows; u++) {
      const started = performance.now();
      scorer.scoreUser(u, scores);
      for (let p = history.indptr[u]!; p < history.indptr[u + 1]!; p++)
        scores[history.indices[p]!] = Number.NaN;
      topK(scores, 10, idx, sc);
      if (round === 1) times.push(performance.now() - started);
    }
  }
  report(`EASE Online Retail ${n} items, ≤20 events`, times, cpuMs());
}
await shutdownPool();
