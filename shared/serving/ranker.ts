import type { FreshSignal } from '../model/fold-in.ts';
import { rerankCandidates } from '../model/ranker.ts';
import type { ScoredItem } from '../ports/publication-store.ts';
import type { ActivityEntry } from '../ports/serving-store.ts';
import type { RequestExclusions } from './exclusions.ts';
import { type Anchor, addAnchor, anchorsFor, historyAnchors } from './explanations.ts';
import { addFreshSignal, blendRanked, type FreshnessMode } from './fresh-blend.ts';
import type { ServingModel } from './model-cache.ts';
import { type DecodedList, decodedList, EMPTY_LIST, listRanking } from './published-lists.ts';
import { type Ranked, rankTop, type Scratch } from './scoring.ts';
import { addSignal, foldInScores, historySignals, itemToItem } from './signals.ts';

/** The 'legacy' mode's weight of the precomputed list against the fresh signal when both exist. */
const PRECOMPUTED_WEIGHT = 0.4;

/** What a personal request ranks. */
interface RankRequest {
  model: ServingModel;
  k: number;
  /** Set for a signed-in shopper (fold-in needs a user); undefined for a session. */
  userId: string | undefined;
  userIndex: number | undefined;
  list: readonly ScoredItem[] | undefined;
  /** Events the model has not seen. */
  fresh: readonly ActivityEntry[];
  /** The item being viewed, a signal of its own. */
  context: string | undefined;
  excluded: RequestExclusions;
  /** How fresh events count; 'blend' unless the recommender was built for a comparison. */
  mode: FreshnessMode;
  /** Epoch ms of the request: fresh events decay by their age at it. */
  now: number;
  /** Every shopper's events since training by item index (live counters), when serving has them. */
  trend?: Float32Array | undefined;
}

interface Ranking {
  /** Candidates, best first, none of them excluded (`scratch.excluded` marks the request's exclusions). */
  ranked: Ranked[];
  /** The anchor explaining each ranked candidate, if one does. */
  explained: (Anchor | undefined)[];
  /** The published list alone ranked the candidates, or fresh signals were folded in (reported as a metric). */
  source: 'precomputed' | 'fold-in';
}

/**
 * The candidates of a personal request: the published list, or with fresh signals (or a calibrated live trend) the
 * whole blend recomputed for the shopper's row plus them (fresh-blend.ts; the 'legacy' mode blends the list with a fold-in of the iALS member
 * for a signed-in shopper, item-to-item otherwise). Runs synchronously on the model's scratch, whose `excluded`
 * mark the caller has filled.
 */
export function rankPersonal(r: RankRequest, scratch: Scratch): Ranking {
  const { model } = r;
  const { itemIndex } = model.model;
  const signals = new Map<number, number>();
  const fresh = new Map<number, FreshSignal>();
  const anchors: Anchor[] = [];
  const blend = r.mode === 'blend';
  if (r.mode !== 'static') {
    if (r.context !== undefined) {
      const i = itemIndex.get(r.context);
      const w = addSignal(model, signals, i, 'view');
      if (i !== undefined) {
        addAnchor(anchors, r.context, i, 'view', w);
        if (blend) addFreshSignal(model, fresh, i, 'view', 0);
      }
    }
    for (const e of r.fresh) {
      if (e.itemId === undefined) continue;
      const i = itemIndex.get(e.itemId);
      const w = addSignal(model, signals, i, e.type);
      if (i === undefined) continue;
      addAnchor(anchors, e.itemId, i, e.type, w);
      if (blend) addFreshSignal(model, fresh, i, e.type, r.now - Date.parse(e.timestamp));
    }
  }
  const pre = r.list !== undefined ? decodedList(model, r.list) : undefined;
  const preSize = pre !== undefined ? pre.indices.length + pre.strangerIds.length : 0;
  // A calibrated live trend moves every list the model scores, so a known shopper's published list is recomputed
  // with it; a shopper the model does not know and who did nothing yet keeps the cold-start answer (trending,
  // popular, labelled so) rather than a trend-only list dressed as "recommended for you".
  const trend =
    blend &&
    r.trend !== undefined &&
    model.freshness.trend.weight > 0 &&
    (r.userIndex !== undefined || signals.size > 0)
      ? r.trend
      : undefined;
  const needsFresh = signals.size > 0 || (preSize === 0 && r.userIndex !== undefined) || trend !== undefined;
  const depth = Math.max(r.k * 4, 60);
  if (!needsFresh && pre !== undefined && pre.strangerIds.length === 0)
    return fromList(model, pre, r.userIndex, scratch, depth);
  if (r.userIndex !== undefined)
    for (const a of historyAnchors(model, r.userIndex))
      if (!anchors.some((b) => b.index === a.index)) anchors.push(a);
  const ranker = model.model.ranker;
  const candidates = Math.max(depth, ranker?.candidates ?? 0);
  const first =
    r.mode !== 'legacy' && needsFresh
      ? blendRanked(model, r.userIndex, fresh, scratch, candidates, trend)
      : blended(r, pre ?? EMPTY_LIST, signals, needsFresh, scratch, candidates);
  const ranked =
    ranker === undefined ? first.slice(0, depth) : secondStage(model, r.userIndex, signals, first, depth);
  return { ranked, explained: anchorsFor(model, anchors, ranked, scratch.ranked), source: 'fold-in' };
}

