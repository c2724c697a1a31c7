import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

const SQLITE_WARNING = 'SQLite is an experimental feature';

/**
 * node:sqlite warns that it is experimental once per thread that loads it (the CLI, the activity writer, the WAL
 * checkpointer: three times a command). We rely on it knowingly, so that one warning is dropped as the module
 * loads; every other warning still goes through.
 */
function loadSqlite(): typeof import('node:sqlite') {
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: never[]) {
    if ((typeof warning === 'string' ? warning : warning.message).startsWith(SQLITE_WARNING)) return;
    return emit.call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return process.getBuiltinModule('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

const { DatabaseSync: Database } = loadSqlite();

/**
 * Opens a connection to an embedded store file (its directory is created; ':memory:' allowed) with the settings
 * every connection to serving.db shares. WAL + NORMAL: a commit costs no fsync of the main file and readers never
 * block the ingest writer; an OS crash may lose the last commits, which is acceptable because the lake, not this
 * store, is the record. busy_timeout: the CLI (approve, experiment) may write while the server runs, so a writer
 * waits for the other instead of failing at once.
 */
export function openSqlite(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // First: switching to WAL needs a lock that a connection opening the same file at the same moment (the activity
  // writer, the WAL checkpointer) may hold, and without a timeout that fails at once with "database is locked".
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  return db;
}
