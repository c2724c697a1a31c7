import type { Item } from '../domain/item.ts';
import { type ContentIndex, contentIndex, contentVectorOf, cosineRow } from '../model/content.ts';
import type { CatalogCache } from './catalog-cache.ts';
import type { ServingModel } from './model-cache.ts';
import { rankTop, scratchFor } from './scoring.ts';
import { backfill, plainSelection, type SelectionFactory } from './selection.ts';
import { itemToItem } from './signals.ts';
import type { Filters, RecommendationItem } from './types.ts';

/**
 * The model's popular head as TF-IDF documents (shared/model/content.ts, the weighting training's content
 * neighbours use), for items nobody has interacted with. The artifact carries no IDF (docs/model-artifact.md),
 * so it is the head's own: the training's whenever the model's items all fit in the head.
 */
interface ContentPool {
  ids: string[];
  index: ContentIndex;
}

/** Content pools per model version, built on first use and dropped with the model. */
export class ContentPools {
  private readonly pools = new Map<string, Promise<ContentPool>>();
  private readonly catalog: CatalogCache;
  private readonly loaded: () => string[];
  constructor(catalog: CatalogCache, loaded: () => string[]) {
    this.catalog = catalog;
    this.loaded = loaded;
  }

  private pool(model: ServingModel): Promise<ContentPool> {
    let pool = this.pools.get(model.version);
    if (pool === undefined) {
      pool = (async () => {
        const ids = Array.from(model.popularOrder, (j) => model.model.itemIds[j]!);
        const items = await this.catalog.getMany(ids);
        return { ids, index: contentIndex(ids.map((id) => (items.has(id) ? [items.get(id)!] : []))) };
      })();
      this.pools.set(model.version, pool);
      pool.catch(() => this.pools.delete(model.version));
      const loaded = this.loaded();
      for (const v of this.pools.keys()) if (!loaded.includes(v)) this.pools.delete(v);
    }
    return pool;
  }

  /** The head's items by TF-IDF cosine with `item`, best first (then by id), the first `m` with any likeness. */
  async matches(model: ServingModel, item: Item, m: number): Promise<[string, number][]> {
    const { ids, index } = await this.pool(model);
    const row = new Float64Array(ids.length);
    cosineRow(index, contentVectorOf(index, item), row);
    const out: [string, number][] = [];
    for (let t = 0; t < ids.length; t++)
      if (row[t]! > 0 && ids[t] !== item.itemId) out.push([ids[t]!, row[t]!]);
    return out.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, m);
  }
}

/**
 * Items like `itemId`: its collaborative and content neighbours when the model knows it, TF-IDF matches in the
 * popular head when only the catalog does; then the popular items of its own category.
 */
export async function similarItems(
  catalog: CatalogCache,
  pools: ContentPools,
  model: ServingModel,
  itemId: string,
  target: Item | undefined,
  k: number,
  select: SelectionFactory = plainSelection,
): Promise<RecommendationItem[]> {
  const m = Math.max(k * 4, 60);
  const j = model.model.itemIndex.get(itemId);
  let ranked: [string, number][] = [];
  if (j !== undefined) {
    const scratch = scratchFor(model, model.model.itemIds.length);
    scratch.scores.clear();
    itemToItem(model, new Map([[j, 1]]), scratch.scores);
    const top = rankTop(scratch, scratch.scores, undefined, model.model.itemIds, [], m);
    ranked = top.map((r) => [r.itemId, r.score]);
  } else if (target !== undefined) ranked = await pools.matches(model, target, m);
  const items = await catalog.getMany(ranked.map(([id]) => id));
  const selection = select(k, { maxPerCategory: k }, new Set([itemId]));
  const reason = `similar to ${target?.title ?? itemId}`;
  for (const [id, s] of ranked) selection.offer({ itemId: id, score: s }, items.get(id), reason);
  if (selection.full) return selection.items;
  // Nothing (or too little) alike: the popular items of the item's own category.
  const category = target?.categories?.at(-1);
  const filters: Filters = category !== undefined ? { category, maxPerCategory: k } : { maxPerCategory: k };
  const taken = new Set([itemId, ...selection.items.map((i) => i.itemId)]);
  const fill = select(k - selection.items.length, filters, taken);
  await backfill(catalog, model, fill, filters);
  return [...selection.items, ...fill.items];
}
