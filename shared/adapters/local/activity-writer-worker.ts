import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { configureConnection, openActivityAppender, type PackedRows } from './sqlite-activity-appender.ts';
import { openSqlite } from './sqlite-connection.ts';
import { createWalRewinder } from './wal-checkpointer.ts';

/**
 * The serving store's activity writer on its own thread (see `writeActivityOffThread`): one connection to the
 * store's file, one transaction per message (or per group of queued messages), answered in order. The store created the schema before starting it.
 */
const { path, walState } = workerData as { path: string; walState: Int32Array | undefined };
const db = openSqlite(path);
// With a checkpointer thread (walState), this connection never checkpoints on commit; it only rewinds the WAL.
configureConnection(db, { autoCheckpoint: walState === undefined });
const rewindWal = walState === undefined ? () => undefined : createWalRewinder(db, walState);
const append = openActivityAppender(db);

type Message = { id: number; rows: PackedRows; at: number };

parentPort!.on('message', (first: Message) => {
  // Messages that queued up while the last transaction ran share the next one: a commit costs the pages it
  // writes, so a writer that falls behind catches up with fewer, larger commits. Each is answered after it.
  const group = [first];
  for (
    let next = receiveMessageOnPort(parentPort!);
    next !== undefined;
    next = receiveMessageOnPort(parentPort!)
  )
    group.push(next.message as Message);
  try {
    rewindWal();
    const results = append(group);
    group.forEach((m, i) => {
      parentPort!.postMessage({ id: m.id, purged: results[i]!.purged });
    });
  } catch (error) {
    for (const m of group)
      parentPort!.postMessage({ id: m.id, error: (error as Error).message ?? String(error) });
  }
});