/**
 * Nothing fresh: the list alone ranks the candidates and the training row alone explains them, so both come
 * from the list's cached ranking; only this request's exclusions are applied (the same rank as rankTop's).
 */
function fromList(
  model: ServingModel,
  list: DecodedList,
  userIndex: number | undefined,
  scratch: Scratch,
  depth: number,
): Ranking {
  const cached = listRanking(model, list, userIndex, scratch);
  const mark = scratch.excluded;
  const ranked: Ranked[] = [];
  const explained: (Anchor | undefined)[] = [];
  for (let p = 0; p < cached.ranked.length && ranked.length < depth; p++) {
    const r = cached.ranked[p]!;
    if (mark.has(r.index)) continue;
    ranked.push(r);
    explained.push(cached.explained[p]);
  }
  return { ranked, explained, source: 'precomputed' };
}

/** The learned second stage (shared/model/ranker.ts) over the blended candidates, cut to `depth`. */
function secondStage(
  model: ServingModel,
  userIndex: number | undefined,
  signals: Map<number, number>,
  ranked: Ranked[],
  depth: number,
): Ranked[] {
  const m = model.model;
  if (m.ranker === undefined || ranked.length < 2) return ranked.slice(0, depth);
  const { order, scores } = rerankCandidates({ ...m, ranker: m.ranker }, userIndex, signals.keys(), ranked);
  return Array.from(order.subarray(0, Math.min(depth, order.length)), (c) => ({
    ...ranked[c]!,
    score: scores[c]!,
  }));
}

/**
 * The list's normalised scores and the fresh scores, min–max normalised, blended on the scratch: the list alone
 * when nothing is fresh, and the 'legacy' mode's rule otherwise.
 */
function blended(
  r: RankRequest,
  pre: Omit<DecodedList, 'model'>,
  signals: Map<number, number>,
  needsFresh: boolean,
  scratch: Scratch,
  depth: number,
): Ranked[] {
  const { model } = r;
  const { fresh, scores } = scratch;
  fresh.clear();
  scores.clear();
  const preSize = pre.indices.length + pre.strangerIds.length;
  const preWeight = !needsFresh ? 1 : preSize > 0 ? PRECOMPUTED_WEIGHT : 0;
  for (let p = 0; p < pre.indices.length; p++) scores.add(pre.indices[p]!, preWeight * pre.norm[p]!);
  const extras: [string, number][] = [];
  for (let p = 0; p < pre.strangerIds.length; p++) {
    const id = pre.strangerIds[p]!;
    if (!r.excluded.has(id)) extras.push([id, 0 + preWeight * pre.strangerNorm[p]!]);
  }
  if (needsFresh) {
    const n = Math.max(r.k * 4, 100);
    if (r.userId !== undefined && model.foldIn !== undefined)
      foldInScores(model, r.userIndex, signals, n, fresh);
    else itemToItem(model, signals.size > 0 ? signals : historySignals(model, r.userIndex), fresh);
    fresh.addNormalisedInto(scores, preSize > 0 ? 1 - PRECOMPUTED_WEIGHT : 1);
  }
  return rankTop(scratch, scores, scratch.excluded, model.model.itemIds, extras, depth);
}
