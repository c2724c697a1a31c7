import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';

/** Slots of the Int32Array shared by the checkpointer thread, the store and its activity writer. */
export const WAL_STATE = {
  /** Bumped after each commit: wakes the checkpointer. */
  commits: 0,
  /** 1 once close has begun. */
  closing: 1,
  /** Frames in the WAL as the checkpointer's last pass found it (it grows until a writer rewinds it). */
  frames: 2,
  /** Frames past which the writer rewinds the WAL (`rewindFrames`). */
  rewindFrames: 3,
  /** 1 once the checkpointer thread has failed: writers then checkpoint on commit again (`createWalRewinder`). */
  failed: 4,
} as const;

export interface WalCheckpointer {
  /** Shared with the connections that write continuously (see `createWalRewinder`). */
  readonly state: Int32Array;
  /** Says that a commit added frames to the WAL; the checkpointer copies them back in its own time. */
  nudge(): void;
  /** Stops the thread once its checkpoint in progress (if any) is done. */
  close(): Promise<void>;
}

export interface WalCheckpointerOptions {
  /** Pause after each checkpoint, so that a page rewritten by many commits is copied back once, not per commit. */
  intervalMs?: number;
  /** WAL frames (4 KiB pages) past which the writer rewinds the WAL; default 16,384 (64 MiB). */
  rewindFrames?: number;
}

/**
 * Checkpoints the store's WAL on a thread of its own, so that no committing connection pays for copying it back.
 *
 * With SQLite's automatic checkpoints the connection whose commit crosses the threshold copies the whole WAL back
 * into the database file and fsyncs it before its commit returns: measured the larger half of the ingest writer's
 * time, and the 80–100 ms stalls at the tail of POST /v1/events. A PASSIVE checkpoint on another connection runs
 * beside the writer (WAL readers and writers never wait for it).
 *
 * What it cannot do under steady writes is rewind the WAL: SQLite starts writing the WAL from its beginning again
 * only when a write transaction begins with every frame already copied back, and the writer commits while each
 * pass runs. So the writer itself, once the WAL is past `rewindFrames`, copies back the few frames written since
 * the last pass (`createWalRewinder`), and its next transaction rewinds the WAL.
 *
 * Connections to the file set `wal_autocheckpoint = 0` while this runs (see `configureConnection`).
 */
export function startWalCheckpointer(path: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const state = new Int32Array(new SharedArrayBuffer(4 * 5));
  state[WAL_STATE.rewindFrames] = options.rewindFrames ?? 16_384;
  const worker = new Worker(new URL('./wal-checkpointer-worker.ts', import.meta.url), {
    workerData: { path, state, intervalMs: options.intervalMs ?? 100 },
  });
  // It waits on shared memory, not on its event loop: it must never keep the process alive.
  worker.unref();
  let failure: unknown;
  worker.on('error', (error) => {
    failure = error;
    Atomics.store(state, WAL_STATE.failed, 1);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let closed = false;
  const nudge = () => {
    Atomics.add(state, WAL_STATE.commits, 1);
    Atomics.notify(state, WAL_STATE.commits);
  };
  return {
    state,
    nudge,
    async close() {
      if (!closed) {
        closed = true;
        // Held open until the thread has closed its connection.
        worker.ref();
        Atomics.store(state, WAL_STATE.closing, 1);
        Atomics.notify(state, WAL_STATE.closing);
        nudge();
      }
      await exited;
      // The writer took checkpointing over when this failed, and the last connection's close copies the rest.
      if (failure !== undefined)
        process.emitWarning(`WAL checkpointer for ${path} failed: ${String(failure)}`);
    },
  };
}

/**
 * For a connection that commits continuously, between two of its transactions: when the checkpointer has found the
 * WAL past `rewindFrames`, copies back what it has not (the last few commits) so that the next transaction rewinds
 * the WAL. A PASSIVE checkpoint never waits: if the checkpointer is in a pass, this tries again after the next
 * commit. If the checkpointer thread has failed, it gives the connection SQLite's own checkpoints back, so that a
 * long-running server's WAL stays bounded all the same.
 */
export function createWalRewinder(db: DatabaseSync, state: Int32Array): () => void {
  const passive: StatementSync = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  let orphaned = false;
  return () => {
    if (orphaned) return;
    if (Atomics.load(state, WAL_STATE.failed) === 1) {
      db.exec('PRAGMA wal_autocheckpoint = 10000');
      orphaned = true;
      return;
    }
    if (Atomics.load(state, WAL_STATE.frames) < Atomics.load(state, WAL_STATE.rewindFrames)) return;
    const r = passive.get() as { busy: number; log: number; checkpointed: number };
    if (r.busy === 0 && r.checkpointed === r.log) Atomics.store(state, WAL_STATE.frames, 0);
  };
}
