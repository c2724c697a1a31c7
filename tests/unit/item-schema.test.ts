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
});
