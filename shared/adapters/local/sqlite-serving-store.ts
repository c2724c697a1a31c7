import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StoredEvent } from '../../domain/event.ts';
import type { Item } from '../../domain/item.ts';
import { ACTIVITY_LIMITS, type ActivityEntry, type ServingStore } from '../../ports/serving-store.ts';
import { createReadCache } from './read-cache.ts';

export interface SqliteServingStoreOptions {
  /** A file path (its directory is created), or ':memory:' for a throwaway store. */
  path: string;
  /** Clock in epoch milliseconds; tests move it forward to see entries expire. */
  now?: () => number;
  /**
   * Keep recent activity in memory between reads (invalidated by this instance's writes). Only for the process
   * that holds the data-dir lock, which is then the only writer.
   */
  cacheReads?: boolean;
}

// Times are integers: updated_at and ts in epoch ms (ISO strings with offsets do not sort as text),
// expires_at in epoch seconds like the DynamoDB TTL attribute, so both adapters expire on the same second.
// Activity is one b-tree keyed newest-first per shopper: an append is one insert, a read one range scan.
// The key holds ts, so idempotency is on (shopper, timestamp, eventId) — a genuine resend repeats all three.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS catalog (
  item_id TEXT PRIMARY KEY,
  updated_at INTEGER NOT NULL,
  json TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopper_activity (
  shopper_key TEXT NOT NULL,
  ts INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (shopper_key, ts DESC, event_id DESC)
) WITHOUT ROWID;
`;

/**
 * A shopper may hold up to this many rows beyond maxPerShopper before a trim: trimming on every append would
 * cost as much as the append itself, and reads only ever return the newest maxPerShopper anyway.
 */
export const TRIM_SLACK = 50;
/** Expired rows are purged at most this often (a full pass; storage is bounded by the trim meanwhile). */
export const PURGE_INTERVAL_MS = 60_000;

/**
 * The embedded ServingStore: node:sqlite (built into Node 22, no native build) in one file under
 * RECSYS_DATA_DIR. Synchronous underneath; the Promise API only matches the port.
 */
export function createSqliteServingStore(options: SqliteServingStoreOptions): ServingStore {
  const now = options.now ?? Date.now;
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  // WAL + NORMAL: a commit costs no fsync of the main file, and readers never block the ingest writer.
  // An OS crash may lose the last commits; that is acceptable because the lake, not this store, is the record.
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  // The CLI may import while the server runs: wait for the other writer instead of failing at once.
  db.exec('PRAGMA busy_timeout = 5000');
  // Each ingest batch dirties a few pages per shopper all over the activity b-trees. Checkpointing every
  // ~40 MiB instead of every 4 MiB writes a page rewritten by many batches back once, not once per batch:
  // measured about twice the appendActivity throughput. The size limit truncates the WAL after a checkpoint.
  db.exec('PRAGMA wal_autocheckpoint = 10000');
  db.exec('PRAGMA journal_size_limit = 67108864');
  // The default 2 MiB page cache sends most b-tree page reads of a busy ingest to the OS; 64 MiB holds the
  // upper levels and the hot shoppers (it is a ceiling, allocated only as pages are read).
  db.exec('PRAGMA cache_size = -65536');
  db.exec(SCHEMA);

  const upsertItem = db.prepare(
    `INSERT INTO catalog (item_id, updated_at, json) VALUES (?, ?, ?)
     ON CONFLICT (item_id) DO UPDATE SET updated_at = excluded.updated_at, json = excluded.json
     WHERE excluded.updated_at >= catalog.updated_at`,
  );
  const selectItem = db.prepare('SELECT json FROM catalog WHERE item_id = ?');
  const insertActivity = db.prepare(
    'INSERT OR IGNORE INTO shopper_activity (shopper_key, ts, event_id, expires_at, json) VALUES (?, ?, ?, ?, ?)',
  );
  const countActivity = db.prepare('SELECT count(*) AS n FROM shopper_activity WHERE shopper_key = ?');
  const purgeExpired = db.prepare('DELETE FROM shopper_activity WHERE expires_at <= ?');
  // Keeps the newest maxPerShopper live rows: the cut-off is the oldest of them, so an expired row not yet
  // purged never pushes a live one out; NULL (deletes nothing) when a shopper has fewer rows.
  const trimActivity = db.prepare(
    `DELETE FROM shopper_activity WHERE shopper_key = ?1 AND (ts, event_id) < (
       SELECT ts, event_id FROM shopper_activity WHERE shopper_key = ?1 AND expires_at > ?2
       ORDER BY ts DESC, event_id DESC LIMIT 1 OFFSET ${ACTIVITY_LIMITS.maxPerShopper - 1})`,
  );
  const selectActivity = db.prepare(
    `SELECT json, expires_at FROM shopper_activity WHERE shopper_key = ? AND expires_at > ?
     ORDER BY ts DESC, event_id DESC LIMIT ?`,
  );
  // Rows per shopper as far as this process knows: counted once on first touch, then kept up to date, so the
  // append path decides to trim without a query.
  const rowCounts = new Map<string, number>();
  let lastPurge = Number.NEGATIVE_INFINITY;
  /** Newest-first entries of a shopper as last read, valid until the first of them expires. */
  const activityCache = options.cacheReads
    ? createReadCache<{ entries: ActivityEntry[]; limit: number; validUntil: number }>(50_000)
    : undefined;

  let open = true;

  function inTransaction(work: () => void): void {
    db.exec('BEGIN IMMEDIATE');
    try {
      work();
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  return {
    async putItems(items) {
      if (items.length === 0) return;
      inTransaction(() => {
        for (const item of items) {
          upsertItem.run(item.itemId, epochMs(item.updatedAt, 'updatedAt'), JSON.stringify(item));
        }
      });
    },

    async getItem(itemId) {
      const row = selectItem.get(itemId) as { json: string } | undefined;
      return row === undefined ? undefined : (JSON.parse(row.json) as Item);
    },

    async getItems(itemIds) {
      const found = new Map<string, Item>();
      for (const itemId of itemIds) {
        if (found.has(itemId)) continue;
        const row = selectItem.get(itemId) as { json: string } | undefined;
        if (row !== undefined) found.set(itemId, JSON.parse(row.json) as Item);
      }
      return found;
    },

    async appendActivity(entries) {
      if (entries.length === 0) return;
      const at = now();
      const nowSeconds = Math.floor(at / 1000);
      inTransaction(() => {
        if (at - lastPurge >= PURGE_INTERVAL_MS) {
          purgeExpired.run(nowSeconds);
          rowCounts.clear();
          activityCache?.clear();
          lastPurge = at;
        }
        // Key order: consecutive inserts land on the same b-tree pages instead of all over the table.
        const ordered = entries.length > 1 ? [...entries].sort(byShopperNewestFirst) : entries;
        for (const { shopperKey, event } of ordered) {
          const { changes } = insertActivity.run(
            shopperKey,
            epochMs(event.timestamp, 'timestamp'),
            event.eventId,
            expiresAtSeconds(event),
            JSON.stringify(toActivityEntry(event)),
          );
          let count = rowCounts.get(shopperKey);
          if (count === undefined) count = (countActivity.get(shopperKey) as { n: number }).n;
          else count += Number(changes);
          if (count > ACTIVITY_LIMITS.maxPerShopper + TRIM_SLACK) {
            count -= Number(trimActivity.run(shopperKey, nowSeconds).changes);
          }
          rowCounts.set(shopperKey, count);
          activityCache?.delete(shopperKey);
        }
      });
    },

    async recentActivity(shopperKey, limit = ACTIVITY_LIMITS.maxPerShopper) {
      const capped = Math.min(Math.floor(limit), ACTIVITY_LIMITS.maxPerShopper);
      if (!(capped > 0)) return [];
      const nowSeconds = Math.floor(now() / 1000);
      const cached = activityCache?.get(shopperKey);
      if (cached !== undefined && nowSeconds < cached.validUntil) {
        // A shorter cached read answers a longer request only when it already held every row there was.
        if (cached.limit >= capped || cached.entries.length < cached.limit)
          return cached.entries.slice(0, capped);
      }
      const rows = selectActivity.all(shopperKey, nowSeconds, capped) as {
        json: string;
        expires_at: number;
      }[];
      const entries = rows.map((row) => JSON.parse(row.json) as ActivityEntry);
      if (activityCache !== undefined) {
        let validUntil = Number.POSITIVE_INFINITY;
        for (const row of rows) validUntil = Math.min(validUntil, row.expires_at);
        activityCache.set(shopperKey, { entries, limit: capped, validUntil });
        return entries.slice();
      }
      return entries;
    },

    async close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}

function byShopperNewestFirst(
  a: { shopperKey: string; event: StoredEvent },
  b: { shopperKey: string; event: StoredEvent },
): number {
  if (a.shopperKey !== b.shopperKey) return a.shopperKey < b.shopperKey ? -1 : 1;
  return a.event.timestamp < b.event.timestamp ? 1 : a.event.timestamp > b.event.timestamp ? -1 : 0;
}

function epochMs(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError(`${field} is not an ISO 8601 date-time: ${JSON.stringify(iso)}`);
  return ms;
}

function expiresAtSeconds(event: StoredEvent): number {
  return Math.floor(epochMs(event.receivedAt, 'receivedAt') / 1000) + ACTIVITY_LIMITS.ttlSeconds;
}

function toActivityEntry(event: StoredEvent): ActivityEntry {
  const entry: ActivityEntry = {
    eventId: event.eventId,
    type: event.type,
    timestamp: event.timestamp,
    receivedAt: event.receivedAt,
  };
  if (event.itemId !== undefined) entry.itemId = event.itemId;
  if (event.value !== undefined) entry.value = event.value;
  return entry;
}
