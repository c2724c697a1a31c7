import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { ACTIVITY_LIMITS } from '../../ports/serving-store.ts';
import { createWalRewinder } from './wal-checkpointer.ts';

// How the local serving store writes recent activity: batches of packed rows appended in one transaction, in key
// order, on the store's own thread or in a worker of their own (sqlite-serving-store.ts chooses), with the WAL kept
// bounded by the rewinder.

/**
 * A shopper may hold up to this many rows beyond maxPerShopper before a trim: trimming on every append would
 * cost as much as the append itself, and reads only ever return the newest maxPerShopper anyway.
 */
export const TRIM_SLACK = 50;
/** Expired rows are purged at most this often (a full pass; storage is bounded by the trim meanwhile). */
export const PURGE_INTERVAL_MS = 60_000;

/** The activity writers' tuning, on top of openSqlite's settings (the store's own connection and the worker's). */
export function configureConnection(db: DatabaseSync, options: { autoCheckpoint: boolean }): void {
  // Each ingest batch dirties a few pages per shopper all over the activity b-trees. Checkpointing every
  // ~40 MiB instead of every 4 MiB writes a page rewritten by many batches back once, not once per batch:
  // measured about twice the appendActivity throughput. With a WAL checkpointer thread, none at all here.
  // The size limit truncates the WAL after a checkpoint.
  db.exec(`PRAGMA wal_autocheckpoint = ${options.autoCheckpoint ? 10_000 : 0}`);
  db.exec('PRAGMA journal_size_limit = 67108864');
  // The default 2 MiB page cache sends most b-tree page reads of a busy ingest to the OS; 64 MiB holds the
  // upper levels and the hot shoppers (it is a ceiling, allocated only as pages are read).
  db.exec('PRAGMA cache_size = -65536');
}

export interface ActivityAppender {
  /** Inserts the rows in one transaction at clock `at`; `purged` says expired rows were deleted too. */
  append(rows: PackedRows, at: number): Promise<{ purged: boolean }>;
  close(): Promise<void>;
}

/**
 * Appends batches of activity rows (each at its own clock) through `db`: one transaction for all of them, rows in
 * key order, a trim per shopper past its cap and a periodic purge of expired rows. Synchronous: run on the
 * store's thread or in the activity worker.
 */
