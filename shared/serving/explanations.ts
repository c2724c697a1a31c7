import type { EventType } from '../domain/event.ts';
import type { Neighbours } from '../model/neighbours.ts';
import type { ServingModel } from './model-cache.ts';
import type { IndexMark, Ranked } from './scoring.ts';
import { COLLAB_WEIGHT } from './signals.ts';

/** An item the shopper acted on that can explain a recommendation ("because you bought …"). */
export interface Anchor {
  itemId: string;
  index: number;
  verb: 'bought' | 'viewed' | 'added to cart';
  weight: number;
}

/** The reason of a candidate no anchor explains. */
export const PERSONAL_REASON = 'recommended for you';
/** Anchors kept per request: more would never be the strongest explanation of a top-k item. */
const MAX_ANCHORS = 20;

export function becauseReason(anchor: Anchor, title: string | undefined): string {
  return `because you ${anchor.verb} ${title ?? anchor.itemId}`;
}

function verbOf(type: EventType): Anchor['verb'] | undefined {
  if (type === 'purchase') return 'bought';
  if (type === 'add_to_cart') return 'added to cart';
  if (type === 'view' || type === 'click' || type === 'wishlist' || type === 'rating') return 'viewed';
  return undefined;
}

/** Keeps a fresh event (of signal weight `weight`) as an anchor, once per item, the first 20. */
export function addAnchor(anchors: Anchor[], itemId: string, index: number, type: EventType, weight: number) {
  const verb = verbOf(type);
  if (verb === undefined || !(weight > 0) || anchors.length >= MAX_ANCHORS) return;
  for (const a of anchors) if (a.index === index) return;
  anchors.push({ itemId, index, verb, weight });
}

/**
 * The strongest items of the training row explain the precomputed list ("bought" when the confidence is at least
 * one purchase's worth; the row sums event weights, so this is a heuristic). The first 10 of a stable sort by
 * value, descending, kept by insertion instead of sorting the row.
 */
export function historyAnchors(model: ServingModel, userIndex: number): Anchor[] {
  const { history, itemIds } = model.model;
  const top: number[] = [];
  for (let p = history.indptr[userIndex]!; p < history.indptr[userIndex + 1]!; p++) {
    const v = history.values[p]!;
    if (top.length === 10 && !(v > history.values[top[9]!]!)) continue;
    let at = top.length < 10 ? top.length : 9;
    while (at > 0 && v > history.values[top[at - 1]!]!) at--;
    if (top.length === 10) top.pop();
    top.splice(at, 0, p);
  }
  return top.map((p) => {
    const v = history.values[p]!;
    return {
      itemId: itemIds[history.indices[p]!]!,
      index: history.indices[p]!,
      verb: v >= model.weights.purchase ? 'bought' : 'viewed',
      weight: Math.min(v, model.weights.purchase),
    };
  });
}

/**
 * For each ranked candidate reachable from an anchor's neighbours, the anchor explaining it best (strongest
 * w × anchor weight × similarity; the first one visited on a tie). Only the ranked items are looked at.
 */
export function anchorsFor(
  model: ServingModel,
  anchors: readonly Anchor[],
  ranked: readonly Ranked[],
  mark: IndexMark,
): (Anchor | undefined)[] {
  const { neighbours, contentNeighbours } = model.model;
  const best: (Anchor | undefined)[] = new Array(ranked.length).fill(undefined);
  if (anchors.length === 0) return best;
  const strength = new Float64Array(ranked.length);
  mark.clear();
  for (let p = 0; p < ranked.length; p++) if (ranked[p]!.index >= 0) mark.add(ranked[p]!.index, p);
  const visit = (nb: Neighbours, w: number) => {
    const { k, indices, scores } = nb;
    for (const a of anchors) {
      const o = a.index * k;
      for (let t = 0; t < k; t++) {
        const j = indices[o + t]!;
        if (j < 0) break;
        if (!mark.has(j)) continue;
        const p = mark.slot[j]!;
        const s = w * a.weight * scores[o + t]!;
        if (best[p] === undefined || s > strength[p]!) {
          best[p] = a;
          strength[p] = s;
        }
      }
    }
  };
  visit(neighbours, COLLAB_WEIGHT);
  if (contentNeighbours !== undefined) visit(contentNeighbours, 1 - COLLAB_WEIGHT);
  return best;
}
