import type { CounterIncrement, LiveCounters } from '../../ports/live-counters.ts';
import { openSqlite } from './sqlite-connection.ts';
import type { WalCheckpointer } from './wal-checkpointer.ts';

export interface SqliteLiveCountersOptions {
  /** A file path (its directory is created) or ':memory:'; normally serving.db (a table of its own). */
  path: string;
  /**
   * Sum increments in memory and write them in one transaction this many ms after the first one (0: write in
   * `add`). The counters are derived from the lake, so the few ms of increments a killed process loses are an
   * acceptable price for keeping a transaction off every ingest request.
   */
  flushDelayMs?: number;
  now?: () => number;
  walCheckpointer?: WalCheckpointer;
}

// expires_at in epoch seconds, like the DynamoDB TTL attribute.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS live_counters (
  series TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  member TEXT NOT NULL,
  amount REAL NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (series, bucket, member)
) WITHOUT ROWID;
`;

/** Expired counters are deleted at most this often (a write's own work, like DynamoDB's TTL sweep). */
const PURGE_EVERY_MS = 60_000;

/** The embedded LiveCounters (node:sqlite): the lock holder's process is the only writer. */
export function createSqliteLiveCounters(options: SqliteLiveCountersOptions): LiveCounters {
  const now = options.now ?? Date.now;
  const delay = options.flushDelayMs ?? 0;
  const db = openSqlite(options.path);
  if (options.walCheckpointer !== undefined) db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec(SCHEMA);
  const upsert = db.prepare(
    `INSERT INTO live_counters (series, bucket, member, amount, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (series, bucket, member) DO UPDATE SET amount = amount + excluded.amount,
       expires_at = CASE WHEN expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
                         ELSE max(expires_at, excluded.expires_at) END`,
  );
  const select = db.prepare(
    'SELECT member, amount FROM live_counters WHERE series = ? AND bucket = ? AND (expires_at IS NULL OR expires_at > ?)',
  );
  const purge = db.prepare('DELETE FROM live_counters WHERE expires_at IS NOT NULL AND expires_at <= ?');
  const pending = new Map<string, CounterIncrement>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let purgedAt = 0;
  let closed = false;

  const write = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return;
    db.exec('BEGIN');
    try {
      for (const c of pending.values())
        upsert.run(c.series, c.bucket, c.member, c.amount, c.expiresAt ?? null);
      if (now() - purgedAt > PURGE_EVERY_MS) {
        purge.run(Math.floor(now() / 1000));
        purgedAt = now();
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    pending.clear();
  };
  return {
    async add(increments) {
      if (closed) throw new Error('the live counters are closed');
      for (const c of increments) {
        const key = `${c.series}\u0000${c.bucket}\u0000${c.member}`;
        const found = pending.get(key);
        if (found === undefined) pending.set(key, { ...c });
        else {
          found.amount += c.amount;
          if (c.expiresAt !== undefined) found.expiresAt = Math.max(found.expiresAt ?? 0, c.expiresAt);
        }
      }
      if (delay === 0) write();
      else if (timer === undefined) timer = setTimeout(write, delay);
    },
    async read(series, buckets) {
      // What is still buffered counts too: a read sees every add that resolved before it.
      write();
      const at = Math.floor(now() / 1000);
      const out = new Map<number, Map<string, number>>();
      for (const bucket of buckets) {
        const rows = select.all(series, bucket, at) as { member: string; amount: number }[];
        const members = new Map<string, number>();
        for (const r of rows) if (r.amount !== 0) members.set(r.member, r.amount);
        if (members.size > 0) out.set(bucket, members);
      }
      return out;
    },
    async close() {
      if (closed) return;
      write();
      closed = true;
      db.close();
    },
  };
}
