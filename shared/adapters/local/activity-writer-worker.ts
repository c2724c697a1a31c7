import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite-connection.ts';
import { configureConnection, openActivityAppender, type PackedRows } from './sqlite-serving-store.ts';

/**
 * The serving store's activity writer on its own thread (see `writeActivityOffThread`): one connection to the
 * store's file, one transaction per message, answered in order. The store created the schema before starting it.
 */
const db = openSqlite((workerData as { path: string }).path);
configureConnection(db);
const append = openActivityAppender(db);

parentPort!.on('message', (m: { id: number; rows: PackedRows; at: number }) => {
  try {
    const { purged } = append(m.rows, m.at);
    parentPort!.postMessage({ id: m.id, purged });
  } catch (error) {
    parentPort!.postMessage({ id: m.id, error: (error as Error).message ?? String(error) });
  }
});
