import type { DatabaseSync } from 'node:sqlite';
import type { Item } from '../../domain/item.ts';
import { ACTIVITY_LIMITS, type ActivityEntry, type ServingStore } from '../../ports/serving-store.ts';
import { createReadCache } from './read-cache.ts';
import {
  configureConnection,
  createInThreadAppender,
  createOffThreadAppender,
  epochMs,
  type PackedRows,
  ROW_FIELDS,
} from './sqlite-activity-appender.ts';
import { openSqlite } from './sqlite-connection.ts';
import type { WalCheckpointer } from './wal-checkpointer.ts';

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
  /**
   * Write recent activity from a worker thread (its own connection to the same file) so that ingestion's inserts
   * and commits overlap the caller's work. Reads stay on the caller's connection and see each write once its
   * append has resolved. Ignored for ':memory:'.
   */
  writeActivityOffThread?: boolean;
  /** Checkpoints the file's WAL on its own thread: this store's connections then never do (see wal-checkpointer). */
  walCheckpointer?: WalCheckpointer;
}

// Times are integers: updated_at and ts in epoch ms (ISO strings with offsets do not sort as text),
// expires_at in epoch seconds like the DynamoDB TTL attribute, so both adapters expire on the same second.
// Activity is one b-tree keyed newest-first per shopper: an append is one insert, a read one range scan.
// The key holds ts, so idempotency is on (shopper, timestamp, eventId) — a genuine resend repeats all three.
// An entry is stored as columns, not a JSON document: a row a third the size means a third of the b-tree pages
// an ingest commit (and every checkpoint) writes — measured the largest cost of a bulk import — and no JSON
// work per row. The ISO strings are kept only when they do not round-trip through epoch ms (an offset other than
// Z, fewer fraction digits), so reads return exactly what was written.
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
  type TEXT NOT NULL,
  item_id TEXT,
  value ANY,
  received_ms INTEGER NOT NULL,
  timestamp_text TEXT,
  received_text TEXT,
  PRIMARY KEY (shopper_key, ts DESC, event_id DESC)
) WITHOUT ROWID;
`;

/**
 * The embedded ServingStore: node:sqlite (built into Node 22, no native build) in one file under
 * RECSYS_DATA_DIR. Synchronous underneath; the Promise API only matches the port.
 */
export function createSqliteServingStore(options: SqliteServingStoreOptions): ServingStore {
  const now = options.now ?? Date.now;
  const db = openSqlite(options.path);
  const checkpointer = options.walCheckpointer;
  configureConnection(db, { autoCheckpoint: checkpointer === undefined });
  migrateJsonActivity(db);
  db.exec(SCHEMA);

  const upsertItem = db.prepare(
    `INSERT INTO catalog (item_id, updated_at, json) VALUES (?, ?, ?)
     ON CONFLICT (item_id) DO UPDATE SET updated_at = excluded.updated_at, json = excluded.json
     WHERE excluded.updated_at >= catalog.updated_at`,
  );
  const selectItem = db.prepare('SELECT json FROM catalog WHERE item_id = ?');
  const selectActivity = db.prepare(
    `SELECT ${ACTIVITY_COLUMNS}, expires_at FROM shopper_activity WHERE shopper_key = ? AND expires_at > ?
     ORDER BY ts DESC, event_id DESC LIMIT ?`,
  );
  const deleteActivity = db.prepare(
    'DELETE FROM shopper_activity WHERE shopper_key = ? AND ts = ? AND event_id = ?',
  );
  /** Newest-first entries of a shopper as last read, valid until the first of them expires. */
  const activityCache = options.cacheReads
    ? createReadCache<{ entries: ActivityEntry[]; limit: number; validUntil: number }>(50_000)
    : undefined;

  // A batch shares one receivedAt, and sorted by shopper its events come in runs of one timestamp (an invoice's
  // lines): remembering the last conversion skips most Date.parse / toISOString calls.
  const timestamps = createIsoMemo();
  const receivedTimes = createIsoMemo();

  let pendingAppends: { rows: PackedRows; resolve: () => void; reject: (error: unknown) => void }[] = [];

  // The activity writer: on this thread, or on a worker thread with its own connection, where the insert and
  // commit cost of ingestion (the larger half of it) runs beside the request parsing and validation.
  const appender =
    options.writeActivityOffThread && options.path !== ':memory:'
      ? createOffThreadAppender(options.path, checkpointer?.state)
      : createInThreadAppender(db, checkpointer?.state);

  function commitAppends(): void {
    const group = pendingAppends;
    pendingAppends = [];
    const rows = group.length === 1 ? group[0]!.rows : ([] as PackedRows).concat(...group.map((g) => g.rows));
    if (!open) {
      for (const g of group) g.reject(new Error('the serving store is closed'));
      return;
    }
    appender.append(rows, now()).then(
      ({ purged }) => {
        checkpointer?.nudge();
        // After the commit: a read racing the write may have cached the rows as they were before it.
        if (activityCache !== undefined) {
          if (purged) activityCache.clear();
          else for (let i = 0; i < rows.length; i += ROW_FIELDS) activityCache.delete(rows[i] as string);
        }
        for (const g of group) g.resolve();
      },
      (error: unknown) => {
        for (const g of group) g.reject(error);
      },
    );
  }

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
      // Rows are made here, per call, so a malformed date fails only its own caller, not the group.
      // Pushed, not preallocated: `new Array(n)` makes a holey array, which postMessage serializes as a sparse
      // one (each index written as a key), several times slower to send and to receive than a packed array.
      const rows: PackedRows = [];
      for (const { shopperKey, event } of entries) {
        rows.push(
          shopperKey,
          timestamps.ms(event.timestamp, 'timestamp'),
          event.eventId,
          event.type,
          event.itemId ?? null,
          event.value ?? null,
          receivedTimes.ms(event.receivedAt, 'receivedAt'),
          timestamps.keptText(),
          receivedTimes.keptText(),
        );
      }
      await new Promise<void>((resolve, reject) => {
        pendingAppends.push({ rows, resolve, reject });
        // Group commit: the appends of every request that resolves in this turn of the event loop (the lake
        // writer acknowledges its group of requests at once) share one transaction. A commit's cost is the pages
        // it writes: the b-tree's upper levels are written once for the group instead of once per request.
        if (pendingAppends.length === 1) setImmediate(commitAppends);
      });
    },

    async removeActivity(entries) {
      if (entries.length === 0) return;
      // On this thread's connection: it is rare (the lake refused events), and every append it undoes has
      // committed before ingestion asks. The writer's per-shopper counts are then high, which only trims sooner.
      inTransaction(() => {
        for (const { shopperKey, event } of entries) {
          deleteActivity.run(shopperKey, epochMs(event.timestamp, 'timestamp'), event.eventId);
        }
      });
      for (const { shopperKey } of entries) activityCache?.delete(shopperKey);
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
      const rows = selectActivity.all(shopperKey, nowSeconds, capped) as unknown as (ActivityRow & {
        expires_at: number;
      })[];
      const entries = rows.map(toActivityEntry);
      if (activityCache !== undefined) {
        let validUntil = Number.POSITIVE_INFINITY;
        for (const row of rows) validUntil = Math.min(validUntil, row.expires_at);
        activityCache.set(shopperKey, { entries, limit: capped, validUntil });
        return entries.slice();
      }
      return entries;
    },

    async forgetShopper(shopperKey) {
      // Appends already accepted commit first, so that none of them lands after the delete.
      if (pendingAppends.length > 0) commitAppends();
      // The writer handles messages in order: an empty append answered means every earlier one is committed.
      await appender.append([], Number.NaN);
      db.prepare('DELETE FROM shopper_activity WHERE shopper_key = ?').run(shopperKey);
      activityCache?.delete(shopperKey);
    },

    async close() {
      if (!open) return;
      // Appends already accepted are committed, not dropped (their callers are still waiting).
      if (pendingAppends.length > 0) commitAppends();
      open = false;
      await appender.close();
      db.close();
    },
  };
}

const ACTIVITY_COLUMNS = 'event_id, type, item_id, value, ts, received_ms, timestamp_text, received_text';

interface ActivityRow {
  event_id: string;
  type: ActivityEntry['type'];
  item_id: string | null;
  value: number | null;
  ts: number;
  received_ms: number;
  timestamp_text: string | null;
  received_text: string | null;
}

/** Epoch ms of an ISO string, and whether the string must be kept beside them, remembering the last answer. */
function createIsoMemo() {
  let lastIso = '';
  let lastMs = 0;
  let lastKept: string | null = null;
  return {
    ms(iso: string, field: string): number {
      if (iso !== lastIso) {
        lastMs = epochMs(iso, field);
        // The string to keep beside the ms: null when formatting the ms gives it back exactly.
        lastKept = new Date(lastMs).toISOString() === iso ? null : iso;
        lastIso = iso;
      }
      return lastMs;
    },
    /** For the string last passed to `ms`: itself when it does not round-trip through its ms, else null. */
    keptText(): string | null {
      return lastKept;
    },
  };
}

function toActivityEntry(row: ActivityRow): ActivityEntry {
  const entry: ActivityEntry = {
    eventId: row.event_id,
    type: row.type,
    timestamp: row.timestamp_text ?? new Date(row.ts).toISOString(),
    receivedAt: row.received_text ?? new Date(row.received_ms).toISOString(),
  };
  if (row.item_id !== null) entry.itemId = row.item_id;
  if (row.value !== null) entry.value = row.value;
  return entry;
}

/**
 * Stores created before activity was kept as columns hold one JSON document per row: convert them in place, once
 * (one transaction), so an upgrade keeps every shopper's recent activity.
 */
function migrateJsonActivity(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(shopper_activity)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'json')) return;
  const iso = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('ALTER TABLE shopper_activity RENAME TO shopper_activity_json');
    db.exec(SCHEMA);
    db.exec(`
      INSERT OR IGNORE INTO shopper_activity
        (shopper_key, ts, event_id, expires_at, type, item_id, value, received_ms, timestamp_text, received_text)
      SELECT shopper_key, ts, event_id, expires_at, json ->> '$.type', json ->> '$.itemId', json ->> '$.value',
             received_ms, json ->> '$.timestamp', json ->> '$.receivedAt'
      FROM (SELECT *, CAST(round((julianday(json ->> '$.receivedAt') - 2440587.5) * 86400000) AS INTEGER) AS received_ms
            FROM shopper_activity_json)`);
    // Keep the text only where it does not round-trip, as new rows do.
    db.exec(`UPDATE shopper_activity SET
      timestamp_text = CASE WHEN timestamp_text = ${iso('ts')} THEN NULL ELSE timestamp_text END,
      received_text = CASE WHEN received_text = ${iso('received_ms')} THEN NULL ELSE received_text END`);
    db.exec('DROP TABLE shopper_activity_json');
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
