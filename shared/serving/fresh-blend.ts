import type { EventType } from '../domain/event.ts';
import { blendScores, type FreshSignal, foldInRow } from '../model/fold-in.ts';
import { freshFactor, shortTermFactor } from '../model/fold-in-freshness.ts';
import { topKExcluding } from '../model/topk.ts';
import type { ServingModel } from './model-cache.ts';
import { type Ranked, rankTop, type Scratch } from './scoring.ts';
import { itemToItem } from './signals.ts';

/**
 * A request with fresh events, scored by the whole blend the model was built from (shared/model/fold-in.ts):
 * the shopper's training row plus the fresh events, each weighted by its type's weight × the artifact's
 * calibrated freshness (weight, decay by age), through every member with the model's own weights.
 */

/** How serving treats events the model has not seen (an option of the recommender, for comparisons). */
export type FreshnessMode =
  /** The whole blend recomputed for the row with the fresh events (the default). */
  | 'blend'
  /** The former rule: only the iALS member re-solved, blended at a fixed 0.6 against the published list. */
  | 'legacy'
  /** Fresh events only exclude; the published list ranks as it is. */
  | 'static';

/** Adds one event of `type` on item `index`, `ageMs` old at the request, to the fresh signals. */
export function addFreshSignal(
  model: ServingModel,
  signals: Map<number, FreshSignal>,
  index: number,
  type: EventType,
  ageMs: number,
): void {
  const w = model.weights[type];
  if (w === 0 || Number.isNaN(w)) return;
  const factor = freshFactor(model.freshness, ageMs);
  const s = signals.get(index) ?? { value: 0, presence: 0, recent: 0 };
  // A veto stays a veto whatever the decay (−∞ × 0 would be NaN).
  s.value = w === Number.NEGATIVE_INFINITY ? w : s.value + w * factor;
  if (w > 0) {
    s.presence += factor;
    s.recent = (s.recent ?? 0) + shortTermFactor(model.freshness, ageMs);
  }
  signals.set(index, s);
}

const buffers = new WeakMap<ServingModel, { dense: Float32Array; idx: Int32Array; sc: Float32Array }>();

function buffersFor(model: ServingModel, n: number) {
  let b = buffers.get(model);
  if (b === undefined || b.idx.length < n) {
    b = {
      dense: new Float32Array(model.model.itemIds.length),
      idx: new Int32Array(n),
      sc: new Float32Array(n),
    };
    buffers.set(model, b);
  }
  return b;
}

/**
 * The best `depth` items of the blend for the shopper's row plus `signals`, outside the training row and the
 * request's exclusions, scored as a published list is (min–max normalised over the candidates), ranked.
 */
export function blendRanked(
  model: ServingModel,
  userIndex: number | undefined,
  signals: ReadonlyMap<number, FreshSignal>,
  scratch: Scratch,
  depth: number,
  trend?: Float32Array,
): Ranked[] {
  const { history, itemIds } = model.model;
  const row = foldInRow(history, userIndex, signals);
  const b = buffersFor(model, depth);
  blendScores(model.blend, history, userIndex, row, b.dense);
  addShortTerm(model, signals, scratch, b.dense);
  if (trend !== undefined) addTrend(model, trend, b.dense);
  const mark = scratch.excluded;
  const got = topKExcluding(b.dense, history, userIndex ?? -1, depth, b.idx, b.sc, (j) => mark.has(j));
  const { scores } = scratch;
  scores.clear();
  if (got === 0) return [];
  const lo = b.sc[got - 1]!;
  const span = b.sc[0]! - lo;
  for (let t = 0; t < got; t++) scores.set(b.idx[t]!, span > 0 ? (b.sc[t]! - lo) / span : 1);
  return rankTop(scratch, scores, mark, itemIds, [], depth);
}

/**
 * The short-term component: Σ recent(i) × sim(i, j) over the neighbours of each fresh item (collaborative, then
 * content, as the session rule weighs them), z-scored over the catalog like a member and added with the
 * calibrated weight times the blend's total weight. Only the touched items move (the z-score's shift is the same
 * for every item), so it costs what the fresh events' neighbours touch.
 */
function addShortTerm(
  model: ServingModel,
  signals: ReadonlyMap<number, FreshSignal>,
  scratch: Scratch,
  out: Float32Array,
): void {
  const weight = model.freshness.shortTerm.weight;
  if (!(weight > 0)) return;
  const recent = new Map<number, number>();
  for (const [i, s] of signals) if ((s.recent ?? 0) > 0 && s.value > 0) recent.set(i, s.recent!);
  if (recent.size === 0) return;
  const acc = scratch.fresh;
  acc.clear();
  itemToItem(model, recent, acc);
  const n = out.length;
  let sum = 0;
  let squares = 0;
  for (let p = 0; p < acc.size; p++) {
    const v = acc.values[acc.touched[p]!]!;
    sum += v;
    squares += v * v;
  }
  const mean = sum / n;
  const variance = squares / n - mean * mean;
  if (!(variance > 1e-24)) return;
  const scale = (weight * blendWeight(model)) / Math.sqrt(variance);
  for (let p = 0; p < acc.size; p++) {
    const j = acc.touched[p]!;
    out[j]! += scale * acc.values[j]!;
  }
}

/** The blend's total member weight: the scale the extra components' weights are relative to. */
function blendWeight(model: ServingModel): number {
  let total = 0;
  for (const m of model.blend.members) total += m.weight;
  return total;
}

/** The live trend (item scores by index), z-scored over the catalog, times its calibrated weight, into `out`. */
function addTrend(model: ServingModel, trend: Float32Array, out: Float32Array): void {
  const weight = model.freshness.trend.weight;
  if (!(weight > 0) || trend.length !== out.length) return;
  let sum = 0;
  let squares = 0;
  for (let j = 0; j < trend.length; j++) {
    sum += trend[j]!;
    squares += trend[j]! * trend[j]!;
  }
  const n = trend.length;
  const mean = sum / n;
  const variance = squares / n - mean * mean;
  if (!(variance > 1e-24)) return;
  const scale = (weight * blendWeight(model)) / Math.sqrt(variance);
  for (let j = 0; j < n; j++) out[j]! += scale * (trend[j]! - mean);
}
