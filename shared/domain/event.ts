import { z } from 'zod';
import { idSchema, MAX_ID_LENGTH, multiLine, singleLine } from './text.ts';

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
  maxIdLength: MAX_ID_LENGTH,
  maxQueryLength: 256,
  maxPropertyKeys: 20,
  maxPropertyKeyLength: 64,
  maxPropertyValueLength: 256,
  maxContextValueLength: 128,
  maxFutureSkewMs: 5 * 60 * 1000,
  maxBatch: 500,
  maxBodyBytes: 4 * 1024 * 1024,
} as const;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

const id = idSchema;

const contextValue = singleLine(EVENT_LIMITS.maxContextValueLength);
export const timestampSchema = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date-time with a time zone',
});

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
    /** The basket (order, invoice) the event belongs to: training's "bought together" groups purchases by it. */
    orderId: id.optional(),
    timestamp: timestampSchema,
    value: z.number().finite().optional(),
    price: z.number().finite().nonnegative().optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .optional(),
    query: singleLine(EVENT_LIMITS.maxQueryLength).min(1, 'must not be empty').optional(),
    recommendationId: id.optional(),
    context: z
      .strictObject({
        page: contextValue.optional(),
        device: contextValue.optional(),
        variant: contextValue.optional(),
        referrer: singleLine(1024).optional(),
      })
      .optional(),
    properties: z
      .record(
        singleLine(EVENT_LIMITS.maxPropertyKeyLength).min(1, 'must not be empty'),
        z.union([multiLine(EVENT_LIMITS.maxPropertyValueLength), z.number().finite(), z.boolean()]),
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

/** The key a shopper's recent activity is kept under: signed-in shoppers by user, anonymous ones by session. */
export function shopperKey(e: Pick<ShopperEvent, 'userId' | 'sessionId'>): string {
  return e.userId !== undefined ? `u:${e.userId}` : `s:${e.sessionId}`;
}
