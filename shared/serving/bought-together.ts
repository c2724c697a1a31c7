import type { Item } from '../domain/item.ts';
import { type CartCandidate, COMPLEMENT_DEFAULTS, scoreCart } from '../model/co-purchase.ts';
import type { CatalogCache } from './catalog-cache.ts';
import type { ServingModel } from './model-cache.ts';
import { type BasketServing, shopperScores } from './rerank.ts';
import { Selection } from './selection.ts';
import type { BasketAnswer, CartRequest, RecommendationItem } from './types.ts';

/**
 * "Bought together" for one item and for a cart: the artifact's complements (co-purchase within baskets,
 * shared/model/co-purchase.ts), the cart's items and their near-substitutes left out, each labelled with the cart
 * item it goes with best. With a shopper, the complements are reordered by what the model predicts for him.
 * An artifact without complements (the Spark route's, or data without orderIds) falls back to the collaborative
 * neighbours, labelled as such.
 */

/**
 * How much the shopper's predicted interest (min–max over the candidates: the blend's scale means nothing) counts
 * against the complement score (over the best one's: an ln-lift has a natural zero, independence).
 */
const PERSONAL_WEIGHT = 0.5;

/** The cart's candidates and where they came from. */
function candidatesOf(model: ServingModel, cart: readonly number[], m: number) {
  const { complements, neighbours, contentNeighbours, manifest } = model.model;
  const substitutes = {
    content: contentNeighbours,
    similarity: manifest.complements?.substituteSimilarity ?? COMPLEMENT_DEFAULTS.substituteSimilarity,
  };
  if (complements !== undefined) return { ranked: scoreCart(complements, cart, m, substitutes), often: true };
  return { ranked: scoreCart(neighbours, cart, m, substitutes), often: false };
}

function minMax(values: readonly number[]): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return values.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 1));
}

/** The complement order blended with the shopper's scores: reorders, never adds a candidate. */
function personalise(ranked: CartCandidate[], personal: Float32Array): CartCandidate[] {
  const best = ranked[0]!.score;
  const comp = ranked.map((c) => c.score / best);
  const mine = minMax(ranked.map((c) => personal[c.index]!));
  return ranked
    .map((c, p) => ({ ...c, score: comp[p]! + PERSONAL_WEIGHT * mine[p]! }))
    .sort((x, y) => y.score - x.score || x.index - y.index);
}

async function select(
  catalog: CatalogCache,
  model: ServingModel,
  ranked: readonly CartCandidate[],
  often: boolean,
  k: number,
  excluded: ReadonlySet<string>,
): Promise<RecommendationItem[]> {
  const { itemIds } = model.model;
  const ids = ranked.map((c) => itemIds[c.index]!);
  const items: Map<string, Item> = await catalog.getMany([
    ...ids,
    ...new Set(ranked.map((c) => itemIds[c.anchor]!)),
  ]);
  const selection = new Selection(k, { maxPerCategory: k }, excluded);
  for (const c of ranked) {
    const id = itemIds[c.index]!;
    const anchor = itemIds[c.anchor]!;
    const name = items.get(anchor)?.title ?? anchor;
    const reason = often ? `often bought with ${name}` : `bought by shoppers who bought ${name}`;
    selection.offer({ itemId: id, score: c.score }, items.get(id), reason);
  }
  return selection.items;
}

/** GET /v1/items/{itemId}/bought-together: undefined when neither the model nor the catalog knows the item. */
export async function boughtTogether(
  ctx: BasketServing,
  itemId: string,
  k: number,
): Promise<BasketAnswer | undefined> {
  const model = await ctx.champion();
  const j = model?.model.itemIndex.get(itemId);
  if (model === undefined || j === undefined) {
    const known = (await ctx.catalog.getMany([itemId])).has(itemId);
    if (!known) return undefined;
    return { modelVersion: model?.version ?? null, items: [] };
  }
  const { ranked, often } = candidatesOf(model, [j], Math.max(k * 4, 60));
  return {
    modelVersion: model.version,
    items: await select(ctx.catalog, model, ranked, often, k, new Set()),
  };
}

/** POST /v1/carts/recommendations: items of the cart the model does not know add nothing. */
export async function cartRecommendations(ctx: BasketServing, request: CartRequest): Promise<BasketAnswer> {
  const shopper = request.userId !== undefined ? await ctx.shopper(request.userId) : undefined;
  const model = shopper?.model ?? (await ctx.champion());
  if (model === undefined) return { modelVersion: null, items: [] };
  const cart: number[] = [];
  for (const id of request.items) {
    const j = model.model.itemIndex.get(id);
    if (j !== undefined) cart.push(j);
  }
  let { ranked, often } = candidatesOf(model, cart, Math.max(request.k * 4, 60));
  if (shopper !== undefined && request.userId !== undefined && ranked.length > 1)
    ranked = personalise(ranked, shopperScores(model, request.userId, shopper.activity, ctx.now()));
  const excluded = new Set([...request.items, ...(shopper?.excluded ?? [])]);
  return {
    modelVersion: model.version,
    items: await select(ctx.catalog, model, ranked, often, request.k, excluded),
  };
}
