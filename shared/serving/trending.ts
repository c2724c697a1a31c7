import { LIVE_WINDOWS, liveTrending } from '../live/windows.ts';
import type { LiveCounters } from '../ports/live-counters.ts';
import type { CatalogCache } from './catalog-cache.ts';
import type { ServingModel } from './model-cache.ts';
import { backfill, offerScored, plainSelection, type SelectionFactory } from './selection.ts';
import type { Filters, RecommendationItem, TrendingWindowName } from './types.ts';

export interface TrendingDeps {
  catalog: CatalogCache;
  /** The champion's model, or undefined when there is none. */
  model: () => Promise<ServingModel | undefined>;
  /** The live counters updated on ingest; absent: the trained trending only. */
  counters?: Pick<LiveCounters, 'read'>;
  now: () => number;
  report: (message: string, error: unknown) => void;
  /**
   * The list's selection once the model is known: a signed-in shopper's preferences (shoppers.ts
   * `listSelection`); default: a plain selection. Asked after the model and the counters are read together.
   */
  select?: (model: ServingModel | undefined) => Promise<SelectionFactory>;
}

export interface TrendingAnswer {
  window: TrendingWindowName;
  category?: string;
  /**
   * 'live': ranked by the events of the window up to now (the counters updated on ingest), topped up from the
   * trained list; 'model': the champion's trending as of its training (the counters have nothing in the window);
   * 'none': neither.
   */
  source: 'live' | 'model' | 'none';
  modelVersion: string | null;
  /** The time the ranking is as of: now for 'live', the model's newest training event for 'model'. */
  asOf: string | null;
  items: RecommendationItem[];
}

/**
 * The window's trending items: live from the sliding-window counters when they have anything in the window, else
 * the champion's trained list; either way through the category filter, then topped up with the trained list and,
 * under a category, the category's popular items. Counters that cannot be read degrade to the trained list.
 */
export async function trendingAnswer(
  deps: TrendingDeps,
  window: TrendingWindowName,
  k: number,
  category?: string,
): Promise<TrendingAnswer> {
  const now = deps.now();
  const [model, live] = await Promise.all([
    deps.model(),
    deps.counters === undefined
      ? Promise.resolve([])
      : liveTrending(deps.counters, window, now).catch((error: unknown) => {
          deps.report(
            `live trending (${LIVE_WINDOWS[window].series}) unavailable; serving the trained list`,
            error,
          );
          return [] as [string, number][];
        }),
  ]);
  const where = category !== undefined ? { category } : {};
  const filters: Filters = { ...where, maxPerCategory: k };
  const select = deps.select !== undefined ? await deps.select(model) : plainSelection;
  const selection = select(k, filters, new Set());
  const { catalog } = deps;
  if (live.length > 0) await offerScored(catalog, selection, live, 'trending now');
  const source = selection.items.length > 0 ? 'live' : model !== undefined ? 'model' : 'none';
  if (model !== undefined && !selection.full)
    await offerScored(catalog, selection, model.model.trending.windows[window] ?? [], 'trending');
  if (model !== undefined && !selection.full && category !== undefined) {
    const taken = new Set(selection.items.map((i) => i.itemId));
    const fill = select(k - selection.items.length, filters, taken);
    await backfill(catalog, model, fill, filters);
    selection.items.push(...fill.items);
  }
  const asOf = source === 'live' ? new Date(now).toISOString() : (model?.model.trending.asOf ?? null);
  return {
    window,
    ...where,
    source,
    modelVersion: model?.version ?? null,
    asOf,
    items: selection.items,
  };
}
