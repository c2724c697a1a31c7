import { describe, expect, it } from 'vitest';
import { validateItem } from '../../shared/domain/item.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');

describe('Domain: item schema', () => {
  it('accepts a full item and defaults inStock and updatedAt', () => {
    const r = validateItem(
      {
        itemId: '85123A',
        title: 'WHITE HANGING HEART T-LIGHT HOLDER',
        description: 'A heart',
        categories: ['Home', 'Candles'],
        brand: 'Acme',
        price: 2.55,
        currency: 'GBP',
        imageUrl: 'https://img.example/85123A.jpg',
        attributes: { colour: 'white', height: 16, fragile: true },
      },
      NOW,
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.item.inStock).toBe(true);
      expect(r.item.updatedAt).toBe('2026-11-21T12:00:00.000Z');
    }
  });

  it('names the field that is wrong', () => {
    const paths = (input: unknown) => {
      const r = validateItem(input, NOW);
      return r.ok ? [] : r.errors.map((e) => e.path);
    };
    expect(paths({ itemId: 'a' })).toEqual(['title']);
    expect(paths({ itemId: 'a', title: 't', price: -1 })).toEqual(['price']);
    expect(paths({ itemId: 'a', title: 't', currency: 'gbp' })).toEqual(['currency']);
    expect(paths({ itemId: 'a', title: 't', imageUrl: 'ftp://x/y' })).toEqual(['imageUrl']);
    expect(paths({ itemId: 'a', title: 't', categories: ['ok', ''] })).toEqual(['categories[1]']);
    expect(paths({ itemId: 'a', title: 't', updatedAt: 'now' })).toEqual(['updatedAt']);
  });

  it('holds titles, descriptions and ids to one text rule: no control characters (C0, DEL, C1)', () => {
    const errors = (input: unknown) => {
      const r = validateItem(input, NOW);
      return r.ok ? [] : r.errors;
    };
    const noControl = 'must not contain control characters';
    expect(errors({ itemId: 'a\u0085', title: 't' })).toEqual([{ path: 'itemId', message: noControl }]);
    expect(errors({ itemId: 'a', title: 'Red\u0085mug' })).toEqual([{ path: 'title', message: noControl }]);
    expect(errors({ itemId: 'a', title: 'Red\nmug' })).toEqual([{ path: 'title', message: noControl }]);
    expect(errors({ itemId: 'a', title: 't', brand: 'Ac\u007fme' })).toEqual([
      { path: 'brand', message: noControl },
    ]);
    expect(errors({ itemId: 'a', title: 't', categories: ['Home', 'Mu\u0007gs'] })).toEqual([
      { path: 'categories[1]', message: noControl },
    ]);
    // A description is prose: line breaks and tabs are layout, every other control character is refused.
    expect(errors({ itemId: 'a', title: 't', description: 'Two lines\r\nand\ta tab' })).toEqual([]);
    expect(errors({ itemId: 'a', title: 't', description: 'C1 \u009b here' })).toEqual([
      { path: 'description', message: 'must not contain control characters other than tab and line breaks' },
    ]);
    expect(errors({ itemId: 'a', title: 't', description: 'NUL \u0000 here' })).toEqual([
      { path: 'description', message: 'must not contain control characters other than tab and line breaks' },
    ]);
    // Printable characters just past the control ranges are text.
    expect(errors({ itemId: 'a\u00a0b', title: 'Caf\u00e9 \u00a0 \u2028' })).toEqual([]);
  });
});
