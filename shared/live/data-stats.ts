import type { LiveCounters } from '../ports/live-counters.ts';
import type { ModelStore } from '../ports/model-store.ts';
import { eventsPerDay } from './windows.ts';

/** Where a figure of the data statistics comes from, and the time it is true as of (null: not known exactly). */
export interface FigureSource {
  source: string;
  asOf: string | null;
}

/** What the console's Data tab shows: the same shape from the local lake and from the AWS counters. */
export interface DataStats {
  /** Counted by the event's own timestamp (UTC day), per event type. */
  eventsPerDay: { day: string; counts: Record<string, number> }[];
  eventsPerType: Record<string, number>;
  events: number;
  shoppers: number;
  items: number;
  catalogSize: number;
  lake: { objects: number; bytes: number };
  /** When the statistics were put together. */
  asOf: string;
  /** Per figure, where it comes from and as of when (a figure not read live is as old as its source). */
  figures: Record<'events' | 'shoppers' | 'items' | 'catalogSize' | 'lake', FigureSource>;
}

/** The data statistics of a runtime; `unavailable` says why where it cannot produce them (the handler answers 501). */
export interface DataStatsPort {
  stats(): Promise<DataStats>;
  unavailable?: string;
}

/** What the deployed stage's statistics are read from, without a scan of the lake (Athena does not run here). */
export interface CounterDataSources {
  /** The events per day and type counted on ingest. */
  counters: Pick<LiveCounters, 'read'>;
  /** The raw events and items zones' object count and bytes (an S3 listing). */
  lakeSize: () => Promise<{ objects: number; bytes: number }>;
  /** The catalog table's item count and the time it is as of (DynamoDB refreshes it about every six hours). */
  catalogSize: () => Promise<{ count: number; asOf: string | null; source: string }>;
  /** The newest model's manifest: its `data` block counts the shoppers and items the last training saw. */
  latestTraining: () => Promise<
    { version: string; createdAt: string; data: { users: number; items: number } } | undefined
  >;
  now?: () => number;
}

/**
 * The data statistics from the ingest counters (events per day and type, live), the last training's data summary
 * (shoppers and items active, as of that training), the catalog table's count and an S3 listing of the lake.
 * Counted from when the counters were deployed, by event time, and a batch a client resends after a 503 may be
 * counted twice (the lake and training dedupe by eventId; the counters do not).
 */
export function createCounterDataStats(sources: CounterDataSources): DataStatsPort {
  const now = sources.now ?? Date.now;
  return {
    async stats() {
      const [days, lake, catalog, training] = await Promise.all([
        eventsPerDay(sources.counters),
        sources.lakeSize(),
        sources.catalogSize(),
        sources.latestTraining(),
      ]);
      const at = new Date(now()).toISOString();
      const eventsPerType: Record<string, number> = {};
      let events = 0;
      for (const { counts } of days)
        for (const [type, n] of Object.entries(counts)) {
          eventsPerType[type] = (eventsPerType[type] ?? 0) + n;
          events += n;
        }
      const trained: FigureSource =
        training === undefined
          ? { source: 'no model trained yet', asOf: null }
          : { source: `the training data of model ${training.version}`, asOf: training.createdAt };
      return {
        eventsPerDay: days,
        eventsPerType,
        events,
        shoppers: training?.data.users ?? 0,
        items: training?.data.items ?? 0,
        catalogSize: catalog.count,
        lake,
        asOf: at,
        figures: {
          events: { source: 'counters updated on ingest', asOf: at },
          shoppers: trained,
          items: trained,
          catalogSize: { source: catalog.source, asOf: catalog.asOf },
          lake: { source: 'S3 listing of raw/events and raw/items', asOf: at },
        },
      };
    },
  };
}

/** The newest complete model's training summary, read from its manifest (the `latestTraining` source). */
export function latestTrainingOf(
  models: Pick<ModelStore, 'list' | 'read'>,
): CounterDataSources['latestTraining'] {
  return async () => {
    const version = (await models.list()).at(-1);
    if (version === undefined) return undefined;
    const manifest = JSON.parse(new TextDecoder().decode(await models.read(version, 'manifest.json'))) as {
      createdAt: string;
      data: { users: number; items: number };
    };
    return { version, createdAt: manifest.createdAt, data: manifest.data };
  };
}
