import { type RejectedEvent, type StoredEvent, shopperKey, validateEventBatch } from '../domain/event.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';

export interface IngestEventsDeps {
  eventSink: RecordSink;
  store: ServingStore;
  now?: () => number;
}

export interface IngestEventsResult {
  accepted: number;
  /** Invalid events, with what is wrong and where. */
  rejected: RejectedEvent[];
  /** Valid events the sink could not take now: the client should retry them (same eventId, so no double count). */
  unavailable: RejectedEvent[];
}

/**
 * The one ingestion path, shared by POST /v1/events, `recsys ingest` and the importers: validate, make durable in
 * the lake, then record the shopper's recent activity for real-time serving. Activity is written only for events
 * the lake took, so serving never knows an event training will not see.
 */
export async function ingestEvents(
  inputs: readonly unknown[],
  deps: IngestEventsDeps,
): Promise<IngestEventsResult> {
  const receivedMs = (deps.now ?? Date.now)();
  const receivedAt = new Date(receivedMs).toISOString();
  const { valid, rejected } = validateEventBatch(inputs, receivedMs);
  // The validated JSON plus receivedAt is exactly JSON.stringify({ ...event, receivedAt }): the schema is strict,
  // so `event` never has a receivedAt of its own, and it is a non-empty object (eventId is required). Appending
  // saves serializing every event a second time.
  const receivedAtJson = `,"receivedAt":${JSON.stringify(receivedAt)}}`;
  const stored: StoredEvent[] = new Array(valid.length);
  const records = new Array<{ id: string; json: string }>(valid.length);
  for (let i = 0; i < valid.length; i++) {
    const { event, json } = valid[i]!;
    // The validated event is a fresh object (zod's output or the fast path's), owned here: stamping it instead
    // of copying it saves an object per event.
    const s = event as StoredEvent;
    s.receivedAt = receivedAt;
    stored[i] = s;
    records[i] = { id: event.eventId, json: json.slice(0, -1) + receivedAtJson };
  }
  const { failed } = await deps.eventSink.put(records);

  const failedAt = new Set(failed.map((f) => f.index));
  const unavailable: RejectedEvent[] = [];
  for (const f of failed) {
    const entry = {
      index: valid[f.index]!.index,
      eventId: f.id,
      errors: [{ path: '(root)', message: f.message }],
    };
    if (f.code === 'too_large') rejected.push(entry);
    else unavailable.push(entry);
  }
  rejected.sort((a, b) => a.index - b.index);

  const landed = stored.filter((_, i) => !failedAt.has(i));
  await deps.store.appendActivity(landed.map((event) => ({ shopperKey: shopperKey(event), event })));
  return { accepted: landed.length, rejected, unavailable };
}
