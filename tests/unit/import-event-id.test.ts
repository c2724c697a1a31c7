import { describe, expect, it } from 'vitest';
import { rowEventIds } from '../../local/import/event-id.ts';
import { EventSchema } from '../../shared/domain/event.ts';

const fingerprint = (byte: number) => new Uint8Array(20).fill(byte);

describe('Importer: rowEventIds', () => {
  it('returns the same UUID for the same file and row, and different ones otherwise', () => {
    // Prepare
    const a = rowEventIds(fingerprint(0xab));
    const again = rowEventIds(fingerprint(0xab));
    const other = rowEventIds(fingerprint(0xcd));
    // Act
    const ids = [a(1), a(2), a(2 ** 40), other(1)];
    // Assess
    expect(again(1)).toBe(a(1));
    expect(new Set(ids).size).toBe(4);
  });

  it('returns RFC 9562 version-8 UUIDs that the event schema accepts', () => {
    // Prepare
    const id = rowEventIds(fingerprint(0xff))(541_909);
    // Act
    const parsed = EventSchema.safeParse({
      eventId: id,
      type: 'view',
      userId: 'u',
      itemId: 'i',
      timestamp: '2024-01-01T00:00:00Z',
    });
    // Assess
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-0000000844d5$/);
    expect(parsed.success).toBe(true);
  });

  it('returns an error for a row number that does not fit 48 bits', () => {
    // Prepare
    const ids = rowEventIds(fingerprint(1));
    // Act
    const attempt = () => ids(2 ** 48);
    // Assess
    expect(attempt).toThrow(RangeError);
  });
});
