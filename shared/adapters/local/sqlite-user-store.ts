import type { Preferences, UserProfile } from '../../domain/user.ts';
import type { UserStore } from '../../ports/user-store.ts';
import { epochMs } from './sqlite-activity-appender.ts';
import { openSqlite } from './sqlite-connection.ts';
import type { WalCheckpointer } from './wal-checkpointer.ts';

export interface SqliteUserStoreOptions {
  /** A file path (its directory is created), or ':memory:'. Normally the serving store's file: own tables. */
  path: string;
  /** The WAL checkpointer thread of the file, if any: this connection then never checkpoints on commit. */
  walCheckpointer?: WalCheckpointer;
}

// updated_at in epoch ms: ISO strings with offsets do not sort as text.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS user_profiles (
  user_id TEXT PRIMARY KEY,
  updated_at INTEGER NOT NULL,
  json TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_preferences (
  user_id TEXT PRIMARY KEY,
  json TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_tombstones (
  user_id TEXT PRIMARY KEY,
  forgotten_at TEXT NOT NULL
) WITHOUT ROWID;
`;

/** The embedded UserStore (node:sqlite). Reads are not cached: one primary-key read per request is cheap here. */
export function createSqliteUserStore(options: SqliteUserStoreOptions): UserStore {
  const db = openSqlite(options.path);
  if (options.walCheckpointer !== undefined) db.exec('PRAGMA wal_autocheckpoint = 0');
  db.exec(SCHEMA);
  const upsertProfile = db.prepare(
    `INSERT INTO user_profiles (user_id, updated_at, json) VALUES (?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at, json = excluded.json
     WHERE excluded.updated_at > user_profiles.updated_at`,
  );
  const selectProfile = db.prepare('SELECT json FROM user_profiles WHERE user_id = ?');
  const selectPreferences = db.prepare('SELECT json FROM user_preferences WHERE user_id = ?');
  const upsertPreferences = db.prepare(
    `INSERT INTO user_preferences (user_id, json) VALUES (?, ?)
     ON CONFLICT (user_id) DO UPDATE SET json = excluded.json`,
  );
  const deleteProfile = db.prepare('DELETE FROM user_profiles WHERE user_id = ?');
  const deletePreferences = db.prepare('DELETE FROM user_preferences WHERE user_id = ?');
  const upsertTombstone = db.prepare(
    `INSERT INTO user_tombstones (user_id, forgotten_at) VALUES (?, ?)
     ON CONFLICT (user_id) DO UPDATE SET forgotten_at = excluded.forgotten_at`,
  );
  const selectTombstone = db.prepare('SELECT forgotten_at FROM user_tombstones WHERE user_id = ?');
  const json = <T>(row: unknown): T | undefined =>
    row === undefined ? undefined : (JSON.parse((row as { json: string }).json) as T);
  const transaction = <T>(work: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = work();
      db.exec('COMMIT');
      return out;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
  const getProfile = (userId: string) => json<UserProfile>(selectProfile.get(userId));
  const getPreferences = (userId: string) => json<Preferences>(selectPreferences.get(userId));
  return {
    async putProfiles(profiles) {
      if (profiles.length === 0) return;
      transaction(() => {
        for (const p of profiles)
          upsertProfile.run(p.userId, epochMs(p.updatedAt, 'updatedAt'), JSON.stringify(p));
      });
    },
    async getProfile(userId) {
      return getProfile(userId);
    },
    async putPreferences(userId, preferences) {
      return transaction(() => {
        const created =
          selectPreferences.get(userId) === undefined && selectProfile.get(userId) === undefined;
        upsertPreferences.run(userId, JSON.stringify(preferences));
        return { created };
      });
    },
    async getPreferences(userId) {
      return getPreferences(userId);
    },
    async getShopper(userId) {
      const profile = getProfile(userId);
      const preferences = getPreferences(userId);
      const tombstone = selectTombstone.get(userId) as { forgotten_at: string } | undefined;
      return {
        ...(profile !== undefined ? { profile } : {}),
        ...(preferences !== undefined ? { preferences } : {}),
        ...(tombstone !== undefined ? { forgottenAt: tombstone.forgotten_at } : {}),
      };
    },
    async forget(userId, forgottenAt) {
      return transaction(() => {
        upsertTombstone.run(userId, forgottenAt);
        return Number(deleteProfile.run(userId).changes) + Number(deletePreferences.run(userId).changes) > 0;
      });
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}
