import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../shared/domain/event-validation.ts';

const base = {
  eventId: '00000000-0000-4000-8000-000000000001',
  type: 'purchase',
  userId: 'u1',
  itemId: 'cup',
  timestamp: '2026-11-01T10:00:00Z',
};
const now = Date.parse('2026-11-02T00:00:00Z');

describe('Domain: an event’s orderId', () => {
  it('keeps a valid orderId in the stored form', () => {
    const result = validateEvent({ ...base, orderId: '536365' }, now);
    expect(result.ok ? JSON.parse(result.json) : result.errors).toMatchObject({
      itemId: 'cup',
      orderId: '536365',
    });
  });

  it('refuses an orderId that breaks the id rule, naming the field', () => {
    for (const orderId of ['', 'o'.repeat(129), 'two\nlines', 42]) {
      const result = validateEvent({ ...base, orderId }, now);
      expect(result.ok ? result.event : result.errors.map((e) => e.path), String(orderId)).toEqual([
        'orderId',
      ]);
    }
  });
});
