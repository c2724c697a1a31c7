import { type StoredEvent, shopperKey } from '../domain/event.ts';
import { type RejectedEvent, validateEventBatch } from '../domain/event-validation.ts';
import { liveIncrements } from '../live/windows.ts';
import type { LiveCounters } from '../ports/live-counters.ts';
import type { RecordSink, SinkRecord, SinkResult } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';

type ActivityItem = { shopperKey: string; event: StoredEvent };

export interface IngestEventsDeps {
  eventSink: RecordSink;
  store: ServingStore;
  /**
   * Live trending's and the data statistics' counters, updated at the same time as the lake (absent: not kept).
   * Derived data: a failure to update them is reported to `onCounterError`, never fails the ingestion.
   */
  counters?: LiveCounters;
  onCounterError?: (error: unknown) => void;
  now?: () => number;
}

export interface IngestEventsResult {
  accepted: number;
  /** Invalid events, with what is wrong and where. */
  rejected: RejectedEvent[];
  /** Valid events the sink could not take now: the client should retry them (same eventId, so no double count). */
  unavailable: RejectedEvent[];
}

/** A batch validated and stamped, ready to land: what `prepareEvents` makes of the inputs. */
export interface PreparedEvents {
  /** The valid events as they will be stored, in input order. */
  stored: StoredEvent[];
  /** For each of `stored`, its index in the inputs. */
  indexes: number[];
  /** For each of `stored`, its lake record (handed to the sink, and let go of, by `landEvents`). */
  records: SinkRecord[];
  /** Invalid inputs. */
  rejected: RejectedEvent[];
}

/**
 * The one ingestion path, shared by POST /v1/events, `recsys ingest` and the importers: validate, then make durable
 * in the lake and record the shopper's recent activity for real-time serving, both at once. Activity keeps only
 * events the lake took: what the lake refused is taken out of it again before the answer (see `landEvents`).
 */
export async function ingestEvents(
  inputs: readonly unknown[],
  deps: IngestEventsDeps,
): Promise<IngestEventsResult> {
  return landEvents(prepareEvents(inputs, (deps.now ?? Date.now)()), deps);
}

/**
 * The first, synchronous half of `ingestEvents`: validation, receivedAt and the lake records. The importers call
 * it apart so that their inputs are garbage as soon as it returns, instead of living (and being copied by the
 * garbage collector) until the lake and the store have taken the batch.
 */
export function prepareEvents(inputs: readonly unknown[], receivedMs: number): PreparedEvents {
  const receivedAt = new Date(receivedMs).toISOString();
  const { valid, rejected } = validateEventBatch(inputs, receivedMs);
  // The validated JSON plus receivedAt is exactly JSON.stringify({ ...event, receivedAt }): the schema is strict,
  // so `event` never has a receivedAt of its own, and it is a non-empty object (eventId is required). Appending
  // saves serializing every event a second time.
  const receivedAtJson = `,"receivedAt":${JSON.stringify(receivedAt)}}`;
  const stored: StoredEvent[] = new Array(valid.length);
  const indexes: number[] = new Array(valid.length);
  const records = new Array<SinkRecord>(valid.length);
  for (let i = 0; i < valid.length; i++) {
    const { index, event, json } = valid[i]!;
    // The validated event is a fresh object (zod's output or the fast path's), owned here: stamping it instead
    // of copying it saves an object per event.
    const s = event as StoredEvent;
    s.receivedAt = receivedAt;
    stored[i] = s;
    indexes[i] = index;
    records[i] = { id: event.eventId, json: json.slice(0, -1) + receivedAtJson };
  }
  return { stored, indexes, records, rejected };
}

/**
 * The second half of `ingestEvents`: the lake and recent activity, written at once (unless `activityAfterLake`),
 * then activity made to hold only what the lake took.
 *
 * Written one after the other, a request waited for the lake's group commit (gzip + fsync) and then for the
 * activity store's; at once it waits for the longer of the two (measured about a fifth more events/s through
 * POST /v1/events). The price is a window, between the two writes and the answer, in which serving may see an
 * event the lake then refuses; such events are removed before the client hears back, so nothing the client was
 * told to resend stays in activity. A resend of an event accepted earlier that the lake refuses this time loses
 * its activity row until the client resends it; the lake still has it from the first time.
 */
