import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens a connection to an embedded store file (its directory is created; ':memory:' allowed) with the settings
 * every connection to serving.db shares. WAL + NORMAL: a commit costs no fsync of the main file and readers never
 * block the ingest writer; an OS crash may lose the last commits, which is acceptable because the lake, not this
 * store, is the record. busy_timeout: the CLI (approve, experiment) may write while the server runs, so a writer
 * waits for the other instead of failing at once.
 */
export function openSqlite(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  // First: switching to WAL needs a lock that a connection opening the same file at the same moment (the activity
  // writer, the WAL checkpointer) may hold, and without a timeout that fails at once with "database is locked".
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  return db;
}
