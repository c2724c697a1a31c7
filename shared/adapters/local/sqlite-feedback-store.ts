import {
  type Exclusion,
  type ExclusionReason,
  FEEDBACK_LIMITS,
  type FeedbackStore,
  type VariantCounters,
} from '../../ports/feedback-store.ts';
import { createReadCache } from './read-cache.ts';
import { openSqlite } from './sqlite-connection.ts';
import type { WalCheckpointer } from './wal-checkpointer.ts';

export interface SqliteFeedbackStoreOptions {
  /** A file path (its directory is created), or ':memory:'. Normally the serving store's file: own tables. */
  path: string;
  /** Clock in epoch milliseconds; tests move it forward to see keys and exclusions expire. */
  now?: () => number;
  /** Keep exclusions in memory between reads (invalidated by this instance's writes; the lock holder only). */
  cacheReads?: boolean;
  /** The WAL checkpointer thread of the file, if any: this connection then never checkpoints on commit. */
  walCheckpointer?: WalCheckpointer;
}

// expires_at in epoch seconds, like the DynamoDB TTL attribute, so both adapters expire on the same second.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS feedback_keys (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feedback_exclusions (
  shopper_key TEXT NOT NULL,
  item_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (shopper_key, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS experiment_counters (
  experiment TEXT NOT NULL,
  variant TEXT NOT NULL,
  exposures INTEGER NOT NULL DEFAULT 0,
  clicks INTEGER NOT NULL DEFAULT 0,
  conversions INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (experiment, variant)
) WITHOUT ROWID;
`;

/** The embedded FeedbackStore (node:sqlite). Every write is one statement, hence atomic on its own. */
export function createSqliteFeedbackStore(options: SqliteFeedbackStoreOptions): FeedbackStore {
  const now = options.now ?? Date.now;
  const db = openSqlite(options.path);
  if (options.walCheckpointer !== undefined) db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec(SCHEMA);
  // An expired key is as good as absent: the upsert takes it over in the same statement.
  const claim = db.prepare(
    `INSERT INTO feedback_keys (key, expires_at) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE feedback_keys.expires_at <= ?`,
  );
  const forget = db.prepare('DELETE FROM feedback_keys WHERE key = ?');
  const upsertExclusion = db.prepare(
    `INSERT INTO feedback_exclusions (shopper_key, item_id, reason, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (shopper_key, item_id) DO UPDATE SET reason = excluded.reason, expires_at = excluded.expires_at`,
  );
  const selectExclusions = db.prepare(
    `SELECT item_id, reason, expires_at FROM feedback_exclusions
     WHERE shopper_key = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT ?`,
  );
  const add = db.prepare(
    `INSERT INTO experiment_counters (experiment, variant, exposures, clicks, conversions) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (experiment, variant) DO UPDATE SET exposures = exposures + excluded.exposures,
       clicks = clicks + excluded.clicks, conversions = conversions + excluded.conversions`,
  );
  const selectCounters = db.prepare(
    'SELECT variant, exposures, clicks, conversions FROM experiment_counters WHERE experiment = ? ORDER BY variant',
  );
  const seconds = () => Math.floor(now() / 1000);
  const exclusionCache = options.cacheReads
    ? createReadCache<{ exclusions: Exclusion[]; validUntil: number }>(50_000)
    : undefined;
  let closed = false;
  return {
    async recordOnce(key, ttlSeconds = FEEDBACK_LIMITS.idempotencyTtlSeconds) {
      const t = seconds();
      return Number(claim.run(key, t + ttlSeconds, t).changes) === 1;
    },
    async release(key) {
      forget.run(key);
    },
    async addExclusion(shopperKey, itemId, reason, ttlSeconds) {
      upsertExclusion.run(shopperKey, itemId, reason, seconds() + ttlSeconds);
      exclusionCache?.delete(shopperKey);
    },
    async exclusions(shopperKey) {
      const t = seconds();
      const cached = exclusionCache?.get(shopperKey);
      if (cached !== undefined && t < cached.validUntil) return cached.exclusions.slice();
      const rows = selectExclusions.all(shopperKey, t, FEEDBACK_LIMITS.maxExclusions) as {
        item_id: string;
        reason: ExclusionReason;
        expires_at: number;
      }[];
      let validUntil = Number.POSITIVE_INFINITY;
      const exclusions = rows.map((r): Exclusion => {
        validUntil = Math.min(validUntil, r.expires_at);
        return {
          itemId: r.item_id,
          reason: r.reason,
          expiresAt: new Date(r.expires_at * 1000).toISOString(),
        };
      });
      exclusionCache?.set(shopperKey, { exclusions, validUntil });
      return exclusions.slice();
    },
    async incrementCounters(experiment, variant, delta) {
      add.run(experiment, variant, delta.exposures ?? 0, delta.clicks ?? 0, delta.conversions ?? 0);
    },
    async counters(experiment) {
      return (selectCounters.all(experiment) as unknown as VariantCounters[]).map((r) => ({
        variant: r.variant,
        exposures: Number(r.exposures),
        clicks: Number(r.clicks),
        conversions: Number(r.conversions),
      }));
    },
    async forgetShopper(shopperKey) {
      db.prepare('DELETE FROM feedback_exclusions WHERE shopper_key = ?').run(shopperKey);
      exclusionCache?.delete(shopperKey);
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