export async function landEvents(
  prepared: PreparedEvents,
  deps: IngestEventsDeps,
  options: LandOptions = {},
): Promise<IngestEventsResult> {
  const { stored, indexes, rejected } = prepared;
  const entries = new Array<ActivityItem>(stored.length);
  for (let i = 0; i < stored.length; i++) {
    const event = stored[i]!;
    entries[i] = { shopperKey: shopperKey(event), event };
  }
  const counting = countLanded(stored, deps);
  let failed: SinkResult['failed'];
  try {
    ({ failed } =
      options.activityAfterLake === true
        ? await lakeThenActivity(prepared, deps, entries)
        : await lakeWithActivity(prepared, deps, entries));
  } catch (error) {
    await counting.takeBack(stored);
    throw error;
  }
  if (failed.length > 0) await counting.takeBack(failed.map((f) => stored[f.index]!));

  const unavailable: RejectedEvent[] = [];
  for (const f of failed) {
    const entry = {
      index: indexes[f.index]!,
      eventId: f.id,
      errors: [{ path: '(root)', message: f.message }],
    };
    if (f.code === 'too_large') rejected.push(entry);
    else unavailable.push(entry);
  }
  rejected.sort((a, b) => a.index - b.index);
  await counting.done;
  return { accepted: stored.length - failed.length, rejected, unavailable };
}

/**
 * The counters' increments for the whole batch, sent beside the lake and activity writes (so ingestion waits for
 * the longest of the three, not their sum); `takeBack` subtracts the events the lake then refused.
 */
function countLanded(stored: readonly StoredEvent[], deps: IngestEventsDeps) {
  const { counters } = deps;
  const report = deps.onCounterError ?? (() => {});
  const now = (deps.now ?? Date.now)();
  const added =
    counters === undefined || stored.length === 0
      ? Promise.resolve(false)
      : counters.add(liveIncrements(stored, now)).then(
          () => true,
          (error: unknown) => {
            report(error);
            return false;
          },
        );
  return {
    async takeBack(events: readonly StoredEvent[]) {
      if (!(await added) || counters === undefined) return;
      await counters.add(liveIncrements(events, now, -1)).catch(report);
    },
    done: added,
  };
}

/** Both at once; then the activity of what the lake refused is removed again. */
async function lakeWithActivity(
  prepared: PreparedEvents,
  deps: IngestEventsDeps,
  entries: ActivityItem[],
): Promise<SinkResult> {
  const [lake, activity] = await Promise.allSettled([
    putRecords(prepared, deps.eventSink),
    deps.store.appendActivity(entries),
  ]);
  if (lake.status === 'rejected') {
    if (activity.status === 'fulfilled') await deps.store.removeActivity(entries);
    throw lake.reason;
  }
  const { failed } = lake.value;
  if (failed.length > 0 && activity.status === 'fulfilled') {
    await deps.store.removeActivity(failed.map((f) => entries[f.index]!));
  }
  if (activity.status === 'rejected') throw activity.reason;
  return lake.value;
}

/** The lake, then activity for what it took. */
async function lakeThenActivity(
  prepared: PreparedEvents,
  deps: IngestEventsDeps,
  entries: ActivityItem[],
): Promise<SinkResult> {
  const result = await putRecords(prepared, deps.eventSink);
  let landed = entries;
  if (result.failed.length > 0) {
    const failedAt = new Set(result.failed.map((f) => f.index));
    landed = entries.filter((_, i) => !failedAt.has(i));
  }
  await deps.store.appendActivity(landed);
  return result;
}

export interface LandOptions {
  /**
   * Write activity only once the lake has taken the batch: for throughput-bound callers with several batches in
   * flight (the importers), whose latency per batch the pipelining already hides. The lake acknowledges the
   * batches of one group commit together, and their activity then shares one store transaction instead of one
   * each; measured 15–25% more lines/s on the Online Retail import than writing the two at once (medians of
   * alternating runs). Nothing ever has to be removed again either.
   */
  activityAfterLake?: boolean;
}

/**
 * Hands the records to the sink and drops the batch's reference to them, outside the awaiting frame: the sink
 * encodes them when they are put, and a batch in flight need not keep a few hundred bytes of JSON per event.
 */
function putRecords(prepared: PreparedEvents, sink: RecordSink): ReturnType<RecordSink['put']> {
  const { records } = prepared;
  prepared.records = [];
  return sink.put(records);
}
