import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listLakeObjects, readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import type { DataStats, DataStatsPort } from '../../shared/live/data-stats.ts';

interface Counted {
  key: string;
  stats: DataStats;
}

async function lakeSize(
  root: string,
  zones: string[],
): Promise<{ objects: number; bytes: number; key: string }> {
  let objects = 0;
  let bytes = 0;
  const keys: string[] = [];
  for (const zone of zones) {
    const list = await listLakeObjects(root, zone);
    objects += list.length;
    keys.push(list.at(-1) ?? '');
    for (const k of list) bytes += (await stat(join(root, k))).size;
  }
  return { objects, bytes, key: `${objects}#${keys.join('#')}` };
}

async function count(lakeRoot: string): Promise<Omit<DataStats, 'lake' | 'asOf' | 'figures'>> {
  const perDay = new Map<string, Record<string, number>>();
  const perType: Record<string, number> = {};
  const shoppers = new Set<string>();
  const items = new Set<string>();
  let events = 0;
  for await (const raw of readLakeZone(lakeRoot, 'raw/events')) {
    const e = raw as {
      type?: string;
      timestamp?: string;
      userId?: string;
      sessionId?: string;
      itemId?: string;
    };
    const type = e.type ?? 'unknown';
    const day = typeof e.timestamp === 'string' ? e.timestamp.slice(0, 10) : 'unknown';
    let counts = perDay.get(day);
    if (counts === undefined) {
      counts = {};
      perDay.set(day, counts);
    }
    counts[type] = (counts[type] ?? 0) + 1;
    perType[type] = (perType[type] ?? 0) + 1;
    if (e.userId !== undefined) shoppers.add(`u:${e.userId}`);
    else if (e.sessionId !== undefined) shoppers.add(`s:${e.sessionId}`);
    if (e.itemId !== undefined) items.add(e.itemId);
    events++;
  }
  const catalog = new Set<string>();
  for await (const raw of readLakeZone(lakeRoot, 'raw/items')) {
    const id = (raw as { itemId?: unknown }).itemId;
    if (typeof id === 'string') catalog.add(id);
  }
  const eventsPerDay = [...perDay.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, counts]) => ({ day, counts }));
  return {
    eventsPerDay,
    eventsPerType: perType,
    events,
    shoppers: shoppers.size,
    items: items.size,
    catalogSize: catalog.size,
  };
}

/**
 * The Data tab's numbers from the local lake: every event read once (by its own timestamp's day) and the counts
 * kept until the lake gains an object. Events still in the open (staging) object are counted after it rotates.
 */
export function createLocalDataStats(lakeRoot: string): DataStatsPort {
  let cached: Counted | undefined;
  let pending: Promise<Counted> | undefined;
  return {
    async stats() {
      const size = await lakeSize(lakeRoot, ['raw/events', 'raw/items']);
      if (cached?.key === size.key) return cached.stats;
      pending ??= (async () => {
        try {
          const counted = await count(lakeRoot);
          const asOf = new Date().toISOString();
          const scan = { source: 'a scan of the local lake', asOf };
          const stats: DataStats = {
            ...counted,
            lake: { objects: size.objects, bytes: size.bytes },
            asOf,
            figures: { events: scan, shoppers: scan, items: scan, catalogSize: scan, lake: scan },
          };
          cached = { key: size.key, stats };
          return cached;
        } finally {
          pending = undefined;
        }
      })();
      return (await pending).stats;
    },
  };
}
