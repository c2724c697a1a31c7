import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteServingStore } from '../../shared/adapters/local/sqlite-serving-store.ts';
import {
  createWalRewinder,
  startWalCheckpointer,
  WAL_STATE,
  type WalCheckpointer,
} from '../../shared/adapters/local/wal-checkpointer.ts';
import type { StoredEvent } from '../../shared/domain/event.ts';
import type { ServingStore } from '../../shared/ports/serving-store.ts';

const SHOPPERS = 5_000;
const BATCHES = 60;
const BATCH = 500;
const T0 = Date.parse('2025-03-01T00:00:00.000Z');

/** Batch `b`: one event each for 500 shoppers spread over the key space, so a commit dirties pages all over it. */
function batch(b: number): { shopperKey: string; event: StoredEvent }[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = b * BATCH + i;
    const event: StoredEvent = {
      eventId: `e-${n}`,
      type: 'view',
      userId: `${(n * 7919) % SHOPPERS}`,
      itemId: `i-${n % 997}`,
      timestamp: new Date(T0 + n * 1000).toISOString(),
      receivedAt: new Date(T0 + n * 1000).toISOString(),
    };
    return { shopperKey: `u:${event.userId}`, event };
  });
}

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => 0,
  );

/** The database's size as its connections see it (WAL included): what the main file holds once all is copied back. */
function databaseBytes(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const { page_count: pages } = db.prepare('PRAGMA page_count').get() as { page_count: number };
    const { page_size: size } = db.prepare('PRAGMA page_size').get() as { page_size: number };
    return pages * size;
  } finally {
    db.close();
  }
}

describe.each([
  { writer: 'a worker thread', writeActivityOffThread: true },
  { writer: 'the store’s own thread', writeActivityOffThread: false },
])(
  'WAL checkpointer: the store file under steady activity appends from $writer',
  ({ writeActivityOffThread }) => {
    let dir: string;
    let path: string;
    let checkpointer: WalCheckpointer;
    let store: ServingStore;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'recsys-wal-'));
      path = join(dir, 'serving.db');
      // A small rewind threshold, so that the batches cross it many times.
      checkpointer = startWalCheckpointer(path, { intervalMs: 5, rewindFrames: 64 });
      store = createSqliteServingStore({
        path,
        cacheReads: true,
        writeActivityOffThread,
        walCheckpointer: checkpointer,
        now: () => T0 + BATCHES * BATCH * 1000,
      });
    });
    afterEach(async () => {
      await store?.close();
      await checkpointer?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('copies the WAL back while the writer runs, keeps it bounded, and loses no row', async () => {
      // Act: appends one after the other, the WAL measured after each
      let largestWal = 0;
      for (let b = 0; b < BATCHES; b++) {
        await store.appendActivity(batch(b));
        largestWal = Math.max(largestWal, await sizeOf(`${path}-wal`));
      }
      // The checkpointer, not a commit, copies pages back: wait (bounded) until its passes have copied every page,
      // i.e. the main file, while the store is still open, has the database's full size.
      const fullSize = databaseBytes(path);
      await vi.waitFor(async () => expect(await sizeOf(path)).toBe(fullSize), {
        timeout: 10_000,
        interval: 10,
      });
      const mainFileWhileOpen = await sizeOf(path);
      await store.close();
      await checkpointer.close();

      // Assess: never rewound, the WAL reached 43–48 MB here (every commit appends the pages it dirtied); rewound
      // past 64 frames it stayed at 4–6 MB. The main file grows only by checkpoints, and no commit here makes any.
      expect(largestWal).toBeLessThan(16 * 1024 * 1024);
      expect(mainFileWhileOpen).toBeGreaterThan(1024 * 1024);
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        const { n } = db.prepare('SELECT count(*) AS n FROM shopper_activity').get() as { n: number };
        expect(n).toBe(BATCHES * BATCH);
      } finally {
        db.close();
      }
    });
  },
);

describe('WAL checkpointer: when its thread fails', () => {
  it('hands checkpointing on commit back to the writer connection', async () => {
    // Prepare: a checkpointer whose file cannot be opened (a directory), and a writer connection without
    // automatic checkpoints, as the activity writer has while a checkpointer runs
    const dir = await mkdtemp(join(tmpdir(), 'recsys-wal-failed-'));
    const checkpointer = startWalCheckpointer(dir);
    const db = new DatabaseSync(join(dir, 'serving.db'));
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA wal_autocheckpoint = 0');
      const rewind = createWalRewinder(db, checkpointer.state);
      await vi.waitFor(() => expect(Atomics.load(checkpointer.state, WAL_STATE.failed)).toBe(1), {
        timeout: 5_000,
      });

      // Act: the writer's turn between two transactions
      rewind();

      // Assess
      expect(db.prepare('PRAGMA wal_autocheckpoint').get()).toEqual({ wal_autocheckpoint: 10_000 });
    } finally {
      db.close();
      await checkpointer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
