import { blendScores, type FreshSignal, foldInRow } from '../model/fold-in.ts';
import type { ActivityEntry } from '../ports/serving-store.ts';
import { activityDigest } from './activity.ts';
import type { Assignment } from './assignment.ts';
import type { CatalogCache } from './catalog-cache.ts';
import { addFreshSignal } from './fresh-blend.ts';
import type { ServingModel } from './model-cache.ts';
import { displayScore } from './scoring.ts';
import type { RerankAnswer, RerankedItem } from './types.ts';

/**
 * Personalized ranking of a list the caller brings (search results, a category page): every item the model knows
 * scored by the model's whole blend for the shopper's training row plus his fresh events (the scorer a
 * recommendation request with fresh events uses, fresh-blend.ts), best first; the items the model does not know
 * keep their given order after them, with a null score. A shopper the model has never seen and who did nothing
 * since gets the blend's popularity members' order.
 */

/** What the basket routes need of serving (recommender.ts provides it). */
export interface BasketServing {
  catalog: CatalogCache;
  /** The champion's model, or undefined when none can be loaded. */
  champion(): Promise<ServingModel | undefined>;
  /** The shopper's variant's model, his recent events and exclusions; undefined when no model can be loaded. */
  shopper(userId: string): Promise<ShopperView | undefined>;
  now(): number;
}

export interface ShopperView {
  assignment: Assignment;
  model: ServingModel;
  activity: readonly ActivityEntry[];
  excluded: ReadonlySet<string>;
}

/** The blend's score of every item of `model` for the shopper (`activity`: his recent events, newest first). */
export function shopperScores(
  model: ServingModel,
  userId: string,
  activity: readonly ActivityEntry[],
  now: number,
): Float32Array {
  const { itemIndex, history, userIndex, itemIds } = model.model;
  const u = userIndex.get(userId);
  // A known shopper's events up to trainedAt are in his training row already.
  const fresh = u !== undefined ? activityDigest(model, activity).fresh : activity;
  const signals = new Map<number, FreshSignal>();
  for (const e of fresh) {
    if (e.itemId === undefined) continue;
    const i = itemIndex.get(e.itemId);
    if (i !== undefined) addFreshSignal(model, signals, i, e.type, now - Date.parse(e.timestamp));
  }
  const out = new Float32Array(itemIds.length);
  blendScores(model.blend, history, u, foldInRow(history, u, signals), out);
  return out;
}

/** `items` ordered for the shopper: known items by score (ties: given order), then the unknown in given order. */
function rerankItems(model: ServingModel, scores: Float32Array, items: readonly string[]): RerankedItem[] {
  const known: { itemId: string; score: number; at: number }[] = [];
  const unknown: RerankedItem[] = [];
  items.forEach((itemId, at) => {
    const j = model.model.itemIndex.get(itemId);
    if (j === undefined) unknown.push({ itemId, score: null });
    else known.push({ itemId, score: scores[j]!, at });
  });
  known.sort((a, b) => b.score - a.score || a.at - b.at);
  return [...known.map(({ itemId, score }) => ({ itemId, score: displayScore(score) })), ...unknown];
}

/** POST /v1/users/{userId}/rerank; without a model the list comes back as given, every score null. */
export async function rerankForShopper(
  ctx: BasketServing,
  userId: string,
  items: readonly string[],
): Promise<RerankAnswer> {
  const view = await ctx.shopper(userId);
  if (view === undefined)
    return {
      userId,
      modelVersion: null,
      variant: 'fallback',
      items: items.map((itemId) => ({ itemId, score: null })),
    };
  const scores = shopperScores(view.model, userId, view.activity, ctx.now());
  return {
    userId,
    modelVersion: view.model.version,
    variant: view.assignment.variant,
    items: rerankItems(view.model, scores, items),
  };
}