export function openActivityAppender(
  db: DatabaseSync,
): (batches: readonly { rows: PackedRows; at: number }[]) => { purged: boolean }[] {
  const insertSql = (n: number) =>
    `INSERT OR IGNORE INTO shopper_activity
       (shopper_key, ts, event_id, expires_at, type, item_id, value, received_ms, timestamp_text, received_text)
     VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
  // Rows go in INSERT_ROWS at a time: one statement step (and one call into node:sqlite, one result object) for
  // many rows instead of one each; the leftover of a batch goes one row at a time.
  const insertMany = db.prepare(insertSql(INSERT_ROWS));
  const insertOne = db.prepare(insertSql(1));
  const args: (string | number | null)[] = new Array(INSERT_ROWS * INSERT_COLUMNS);
  const countActivity = db.prepare('SELECT count(*) AS n FROM shopper_activity WHERE shopper_key = ?');
  const purgeExpired = db.prepare('DELETE FROM shopper_activity WHERE expires_at <= ?');
  // Keeps the newest maxPerShopper live rows: the cut-off is the oldest of them, so an expired row not yet
  // purged never pushes a live one out; NULL (deletes nothing) when a shopper has fewer rows.
  const trimActivity = db.prepare(
    `DELETE FROM shopper_activity WHERE shopper_key = ?1 AND (ts, event_id) < (
       SELECT ts, event_id FROM shopper_activity WHERE shopper_key = ?1 AND expires_at > ?2
       ORDER BY ts DESC, event_id DESC LIMIT 1 OFFSET ${ACTIVITY_LIMITS.maxPerShopper - 1})`,
  );
  // Rows per shopper as far as this process knows: counted once on first touch, then kept up to date, so the
  // append path decides to trim without a query.
  const rowCounts = new Map<string, number>();
  let lastPurge = Number.NEGATIVE_INFINITY;

  /** Copies row `r` into `args` at row slot `slot`, in the INSERT's column order. */
  function bindRow(rows: PackedRows, r: number, slot: number): void {
    let a = slot * INSERT_COLUMNS;
    const receivedMs = rows[r + 6] as number;
    args[a++] = rows[r]!;
    args[a++] = rows[r + 1]!;
    args[a++] = rows[r + 2]!;
    args[a++] = Math.floor(receivedMs / 1000) + ACTIVITY_LIMITS.ttlSeconds;
    args[a++] = rows[r + 3]!;
    args[a++] = rows[r + 4]!;
    args[a++] = rows[r + 5]!;
    args[a++] = receivedMs;
    args[a++] = rows[r + 7]!;
    args[a] = rows[r + 8]!;
  }

  /** One batch's statements, inside the caller's transaction. */
  function appendBatch(rows: PackedRows, at: number): { purged: boolean } {
    if (rows.length === 0) return { purged: false };
    const nowSeconds = Math.floor(at / 1000);
    let purged = false;
    if (at - lastPurge >= PURGE_INTERVAL_MS) {
      purgeExpired.run(nowSeconds);
      rowCounts.clear();
      lastPurge = at;
      purged = true;
    }
    // Key order: consecutive inserts land on the same b-tree pages instead of all over the table.
    const order = keyOrder(rows);
    // Rows added per shopper in this batch; a shopper whose count is unknown (a resend was ignored somewhere
    // in a multi-row statement, so which rows took is not known) is counted again after the inserts.
    const added = new Map<string, number>();
    const recount = new Set<string>();
    let i = 0;
    for (; i + INSERT_ROWS <= order.length; i += INSERT_ROWS) {
      for (let k = 0; k < INSERT_ROWS; k++) bindRow(rows, order[i + k]!, k);
      const { changes } = insertMany.run(...args);
      for (let k = 0; k < INSERT_ROWS; k++) {
        const key = rows[order[i + k]!] as string;
        added.set(key, (added.get(key) ?? 0) + 1);
        if (Number(changes) !== INSERT_ROWS) recount.add(key);
      }
    }
    for (; i < order.length; i++) {
      bindRow(rows, order[i]!, 0);
      const { changes } = insertOne.run(...args.slice(0, INSERT_COLUMNS));
      const key = rows[order[i]!] as string;
      added.set(key, (added.get(key) ?? 0) + Number(changes));
    }
    // Trimming after the inserts rather than between them keeps the same rows (the newest maxPerShopper live
    // ones) with one trim per shopper and batch at most.
    for (const [key, n] of added) {
      let count = recount.has(key) ? undefined : rowCounts.get(key);
      if (count === undefined) count = (countActivity.get(key) as { n: number }).n;
      else count += n;
      if (count > ACTIVITY_LIMITS.maxPerShopper + TRIM_SLACK) {
        count -= Number(trimActivity.run(key, nowSeconds).changes);
      }
      rowCounts.set(key, count);
    }
    return { purged };
  }

  return (batches) => {
    if (batches.every((b) => b.rows.length === 0)) return batches.map(() => ({ purged: false }));
    db.exec('BEGIN IMMEDIATE');
    try {
      const results = batches.map((b) => appendBatch(b.rows, b.at));
      db.exec('COMMIT');
      return results;
    } catch (error) {
      db.exec('ROLLBACK');
      // The counts may include rows the rollback took back.
      rowCounts.clear();
      throw error;
    }
  };
}

export function createInThreadAppender(db: DatabaseSync, walState: Int32Array | undefined): ActivityAppender {
  const append = openActivityAppender(db);
  // With a checkpointer thread, the connection that appends rewinds the WAL, here as in the worker.
  const rewindWal = walState === undefined ? () => undefined : createWalRewinder(db, walState);
  return {
    append: async (rows, at) => {
      rewindWal();
      return append([{ rows, at }])[0]!;
    },
    close: async () => undefined,
  };
}

/** The appender on a worker thread (activity-writer-worker.ts), one message per group commit. */
export function createOffThreadAppender(path: string, walState: Int32Array | undefined): ActivityAppender {
  const worker = new Worker(new URL('./activity-writer-worker.ts', import.meta.url), {
    workerData: { path, walState },
  });
  const waiting = new Map<
    number,
    { resolve: (r: { purged: boolean }) => void; reject: (e: unknown) => void }
  >();
  let nextId = 0;
  let failure: unknown;
  // Idle, the worker must not keep the process alive; while a write is in flight it must.
  worker.unref();
  worker.on('message', (m: { id: number; purged: boolean } | { id: number; error: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (waiting.size === 0) worker.unref();
    if ('error' in m) w?.reject(new Error(m.error));
    else w?.resolve({ purged: m.purged });
  });
  const fail = (error: unknown) => {
    failure = error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the activity writer exited (code ${code})`)));
  return {
    append(rows, at) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, rows, at });
      });
    },
    async close() {
      // Messages are handled in order: once the close is answered, every write before it is committed.
      if (failure === undefined) await this.append([], Number.NaN).catch(() => undefined);
      await worker.terminate();
    },
  };
}

/**
 * Activity rows ready to insert (dates converted), packed flat, ROW_FIELDS values a row: shopperKey, ts, eventId,
 * type, itemId, value, receivedMs, timestamp text, receivedAt text. Flat arrays of primitives cross to the worker
 * thread several times cheaper than an object per row.
 */
export type PackedRows = (string | number | null)[];
export const ROW_FIELDS = 9;
/** Columns of one shopper_activity row as inserted. */
const INSERT_COLUMNS = 10;
/** Rows per multi-row INSERT (INSERT_ROWS * INSERT_COLUMNS parameters, well under SQLite's limit of 32766). */
const INSERT_ROWS = 32;

/** Row offsets in key order (shopper, newest first), so consecutive inserts land on the same b-tree pages. */
function keyOrder(rows: PackedRows): number[] {
  const order: number[] = [];
  for (let r = 0; r < rows.length; r += ROW_FIELDS) order.push(r);
  order.sort((a, b) => {
    const ka = rows[a] as string;
    const kb = rows[b] as string;
    if (ka !== kb) return ka < kb ? -1 : 1;
    return (rows[b + 1] as number) - (rows[a + 1] as number);
  });
  return order;
}

export function epochMs(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError(`${field} is not an ISO 8601 date-time: ${JSON.stringify(iso)}`);
  return ms;
}
