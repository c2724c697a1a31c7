import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createLakeWriter } from '../shared/adapters/local/lake-writer.ts';
import { createSqliteFeedbackStore } from '../shared/adapters/local/sqlite-feedback-store.ts';
import { createSqliteLiveCounters } from '../shared/adapters/local/sqlite-live-counters.ts';
import { createSqlitePublicationStore } from '../shared/adapters/local/sqlite-publication-store.ts';
import { createSqliteServingStore } from '../shared/adapters/local/sqlite-serving-store.ts';
import { createSqliteUserStore } from '../shared/adapters/local/sqlite-user-store.ts';
import { startWalCheckpointer } from '../shared/adapters/local/wal-checkpointer.ts';
import {
  createImpressionRecorder,
  type ImpressionRecorder,
  impressionSampleRate,
} from '../shared/live/impressions.ts';
import type { FeedbackStore } from '../shared/ports/feedback-store.ts';
import type { LiveCounters } from '../shared/ports/live-counters.ts';
import type { PublicationStore } from '../shared/ports/publication-store.ts';
import type { RecordSink } from '../shared/ports/record-sink.ts';
import type { ServingStore } from '../shared/ports/serving-store.ts';
import type { UserStore } from '../shared/ports/user-store.ts';
import { dataDirLayout } from './data-dir.ts';

// Commands of other owners import it from here.

export interface LocalRuntime {
  dataDir: string;
  lakeRoot: string;
  eventSink: RecordSink;
  itemSink: RecordSink;
  store: ServingStore;
  /** Published lists and the deployment record (own tables in the same serving.db). */
  publications: PublicationStore;
  /** Exclusions, idempotency keys and experiment counters (own tables in the same serving.db). */
  feedback: FeedbackStore;
  /** Live trending's and the data statistics' counters (own table in serving.db), updated on ingest. */
  counters: LiveCounters;
  /**
   * Served lists into the lake's raw/impressions, batched off the request's path; the share recorded is
   * RECSYS_IMPRESSION_SAMPLE_RATE (default 1: all).
   */
  impressions: ImpressionRecorder;
  /** Shoppers' profiles and tombstones on their way to the lake (`raw/users/`). */
  userSink: RecordSink;
  /** Profiles and stated preferences (own tables in the same serving.db). */
  users: UserStore;
  /** Closes the open lake objects so readers see everything acknowledged so far (Firehose's buffer flush). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalRuntimeOptions {
  dataDir: string;
  /** Bulk imports fsync once at close instead of per batch. */
  bulk?: boolean;
}

/**
 * The embedded adapters behind the same ports as on AWS: the filesystem lake (Firehose's layout) and the
 * node:sqlite serving store. One process owns a data directory at a time (a lock file says which), because two
 * writers would interleave the staging objects.
 */
export async function openLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const layout = dataDirLayout(options.dataDir);
  const { root: dataDir, lake: lakeRoot } = layout;
  await mkdir(lakeRoot, { recursive: true });
  const releaseLock = await lockDataDir(dataDir, layout.lock);
  const writerOptions = options.bulk
    ? { maxObjectBytes: 128 * 1024 * 1024, maxObjectAgeMs: 3_600_000, durable: false }
    : { maxObjectBytes: 8 * 1024 * 1024, maxObjectAgeMs: 60_000, durable: true };
  const eventSink = createLakeWriter({
    root: lakeRoot,
    zonePrefix: 'raw/events',
    streamName: 'recsys-local-events',
    ...writerOptions,
  });
  const itemSink = createLakeWriter({
    root: lakeRoot,
    zonePrefix: 'raw/items',
    streamName: 'recsys-local-items',
    ...writerOptions,
  });
  const impressionSink = createLakeWriter({
    root: lakeRoot,
    zonePrefix: 'raw/impressions',
    streamName: 'recsys-local-impressions',
    ...writerOptions,
  });
  const userSink = createLakeWriter({
    root: lakeRoot,
    zonePrefix: 'raw/users',
    streamName: 'recsys-local-users',
    ...writerOptions,
  });
  await eventSink.recover();
  await itemSink.recover();
  await impressionSink.recover();
  const impressions = createImpressionRecorder({
    sink: impressionSink,
    sampleRate: impressionSampleRate(process.env.RECSYS_IMPRESSION_SAMPLE_RATE),
    mode: 'background',
    onError: (message, error) => process.stderr.write(`${message}: ${String(error)}\n`),
  });
  await userSink.recover();
  // This process holds the data-dir lock, so it is the only writer of activity and feedback: their reads can be
  // cached and invalidated by its own writes.
  const dbPath = layout.servingDb;
  const walCheckpointer = startWalCheckpointer(dbPath);
  const store = createSqliteServingStore({
    path: dbPath,
    cacheReads: true,
    writeActivityOffThread: true,
    walCheckpointer,
  });
  const publications = createSqlitePublicationStore({ path: dbPath, cacheReads: true, walCheckpointer });
  const feedback = createSqliteFeedbackStore({ path: dbPath, cacheReads: true, walCheckpointer });
  const counters = createSqliteLiveCounters({ path: dbPath, flushDelayMs: 100, walCheckpointer });
  const users = createSqliteUserStore({ path: dbPath, walCheckpointer });
  return {
    dataDir,
    lakeRoot,
    eventSink,
    itemSink,
    store,
    publications,
    feedback,
    counters,
    impressions,
    userSink,
    users,
    async flush() {
      await impressions.flush();
      await Promise.all([eventSink.rotate(), itemSink.rotate(), impressionSink.rotate(), userSink.rotate()]);
    },
    async close() {
      await impressions.flush();
      await eventSink.close();
      await itemSink.close();
      await impressionSink.close();
      await counters.close();
      await userSink.close();
      await users.close();
      await store.close();
      await publications.close();
      await feedback.close();
      await walCheckpointer.close();
      await releaseLock();
    },
  };
}

async function lockDataDir(dataDir: string, path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(path, 'wx');
      await h.writeFile(String(process.pid));
      await h.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `${dataDir} is in use by process ${pid} (another recsys serve/import?). Stop it or use another RECSYS_DATA_DIR.`,
        );
      }
      // The owner died (kill -9): take the lock over.
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A process killed with -9 whose parent died too can linger as a zombie where PID 1 does not reap
  // (containers): signal 0 still succeeds, but it holds nothing. Linux says so in /proc.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The local API key: RECSYS_API_KEY, else the one generated on first start and kept in the data directory. */
export async function localApiKey(dataDir: string): Promise<{ key: string; generated: boolean }> {
  const fromEnv = process.env.RECSYS_API_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return { key: fromEnv, generated: false };
  const path = dataDirLayout(dataDir).apiKey;
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing.trim() !== '') return { key: existing.trim(), generated: false };
  const { randomBytes } = await import('node:crypto');
  const key = `rk_${randomBytes(24).toString('base64url')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}
