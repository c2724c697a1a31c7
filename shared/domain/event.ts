import { z } from 'zod';
import { type FieldError, fieldErrors, utf8Length } from './validation.ts';

/**
 * The shopper event: the one input every model learns from. Limits are part of the contract (openapi.yaml
 * repeats them) so that one chatty client cannot blow up a Firehose record or a DynamoDB item.
 */
export const EVENT_TYPES = [
  'view',
  'click',
  'add_to_cart',
  'remove_from_cart',
  'wishlist',
  'purchase',
  'return',
  'rating',
  'search',
  'not_interested',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Types whose `value` is a quantity of units. */
export const QUANTITY_TYPES: ReadonlySet<EventType> = new Set([
  'add_to_cart',
  'remove_from_cart',
  'purchase',
  'return',
]);

export const EVENT_LIMITS = {
  maxEventBytes: 16 * 1024,
  maxIdLength: 128,
  maxQueryLength: 256,
  maxPropertyKeys: 20,
  maxPropertyKeyLength: 64,
  maxPropertyValueLength: 256,
  maxContextValueLength: 128,
  maxFutureSkewMs: 5 * 60 * 1000,
  maxBatch: 500,
  maxBodyBytes: 4 * 1024 * 1024,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

const id = z
  .string()
  .min(1, 'must not be empty')
  .max(EVENT_LIMITS.maxIdLength, `must be at most ${EVENT_LIMITS.maxIdLength} characters`)
  // Control characters would corrupt the newline-delimited lake files and DynamoDB keys.
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

const contextValue = z.string().max(EVENT_LIMITS.maxContextValueLength);

export const EventSchema = z
  .strictObject({
    eventId: z
      .string()
      .refine(
        (v) => UUID.test(v) || ULID.test(v),
        'must be a UUID or a ULID (the client-generated dedupe key)',
      ),
    type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
    userId: id.optional(),
    sessionId: id.optional(),
    itemId: id.optional(),
    timestamp: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' }),
    value: z.number().finite().optional(),
    price: z.number().finite().nonnegative().optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .optional(),
    query: z.string().min(1).max(EVENT_LIMITS.maxQueryLength).optional(),
    recommendationId: id.optional(),
    context: z
      .strictObject({
        page: contextValue.optional(),
        device: contextValue.optional(),
        variant: contextValue.optional(),
        referrer: z.string().max(1024).optional(),
      })
      .optional(),
    properties: z
      .record(
        z.string().min(1).max(EVENT_LIMITS.maxPropertyKeyLength),
        z.union([z.string().max(EVENT_LIMITS.maxPropertyValueLength), z.number().finite(), z.boolean()]),
      )
      .refine((p) => Object.keys(p).length <= EVENT_LIMITS.maxPropertyKeys, {
        message: `must have at most ${EVENT_LIMITS.maxPropertyKeys} keys`,
      })
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.userId === undefined && e.sessionId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or sessionId is required' });
    }
    if (e.type === 'search') {
      if (e.query === undefined)
        ctx.addIssue({ code: 'custom', path: ['query'], message: 'required for search' });
    } else if (e.itemId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['itemId'], message: `required for ${e.type}` });
    }
    if (e.type === 'rating') {
      if (e.value === undefined || e.value < 1 || e.value > 5) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'a rating must be between 1 and 5' });
      }
    } else if (QUANTITY_TYPES.has(e.type) && e.value !== undefined && !(e.value > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `the quantity of ${e.type} must be positive`,
      });
    }
  });

export type ShopperEvent = z.infer<typeof EventSchema>;

/** What lands in the lake: the event as sent plus when the system received it (Firehose's arrival time). */
export interface StoredEvent extends ShopperEvent {
  receivedAt: string;
}

export type EventValidation =
  | { ok: true; event: ShopperEvent; json: string }
  | { ok: false; eventId: string | undefined; errors: FieldError[] };

/**
 * Validates one event at `now`. Returns the serialized form too, because every sink needs it and the size
 * limit is defined on it.
 */
export function validateEvent(input: unknown, now: number): EventValidation {
  const parsed = EventSchema.safeParse(input);
  const eventId =
    typeof input === 'object' &&
    input !== null &&
    typeof (input as { eventId?: unknown }).eventId === 'string'
      ? (input as { eventId: string }).eventId
      : undefined;
  if (!parsed.success) return { ok: false, eventId, errors: fieldErrors(parsed.error) };
  const event = parsed.data;
  const at = Date.parse(event.timestamp);
  if (at - now > EVENT_LIMITS.maxFutureSkewMs) {
    return {
      ok: false,
      eventId,
      errors: [{ path: 'timestamp', message: 'is more than 5 minutes in the future' }],
    };
  }
  const json = JSON.stringify(event);
  const bytes = utf8Length(json);
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

/** The key a shopper's recent activity is kept under: signed-in shoppers by user, anonymous ones by session. */
export function shopperKey(e: Pick<ShopperEvent, 'userId' | 'sessionId'>): string {
  return e.userId !== undefined ? `u:${e.userId}` : `s:${e.sessionId}`;
}
