import type { Item } from '../domain/item.ts';
import type { CatalogCache } from './catalog-cache.ts';
import { type Anchor, becauseReason, PERSONAL_REASON } from './explanations.ts';
import type { ServingModel } from './model-cache.ts';
import { displayScore, type Ranked } from './scoring.ts';
import type { Filters, RecommendationItem } from './types.ts';

interface Candidate {
  itemId: string;
  score: number;
  /** displayScore(score), when it was worked out once for a candidate object served again. */
  rounded?: number;
}

function categoryMatches(item: Item | undefined, category: string): boolean {
  const wanted = category.toLowerCase();
  return item?.categories?.some((c) => c.toLowerCase() === wanted) ?? false;
}

/** Applies the business filters (stock, category, price, per-category cap) in rank order and keeps up to k. */
export class Selection {
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
      score: c.rounded ?? displayScore(c.score),
      reason: typeof reason === 'string' ? reason : reason(),
      title: item?.title ?? null,
      price: item?.price ?? null,
    });
  }
}

/** How a list picks its items: a plain Selection, or one that applies a shopper's preferences (shoppers.ts). */
export type SelectionFactory = (
  k: number,
  filters: Filters,
  excluded: { has(itemId: string): boolean },
) => Selection;

export const plainSelection: SelectionFactory = (k, filters, excluded) => new Selection(k, filters, excluded);

/**
 * The one chunked catalog reader: entries `from` … `count` − 1 of a ranked source, their catalog rows read
 * `chunk` entries at a time (`idsAt` names the ids entry p needs), offered in order until the selection is full —
 * most requests fill k from the first chunk and never read the rest.
 */
async function offerInChunks(
  catalog: CatalogCache,
  selection: Selection,
  range: { from: number; count: number; chunk: number },
  idsAt: (p: number, ids: string[]) => void,
  offerAt: (p: number, items: ReadonlyMap<string, Item>) => void,
): Promise<void> {
  const { from, count, chunk } = range;
  for (let start = from; start < count && !selection.full; start += chunk) {
    const end = Math.min(count, start + chunk);
    const ids: string[] = [];
    for (let p = start; p < end; p++) idsAt(p, ids);
    const items = await catalog.getMany(ids);
    for (let p = start; p < end && !selection.full; p++) offerAt(p, items);
  }
}

/**
 * Ranked candidates with their reasons through the selection. While the catalog cache holds their rows (and the
 * rows of the anchors explaining them), taken from it one candidate at a time; from the first row it does not
 * hold, read in chunks of the ranked list.
 */
export async function offerRanked(
  catalog: CatalogCache,
  selection: Selection,
  ranked: readonly Ranked[],
  explained: readonly (Anchor | undefined)[],
  k: number,
): Promise<void> {
  let from = 0;
  for (; from < ranked.length && !selection.full; from++) {
    const c = ranked[from]!;
    const item = catalog.peek(c.itemId);
    if (item === undefined) break;
    const a = explained[from];
    if (a === undefined) {
      selection.offer(c, item ?? undefined, PERSONAL_REASON, true);
      continue;
    }
    const anchor = catalog.peek(a.itemId);
    if (anchor === undefined) break;
    selection.offer(c, item ?? undefined, () => becauseReason(a, anchor?.title), true);
  }
  if (from >= ranked.length || selection.full) return;
  const idsAt = (p: number, ids: string[]) => {
    ids.push(ranked[p]!.itemId);
    const a = explained[p];
    if (a !== undefined) ids.push(a.itemId);
  };
  const offerAt = (p: number, items: ReadonlyMap<string, Item>) => {
    const a = explained[p];
    const reason = a === undefined ? PERSONAL_REASON : () => becauseReason(a, items.get(a.itemId)?.title);
    selection.offer(ranked[p]!, items.get(ranked[p]!.itemId), reason, true);
  };
  const range = { from, count: ranked.length, chunk: Math.max(2 * k, 20) };
  await offerInChunks(catalog, selection, range, idsAt, offerAt);
}

/** Entries of a ranked source read per catalog round trip by the backfill and trending. */
const SOURCE_CHUNK = 100;

/** A list of [itemId, score] (trending) through the selection, with one reason. */
export async function offerScored(
  catalog: CatalogCache,
  selection: Selection,
  list: readonly [string, number][],
  reason: string,
): Promise<void> {
  await offerInChunks(
    catalog,
    selection,
    { from: 0, count: list.length, chunk: SOURCE_CHUNK },
    (p, ids) => ids.push(list[p]![0]),
    (p, items) =>
      selection.offer({ itemId: list[p]![0], score: list[p]![1] }, items.get(list[p]![0]), reason),
  );
}

/** Trending of the model's newest week, then overall popularity, below every personal score, in that order. */
export async function backfill(
  catalog: CatalogCache,
  model: ServingModel,
  selection: Selection,
  filters: Filters,
): Promise<void> {
  const { itemIds, trending } = model.model;
  const week = trending.windows['7d'] ?? [];
  const floor = selection.items.at(-1)?.score ?? 1;
  let rank = 0;
  const offer = (itemId: string, items: ReadonlyMap<string, Item>, reason: string) => {
    rank++;
    selection.offer({ itemId, score: floor * 0.99 ** rank }, items.get(itemId), reason);
  };
  const weekRange = { from: 0, count: week.length, chunk: SOURCE_CHUNK };
  await offerInChunks(
    catalog,
    selection,
    weekRange,
    (p, ids) => ids.push(week[p]![0]),
    (p, items) => offer(week[p]![0], items, 'trending'),
  );
  const popular = filters.category !== undefined ? `popular in ${filters.category}` : 'popular';
  const order = model.popularOrder;
  await offerInChunks(
    catalog,
    selection,
    { from: 0, count: order.length, chunk: SOURCE_CHUNK },
    (p, ids) => ids.push(itemIds[order[p]!]!),
    (p, items) => offer(itemIds[order[p]!]!, items, popular),
  );
}

/** Popular items labelled "fallback": the answer when the store or the model is unavailable. */
export async function fallbackItems(
  catalog: CatalogCache,
  model: ServingModel,
  k: number,
  filters: Filters,
): Promise<RecommendationItem[]> {
  const order = model.popularOrder.subarray(0, Math.max(k * 4, 100));
  const ids = Array.from(order, (j) => model.model.itemIds[j]!);
  const items = await catalog.getMany(ids).catch(() => new Map<string, Item>());
  const selection = new Selection(k, filters, new Set());
  for (let t = 0; t < ids.length; t++) {
    const score = model.model.popularity[order[t]!]!;
    selection.offer({ itemId: ids[t]!, score }, items.get(ids[t]!), 'fallback');
  }
  return selection.items;
}
