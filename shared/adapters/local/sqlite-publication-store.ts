import {
  type Deployment,
  DeploymentConflictError,
  type PublicationStore,
  type RecommendationList,
  type ScoredItem,
} from '../../ports/publication-store.ts';
import { createReadCache } from './read-cache.ts';
import { openSqlite } from './sqlite-connection.ts';
import type { WalCheckpointer } from './wal-checkpointer.ts';

export interface SqlitePublicationStoreOptions {
  /** A file path (its directory is created), or ':memory:'. May be the serving store's own file: own tables. */
  path: string;
  /**
   * Keep lists read in memory. Safe even while another process publishes: a version's lists are written before
   * the version is activated and never change after (a republish writes the same lists), and only lists found
   * are kept, never "none yet".
   */
  cacheReads?: boolean;
  /** The WAL checkpointer thread of the file, if any: this connection then never checkpoints on commit. */
  walCheckpointer?: WalCheckpointer;
}

// Lists keyed (version, user) like the DynamoDB pk `<version>#<userId>`, with the expiry DynamoDB keeps as its TTL
// attribute (NULL: written before lists had one, never purged); the deployment is one row (id = 1) whose
// revision column makes putDeployment a compare-and-swap inside one statement.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS publication_lists (
  model_version TEXT NOT NULL,
  user_id TEXT NOT NULL,
  items TEXT NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (model_version, user_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS publication_deployment (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL,
  json TEXT NOT NULL
);
`;

interface CachedList {
  items: ScoredItem[];
  expiresAt: number | null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const expired = (expiresAt: number | null) => expiresAt !== null && expiresAt <= nowSeconds();

function checkExpiry(expiresAt: number): void {
  if (!Number.isInteger(expiresAt) || expiresAt <= 0)
    throw new Error(
      `putRecommendations: expiresAt must be epoch seconds (a positive integer), got ${expiresAt}`,
    );
}

/** Files written before lists had an expiry get the column (their rows keep NULL) and its index. */
function addExpiryColumn(db: ReturnType<typeof openSqlite>): void {
  const columns = db.prepare('PRAGMA table_info(publication_lists)').all() as { name: string }[];
  if (!columns.some((c) => c.name === 'expires_at'))
    db.exec('ALTER TABLE publication_lists ADD COLUMN expires_at INTEGER');
  db.exec(
    'CREATE INDEX IF NOT EXISTS publication_lists_expiry ON publication_lists (expires_at) WHERE expires_at IS NOT NULL',
  );
}

/** The embedded PublicationStore (node:sqlite). Several processes may open the same file (WAL, busy timeout). */
export function createSqlitePublicationStore(options: SqlitePublicationStoreOptions): PublicationStore {
  const db = openSqlite(options.path);
  if (options.walCheckpointer !== undefined) db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec(SCHEMA);
  addExpiryColumn(db);
  const listCache = options.cacheReads ? createReadCache<CachedList>(50_000) : undefined;
  const upsertList = db.prepare(
    `INSERT INTO publication_lists (model_version, user_id, items, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (model_version, user_id) DO UPDATE SET items = excluded.items, expires_at = excluded.expires_at`,
  );
  const selectList = db.prepare(
    'SELECT items, expires_at FROM publication_lists WHERE model_version = ? AND user_id = ?',
  );
  // What DynamoDB's TTL does on AWS: expired lists leave the file (each publication sweeps, on its index).
  const purgeExpired = db.prepare('DELETE FROM publication_lists WHERE expires_at <= ?');
  const selectExpiry = db.prepare(
    'SELECT MIN(expires_at) AS expires_at, COUNT(*) AS n FROM publication_lists WHERE model_version = ?',
  );
  const selectDeployment = db.prepare('SELECT revision, json FROM publication_deployment WHERE id = 1');
  const insertDeployment = db.prepare(
    'INSERT OR IGNORE INTO publication_deployment (id, revision, json) VALUES (1, ?, ?)',
  );
  const swapDeployment = db.prepare(
    'UPDATE publication_deployment SET revision = ?, json = ? WHERE id = 1 AND revision = ?',
  );
  let closed = false;

  const currentRevision = (): number | undefined => {
    const row = selectDeployment.get() as { revision: number } | undefined;
    return row?.revision;
  };

  return {
    async putRecommendations(modelVersion: string, lists: readonly RecommendationList[], expiresAt: number) {
      if (modelVersion === '') throw new Error('putRecommendations: modelVersion is empty');
      checkExpiry(expiresAt);
      db.exec('BEGIN IMMEDIATE');
      try {
        purgeExpired.run(nowSeconds());
        for (const l of lists) {
          upsertList.run(modelVersion, l.userId, JSON.stringify(l.items), expiresAt);
          listCache?.delete(`${modelVersion}\u0000${l.userId}`);
        }
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    },
    async getRecommendations(modelVersion: string, userId: string) {
      const key = `${modelVersion}\u0000${userId}`;
      const cached = listCache?.get(key);
      if (cached !== undefined) return expired(cached.expiresAt) ? undefined : cached.items;
      const row = selectList.get(modelVersion, userId) as
        | { items: string; expires_at: number | null }
        | undefined;
      if (row === undefined || expired(row.expires_at)) return undefined;
      const items = JSON.parse(row.items) as ScoredItem[];
      listCache?.set(key, { items, expiresAt: row.expires_at });
      return items;
    },
    async listsExpireAt(modelVersion: string) {
      const row = selectExpiry.get(modelVersion) as { expires_at: number | null; n: number };
      return row.n === 0 || row.expires_at === null ? undefined : row.expires_at;
    },
    async getDeployment() {
      const row = selectDeployment.get() as { json: string } | undefined;
      return row === undefined ? undefined : (JSON.parse(row.json) as Deployment);
    },
    async putDeployment(next: Deployment, expectedRevision: number | undefined) {
      const wanted = (expectedRevision ?? 0) + 1;
      if (next.revision !== wanted)
        throw new Error(
          `putDeployment: next.revision must be ${wanted} (expected revision ${expectedRevision ?? 'none'}), got ${next.revision}`,
        );
      const json = JSON.stringify(next);
      const changes =
        expectedRevision === undefined
          ? Number(insertDeployment.run(next.revision, json).changes)
          : Number(swapDeployment.run(next.revision, json, expectedRevision).changes);
      if (changes !== 1) throw new DeploymentConflictError(expectedRevision, currentRevision());
    },
    async removeLists(userId: string, versions: readonly string[]) {
      const remove = db.prepare('DELETE FROM publication_lists WHERE model_version = ? AND user_id = ?');
      for (const version of versions) {
        remove.run(version, userId);
        listCache?.delete(`${version}\u0000${userId}`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
