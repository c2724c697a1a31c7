import { workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite-connection.ts';
import { WAL_STATE } from './wal-checkpointer.ts';

/** The thread behind `startWalCheckpointer`: it blocks on the shared state between checkpoints. */
const { path, state, intervalMs } = workerData as { path: string; state: Int32Array; intervalMs: number };

const db = openSqlite(path);
db.exec('PRAGMA wal_autocheckpoint = 0');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

let seen = 0;
for (;;) {
  // Asleep until a commit says there is something to copy, or close says to stop. Connections that do not
  // nudge (feedback, publications: a few small commits) are caught by the timeout.
  Atomics.wait(state, WAL_STATE.commits, seen, 1000);
  seen = Atomics.load(state, WAL_STATE.commits);
  if (Atomics.load(state, WAL_STATE.closing) === 1) break;
  const r = passive.get() as { busy: number; log: number; checkpointed: number };
  Atomics.store(state, WAL_STATE.frames, r.log);
  // Commits that land during the pause are copied by the next pass, together.
  Atomics.wait(state, WAL_STATE.closing, 0, intervalMs);
}
db.close();
