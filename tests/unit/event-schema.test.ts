import { describe, expect, it } from 'vitest';
import { EVENT_LIMITS, shopperKey } from '../../shared/domain/event.ts';
import { validateEvent, validateEventBatch } from '../../shared/domain/event-validation.ts';
import { makeEvent } from '../helpers/events.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const at = (iso: string) => ({ timestamp: iso });

function errorsOf(input: unknown) {
  const r = validateEvent(input, NOW);
  if (r.ok) throw new Error('expected the event to be rejected');
  return r.errors;
}

describe('Domain: event schema', () => {
  it('accepts a minimal view with a UUID and a ULID eventId', () => {
    expect(validateEvent(makeEvent(at('2026-11-21T11:00:00Z')), NOW).ok).toBe(true);
    expect(
      validateEvent(makeEvent({ eventId: '01J9ZQ3V7T3M8Y6X2K4N5P6Q7R', ...at('2026-11-21T11:00:00Z') }), NOW)
        .ok,
    ).toBe(true);
  });

  it('rejects a missing or malformed eventId, naming the field', () => {
    expect(errorsOf(makeEvent({ eventId: undefined, ...at('2026-11-21T11:00:00Z') }))[0]?.path).toBe(
      'eventId',
    );
    expect(errorsOf(makeEvent({ eventId: 'abc', ...at('2026-11-21T11:00:00Z') }))).toEqual([
      { path: 'eventId', message: 'must be a UUID or a ULID (the client-generated dedupe key)' },
    ]);
  });

  it('requires userId or sessionId, and accepts an anonymous session', () => {
    expect(errorsOf(makeEvent({ userId: undefined, ...at('2026-11-21T11:00:00Z') }))[0]).toEqual({
      path: 'userId',
      message: 'userId or sessionId is required',
    });
    expect(
      validateEvent(makeEvent({ userId: undefined, sessionId: 's-9', ...at('2026-11-21T11:00:00Z') }), NOW)
        .ok,
    ).toBe(true);
  });

  it('requires itemId except for search, which requires query', () => {
    expect(errorsOf(makeEvent({ itemId: undefined, ...at('2026-11-21T11:00:00Z') }))[0]?.path).toBe('itemId');
    const search = makeEvent({
      type: 'search',
      itemId: undefined,
      query: 'red mug',
      ...at('2026-11-21T11:00:00Z'),
    });
    expect(validateEvent(search, NOW).ok).toBe(true);
    expect(errorsOf({ ...search, query: undefined })[0]?.path).toBe('query');
  });

  it('rejects an unknown type and lists the allowed ones', () => {
    const [error] = errorsOf(makeEvent({ type: 'teleport', ...at('2026-11-21T11:00:00Z') }));
    expect(error?.path).toBe('type');
    expect(error?.message).toContain('add_to_cart');
  });

  it('rejects timestamps without a zone, unparsable ones, and ones more than 5 minutes ahead', () => {
    expect(errorsOf(makeEvent(at('2026-11-21T11:00:00')))[0]?.path).toBe('timestamp');
    expect(errorsOf(makeEvent(at('yesterday')))[0]?.path).toBe('timestamp');
    expect(errorsOf(makeEvent(at('2026-11-21T12:05:01Z')))[0]).toEqual({
      path: 'timestamp',
      message: 'is more than 5 minutes in the future',
    });
    expect(validateEvent(makeEvent(at('2026-11-21T12:04:59Z')), NOW).ok).toBe(true);
    expect(validateEvent(makeEvent(at('2026-11-21T13:04:00+01:00')), NOW).ok).toBe(true);
  });

  it('checks value by type: ratings 1–5, positive quantities', () => {
    const rating = (value: unknown) => makeEvent({ type: 'rating', value, ...at('2026-11-21T11:00:00Z') });
    expect(validateEvent(rating(4.5), NOW).ok).toBe(true);
    expect(errorsOf(rating(6))[0]?.path).toBe('value');
    expect(errorsOf(rating(undefined))[0]?.path).toBe('value');
    expect(errorsOf(makeEvent({ type: 'purchase', value: 0, ...at('2026-11-21T11:00:00Z') }))[0]?.path).toBe(
      'value',
    );
    expect(
      errorsOf(makeEvent({ type: 'purchase', value: '2', ...at('2026-11-21T11:00:00Z') }))[0]?.path,
    ).toBe('value');
  });

  it('names nested paths in context and properties, and rejects unknown fields', () => {
    expect(
      errorsOf(makeEvent({ context: { page: 'x'.repeat(129) }, ...at('2026-11-21T11:00:00Z') }))[0]?.path,
    ).toBe('context.page');
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i]));
    expect(errorsOf(makeEvent({ properties: many, ...at('2026-11-21T11:00:00Z') }))[0]?.path).toBe(
      'properties',
    );
    expect(errorsOf({ ...makeEvent(at('2026-11-21T11:00:00Z')), colour: 'red' })[0]?.message).toContain(
      'colour',
    );
  });

  it('rejects control characters in ids (they would corrupt JSON lines and keys)', () => {
    expect(errorsOf(makeEvent({ userId: 'a\nb', ...at('2026-11-21T11:00:00Z') }))[0]?.path).toBe('userId');
  });

  it('enforces the serialized size limit', () => {
    const props = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, '€'.repeat(256)]));
    const query = '€'.repeat(256);
    const big = makeEvent({
      properties: props,
      query,
      context: { referrer: 'x'.repeat(1024) },
      ...at('2026-11-21T11:00:00Z'),
    });
    const result = validateEvent(big, NOW);
    expect(JSON.stringify(big).length).toBeLessThan(EVENT_LIMITS.maxEventBytes);
    // € is three bytes in UTF-8: the limit is on bytes, not characters.
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/bytes; an event may be at most 16384/);
  });

  it('validates a batch item by item and flags an eventId repeated within the batch', () => {
    const a = makeEvent(at('2026-11-21T11:00:00Z'));
    const result = validateEventBatch([a, { nope: true }, { ...a }], NOW);
    expect(result.valid.map((v) => v.index)).toEqual([0]);
    expect(result.rejected.map((r) => [r.index, r.errors[0]?.path])).toEqual([
      [1, 'eventId'],
      [2, 'eventId'],
    ]);
    expect(result.rejected[1]?.errors[0]?.message).toBe('appears more than once in this batch');
  });

  it('keys shoppers by user first, then session', () => {
    expect(shopperKey({ userId: '17850', sessionId: 's' })).toBe('u:17850');
    expect(shopperKey({ sessionId: 's' })).toBe('s:s');
  });
});
