import type { EventType } from '../domain/event.ts';
import type { Item } from '../domain/item.ts';
import { tokens } from '../model/content.ts';
import { foldIn, scoreAll } from '../model/ials.ts';
import type { Neighbours } from '../model/neighbours.ts';
import { itemScorer } from '../model/simd/kernels.ts';
import { has } from '../model/sparse.ts';
import { topK } from '../model/topk.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { Deployment, PublicationStore, ScoredItem } from '../ports/publication-store.ts';
import type { ActivityEntry, ServingStore } from '../ports/serving-store.ts';
import { type Assignment, assignVariant } from './assignment.ts';
import type { CatalogCache } from './catalog-cache.ts';
import { isCanonicalIso, type ModelCache, type ServingModel } from './model-cache.ts';
import { recommendationIdFor } from './recommendation-id.ts';
import {
  type IndexMark,
  type Ranked,
  rankTop,
  type Scratch,
  type SparseScores,
  scratchFor,
} from './scoring.ts';

/**
 * Real-time serving: the precomputed list of the shopper's variant, corrected with what the shopper did since
 * the model was trained (fold-in through the item factors, or item-to-item through the neighbours), business
 * filters, backfill, and a reason per item. Pure: it sees only ports and the loaded model.
 */

export const EXCLUDE_KINDS = ['purchased', 'not_interested', 'viewed', 'carted'] as const;
export type ExcludeKind = (typeof EXCLUDE_KINDS)[number];
export const DEFAULT_EXCLUDE: readonly ExcludeKind[] = ['purchased', 'not_interested'];
export const TRENDING_WINDOW_NAMES = ['1h', '24h', '7d'] as const;
export type TrendingWindowName = (typeof TRENDING_WINDOW_NAMES)[number];

/** Recent events read per request: enough to fold in a browsing session, cheap to read. */
export const ACTIVITY_READ = 50;
/** Weight of the precomputed list against the fresh signal when both exist. */
const PRECOMPUTED_WEIGHT = 0.4;
/** Collaborative against content neighbours in "similar items" and item-to-item scoring. */
const COLLAB_WEIGHT = 0.7;

export interface Filters {
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** At most this many items of one (leaf) category; default ⌈k/2⌉ when no category filter is given. */
  maxPerCategory?: number;
}

export interface RecommendationItem {
  itemId: string;
  score: number;
  reason: string;
  title: string | null;
  price: number | null;
}

export interface RecommendationResponse {
  recommendationId: string;
  userId?: string;
  sessionId?: string;
  modelVersion: string | null;
  variant: string;
  items: RecommendationItem[];
}

export interface ServingDeps {
  deployment: { get(): Promise<Deployment | undefined> };
  models: ModelCache;
  publications: PublicationStore;
  store: ServingStore;
  feedback: FeedbackStore;
  catalog: CatalogCache;
  /** The newest complete model version, used when there is no deployment record yet. */
  latestVersion?: () => Promise<string | undefined>;
  newId?: () => string;
  /** Where degraded answers are reported (the logger on Lambda and locally). */
  onError?: (message: string, error: unknown) => void;
  /**
   * Reuse work between requests on the objects the stores hand back (decoded and ranked lists, activity
   * digests). Default true; false works every request out from scratch through the general path, the reference
   * the reuse is tested against.
   */
  reuse?: boolean;
}

/** The item asked about is neither in the model nor in the catalog (404). */
export class UnknownItemError extends Error {
  constructor(itemId: string) {
    super(`no item with itemId "${itemId}"`);
    this.name = 'UnknownItemError';
  }
}

/** No deployment record and no model at all: serving can only answer the fallback. */
export class NoModelError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('no model is deployed and none is stored', options);
    this.name = 'NoModelError';
  }
}

interface Anchor {
  itemId: string;
  index: number;
  verb: 'bought' | 'viewed' | 'added to cart';
  weight: number;
}

interface Candidate {
  itemId: string;
  score: number;
  /** round(score), when it was worked out once for a candidate object served again. */
  rounded?: number;
  reason?: string;
}

function verbOf(type: EventType): Anchor['verb'] | undefined {
  if (type === 'purchase') return 'bought';
  if (type === 'add_to_cart') return 'added to cart';
  if (type === 'view' || type === 'click' || type === 'wishlist' || type === 'rating') return 'viewed';
  return undefined;
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}

