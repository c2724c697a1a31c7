import type { EventType } from '../domain/event.ts';
import type { Item } from '../domain/item.ts';
import { tokens } from '../model/content.ts';
import { foldIn, scoreAll } from '../model/ials.ts';
import type { Neighbours } from '../model/neighbours.ts';
import { has } from '../model/sparse.ts';
import { topK } from '../model/topk.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { Deployment, PublicationStore, ScoredItem } from '../ports/publication-store.ts';
import type { ActivityEntry, ServingStore } from '../ports/serving-store.ts';
import { type Assignment, assignVariant } from './assignment.ts';
import type { CatalogCache } from './catalog-cache.ts';
import type { ModelCache, ServingModel } from './model-cache.ts';
import { recommendationIdFor } from './recommendation-id.ts';
import { type IndexMark, type Ranked, rankTop, type SparseScores, scratchFor } from './scoring.ts';

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
  const all = buffers.all;
  scoreAll(vector, 0, fold.itemFactors, fold.factors, all);
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

  /** `reason` may be a function: it is then only called for an item that is taken. */
  offer(c: Candidate, item: Item | undefined, reason: string | (() => string)): void {
    if (this.full || this.taken.has(c.itemId) || this.excluded.has(c.itemId)) return;
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
      score: round(c.score),
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
    const fresh: ActivityEntry[] =
      userId !== undefined ? activity.filter((e) => Date.parse(e.timestamp) > model.trainedAt) : activity;

    const excluded = new Set<string>();
    const kinds = new Set(request.exclude);
    if (context !== undefined) excluded.add(context);
    for (const e of activity) {
      if (e.itemId === undefined) continue;
      if (e.type === 'not_interested' && kinds.has('not_interested')) excluded.add(e.itemId);
      if (e.type === 'purchase' && kinds.has('purchased')) excluded.add(e.itemId);
      if ((e.type === 'view' || e.type === 'click') && kinds.has('viewed')) excluded.add(e.itemId);
      if (e.type === 'add_to_cart' && kinds.has('carted')) excluded.add(e.itemId);
    }
    if (kinds.has('not_interested')) for (const x of exclusions) excluded.add(x.itemId);
    // The training row (what the shopper bought before) stays in the model's index space: a binary search of
    // the sorted row instead of a string set rebuilt on every request.
    const historyExcluded = kinds.has('purchased') && userIndex !== undefined ? userIndex : undefined;
    const isExcluded = {
      has(itemId: string): boolean {
        if (excluded.has(itemId)) return true;
        if (historyExcluded === undefined) return false;
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
    if (userIndex !== undefined) {
      // The strongest items of the training row explain the precomputed list ("bought" when the confidence is
      // at least one purchase's worth; the row sums event weights, so this is a heuristic). The first 10 of a
      // stable sort by value, descending, kept by insertion instead of sorting the row.
      const top: number[] = [];
      for (let p = m.history.indptr[userIndex]!; p < m.history.indptr[userIndex + 1]!; p++) {
        const v = m.history.values[p]!;
        if (top.length === 10 && !(v > m.history.values[top[9]!]!)) continue;
        let at = top.length < 10 ? top.length : 9;
        while (at > 0 && v > m.history.values[top[at - 1]!]!) at--;
        if (top.length === 10) top.pop();
        top.splice(at, 0, p);
      }
      for (const p of top) {
        const i = m.history.indices[p]!;
        const v = m.history.values[p]!;
        if (!anchors.some((a) => a.index === i))
          anchors.push({
            itemId: m.itemIds[i]!,
            index: i,
            verb: v >= model.weights.purchase ? 'bought' : 'viewed',
            weight: Math.min(v, model.weights.purchase),
          });
      }
    }

    // Scoring on the model's scratch (synchronous from here to the ranked list: no await in between).
    const scratch = scratchFor(model, m.itemIds.length);
    const { pre, fresh: freshScores, scores } = scratch;
    pre.clear();
    freshScores.clear();
    scores.clear();
    /** Precomputed ids the model does not know (none normally: the list comes from the same artifact). */
    let strangers: Map<string, number> | undefined;
    for (const [id, score] of list ?? []) {
      const j = m.itemIndex.get(id);
      if (j !== undefined) pre.set(j, score);
      else {
        strangers ??= new Map();
        strangers.set(id, score);
      }
    }
    const preSize = pre.size + (strangers?.size ?? 0);
    const needsFresh = signals.size > 0 || (preSize === 0 && userIndex !== undefined);
    const preWeight = !needsFresh ? 1 : preSize > 0 ? PRECOMPUTED_WEIGHT : 0;
    const extras: [string, number][] = [];
    if (strangers !== undefined) {
      // Normalised together with the known ids, as one list.
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const s of [
        ...strangers.values(),
        ...Array.from(pre.touched.subarray(0, pre.size), (j) => pre.values[j]!),
      ]) {
        if (s < lo) lo = s;
        if (s > hi) hi = s;
      }
      const span = hi - lo;
      for (let p = 0; p < pre.size; p++) {
        const j = pre.touched[p]!;
        scores.add(j, preWeight * (span > 0 ? (pre.values[j]! - lo) / span : 1));
      }
      for (const [id, v] of strangers)
        if (!isExcluded.has(id)) extras.push([id, 0 + preWeight * (span > 0 ? (v - lo) / span : 1)]);
    } else {
      pre.addNormalisedInto(scores, preWeight);
    }
    if (needsFresh) {
      const n = Math.max(k * 4, 100);
      if (userId !== undefined && model.foldIn !== undefined)
        foldInScores(model, userIndex, signals, n, freshScores);
      else itemToItem(model, signals.size > 0 ? signals : historySignals(model, userIndex), freshScores);
      freshScores.addNormalisedInto(scores, preSize > 0 ? 1 - PRECOMPUTED_WEIGHT : 1);
    }

    const mark = scratch.excluded;
    mark.clear();
    for (const id of excluded) {
      const j = m.itemIndex.get(id);
      if (j !== undefined) mark.add(j);
    }
    if (historyExcluded !== undefined)
      for (let p = m.history.indptr[historyExcluded]!; p < m.history.indptr[historyExcluded + 1]!; p++)
        mark.add(m.history.indices[p]!);
    const ranked = rankTop(scratch, scores, mark, m.itemIds, extras, Math.max(k * 4, 60));
    const explained = anchorsFor(model, anchors, ranked, scratch.ranked);

    // Catalog rows in chunks of the ranked list (most requests fill k from the first): only the candidates
    // looked at and the anchors explaining them are read.
    const selection = new Selection(k, filters, isExcluded);
    const chunk = Math.max(2 * k, 20);
    for (let start = 0; start < ranked.length && !selection.full; start += chunk) {
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
