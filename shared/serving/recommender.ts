import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { Deployment, PublicationStore, ScoredItem } from '../ports/publication-store.ts';
import type { ServingStore } from '../ports/serving-store.ts';
import { ACTIVITY_READ, activityDigest } from './activity.ts';
import { type Assignment, assignVariant } from './assignment.ts';
import type { CatalogCache } from './catalog-cache.ts';
import { RequestExclusions } from './exclusions.ts';
import { recordExposure } from './experiments.ts';
import type { ModelCache, ServingModel } from './model-cache.ts';
import { rankPersonal } from './ranker.ts';
import { recommendationIdFor } from './recommendation-id.ts';
import { scratchFor } from './scoring.ts';
import { backfill, fallbackItems, offerRanked, offerScored, Selection } from './selection.ts';
import { ContentPools, similarItems } from './similar.ts';
import {
  type Filters,
  NoModelError,
  type RecommendationResponse,
  type Recommender,
  type SessionRequest,
  UnknownItemError,
  type UserRequest,
} from './types.ts';

/**
 * Real-time serving: the precomputed list of the shopper's variant, corrected with what the shopper did since
 * the model was trained (signals.ts), ranked (ranker.ts), through the business filters and backfill
 * (selection.ts), with a reason per item (explanations.ts). Pure: it sees only ports and the loaded model.
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
}

type Who = { userId: string } | { sessionId: string };

export function createRecommender(deps: ServingDeps): Recommender {
  const newId = deps.newId ?? (() => globalThis.crypto.randomUUID());
  const report = deps.onError ?? (() => {});
  const pools = new ContentPools(deps.catalog, () => deps.models.loaded());

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

  async function personal(
    shopperKey: string,
    who: Who,
    request: UserRequest | SessionRequest,
  ): Promise<RecommendationResponse> {
    const { k, filters, context } = request;
    const { assignment, model } = await resolve(shopperKey);
    const userId = 'userId' in who ? who.userId : undefined;
    const [list, activity, exclusions] = await Promise.all([
      userId !== undefined
        ? deps.publications.getRecommendations(model.version, userId)
        : Promise.resolve<ScoredItem[] | undefined>(undefined),
      deps.store.recentActivity(shopperKey, ACTIVITY_READ),
      deps.feedback.exclusions(shopperKey),
    ]);
    const userIndex = userId !== undefined ? model.model.userIndex.get(userId) : undefined;
    const digest = activityDigest(model, activity);
    const excluded = new RequestExclusions(model, request.exclude, activity, exclusions, context, userIndex);
    // Synchronous from here to the ranked list (no await in between): the model's scratch is this request's.
    const scratch = scratchFor(model, model.model.itemIds.length);
    excluded.markInto(scratch.excluded, digest);
    // A signed-in shopper's events up to trainedAt are in the model already; a session's never are.
    const fresh = userId !== undefined ? digest.fresh : activity;
    const rank = { model, k, userId, userIndex, list, fresh, context, excluded };
    const { ranked, explained } = rankPersonal(rank, scratch);

    const selection = new Selection(k, filters, excluded);
    await offerRanked(deps.catalog, selection, ranked, explained, k);
    if (!selection.full) await backfill(deps.catalog, model, selection, filters);
    const recommendationId = recommendationIdFor(assignment, newId());
    if (assignment.experiment !== undefined)
      await recordExposure(deps.feedback, recommendationId).catch((e) =>
        report('the exposure of a served list was not counted', e),
      );
    return {
      recommendationId,
      ...who,
      modelVersion: model.version,
      variant: assignment.variant,
      items: selection.items,
    };
  }

  async function degraded(error: unknown, who: Who, k: number, filters: Filters) {
    report('serving degraded to the fallback (popular items)', error);
    const fallback = async () => {
      const loaded = deps.models.loaded().at(-1);
      if (loaded === undefined) return { version: null, items: [] };
      const model = await deps.models.get(loaded);
      return { version: model.version, items: await fallbackItems(deps.catalog, model, k, filters) };
    };
    const { version, items } = await fallback().catch((e) => {
      report('fallback failed too', e);
      return { version: null, items: [] };
    });
    const response: RecommendationResponse = {
      recommendationId: newId(),
      ...who,
      modelVersion: version,
      variant: 'fallback',
      items,
    };
    return response;
  }

  /** The champion's model, or undefined (reported) when there is none to load. */
  async function championModel(what: string): Promise<ServingModel | undefined> {
    try {
      const deployment = await deps.deployment.get();
      const version = deployment?.champion ?? (await deps.latestVersion?.());
      return version === undefined ? undefined : await deps.models.get(version);
    } catch (error) {
      report(`${what}: no model`, error);
      return undefined;
    }
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
      const model = await championModel('similar items');
      const target = (await deps.catalog.getMany([itemId])).get(itemId);
      if (target === undefined && model?.model.itemIndex.get(itemId) === undefined)
        throw new UnknownItemError(itemId);
      if (model === undefined) return { itemId, modelVersion: null, items: [] };
      const items = await similarItems(deps.catalog, pools, model, itemId, target, k);
      return { itemId, modelVersion: model.version, items };
    },

    async trending(window, k, category) {
      const model = await championModel('trending');
      const where = category !== undefined ? { category } : {};
      if (model === undefined) return { window, ...where, modelVersion: null, asOf: null, items: [] };
      const filters: Filters = { ...where, maxPerCategory: k };
      const selection = new Selection(k, filters, new Set());
      await offerScored(deps.catalog, selection, model.model.trending.windows[window] ?? [], 'trending');
      if (!selection.full && category !== undefined) {
        const taken = new Set(selection.items.map((i) => i.itemId));
        const fill = new Selection(k - selection.items.length, filters, taken);
        await backfill(deps.catalog, model, fill, filters);
        selection.items.push(...fill.items);
      }
      const { asOf } = model.model.trending;
      return { window, ...where, modelVersion: model.version, asOf, items: selection.items };
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
