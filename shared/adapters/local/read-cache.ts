/**
 * A bounded least-recently-used map for the embedded stores' hot reads. Only safe where every write goes through
 * the same adapter instance (the local runtime holds the data-dir lock), or where the cached value never changes
 * (a published list of a model version); the adapter invalidates on its own writes.
 */
export interface ReadCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  clear(): void;
}

export function createReadCache<V>(maxEntries: number): ReadCache<V> {
  const entries = new Map<string, V>();
  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined) {
        // Re-insert: Map iteration order is insertion order, so the first key is always the least recent.
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      entries.clear();
    },
  };
}
