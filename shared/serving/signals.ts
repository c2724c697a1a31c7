import type { EventType } from '../domain/event.ts';
import { foldIn, scoreAll } from '../model/ials-scoring.ts';
import type { Neighbours } from '../model/neighbours.ts';
import { itemScorer } from '../model/simd/kernels.ts';
import { topKExcluding } from '../model/topk.ts';
import type { ServingModel } from './model-cache.ts';
import type { SparseScores } from './scoring.ts';

/** Collaborative against content neighbours in "similar items" and item-to-item scoring. */
export const COLLAB_WEIGHT = 0.7;

/**
 * Adds an event's weight (the model's event weights) to `signals` by item index; returns the weight added, 0 when
 * the event is no signal (an item the model does not know, a type weighted 0).
 */
export function addSignal(
  model: ServingModel,
  signals: Map<number, number>,
  index: number | undefined,
  type: EventType,
): number {
  if (index === undefined) return 0;
  const w = model.weights[type];
  if (w === 0 || Number.isNaN(w)) return 0;
  signals.set(index, (signals.get(index) ?? 0) + w);
  return w;
}

/** The training row as signals (a shopper with nothing fresh and no published list). */
export function historySignals(model: ServingModel, userIndex: number | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (userIndex === undefined) return out;
  const h = model.model.history;
  for (let p = h.indptr[userIndex]!; p < h.indptr[userIndex + 1]!; p++) out.set(h.indices[p]!, h.values[p]!);
  return out;
}

/** Σ weight(i) × sim(i, j) over the neighbours of each signal item i (collaborative, then content), into `out`. */
export function itemToItem(model: ServingModel, signals: Map<number, number>, out: SparseScores): void {
  const { neighbours, contentNeighbours } = model.model;
  addNeighbours(neighbours, COLLAB_WEIGHT, signals, out);
  if (contentNeighbours !== undefined) addNeighbours(contentNeighbours, 1 - COLLAB_WEIGHT, signals, out);
}

function addNeighbours(nb: Neighbours, w: number, signals: Map<number, number>, out: SparseScores): void {
  const { k, indices, scores } = nb;
  for (const [i, weight] of signals) {
    if (!(weight > 0)) continue;
    const o = i * k;
    for (let t = 0; t < k; t++) {
      const j = indices[o + t]!;
      if (j < 0) break;
      out.add(j, w * weight * scores[o + t]!);
    }
  }
}

/**
 * The user's vector re-solved from their training row plus the fresh signals (one ALS half-step), scored against
 * every item; the top `n` outside the training row, into `out`. Needs `model.foldIn`.
 */
export function foldInScores(
  model: ServingModel,
  userIndex: number | undefined,
  signals: Map<number, number>,
  n: number,
  out: SparseScores,
): void {
  const fold = model.foldIn!;
  const { history } = model.model;
  const values = new Map<number, number>();
  if (userIndex !== undefined)
    for (let p = history.indptr[userIndex]!; p < history.indptr[userIndex + 1]!; p++)
      values.set(history.indices[p]!, history.values[p]!);
  for (const [i, w] of signals) {
    const v = (values.get(i) ?? 0) + w;
    // A veto or a net negative (returned, removed from cart) takes the pair out, as training does.
    if (v > 0 && Number.isFinite(v)) values.set(i, v);
    else values.delete(i);
  }
  if (values.size === 0) return;
  const vector = new Float32Array(fold.factors);
  // foldIn reads only alpha and transform of the parameters.
  const params = { ...fold.params, factors: fold.factors, iterations: 0, cgSteps: 0, seed: 0 };
  const factors = { factors: fold.factors, itemFactors: fold.itemFactors, params };
  foldIn(factors, fold.gram, [...values.keys()], [...values.values()], vector);
  const buffers = foldBuffers(model, n);
  // The SIMD kernel over the factors copied into its memory once per model version; its result view is
  // scratch like `buffers.all` (used synchronously, overwritten by the next request).
  const simd = itemScorer(fold.itemFactors, model.model.itemIds.length, fold.factors);
  let all = buffers.all;
  if (simd !== undefined) all = simd.score(vector);
  else scoreAll(vector, 0, fold.itemFactors, fold.factors, all);
  const got = topKExcluding(all, history, userIndex ?? -1, n, buffers.idx, buffers.sc);
  for (let t = 0; t < got; t++) out.set(buffers.idx[t]!, buffers.sc[t]!);
}

const foldScratch = new WeakMap<ServingModel, { all: Float32Array; idx: Int32Array; sc: Float32Array }>();

/** Per-model buffers of fold-in scoring (used synchronously, like the rest of the scratch). */
function foldBuffers(model: ServingModel, n: number) {
  let b = foldScratch.get(model);
  if (b === undefined || b.idx.length < n) {
    b = {
      all: new Float32Array(model.model.itemIds.length),
      idx: new Int32Array(n),
      sc: new Float32Array(n),
    };
    foldScratch.set(model, b);
  }
  return b;
}
