import type { ImpressionRecorder, ServedList } from '../live/impressions.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { LiveCounters } from '../ports/live-counters.ts';
import type { Deployment, PublicationStore, ScoredItem } from '../ports/publication-store.ts';
import type { ServingStore } from '../ports/serving-store.ts';
import { ACTIVITY_READ, activityDigest } from './activity.ts';
import { type Assignment, assignVariant } from './assignment.ts';
import { boughtTogether, cartRecommendations } from './bought-together.ts';
import type { CatalogCache } from './catalog-cache.ts';
import { RequestExclusions } from './exclusions.ts';
import { recordExposure } from './experiments.ts';
import type { FreshnessMode } from './fresh-blend.ts';
import type { ModelCache, ServingModel } from './model-cache.ts';
import { rankPersonal } from './ranker.ts';
import { recommendationIdFor } from './recommendation-id.ts';
import { type BasketServing, rerankForShopper } from './rerank.ts';
import { scratchFor } from './scoring.ts';
import { backfill, fallbackItems, offerRanked } from './selection.ts';
import {
  listSelection,
  modelRow,
  offerColdStart,
  preferLiked,
  type ShopperSource,
  shopperContext,
  shopperSelection,
} from './shoppers.ts';
import { ContentPools, similarItems } from './similar.ts';
import { trendingAnswer } from './trending.ts';
import {
  type Filters,
  NoModelError,
  type RecommendationResponse,
  type Recommender,
  type SessionRequest,
  type TrendingWindowName,
  UnknownItemError,
  type UserRequest,
} from './types.ts';

/**
 * Real-time serving: the precomputed list of the shopper's variant, or with what the shopper did since the model
 * was trained the model's whole blend recomputed for it (fresh-blend.ts), ranked (ranker.ts), through the business filters and backfill
 * (selection.ts), with a reason per item (explanations.ts); a list served inside an experiment is counted as an
 * exposure of its variant (experiments.ts). Pure: it sees only ports and the loaded model.
 */

export * from './types.ts';

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
  /** How fresh events count (default 'blend'); the others are kept for comparisons (bench:replay). */
  freshness?: FreshnessMode;
  /** The clock fresh events' ages are measured by (a replay sets it to the replayed time). */
  now?: () => number;
  /** Every shopper's events since training by item index (live counters), for the blend's live trend. */
  liveTrend?: (model: ServingModel, now: number) => Promise<Float32Array | undefined>;
  /** Told how each personal or session answer was made: the Lambda wiring turns it into metrics. */
  onServed?: (served: Served) => void;
  /** Live trending's counters (updated on ingest); absent: trending is the model's, as of its training. */
  counters?: Pick<LiveCounters, 'read'>;
  /** Where every served list is recorded (the lake's raw/impressions); absent: not recorded. */
  impressions?: ImpressionRecorder;
  /** Shoppers' profiles and stated preferences (issue 16, shoppers.ts); without it serving ignores them. */
  shoppers?: ShopperSource;
}

/** How an answer was made: the published list alone, fresh signals folded in, or the popular-items fallback. */
export interface Served {
  source: 'precomputed' | 'fold-in' | 'fallback';
  variant: string;
  /** Set when the shopper is in a running experiment: the answer is an exposure of `variant`. */
  experiment?: string;
}

type Who = { userId: string } | { sessionId: string };

/** What every request of one recommender shares. */
interface Serving {
  deps: ServingDeps;
  report: (message: string, error: unknown) => void;
  newId: () => string;
  pools: ContentPools;
}

export function createRecommender(deps: ServingDeps): Recommender {
  const s: Serving = {
    deps,
    report: deps.onError ?? (() => {}),
    newId: deps.newId ?? (() => globalThis.crypto.randomUUID()),
    pools: new ContentPools(deps.catalog, () => deps.models.loaded()),
  };
  return {
    forUser: (request) => personalOrFallback(s, `u:${request.userId}`, { userId: request.userId }, request),
    forSession: (request) =>
      personalOrFallback(s, `s:${request.sessionId}`, { sessionId: request.sessionId }, request),
    similar: (itemId, k, userId) => similar(s, itemId, k, userId),
    trending: (window, k, category, userId) => trending(s, window, k, category, userId),
    assignment: (shopperKey) => assignmentFor(s, shopperKey).catch(() => undefined),
    boughtTogether: (itemId, k) => boughtTogether(basketServing(s), itemId, k),
    cart: (request) => cartRecommendations(basketServing(s), request),
    rerank: (userId, items) => rerankForShopper(basketServing(s), userId, items),
  };
}

