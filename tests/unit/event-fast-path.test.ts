import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_LIMITS, EVENT_TYPES, EventSchema } from '../../shared/domain/event.ts';
import { fastAccept } from '../../shared/domain/event-validation.ts';

// Values near every boundary the schema draws, valid and not, so that generated events cross each rule: the
// fast path must accept none of the invalid ones (zod decides those) and return zod's output for the rest.
const idArb = fc.oneof(
  fc.constantFrom('u-1', 'sku-1', '17850', 'x'.repeat(EVENT_LIMITS.maxIdLength)),
  fc.constantFrom('', 'x'.repeat(EVENT_LIMITS.maxIdLength + 1), 'a\nb', 'tab\there', '\u0085', 'é✓'),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer(),
  fc.constant(null),
);
const eventIdArb = fc.oneof(
  fc.uuid(),
  fc.ulid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constantFrom('abc', '', '00000000-0000-4000-8000-00000000000g', '81J9ZQ3V7T3M8Y6X2K4N5P6Q7R'),
  fc.string({ maxLength: 30 }),
  fc.integer(),
);
const timestampArb = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2025-01-01T10:00:00Z',
    '2025-01-01T10:00:00+02:00',
    '2025-01-01T10:00:00.5-05:30',
    '2025-01-01T10:00:00',
    '2025-01-01',
    '2025-13-01T10:00:00Z',
    '2025-01-01T25:00:00Z',
    '2025-01-01 10:00:00Z',
    'yesterday',
    '',
  ),
  fc.integer(),
);
const numberArb = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    5,
    5.5,
    0.5,
    -1,
    6,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ),
  fc.double(),
  fc.constantFrom('3', null, true),
);
const contextArb = fc.oneof(
  fc.dictionary(
    fc.constantFrom('page', 'device', 'variant', 'referrer', 'other', '__proto__'),
    fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.constantFrom('p'.repeat(128), 'p'.repeat(129), 'r'.repeat(1024), 'r'.repeat(1025)),
      // The text rule: no control characters (C0, DEL, C1) in single-line text.
      fc.constantFrom('a\nb', 'tab\there', 'c1\u0085', '\u007f'),
      fc.constantFrom(1, null, undefined),
    ),
    { maxKeys: 5 },
  ),
  fc.constantFrom(null, 'product', [], [1]),
);
const propertiesArb = fc.oneof(
  fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('', 'k'.repeat(64), 'k'.repeat(65), '__proto__', '2', 'constructor', 'k\u0085', 'k\n'),
    ),
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('v'.repeat(256), 'v'.repeat(257)),
      // Property values are prose: tab and line breaks pass, other control characters do not.
      fc.constantFrom('two\nlines', 'tab\tcr\r', 'nul\u0000', 'c1\u009f'),
      numberArb,
      fc.boolean(),
      fc.constantFrom(null, undefined, {}, []),
    ),
    { maxKeys: 24 },
  ),
  fc.constantFrom(null, 'x', []),
);
const fieldArbs: Record<string, fc.Arbitrary<unknown>> = {
  eventId: eventIdArb,
  type: fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.constantFrom('View', 'refund', '', 1)),
  userId: idArb,
  sessionId: idArb,
  itemId: idArb,
  orderId: idArb,
  recommendationId: idArb,
  timestamp: timestampArb,
  value: numberArb,
  price: numberArb,
  currency: fc.constantFrom('EUR', 'GBP', 'eur', 'EURO', '', 1),
  query: fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.constantFrom('q'.repeat(256), 'q'.repeat(257), 3, 'red\nmug', 'mug\u0085'),
  ),
  context: contextArb,
  properties: propertiesArb,
  receivedAt: fc.constant('2025-01-01T00:00:00Z'),
  extra: fc.anything(),
};

/** Mostly valid events, then each field left out, replaced by an arbitrary value or set to undefined. */
const eventArb: fc.Arbitrary<unknown> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    eventId: fc.oneof(fc.uuid(), fc.ulid()),
    shopper: fc.constantFrom('user', 'session', 'both'),
    value: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  })
  .chain((base) => {
    const event: Record<string, unknown> = {
      eventId: base.eventId,
      type: base.type,
      timestamp: '2025-01-01T10:00:00Z',
      ...(base.shopper !== 'session' ? { userId: 'u-1' } : {}),
      ...(base.shopper !== 'user' ? { sessionId: 's-1' } : {}),
      ...(base.type === 'search' ? { query: 'mug' } : { itemId: 'sku-1' }),
      ...(base.value !== undefined ? { value: base.value } : {}),
    };
    const keys = Object.keys(fieldArbs);
    return fc
      .array(
        fc.record({
          key: fc.constantFrom(...keys),
          action: fc.constantFrom('set', 'set', 'delete', 'undefined'),
          value: fc.constant(null),
        }),
        { maxLength: 4 },
      )
      .chain((edits) =>
        fc
          .tuple(...edits.map((e) => (e.action === 'set' ? fieldArbs[e.key]! : fc.constant(undefined))))
          .map((values) => {
            const out = { ...event };
            edits.forEach((edit, i) => {
              if (edit.action === 'delete') delete out[edit.key];
              else out[edit.key] = values[i];
            });
            return out;
          }),
      );
  });

describe('Domain: the event fast path', () => {
  it('accepts only what EventSchema accepts, and returns exactly what it returns', () => {
    fc.assert(
      fc.property(fc.oneof(eventArb, fc.anything()), (input) => {
        const fast = fastAccept(input);
        if (fast === undefined) return;
        const parsed = EventSchema.safeParse(input);
        expect(parsed.success).toBe(true);
        expect(fast).toStrictEqual(parsed.data);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data));
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the well-formed events of the API and the importers (zod is the fallback, not the rule)', () => {
    const events = [
      {
        eventId: '00000000-0000-4000-8000-000000000001',
        type: 'view',
        userId: 'u1',
        itemId: 'i1',
        timestamp: '2026-11-21T11:00:00.000Z',
        context: { page: 'product' },
      },
      {
        eventId: '01J9ZQ3V7T3M8Y6X2K4N5P6Q7R',
        type: 'purchase',
        sessionId: 'invoice-536365',
        itemId: '85123A',
        timestamp: '2010-12-01T08:26:00.000Z',
        value: 6,
        price: 2.55,
        currency: 'GBP',
        properties: { invoiceNo: '536365', country: 'United Kingdom' },
      },
    ];
    for (const event of events) expect(fastAccept(event)).toStrictEqual(EventSchema.parse(event));
  });
});
