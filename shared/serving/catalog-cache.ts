import type { Item } from '../domain/item.ts';
import type { ServingStore } from '../ports/serving-store.ts';

export interface CatalogCache {
  /** Items by id (absent: not in the catalog), from memory when read within the TTL. */
  getMany(itemIds: readonly string[]): Promise<Map<string, Item>>;
  /**
   * The row as getMany would answer it from memory right now without reading the store: the item, `null` when the
   * catalog has none, `undefined` when it is not in memory within the TTL (then only getMany can tell).
   */
  peek(itemId: string): Item | null | undefined;
}

/**
 * Catalog rows kept for `ttlMs` (misses too): a response touches up to a few hundred items, and reading them
 * from DynamoDB on every request would dominate latency and cost. A stock or price change reaches responses
 * within the TTL. `ttlMs: 0` reads through every time.
 */
export function createCatalogCache(options: {
  store: ServingStore;
  ttlMs?: number;
  now?: () => number;
  maxEntries?: number;
}): CatalogCache {
  const ttl = options.ttlMs ?? 5_000;
  const now = options.now ?? Date.now;
  const max = options.maxEntries ?? 200_000;
  const cache = new Map<string, { item: Item | null; at: number }>();
  return {
    peek(itemId) {
      if (!(ttl > 0)) return undefined;
      const hit = cache.get(itemId);
      return hit !== undefined && now() - hit.at < ttl ? hit.item : undefined;
    },
    async getMany(itemIds) {
      const t = now();
      const out = new Map<string, Item>();
      const missing: string[] = [];
      for (const id of itemIds) {
        const hit = ttl > 0 ? cache.get(id) : undefined;
        if (hit !== undefined && t - hit.at < ttl) {
          if (hit.item !== null) out.set(id, hit.item);
        } else missing.push(id);
      }
      if (missing.length === 0) return out;
      const found = await options.store.getItems(missing);
      if (ttl > 0 && cache.size + missing.length > max) cache.clear();
      for (const id of missing) {
        const item = found.get(id);
        if (item !== undefined) out.set(id, item);
        if (ttl > 0) cache.set(id, { item: item ?? null, at: t });
      }
      return out;
    },
  };
}