/** What the basket routes (bought-together.ts, rerank.ts) need: the models, a shopper's events and exclusions. */
function basketServing(s: Serving): BasketServing {
  const { deps } = s;
  return {
    catalog: deps.catalog,
    champion: () => championModel(s, 'bought together'),
    async shopper(userId) {
      const key = `u:${userId}`;
      const resolved = await resolve(s, key).catch((error) => {
        s.report('basket routes: no model for the shopper', error);
        return undefined;
      });
      if (resolved === undefined) return undefined;
      // A store that cannot answer costs the personal touch, not the answer.
      const degraded = (what: string) => (error: unknown) => {
        s.report(`basket routes: the shopper's ${what} cannot be read`, error);
        return [];
      };
      const [activity, exclusions] = await Promise.all([
        deps.store.recentActivity(key, ACTIVITY_READ).catch(degraded('activity')),
        deps.feedback.exclusions(key).catch(degraded('exclusions')),
      ]);
      return { ...resolved, activity, excluded: new Set(exclusions.map((x) => x.itemId)) };
    },
    now: () => (deps.now ?? Date.now)(),
  };
}

async function assignmentFor({ deps }: Serving, shopperKey: string): Promise<Assignment> {
  const deployment = await deps.deployment.get();
  if (deployment !== undefined) return assignVariant(deployment, shopperKey);
  const latest = await deps.latestVersion?.();
  if (latest === undefined) throw new NoModelError();
  return { variant: 'champion', modelVersion: latest };
}

/** The shopper's model; a variant whose artifact cannot be loaded falls back to the champion. */
async function resolve(
  s: Serving,
  shopperKey: string,
): Promise<{ assignment: Assignment; model: ServingModel }> {
  const { deps } = s;
  const assignment = await assignmentFor(s, shopperKey);
  try {
    return { assignment, model: await deps.models.get(assignment.modelVersion) };
  } catch (error) {
    const deployment = await deps.deployment.get();
    if (deployment === undefined || deployment.champion === assignment.modelVersion) throw error;
    s.report(`model ${assignment.modelVersion} cannot be loaded; serving the champion`, error);
    return {
      assignment: { variant: 'champion', modelVersion: deployment.champion },
      model: await deps.models.get(deployment.champion),
    };
  }
}

async function personalOrFallback(
  s: Serving,
  shopperKey: string,
  who: Who,
  request: UserRequest | SessionRequest,
): Promise<RecommendationResponse> {
  try {
    return await personal(s, shopperKey, who, request);
  } catch (error) {
    return degraded(s, error, who, request.k, request.filters);
  }
}

async function personal(
  s: Serving,
  shopperKey: string,
  who: Who,
  request: UserRequest | SessionRequest,
): Promise<RecommendationResponse> {
  const { deps } = s;
  const { k, filters, context } = request;
  const { assignment, model } = await resolve(s, shopperKey);
  const userId = 'userId' in who ? who.userId : undefined;
  const [list, activity, exclusions, shopper] = await Promise.all([
    userId !== undefined
      ? deps.publications.getRecommendations(model.version, userId)
      : Promise.resolve<ScoredItem[] | undefined>(undefined),
    deps.store.recentActivity(shopperKey, ACTIVITY_READ),
    deps.feedback.exclusions(shopperKey),
    shopperContext(deps.shoppers, userId, model.version, s.report),
  ]);
  const userIndex = modelRow(model, userId, shopper);
  const digest = activityDigest(model, activity);
  const excluded = new RequestExclusions(model, request.exclude, activity, exclusions, context, userIndex);
  const mode = deps.freshness ?? 'blend';
  const now = (deps.now ?? Date.now)();
  // Live counts that cannot be read leave the trend out of this answer, not the shopper's list.
  const trend =
    mode === 'blend' && deps.liveTrend !== undefined
      ? await deps.liveTrend(model, now).catch((e) => {
          s.report('live trend counts unavailable; answering without them', e);
          return undefined;
        })
      : undefined;
  // Synchronous from here to the ranked list (no await in between): the model's scratch is this request's.
  const scratch = scratchFor(model, model.model.itemIds.length);
  excluded.markInto(scratch.excluded, digest);
  // A signed-in shopper's events up to trainedAt are in the model already; a session's never are.
  const fresh = userId !== undefined ? digest.fresh : activity;
  const rank = { model, k, userId, userIndex, list, fresh, context, excluded, mode, now, trend };
  const { ranked, explained, source } = rankPersonal(rank, scratch);

  // Stated preferences and the cold start from the profile (shoppers.ts): no-ops for a shopper who stated nothing.
  const selection = shopperSelection(k, filters, excluded, shopper);
  await offerRanked(
    deps.catalog,
    selection,
    ...(await preferLiked(deps.catalog, ranked, explained, shopper)),
    k,
  );
  if (userIndex === undefined && list === undefined && fresh.length === 0)
    await offerColdStart(deps.catalog, selection, model, shopper);
  if (!selection.full) await backfill(deps.catalog, model, selection, filters);
  const recommendationId = recommendationIdFor(assignment, s.newId());
  const { variant, experiment } = assignment;
  await Promise.all([
    experiment !== undefined
      ? recordExposure(deps.feedback, recommendationId).catch((e) =>
          s.report('the exposure of a served list was not counted', e),
        )
      : undefined,
    recordList(s, {
      recommendationId,
      list: userId !== undefined ? 'user' : 'session',
      shopper: shopperKey,
      variant,
      ...(experiment !== undefined ? { experiment } : {}),
      modelVersion: model.version,
      items: selection.items.map((i) => i.itemId),
    }),
  ]);
  deps.onServed?.({ source, variant, ...(experiment !== undefined ? { experiment } : {}) });
  return { recommendationId, ...who, modelVersion: model.version, variant, items: selection.items };
}