/** Σ weight(i) × sim(i, j) over the neighbours of each signal item i (collaborative, then content), into `out`. */
function itemToItem(model: ServingModel, signals: Map<number, number>, out: SparseScores): void {
  const { neighbours, contentNeighbours } = model.model;
  const add = (nb: Neighbours, w: number) => {
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
  };
  add(neighbours, COLLAB_WEIGHT);
  if (contentNeighbours !== undefined) add(contentNeighbours, 1 - COLLAB_WEIGHT);
}

/**
 * The user's vector re-solved from their training row plus the fresh signals (one ALS half-step), scored against
 * every item; the top `n` outside the training row, into `out`.
 */
function foldInScores(
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
  foldIn(
    { factors: fold.factors, itemFactors: fold.itemFactors, params },
    fold.gram,
    [...values.keys()],
    [...values.values()],
    vector,
  );
  const buffers = foldBuffers(model, n);
  // The SIMD kernel over the factors copied into its memory once per model version; its result view is
  // scratch like `buffers.all` (used synchronously, overwritten by the next request).
  const simd = itemScorer(fold.itemFactors, model.model.itemIds.length, fold.factors);
  let all = buffers.all;
  if (simd !== undefined) all = simd.score(vector);
  else scoreAll(vector, 0, fold.itemFactors, fold.factors, all);
  if (userIndex !== undefined)
    for (let p = history.indptr[userIndex]!; p < history.indptr[userIndex + 1]!; p++)
      all[history.indices[p]!] = Number.NaN;
  const got = topK(all, n, buffers.idx, buffers.sc);
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

/**
 * For each ranked candidate reachable from an anchor's neighbours, the anchor explaining it best (strongest
 * w × anchor weight × similarity; the first one visited on a tie). Only the ranked items are looked at.
 */
function anchorsFor(
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
  ranked.forEach((r, p) => {
    if (r.index >= 0) mark.add(r.index, p);
  });
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

/** Date.parse(timestamp) > model.trainedAt, comparing strings when both are in toISOString's form. */
function isFresh(model: ServingModel, timestamp: string): boolean {
  const iso = model.trainedAtIso;
  if (iso !== undefined && isCanonicalIso(timestamp)) return timestamp > iso;
  return Date.parse(timestamp) > model.trainedAt;
}

const KIND_NOT_INTERESTED = 1;
const KIND_PURCHASED = 2;
const KIND_VIEWED = 4;
const KIND_CARTED = 8;

function exclusionKindOf(type: EventType): number {
  if (type === 'not_interested') return KIND_NOT_INTERESTED;
  if (type === 'purchase') return KIND_PURCHASED;
  if (type === 'view' || type === 'click') return KIND_VIEWED;
  if (type === 'add_to_cart') return KIND_CARTED;
  return 0;
}

/**
 * What a request needs of a shopper's recent activity, in one model's index space: the entries after trainedAt,
 * and the item indices the entries can exclude with the exclusion kind of each (ids the model does not know
 * cannot be in its ranked list and are left to `excludedIds`).
 */
interface ActivityDigest {
  model: ServingModel;
  entries: readonly ActivityEntry[];
  fresh: readonly ActivityEntry[];
  marked: Int32Array;
  markedKinds: Uint8Array;
}

/**
 * Digests kept on the first entry object and reused while a read hands back the very same entry objects in the
 * same order (the local store's read cache does until the shopper's next event, which makes new ones): pointer
 * comparisons instead of reading every entry, its timestamp and its item id again. A store that makes new
 * objects on every read (DynamoDB) simply gets a new digest every time.
 */
const digests = new WeakMap<ActivityEntry, ActivityDigest>();
const EMPTY_DIGEST_PARTS = { fresh: [], marked: new Int32Array(0), markedKinds: new Uint8Array(0) };

function activityDigest(
  model: ServingModel,
  activity: readonly ActivityEntry[],
  reuse: boolean,
): ActivityDigest {
  const first = activity[0];
  if (first === undefined) return { model, entries: activity, ...EMPTY_DIGEST_PARTS };
  const hit = reuse ? digests.get(first) : undefined;
  if (hit !== undefined && hit.model === model && hit.entries.length === activity.length) {
    let same = true;
    for (let i = 1; i < activity.length && same; i++) same = hit.entries[i] === activity[i];
    if (same) return hit;
  }
  const { itemIndex } = model.model;
  const fresh: ActivityEntry[] = [];
  const marked: number[] = [];
  const markedKinds: number[] = [];
  for (const e of activity) {
    if (isFresh(model, e.timestamp)) fresh.push(e);
    if (e.itemId === undefined) continue;
    const kind = exclusionKindOf(e.type);
    if (kind === 0) continue;
    const j = itemIndex.get(e.itemId);
    if (j === undefined) continue;
    marked.push(j);
    markedKinds.push(kind);
  }
  const digest: ActivityDigest = {
    model,
    entries: activity,
    fresh,
    marked: Int32Array.from(marked),
    markedKinds: Uint8Array.from(markedKinds),
  };
  if (reuse) digests.set(first, digest);
  return digest;
}

/** The exclusions of one request as item ids (what the scratch mark holds by index, plus ids outside the model). */
function excludedIds(
  activity: readonly ActivityEntry[],
  exclusions: readonly { itemId: string }[],
  kinds: ReadonlySet<ExcludeKind>,
  context: string | undefined,
): Set<string> {
  const excluded = new Set<string>();
  if (context !== undefined) excluded.add(context);
  for (const e of activity) {
    if (e.itemId === undefined) continue;
    if (e.type === 'not_interested' && kinds.has('not_interested')) excluded.add(e.itemId);
    if (e.type === 'purchase' && kinds.has('purchased')) excluded.add(e.itemId);
    if ((e.type === 'view' || e.type === 'click') && kinds.has('viewed')) excluded.add(e.itemId);
    if (e.type === 'add_to_cart' && kinds.has('carted')) excluded.add(e.itemId);
  }
  if (kinds.has('not_interested')) for (const x of exclusions) excluded.add(x.itemId);
  return excluded;
}

/**
 * A published list in the model's index space: known ids with their min–max normalised scores (the last score of
 * an id repeated, in first-seen order, as a Map would keep them), and ids the model does not know, normalised
 * together with the known ones as one list.
 */
interface DecodedList {
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

const EMPTY_LIST: Omit<DecodedList, 'model'> = {
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

function decodedList(model: ServingModel, list: readonly ScoredItem[], reuse: boolean): DecodedList {
  const hit = reuse ? decodedLists.get(list) : undefined;
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
  if (reuse) decodedLists.set(list, decoded);
  return decoded;
}

/**
 * The known entries of a list ranked as rankTop ranks them when the list is the only signal (score 0 + 1 ×
 * normalised score, descending, then itemId ascending), each with the training-row anchor that anchorsFor picks
 * for it (an entry's anchor depends only on the anchors and the entry itself, never on the other candidates).
 * Kept on the decoded list, for the user index it was computed for.
 */
function listRanking(
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
    ranked.push({ index: j, itemId: itemIds[j]!, score, rounded: round(score) });
  }
  ranked.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1));
  const anchors = userIndex !== undefined ? historyAnchors(model, userIndex) : [];
  const ranking = { userIndex, ranked, explained: anchorsFor(model, anchors, ranked, scratch.ranked) };
  list.ranking = ranking;
  return ranking;
}

/**
 * The strongest items of the training row explain the precomputed list ("bought" when the confidence is at least
 * one purchase's worth; the row sums event weights, so this is a heuristic). The first 10 of a stable sort by
 * value, descending, kept by insertion instead of sorting the row.
 */
function historyAnchors(model: ServingModel, userIndex: number): Anchor[] {
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
  const out: Anchor[] = [];
  for (const p of top) {
    const i = history.indices[p]!;
    const v = history.values[p]!;
    out.push({
      itemId: itemIds[i]!,
      index: i,
      verb: v >= model.weights.purchase ? 'bought' : 'viewed',
      weight: Math.min(v, model.weights.purchase),
    });
  }
  return out;
}

function categoryMatches(item: Item | undefined, category: string): boolean {
  const wanted = category.toLowerCase();
  return item?.categories?.some((c) => c.toLowerCase() === wanted) ?? false;
}

/** Applies the business filters in rank order and keeps up to k. */
class Selection {
  readonly items: RecommendationItem[] = [];
  private readonly perCategory = new Map<string, number>();
  private readonly taken = new Set<string>();
  private readonly k: number;
  private readonly filters: Filters;
  private readonly excluded: { has(itemId: string): boolean };
  constructor(k: number, filters: Filters, excluded: { has(itemId: string): boolean }) {
    this.k = k;
    this.filters = filters;
    this.excluded = excluded;
  }

  get full(): boolean {
    return this.items.length >= this.k;
  }

  /**
   * `reason` may be a function: it is then only called for an item that is taken. `screened`: the candidate is
   * known not to be excluded (the ranked list leaves out every excluded item already).
   */
  offer(c: Candidate, item: Item | undefined, reason: string | (() => string), screened = false): void {
    if (this.full || this.taken.has(c.itemId) || (!screened && this.excluded.has(c.itemId))) return;
    if (item?.inStock === false) return;
    const f = this.filters;
    if (f.category !== undefined && !categoryMatches(item, f.category)) return;
    if (f.minPrice !== undefined && !(item?.price !== undefined && item.price >= f.minPrice)) return;
    if (f.maxPrice !== undefined && !(item?.price !== undefined && item.price <= f.maxPrice)) return;
    const leaf = item?.categories?.at(-1);
    const cap = f.maxPerCategory ?? (f.category === undefined ? Math.ceil(this.k / 2) : undefined);
    if (leaf !== undefined && cap !== undefined) {
      const n = this.perCategory.get(leaf) ?? 0;
      if (n >= cap) return;
      this.perCategory.set(leaf, n + 1);
    }
    this.taken.add(c.itemId);
    this.items.push({
      itemId: c.itemId,
      score: c.rounded ?? round(c.score),
      reason: typeof reason === 'string' ? reason : reason(),
      title: item?.title ?? null,
      price: item?.price ?? null,
    });
  }
}

export interface UserRequest {
  userId: string;
  k: number;
  filters: Filters;
  context?: string;
  exclude: readonly ExcludeKind[];
}

export interface SessionRequest {
  sessionId: string;
  k: number;
  filters: Filters;
  context?: string;
  exclude: readonly ExcludeKind[];
}

export interface Recommender {
  forUser(request: UserRequest): Promise<RecommendationResponse>;
  forSession(request: SessionRequest): Promise<RecommendationResponse>;
  similar(
    itemId: string,
    k: number,
  ): Promise<{ itemId: string; modelVersion: string | null; items: RecommendationItem[] }>;
  trending(
    window: TrendingWindowName,
    k: number,
    category?: string,
  ): Promise<{
    window: TrendingWindowName;
    category?: string;
    modelVersion: string | null;
    asOf: string | null;
    items: RecommendationItem[];
  }>;
  /** The model and variant a shopper is served (for feedback and the CLI). */
  assignment(shopperKey: string): Promise<Assignment | undefined>;
}

export function createRecommender(deps: ServingDeps): Recommender {
  const newId = deps.newId ?? (() => globalThis.crypto.randomUUID());
  const report = deps.onError ?? (() => {});
  const reuse = deps.reuse ?? true;
  /** Content vectors of a model's popular head, for items nobody has interacted with (per version). */
  const pools = new Map<string, Promise<{ ids: string[]; vectors: Map<string, number>[] }>>();

  async function assignmentFor(shopperKey: string): Promise<Assignment> {
    const deployment = await deps.deployment.get();
    if (deployment !== undefined) return assignVariant(deployment, shopperKey);
    const latest = await deps.latestVersion?.();
    if (latest === undefined) throw new NoModelError();
    return { variant: 'champion', modelVersion: latest };
  }

  /** The shopper's model; a variant whose artifact cannot be loaded falls back to the champion. */
  async function resolve(shopperKey: string): Promise<{ assignment: Assignment; model: ServingModel }> {
    const assignment = await assignmentFor(shopperKey);
    try {
      return { assignment, model: await deps.models.get(assignment.modelVersion) };
    } catch (error) {
      const deployment = await deps.deployment.get();
      if (deployment === undefined || deployment.champion === assignment.modelVersion) throw error;
      report(`model ${assignment.modelVersion} cannot be loaded; serving the champion`, error);
      return {
        assignment: { variant: 'champion', modelVersion: deployment.champion },
        model: await deps.models.get(deployment.champion),
      };
    }
  }

  /** Trending of the model's newest week, then overall popularity, through the filters. */
  async function backfill(model: ServingModel, selection: Selection, filters: Filters): Promise<void> {
    const { itemIds, trending, popularity } = model.model;
    const sources: { ids: [string, number][]; reason: string }[] = [
      { ids: trending.windows['7d'] ?? [], reason: 'trending' },
      {
        ids: Array.from(model.popularOrder, (j) => [itemIds[j]!, popularity[j]!] as [string, number]),
        reason: filters.category !== undefined ? `popular in ${filters.category}` : 'popular',
      },
    ];
    const floor = selection.items.at(-1)?.score ?? 1;
    let rank = 0;
    for (const source of sources) {
      for (let start = 0; start < source.ids.length && !selection.full; start += 100) {
        const chunk = source.ids.slice(start, start + 100);
        const items = await deps.catalog.getMany(chunk.map(([id]) => id));
        for (const [id] of chunk) {
          if (selection.full) break;
          // Below every personal score, still in backfill order.
          rank++;
          selection.offer({ itemId: id, score: floor * 0.99 ** rank }, items.get(id), source.reason);
        }
      }
      if (selection.full) break;
    }
  }

  /** Popular items labelled "fallback": the answer when the store or the model is unavailable. */
  async function fallback(
    k: number,
    filters: Filters,
  ): Promise<{ version: string | null; items: RecommendationItem[] }> {
    const loaded = deps.models.loaded().at(-1);
    if (loaded === undefined) return { version: null, items: [] };
    const model = await deps.models.get(loaded);
    const ids = Array.from(model.popularOrder.slice(0, Math.max(k * 4, 100)), (j) => model.model.itemIds[j]!);
    const items = await deps.catalog.getMany(ids).catch(() => new Map<string, Item>());
    const selection = new Selection(k, filters, new Set());
    ids.forEach((id, t) => {
      selection.offer(
        { itemId: id, score: model.model.popularity[model.popularOrder[t]!]! },
        items.get(id),
        'fallback',
      );
    });
    return { version: model.version, items: selection.items };
  }

  async function personal(
    shopperKey: string,
    who: { userId: string } | { sessionId: string },
    request: UserRequest | SessionRequest,
  ): Promise<RecommendationResponse> {
    const { k, filters, context } = request;
    const { assignment, model } = await resolve(shopperKey);
    const m = model.model;
    const userId = 'userId' in who ? who.userId : undefined;
    const [list, activity, exclusions] = await Promise.all([
      userId !== undefined
        ? deps.publications.getRecommendations(model.version, userId)
        : Promise.resolve<ScoredItem[] | undefined>(undefined),
      deps.store.recentActivity(shopperKey, ACTIVITY_READ),
      deps.feedback.exclusions(shopperKey),
    ]);
    const userIndex = userId !== undefined ? m.userIndex.get(userId) : undefined;
    // A signed-in shopper's events up to trainedAt are in the model already; a session's never are.
    const digest = activityDigest(model, activity, reuse);
    const fresh: readonly ActivityEntry[] = userId !== undefined ? digest.fresh : activity;

    // Scoring on the model's scratch (synchronous from here to the ranked list: no await in between).
    const scratch = scratchFor(model, m.itemIds.length);
    const { fresh: freshScores, scores } = scratch;
    freshScores.clear();
    scores.clear();

    // Exclusions go straight into the scratch mark by item index; ids the model does not know can only matter
    // to the precomputed strangers and the backfill, which ask `isExcluded` (the same rules as id strings,
    // built only when asked).
    const kinds = new Set(request.exclude);
    const mark = scratch.excluded;
    mark.clear();
    const markId = (itemId: string) => {
      const j = m.itemIndex.get(itemId);
      if (j !== undefined) mark.add(j);
    };
    const notInterested = kinds.has('not_interested');
    const purchased = kinds.has('purchased');
    const wanted =
      (notInterested ? KIND_NOT_INTERESTED : 0) |
      (purchased ? KIND_PURCHASED : 0) |
      (kinds.has('viewed') ? KIND_VIEWED : 0) |
      (kinds.has('carted') ? KIND_CARTED : 0);
    if (context !== undefined) markId(context);
    const { marked, markedKinds } = digest;
    for (let p = 0; p < marked.length; p++) if ((markedKinds[p]! & wanted) !== 0) mark.add(marked[p]!);
    if (notInterested) for (const x of exclusions) markId(x.itemId);
    // The training row (what the shopper bought before) stays in the model's index space.
    const historyExcluded = purchased && userIndex !== undefined ? userIndex : undefined;
    if (historyExcluded !== undefined)
      for (let p = m.history.indptr[historyExcluded]!; p < m.history.indptr[historyExcluded + 1]!; p++)
        mark.add(m.history.indices[p]!);
    let excluded: Set<string> | undefined;
    const isExcluded = {
      has(itemId: string): boolean {
        excluded ??= excludedIds(activity, exclusions, kinds, context);
        if (excluded.has(itemId)) return true;
        if (historyExcluded === undefined) return false;
        // A binary search of the sorted row instead of a string set rebuilt on every request.
        const j = m.itemIndex.get(itemId);
        return j !== undefined && has(m.history, historyExcluded, j);
      },
    };

    // Signals: fresh events (and the item being viewed) by item index, summed with the model's event weights.
    const signals = new Map<number, number>();
    const anchors: Anchor[] = [];
    const signal = (itemId: string, type: EventType) => {
      const i = m.itemIndex.get(itemId);
      if (i === undefined) return;
      const w = model.weights[type];
      if (w === 0 || Number.isNaN(w)) return;
      signals.set(i, (signals.get(i) ?? 0) + w);
      const verb = verbOf(type);
      if (verb !== undefined && w > 0 && anchors.length < 20 && !anchors.some((a) => a.index === i))
        anchors.push({ itemId, index: i, verb, weight: w });
    };
    if (context !== undefined) signal(context, 'view');
    for (const e of fresh) if (e.itemId !== undefined) signal(e.itemId, e.type);

    const pre = list !== undefined ? decodedList(model, list, reuse) : EMPTY_LIST;
    const preSize = pre.indices.length + pre.strangerIds.length;
    const needsFresh = signals.size > 0 || (preSize === 0 && userIndex !== undefined);
    const depth = Math.max(k * 4, 60);
    let ranked: Ranked[];
    let explained: (Anchor | undefined)[];
    if (reuse && !needsFresh && pre.strangerIds.length === 0 && list !== undefined) {
      // Nothing fresh: the list alone ranks the candidates and the training row alone explains them, so both
      // come from the list's cache; only this request's exclusions are applied (the same rank as rankTop's).
      const cached = listRanking(model, pre as DecodedList, userIndex, scratch);
      ranked = [];
      explained = [];
      for (let p = 0; p < cached.ranked.length && ranked.length < depth; p++) {
        const r = cached.ranked[p]!;
        if (mark.has(r.index)) continue;
        ranked.push(r);
        explained.push(cached.explained[p]);
      }
    } else {
      if (userIndex !== undefined) {
        for (const a of historyAnchors(model, userIndex))
          if (!anchors.some((b) => b.index === a.index)) anchors.push(a);
      }
      const preWeight = !needsFresh ? 1 : preSize > 0 ? PRECOMPUTED_WEIGHT : 0;
      for (let p = 0; p < pre.indices.length; p++) scores.add(pre.indices[p]!, preWeight * pre.norm[p]!);
      const extras: [string, number][] = [];
      for (let p = 0; p < pre.strangerIds.length; p++) {
        const id = pre.strangerIds[p]!;
        if (!isExcluded.has(id)) extras.push([id, 0 + preWeight * pre.strangerNorm[p]!]);
      }
      if (needsFresh) {
        const n = Math.max(k * 4, 100);
        if (userId !== undefined && model.foldIn !== undefined)
          foldInScores(model, userIndex, signals, n, freshScores);
        else itemToItem(model, signals.size > 0 ? signals : historySignals(model, userIndex), freshScores);
        freshScores.addNormalisedInto(scores, preSize > 0 ? 1 - PRECOMPUTED_WEIGHT : 1);
      }
      ranked = rankTop(scratch, scores, mark, m.itemIds, extras, depth);
      explained = anchorsFor(model, anchors, ranked, scratch.ranked);
    }

    // Catalog rows of the candidates looked at and of the anchors explaining them: while the catalog cache holds
    // them, taken from it one candidate at a time (only the anchors of items taken are looked up); from the first
    // row it does not hold, read in chunks of the ranked list (most requests fill k from the first chunk).
    const selection = new Selection(k, filters, isExcluded);
    let from = 0;
    for (; from < ranked.length && !selection.full; from++) {
      const c = ranked[from]!;
      const item = deps.catalog.peek(c.itemId);
      if (item === undefined) break;
      const a = explained[from];
      if (a === undefined) {
        selection.offer(c, item ?? undefined, 'recommended for you', true);
        continue;
      }
      const anchor = deps.catalog.peek(a.itemId);
      if (anchor === undefined) break;
      selection.offer(c, item ?? undefined, () => `because you ${a.verb} ${anchor?.title ?? a.itemId}`, true);
    }
    const chunk = Math.max(2 * k, 20);
    for (let start = from; start < ranked.length && !selection.full; start += chunk) {
      const end = Math.min(ranked.length, start + chunk);
      const ids: string[] = [];
      for (let p = start; p < end; p++) ids.push(ranked[p]!.itemId);
      for (let p = start; p < end; p++) {
        const a = explained[p];
        if (a !== undefined) ids.push(a.itemId);
      }
      const items = await deps.catalog.getMany(ids);
      for (let p = start; p < end; p++) {
        const c = ranked[p]!;
        const a = explained[p];
        selection.offer(
          c,
          items.get(c.itemId),
          a === undefined
            ? 'recommended for you'
            : () => `because you ${a.verb} ${items.get(a.itemId)?.title ?? a.itemId}`,
          true,
        );
      }
    }
    if (!selection.full) await backfill(model, selection, filters);
    return {
      recommendationId: recommendationIdFor(assignment, newId()),
      ...who,
      modelVersion: model.version,
      variant: assignment.variant,
      items: selection.items,
    };
  }

  function historySignals(model: ServingModel, userIndex: number | undefined): Map<number, number> {
    const out = new Map<number, number>();
    if (userIndex === undefined) return out;
    const h = model.model.history;
    for (let p = h.indptr[userIndex]!; p < h.indptr[userIndex + 1]!; p++)
      out.set(h.indices[p]!, h.values[p]!);
    return out;
  }

  async function degraded(
    error: unknown,
    who: { userId: string } | { sessionId: string },
    k: number,
    filters: Filters,
  ): Promise<RecommendationResponse> {
    report('serving degraded to the fallback (popular items)', error);
    const { version, items } = await fallback(k, filters).catch((e) => {
      report('fallback failed too', e);
      return { version: null, items: [] };
    });
    return { recommendationId: newId(), ...who, modelVersion: version, variant: 'fallback', items };
  }

  async function championModel(): Promise<ServingModel | undefined> {
    const deployment = await deps.deployment.get();
    const version = deployment?.champion ?? (await deps.latestVersion?.());
    return version === undefined ? undefined : deps.models.get(version);
  }

  async function contentPool(model: ServingModel) {
    let pool = pools.get(model.version);
    if (pool === undefined) {
      pool = (async () => {
        const ids = Array.from(model.popularOrder, (j) => model.model.itemIds[j]!);
        const items = await deps.catalog.getMany(ids);
        const vectors = ids.map((id) => {
          const item = items.get(id);
          const v = new Map<string, number>();
          if (item !== undefined) for (const t of tokens(item)) v.set(t, (v.get(t) ?? 0) + 1);
          return v;
        });
        return { ids, vectors };
      })();
      pools.set(model.version, pool);
      pool.catch(() => pools.delete(model.version));
      for (const v of pools.keys()) if (!deps.models.loaded().includes(v)) pools.delete(v);
    }
    return pool;
  }

  /** Cosine of term counts against the popular head: content similarity for an item the model never saw. */
  async function contentMatches(model: ServingModel, item: Item): Promise<Map<string, number>> {
    const { ids, vectors } = await contentPool(model);
    const target = new Map<string, number>();
    for (const t of tokens(item)) target.set(t, (target.get(t) ?? 0) + 1);
    const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
    const nt = norm(target);
    const out = new Map<string, number>();
    if (nt === 0) return out;
    ids.forEach((id, t) => {
      const v = vectors[t]!;
      let dot = 0;
      for (const [term, x] of target) dot += x * (v.get(term) ?? 0);
      if (dot > 0 && id !== item.itemId) out.set(id, dot / (nt * norm(v)));
    });
    return out;
  }

  return {
    async forUser(request) {
      const who = { userId: request.userId };
      try {
        return await personal(`u:${request.userId}`, who, request);
      } catch (error) {
        return degraded(error, who, request.k, request.filters);
      }
    },

    async forSession(request) {
      const who = { sessionId: request.sessionId };
      try {
        return await personal(`s:${request.sessionId}`, who, request);
      } catch (error) {
        return degraded(error, who, request.k, request.filters);
      }
    },

    async similar(itemId, k) {
      let model: ServingModel | undefined;
      try {
        model = await championModel();
      } catch (error) {
        report('similar items: no model', error);
      }
      const [target] = [(await deps.catalog.getMany([itemId])).get(itemId)];
      const j = model?.model.itemIndex.get(itemId);
      if (target === undefined && j === undefined) throw new UnknownItemError(itemId);
      if (model === undefined) return { itemId, modelVersion: null, items: [] };
      let reason = `similar to ${target?.title ?? itemId}`;
      const m = Math.max(k * 4, 60);
      let ranked: [string, number][] = [];
      if (j !== undefined) {
        const scratch = scratchFor(model, model.model.itemIds.length);
        scratch.scores.clear();
        itemToItem(model, new Map([[j, 1]]), scratch.scores);
        ranked = rankTop(scratch, scratch.scores, undefined, model.model.itemIds, [], m).map((r) => [
          r.itemId,
          r.score,
        ]);
      } else if (target !== undefined) {
        ranked = [...(await contentMatches(model, target))]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, m);
      }
      const items = await deps.catalog.getMany(ranked.map(([id]) => id));
      const selection = new Selection(k, { maxPerCategory: k }, new Set([itemId]));
      for (const [id, s] of ranked) selection.offer({ itemId: id, score: s }, items.get(id), reason);
      if (!selection.full) {
        // Nothing (or too little) alike: the popular items of the item's own category.
        const category = target?.categories?.at(-1);
        reason = category !== undefined ? `popular in ${category}` : 'popular';
        const filters: Filters =
          category !== undefined ? { category, maxPerCategory: k } : { maxPerCategory: k };
        const fill = new Selection(
          k - selection.items.length,
          filters,
          new Set([itemId, ...selection.items.map((i) => i.itemId)]),
        );
        await backfill(model, fill, filters);
        selection.items.push(...fill.items);
      }
      return { itemId, modelVersion: model.version, items: selection.items };
    },

    async trending(window, k, category) {
      let model: ServingModel | undefined;
      try {
        model = await championModel();
      } catch (error) {
        report('trending: no model', error);
      }
      if (model === undefined)
        return {
          window,
          ...(category !== undefined ? { category } : {}),
          modelVersion: null,
          asOf: null,
          items: [],
        };
      const list = model.model.trending.windows[window] ?? [];
      const filters: Filters = { ...(category !== undefined ? { category } : {}), maxPerCategory: k };
      const selection = new Selection(k, filters, new Set());
      for (let start = 0; start < list.length && !selection.full; start += 100) {
        const chunk = list.slice(start, start + 100);
        const items = await deps.catalog.getMany(chunk.map(([id]) => id));
        for (const [id, s] of chunk) selection.offer({ itemId: id, score: s }, items.get(id), 'trending');
      }
      if (!selection.full && category !== undefined) {
        const fill = new Selection(
          k - selection.items.length,
          filters,
          new Set(selection.items.map((i) => i.itemId)),
        );
        await backfill(model, fill, filters);
        selection.items.push(...fill.items);
      }
      return {
        window,
        ...(category !== undefined ? { category } : {}),
        modelVersion: model.version,
        asOf: model.model.trending.asOf,
        items: selection.items,
      };
    },

    async assignment(shopperKey) {
      try {
        return await assignmentFor(shopperKey);
      } catch {
        return undefined;
      }
    },
  };
}
