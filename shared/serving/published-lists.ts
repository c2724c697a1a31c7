import type { ScoredItem } from '../ports/publication-store.ts';
import { type Anchor, anchorsFor, historyAnchors } from './explanations.ts';
import type { ServingModel } from './model-cache.ts';
import { displayScore, type Ranked, type Scratch } from './scoring.ts';

/**
 * A published list in the model's index space: known ids with their min–max normalised scores (the last score of
 * an id repeated, in first-seen order, as a Map would keep them), and ids the model does not know, normalised
 * together with the known ones as one list.
 */
export interface DecodedList {
  model: ServingModel;
  indices: Int32Array;
  norm: Float64Array;
  strangerIds: string[];
  strangerNorm: Float64Array;
  /** See listRanking. */
  ranking?: ListRanking;
}

interface ListRanking {
  userIndex: number | undefined;
  ranked: Ranked[];
  explained: (Anchor | undefined)[];
}

export const EMPTY_LIST: Omit<DecodedList, 'model'> = {
  indices: new Int32Array(0),
  norm: new Float64Array(0),
  strangerIds: [],
  strangerNorm: new Float64Array(0),
};

/**
 * Decoded once per list object: a version's lists never change once published, and the publication stores hand
 * out the same array for the same list while they keep it, so the id lookups and the normalisation are paid
 * once per list instead of once per request. Keyed by the array itself (and checked against the model), so a
 * store that reads a fresh array every time simply decodes every time.
 */
const decodedLists = new WeakMap<readonly ScoredItem[], DecodedList>();

export function decodedList(model: ServingModel, list: readonly ScoredItem[]): DecodedList {
  const hit = decodedLists.get(list);
  if (hit !== undefined && hit.model === model) return hit;
  const { itemIndex } = model.model;
  const known = new Map<number, number>();
  let strangers: Map<string, number> | undefined;
  for (const [id, score] of list) {
    const j = itemIndex.get(id);
    if (j !== undefined) known.set(j, score);
    else {
      strangers ??= new Map();
      strangers.set(id, score);
    }
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const extend = (s: number) => {
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  };
  if (strangers !== undefined) for (const s of strangers.values()) extend(s);
  for (const s of known.values()) extend(s);
  const span = hi - lo;
  const normalise = (v: number) => (span > 0 ? (v - lo) / span : 1);
  const decoded: DecodedList = {
    model,
    indices: Int32Array.from(known.keys()),
    norm: Float64Array.from(known.values(), normalise),
    strangerIds: strangers !== undefined ? [...strangers.keys()] : [],
    strangerNorm:
      strangers !== undefined ? Float64Array.from(strangers.values(), normalise) : new Float64Array(0),
  };
  decodedLists.set(list, decoded);
  return decoded;
}

/**
 * The known entries of a list ranked as rankTop ranks them when the list is the only signal (score 0 + 1 ×
 * normalised score, descending, then itemId ascending), each with the training-row anchor that anchorsFor picks
 * for it (an entry's anchor depends only on the anchors and the entry itself, never on the other candidates).
 * Kept on the decoded list, for the user index it was computed for: a shopper with nothing fresh is ranked and
 * explained once per list, and each request only skips its own exclusions.
 */
export function listRanking(
  model: ServingModel,
  list: DecodedList,
  userIndex: number | undefined,
  scratch: Scratch,
): ListRanking {
  const hit = list.ranking;
  if (hit !== undefined && hit.userIndex === userIndex) return hit;
  const { itemIds } = model.model;
  const ranked: Ranked[] = [];
  for (let p = 0; p < list.indices.length; p++) {
    const j = list.indices[p]!;
    const score = 0 + 1 * list.norm[p]!;
    ranked.push({ index: j, itemId: itemIds[j]!, score, rounded: displayScore(score) });
  }
  ranked.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1));
  const anchors = userIndex !== undefined ? historyAnchors(model, userIndex) : [];
  const ranking = { userIndex, ranked, explained: anchorsFor(model, anchors, ranked, scratch.ranked) };
  list.ranking = ranking;
  return ranking;
}