/** Popular items labelled "fallback": the answer when the store or the model is unavailable. */
async function degraded(
  s: Serving,
  error: unknown,
  who: Who,
  k: number,
  filters: Filters,
): Promise<RecommendationResponse> {
  const { deps } = s;
  s.report('serving degraded to the fallback (popular items)', error);
  const fallback = async () => {
    const loaded = deps.models.loaded().at(-1);
    if (loaded === undefined) return { version: null, items: [] };
    const model = await deps.models.get(loaded);
    return { version: model.version, items: await fallbackItems(deps.catalog, model, k, filters) };
  };
  const { version, items } = await fallback().catch((e) => {
    s.report('fallback failed too', e);
    return { version: null, items: [] };
  });
  deps.onServed?.({ source: 'fallback', variant: 'fallback' });
  const recommendationId = s.newId();
  await recordList(s, {
    recommendationId,
    list: 'userId' in who ? 'user' : 'session',
    shopper: 'userId' in who ? `u:${who.userId}` : `s:${who.sessionId}`,
    variant: 'fallback',
    modelVersion: version,
    items: items.map((i) => i.itemId),
  });
  return { recommendationId, ...who, modelVersion: version, variant: 'fallback', items };
}

/** Every served list goes to the impressions (sampled); recording never fails or delays an answer's content. */
function recordList({ deps }: Serving, list: ServedList): Promise<void> {
  return deps.impressions?.record(list) ?? Promise.resolve();
}

/** The champion's model, or undefined (reported) when there is none to load. */
async function championModel({ deps, report }: Serving, what: string): Promise<ServingModel | undefined> {
  try {
    const deployment = await deps.deployment.get();
    const version = deployment?.champion ?? (await deps.latestVersion?.());
    return version === undefined ? undefined : await deps.models.get(version);
  } catch (error) {
    report(`${what}: no model`, error);
    return undefined;
  }
}

async function similar(s: Serving, itemId: string, k: number, userId?: string) {
  const model = await championModel(s, 'similar items');
  // The item's row and the shopper's preferences are independent reads: one round trip, not two.
  const [found, select] = await Promise.all([
    s.deps.catalog.getMany([itemId]),
    listSelection(s.deps.shoppers, userId, model, s.report),
  ]);
  const target = found.get(itemId);
  if (target === undefined && model?.model.itemIndex.get(itemId) === undefined)
    throw new UnknownItemError(itemId);
  if (model === undefined) return { itemId, modelVersion: null, items: [] };
  const items = await similarItems(s.deps.catalog, s.pools, model, itemId, target, k, select);
  await recordList(s, {
    recommendationId: s.newId(),
    list: 'similar',
    shopper: userId !== undefined ? `u:${userId}` : null,
    variant: 'champion',
    modelVersion: model.version,
    items: items.map((i) => i.itemId),
  });
  return { itemId, modelVersion: model.version, items };
}

/** Live trending, or the champion's as of its training (trending.ts); the list served is an impression. */
async function trending(
  s: Serving,
  window: TrendingWindowName,
  k: number,
  category?: string,
  userId?: string,
) {
  const { deps } = s;
  const answer = await trendingAnswer(
    {
      catalog: deps.catalog,
      model: () => championModel(s, 'trending'),
      select: (model) => listSelection(deps.shoppers, userId, model, s.report),
      ...(deps.counters !== undefined ? { counters: deps.counters } : {}),
      now: deps.now ?? Date.now,
      report: s.report,
    },
    window,
    k,
    category,
  );
  await recordList(s, {
    recommendationId: s.newId(),
    list: 'trending',
    shopper: userId !== undefined ? `u:${userId}` : null,
    variant: answer.source,
    modelVersion: answer.modelVersion,
    items: answer.items.map((i) => i.itemId),
  });
  return answer;
}
