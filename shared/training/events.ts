import { EVENT_TYPES, type EventType } from '../domain/event.ts';
import type { ContentItem } from '../model/content.ts';
import type { InteractionRecord } from '../model/interactions.ts';
import { addSearch, FOLLOW_UP_TYPES, type SearchTimes, searchFollowUps } from './search-interest.ts';

const TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

/** What happened to the lake's event lines on their way to training records. */
export interface EventCounts {
  /** Lines read, good or bad. */
  events: number;
  duplicates: number;
  /** Lines that are not JSON, not an object, or lack a usable eventId/timestamp. */
  malformed: number;
  unknownTypes: number;
  /** Anonymous (session-only) events: nobody to recommend to at training time. */
  anonymous: number;
  /** Events without an item, and searches (a search is never an interaction itself; search-interest.ts). */
  noItem: number;
}

/** Up to this many malformed lines are kept with their location, for the report. */
const MAX_MALFORMED_SAMPLES = 20;

/**
 * Turns stored events (the lake's JSON lines) into interaction records: dedupes on eventId (Firehose delivers
 * at least once), skips and counts what cannot train. Bad lines are counted, never fatal: one corrupt record
 * must not stop a retrain.
 */
export function createEventCollector() {
  const records: InteractionRecord[] = [];
  const seen = new Set<string>();
  const counts: EventCounts = {
    events: 0,
    duplicates: 0,
    malformed: 0,
    unknownTypes: 0,
    anonymous: 0,
    noItem: 0,
  };
  const malformedSamples: string[] = [];
  const searches: SearchTimes = new Map();
  const bad = (where: string | undefined, why: string) => {
    counts.malformed++;
    if (malformedSamples.length < MAX_MALFORMED_SAMPLES) malformedSamples.push(`${where ?? '?'}: ${why}`);
  };
  return {
    records,
    counts,
    malformedSamples,
    /** A line that did not parse as JSON. */
    addUnparsable(where: string) {
      counts.events++;
      bad(where, 'not JSON');
    },
    add(value: unknown, where?: string) {
      counts.events++;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return bad(where, 'not an object');
      const e = value as Record<string, unknown>;
      if (typeof e.eventId !== 'string' || e.eventId === '') return bad(where, 'no eventId');
      const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : Number.NaN;
      if (!Number.isFinite(ts)) return bad(where, 'no valid timestamp');
      if (seen.has(e.eventId)) {
        counts.duplicates++;
        return;
      }
      seen.add(e.eventId);
      if (typeof e.type !== 'string' || !TYPES.has(e.type)) {
        counts.unknownTypes++;
        return;
      }
      const signedIn = typeof e.userId === 'string' && e.userId !== '';
      if (e.type === 'search') {
        if (signedIn) addSearch(searches, e.userId as string, ts);
        counts.noItem++;
        return;
      }
      if (typeof e.itemId !== 'string' || e.itemId === '') {
        counts.noItem++;
        return;
      }
      if (!signedIn) {
        counts.anonymous++;
        return;
      }
      const type = e.type as EventType;
      // A click on a search result that names its query is a follow-up of that search.
      if (typeof e.query === 'string' && FOLLOW_UP_TYPES.has(type))
        addSearch(searches, e.userId as string, ts);
      const amount = typeof e.value === 'number' && Number.isFinite(e.value) ? e.value : undefined;
      const record: InteractionRecord = {
        userId: e.userId as string,
        itemId: e.itemId,
        type,
        ...(amount !== undefined ? { value: amount } : {}),
        timestamp: ts,
        eventId: e.eventId,
      };
      if (typeof e.orderId === 'string' && e.orderId !== '') record.orderId = e.orderId;
      records.push(record);
    },
    /**
     * Appends the searches' follow-ups (search-interest.ts) once every line is read; returns how many. The
     * follow-up records are not events of the lake, so `counts` does not change.
     */
    addSearchFollowUps(): number {
      const extra = searchFollowUps(records, searches);
      for (const r of extra) records.push(r);
      return extra.length;
    },
  };
}

/** The catalog as training sees it: the latest `updatedAt` version of every item in the items zone. */
export function createCatalogCollector() {
  const latest = new Map<string, { at: number; item: ContentItem }>();
  let malformed = 0;
  return {
    add(value: unknown) {
      if (typeof value !== 'object' || value === null) {
        malformed++;
        return;
      }
      const v = value as Record<string, unknown>;
      if (typeof v.itemId !== 'string' || typeof v.title !== 'string') {
        malformed++;
        return;
      }
      const at = typeof v.updatedAt === 'string' ? Date.parse(v.updatedAt) : Number.NaN;
      const prev = latest.get(v.itemId);
      // Ties and unknown times: the later line wins (objects are read in arrival order).
      if (prev !== undefined && Number.isFinite(prev.at) && !(at >= prev.at)) return;
      latest.set(v.itemId, { at, item: v as unknown as ContentItem });
    },
    items(): ContentItem[] {
      return [...latest.values()].map((e) => e.item);
    },
    get malformed() {
      return malformed;
    },
  };
}
