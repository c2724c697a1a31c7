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

// Lists keyed (version, user) like the DynamoDB pk `<version>#<userId>`; the deployment is one row (id = 1)
// whose revision column makes putDeployment a compare-and-swap inside one statement.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS publication_lists (
  model_version TEXT NOT NULL,
  user_id TEXT NOT NULL,
  items TEXT NOT NULL,
  PRIMARY KEY (model_version, user_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS publication_deployment (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL,
  json TEXT NOT NULL
);
`;

/** The embedded PublicationStore (node:sqlite). Several processes may open the same file (WAL, busy timeout). */
export function createSqlitePublicationStore(options: SqlitePublicationStoreOptions): PublicationStore {
  const db = openSqlite(options.path);
  if (options.walCheckpointer !== undefined) db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec(SCHEMA);
  const listCache = options.cacheReads ? createReadCache<ScoredItem[]>(50_000) : undefined;
  const upsertList = db.prepare(
    `INSERT INTO publication_lists (model_version, user_id, items) VALUES (?, ?, ?)
     ON CONFLICT (model_version, user_id) DO UPDATE SET items = excluded.items`,
  );
  const selectList = db.prepare(
    'SELECT items FROM publication_lists WHERE model_version = ? AND user_id = ?',
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
    async putRecommendations(modelVersion: string, lists: readonly RecommendationList[]) {
      if (modelVersion === '') throw new Error('putRecommendations: modelVersion is empty');
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const l of lists) {
          upsertList.run(modelVersion, l.userId, JSON.stringify(l.items));
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
      if (cached !== undefined) return cached;
      const row = selectList.get(modelVersion, userId) as { items: string } | undefined;
      if (row === undefined) return undefined;
      const items = JSON.parse(row.items) as ScoredItem[];
      listCache?.set(key, items);
      return items;
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
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
