import {
  EVENT_LIMITS,
  EVENT_TYPES,
  EventSchema,
  type EventType,
  QUANTITY_TYPES,
  type ShopperEvent,
  timestampSchema,
  ULID,
  UUID,
} from './event.ts';
import { hasControlCharacters, isId } from './text.ts';
import { type FieldError, fieldErrors, utf8Length } from './validation.ts';

// Validating shopper events (event.ts defines them): one at a time, or a batch with duplicates refused, through a
// hand-written fast path for the common well-formed event and zod's schema for everything else.

export type EventValidation =
  | { ok: true; event: ShopperEvent; json: string }
  | { ok: false; eventId: string | undefined; errors: FieldError[] };

/**
 * Validates one event at `now`. Returns the serialized form too, because every sink needs it and the size
 * limit is defined on it.
 */
export function validateEvent(input: unknown, now: number): EventValidation {
  const eventId =
    typeof input === 'object' &&
    input !== null &&
    typeof (input as { eventId?: unknown }).eventId === 'string'
      ? (input as { eventId: string }).eventId
      : undefined;
  let event = fastAccept(input);
  if (event === undefined) {
    const parsed = EventSchema.safeParse(input);
    if (!parsed.success) return { ok: false, eventId, errors: fieldErrors(parsed.error) };
    event = parsed.data;
  }
  const at = timestampMs(event.timestamp);
  if (at - now > EVENT_LIMITS.maxFutureSkewMs) {
    return {
      ok: false,
      eventId,
      errors: [{ path: 'timestamp', message: 'is more than 5 minutes in the future' }],
    };
  }
  const json = JSON.stringify(event);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short JSON cannot be over the limit, no need to count.
  const bytes = json.length * 3 <= EVENT_LIMITS.maxEventBytes ? 0 : utf8Length(json);
  if (bytes > EVENT_LIMITS.maxEventBytes) {
    return {
      ok: false,
      eventId,
      errors: [
        {
          path: '(root)',
          message: `is ${bytes} bytes; an event may be at most ${EVENT_LIMITS.maxEventBytes}`,
        },
      ],
    };
  }
  return { ok: true, event, json };
}

// --- The fast path -------------------------------------------------------------------------------------------
// EventSchema.safeParse was the largest cost of ingestion after the store (~4 µs an event). `fastAccept` checks
// the common, well-formed event by hand and builds exactly what zod would return (shape order, fresh objects);
// anything it is not sure of — a wrong type, a limit crossed, an undefined value, an odd prototype — it leaves to
// zod, which then decides and words the errors. So it may only ever accept what zod accepts, identically;
// tests/unit/event-fast-path.test.ts checks that property on generated events.

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
/** EventSchema's keys in its shape order: zod returns them in this order. */
const EVENT_KEYS = [
  'eventId',
  'type',
  'userId',
  'sessionId',
  'itemId',
  'orderId',
  'timestamp',
  'value',
  'price',
  'currency',
  'query',
  'recommendationId',
  'context',
  'properties',
] as const;
const EVENT_KEY_SET: ReadonlySet<string> = new Set(EVENT_KEYS);
const CONTEXT_LIMITS = {
  page: EVENT_LIMITS.maxContextValueLength,
  device: EVENT_LIMITS.maxContextValueLength,
  variant: EVENT_LIMITS.maxContextValueLength,
  referrer: 1024,
} as const;
const CONTEXT_KEYS = Object.keys(CONTEXT_LIMITS) as (keyof typeof CONTEXT_LIMITS)[];
const CURRENCY = /^[A-Z]{3}$/;
/**
 * Timestamps zod's datetime check accepted lately, with their epoch ms: events of a batch or an invoice share a
 * few, so both the check and the future-skew parse are mostly a lookup.
 */
const acceptedTimestamps = new Map<string, number>();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `Date.prototype.toISOString` output with a four-digit year, which zod's datetime check always accepts (a real
 * calendar date, seconds below 60, Z): most timestamps are, and checking that is ~20x cheaper than zod.
 */
function isCanonicalIso(value: string): boolean {
  if (value.length !== 24) return false;
  const c = value.charCodeAt(0);
  if (c < 0x30 || c > 0x39) return false;
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value;
}

function isTimestamp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (acceptedTimestamps.has(value)) return true;
  if (!isCanonicalIso(value) && !timestampSchema.safeParse(value).success) return false;
  if (acceptedTimestamps.size >= 1024) acceptedTimestamps.clear();
  acceptedTimestamps.set(value, Date.parse(value));
  return true;
}

function timestampMs(value: string): number {
  return acceptedTimestamps.get(value) ?? Date.parse(value);
}

function fastContext(value: unknown): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  let n = 0;
  for (const key in value) {
    if (!Object.hasOwn(CONTEXT_LIMITS, key)) return undefined;
    const v = value[key];
    if (
      typeof v !== 'string' ||
      v.length > CONTEXT_LIMITS[key as keyof typeof CONTEXT_LIMITS] ||
      hasControlCharacters(v)
    )
      return undefined;
    n++;
  }
  if (n !== Object.keys(value).length) return undefined;
  const out: Record<string, string> = {};
  for (const key of CONTEXT_KEYS) if (key in value) out[key] = value[key] as string;
  return out;
}

