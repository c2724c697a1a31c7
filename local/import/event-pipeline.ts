import type { EventType } from '../../shared/domain/event.ts';
import {
  type IngestEventsDeps,
  landEvents,
  type PreparedEvents,
  prepareEvents,
} from '../../shared/ingest/ingest-events.ts';
import type { RejectionLog } from './summary.ts';

/** An event as the importers build it: any shape, since `ingestEvents` is what validates it. */
export type EventInput = Record<string, unknown>;

export interface EventPipelineOptions {
  /** The sink, the store and the clock `ingestEvents` runs with. */
  runtime: IngestEventsDeps;
  rejections: RejectionLog;
  /** Events per `ingestEvents` call. */
  chunkSize?: number;
  /**
   * Chunks in flight at once. Two let the lake writer gzip one chunk on the libuv thread pool while the main
   * thread validates the next; more only queue behind the writer.
   */
  maxInFlight?: number;
}

export interface EventPipelineCounts {
  events: number;
  eventsByType: Partial<Record<EventType, number>>;
  anonymousEvents: number;
}

/**
 * Feeds importer rows through `ingestEvents` — the same validation, lake sink and activity store as
 * POST /v1/events — in chunks, and maps what it rejects back to the rows they came from.
 */
export function createEventPipeline(options: EventPipelineOptions) {
  // Small enough that most of a chunk is let go of before a young-generation collection copies it (with 5000 most
  // of each chunk was copied to the old generation: ~2x the GC time); large enough that the lake and the activity
  // store commit ~140 times for Online Retail, not ~270: 4000 gave 110–112k lines/s where 2000 gave ~105k
  // (medians of runs alternating the two).
  const chunkSize = options.chunkSize ?? 4000;
  const maxInFlight = options.maxInFlight ?? 2;
  const counts: EventPipelineCounts = { events: 0, eventsByType: {}, anonymousEvents: 0 };
  let events: EventInput[] = [];
  let rows: number[] = [];
  const inFlight: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;

  async function ingestChunk(prepared: PreparedEvents, chunkRows: number[]): Promise<void> {
    const { stored } = prepared;
    // Chunks in flight already hide each chunk's latency; see LandOptions.activityAfterLake.
    const result = await landEvents(prepared, options.runtime, { activityAfterLake: true });
    for (const r of result.rejected) {
      options.rejections.add(
        chunkRows[r.index]!,
        r.errors.map((e) => ({ field: e.path, message: e.message })),
      );
    }
    const notLanded = new Set<number>();
    for (const r of [...result.rejected, ...result.unavailable]) notLanded.add(r.index);
    for (const r of result.unavailable) {
      options.rejections.add(chunkRows[r.index]!, [
        {
          field: '(event)',
          message: `the lake could not take it now: ${r.errors.map((e) => e.message).join('; ')}`,
        },
      ]);
    }
    for (let i = 0; i < stored.length; i++) {
      const event = stored[i]!;
      if (notLanded.size > 0 && notLanded.has(prepared.indexes[i]!)) continue;
      counts.events++;
      counts.eventsByType[event.type] = (counts.eventsByType[event.type] ?? 0) + 1;
      if (event.userId === undefined) counts.anonymousEvents++;
    }
  }

  function rethrow(): void {
    if (failure !== undefined) throw failure.error;
  }

  async function flush(): Promise<void> {
    if (events.length === 0) return;
    const chunkRows = rows;
    // Validated here, synchronously, so that the importer's inputs die young (see prepareEvents).
    const prepared = prepareEvents(events, (options.runtime.now ?? Date.now)());
    events = [];
    rows = [];
    // Settled promises only: a chunk failing while we wait on an older one must not become an unhandled rejection.
    inFlight.push(
      ingestChunk(prepared, chunkRows).catch((error: unknown) => {
        failure ??= { error };
      }),
    );
    while (inFlight.length > maxInFlight) await inFlight.shift();
    // One turn of the event loop per chunk: a chunk in flight advances only on this thread (the lake's gzip and
    // write completions, the activity writer's answer), and awaiting a settled promise runs no I/O callback. Without
    // it those waited until the pipeline was full and this thread idle: measured ~6% more lines/s with it (six
    // runs of each, alternating).
    await new Promise<void>((resolve) => setImmediate(resolve));
    rethrow();
  }

  return {
    /** Queues one event; resolves at once unless a chunk is due and the pipeline is full (back-pressure). */
    add(row: number, event: EventInput): Promise<void> | undefined {
      events.push(event);
      rows.push(row);
      return events.length >= chunkSize ? flush() : undefined;
    },
    /** Ingests what is queued and waits for every chunk; throws the first failure (disk full, store error). */
    async finish(): Promise<EventPipelineCounts> {
      await flush();
      while (inFlight.length > 0) await inFlight.shift();
      rethrow();
      return counts;
    },
  };
}