function fastProperties(value: unknown): Record<string, string | number | boolean> | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length > EVENT_LIMITS.maxPropertyKeys) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const key of keys) {
    if (
      key.length < 1 ||
      key.length > EVENT_LIMITS.maxPropertyKeyLength ||
      key === '__proto__' ||
      hasControlCharacters(key)
    )
      return undefined;
    const v = value[key];
    if (typeof v === 'string') {
      if (v.length > EVENT_LIMITS.maxPropertyValueLength || hasControlCharacters(v, { multiline: true }))
        return undefined;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return undefined;
    } else if (typeof v !== 'boolean') return undefined;
    out[key] = v;
  }
  return out;
}

/** The event as EventSchema.parse would return it, or undefined to let zod decide. Never rejects anything. */
export function fastAccept(input: unknown): ShopperEvent | undefined {
  if (!isPlainObject(input)) return undefined;
  let n = 0;
  for (const key in input) {
    if (!EVENT_KEY_SET.has(key) || input[key] === undefined) return undefined;
    n++;
  }
  // `for in` also walks inherited keys (a null-prototype object has none): the counts agree only for own keys.
  if (n !== Object.keys(input).length) return undefined;
  // Every key below is spelled out rather than looped over: property accesses by a constant name are cached
  // per object shape, accesses by a variable key are not, and this runs for every event ingested.
  const e = input;
  const eventId = e.eventId;
  if (typeof eventId !== 'string' || !(UUID.test(eventId) || ULID.test(eventId))) return undefined;
  const type = e.type;
  if (typeof type !== 'string' || !EVENT_TYPE_SET.has(type)) return undefined;
  const hasUser = 'userId' in e;
  const hasSession = 'sessionId' in e;
  const hasItem = 'itemId' in e;
  const hasOrder = 'orderId' in e;
  const hasRecommendation = 'recommendationId' in e;
  if (hasUser && !isId(e.userId)) return undefined;
  if (hasOrder && !isId(e.orderId)) return undefined;
  if (hasSession && !isId(e.sessionId)) return undefined;
  if (hasItem && !isId(e.itemId)) return undefined;
  if (hasRecommendation && !isId(e.recommendationId)) return undefined;
  if (!isTimestamp(e.timestamp)) return undefined;
  const hasValue = 'value' in e;
  const value = e.value;
  if (hasValue && (typeof value !== 'number' || !Number.isFinite(value))) return undefined;
  const hasPrice = 'price' in e;
  const price = e.price;
  if (hasPrice && (typeof price !== 'number' || !Number.isFinite(price) || !(price >= 0))) return undefined;
  const hasCurrency = 'currency' in e;
  if (hasCurrency && (typeof e.currency !== 'string' || !CURRENCY.test(e.currency))) return undefined;
  const hasQuery = 'query' in e;
  const query = e.query;
  if (
    hasQuery &&
    (typeof query !== 'string' ||
      query.length < 1 ||
      query.length > EVENT_LIMITS.maxQueryLength ||
      hasControlCharacters(query))
  )
    return undefined;
  let context: Record<string, string> | undefined;
  if ('context' in e) {
    context = fastContext(e.context);
    if (context === undefined) return undefined;
  }
  let properties: Record<string, string | number | boolean> | undefined;
  if ('properties' in e) {
    properties = fastProperties(e.properties);
    if (properties === undefined) return undefined;
  }
  // The cross-field rules of EventSchema's superRefine.
  if (!hasUser && !hasSession) return undefined;
  if (type === 'search' ? !hasQuery : !hasItem) return undefined;
  const quantity = hasValue ? (value as number) : undefined;
  if (type === 'rating') {
    if (quantity === undefined || quantity < 1 || quantity > 5) return undefined;
  } else if (QUANTITY_TYPES.has(type as EventType) && quantity !== undefined && !(quantity > 0))
    return undefined;

  // In EVENT_KEYS order, as zod builds it.
  const out: Record<string, unknown> = { eventId, type };
  if (hasUser) out.userId = e.userId;
  if (hasSession) out.sessionId = e.sessionId;
  if (hasItem) out.itemId = e.itemId;
  if (hasOrder) out.orderId = e.orderId;
  out.timestamp = e.timestamp;
  if (hasValue) out.value = value;
  if (hasPrice) out.price = price;
  if (hasCurrency) out.currency = e.currency;
  if (hasQuery) out.query = query;
  if (hasRecommendation) out.recommendationId = e.recommendationId;
  if (context !== undefined) out.context = context;
  if (properties !== undefined) out.properties = properties;
  return out as ShopperEvent;
}

export interface RejectedEvent {
  index: number;
  eventId: string | undefined;
  errors: FieldError[];
}

export interface BatchValidation {
  /** `json` is the event serialized, as validated (sinks reuse it instead of serializing again). */
  valid: { index: number; event: ShopperEvent; json: string }[];
  rejected: RejectedEvent[];
}

export function validateEventBatch(inputs: readonly unknown[], now: number): BatchValidation {
  const valid: BatchValidation['valid'] = [];
  const rejected: RejectedEvent[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    const result = validateEvent(input, now);
    if (!result.ok) {
      rejected.push({ index, eventId: result.eventId, errors: result.errors });
    } else if (seen.has(result.event.eventId)) {
      rejected.push({
        index,
        eventId: result.event.eventId,
        errors: [{ path: 'eventId', message: 'appears more than once in this batch' }],
      });
    } else {
      seen.add(result.event.eventId);
      valid.push({ index, event: result.event, json: result.json });
    }
  });
  return { valid, rejected };
}
