import { describe, expect, it } from 'vitest';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';
import { transpose } from '../../../shared/model/sparse.ts';
import { topK } from '../../../shared/model/topk.ts';

const T0 = Date.UTC(2024, 0, 1);
const ev = (
  eventId: string,
  userId: string,
  itemId: string,
  type: InteractionRecord['type'],
  extra: Partial<InteractionRecord> = {},
): InteractionRecord => ({
  eventId,
  userId,
  itemId,
  type,
  timestamp: T0,
  ...extra,
});

describe('buildInteractions', () => {
  it('returns summed confidences per pair with duplicates (same eventId) counted once', () => {
    const ix = buildInteractions([
      ev('1', 'u', 'a', 'view'),
      ev('1', 'u', 'a', 'view'),
      ev('2', 'u', 'a', 'purchase'),
      ev('3', 'v', 'b', 'add_to_cart'),
    ]);
    expect(ix.stats.duplicates).toBe(1);
    expect(ix.userIds).toEqual(['u', 'v']);
    expect(Array.from(ix.csr.indptr)).toEqual([0, 1, 2]);
    expect(Array.from(ix.csr.values)).toEqual([6, 3]);
    expect(Array.from(ix.csc.indptr)).toEqual([0, 1, 2]);
  });

  it('returns no pair once a return cancels the purchase or the shopper says not interested', () => {
    const ix = buildInteractions([
      ev('1', 'u', 'a', 'purchase'),
      ev('2', 'u', 'a', 'return'),
      ev('3', 'u', 'b', 'view'),
      ev('4', 'u', 'b', 'not_interested'),
      ev('5', 'u', 'c', 'view'),
    ]);
    expect(ix.stats.pairs).toBe(1);
    expect(ix.itemIds[ix.csr.indices[0]!]).toBe('c');
  });

  it('returns ratings scaled around a neutral 2.5 and halves the weight per half-life of age', () => {
    const ix = buildInteractions(
      [
        ev('1', 'u', 'a', 'rating', { value: 5 }),
        ev('2', 'u', 'b', 'view', { timestamp: T0 - 10 * 86_400_000 }),
      ],
      { halfLifeDays: 10, now: T0 },
    );
    expect(ix.csr.values[0]).toBeCloseTo(4, 5);
    expect(ix.csr.values[1]).toBeCloseTo(0.5, 5);
  });

  it('returns 1–2 star pairs dropped as dislikes under preference, kept weighted by the stars under interactions', () => {
    const rated = [
      ev('1', 'u', 'a', 'rating', { value: 1 }),
      ev('2', 'u', 'b', 'rating', { value: 2 }),
      ev('3', 'u', 'c', 'rating', { value: 4 }),
    ];
    const preference = buildInteractions(rated);
    expect(preference.stats.pairs).toBe(1);
    expect(preference.itemIds[preference.csr.indices[0]!]).toBe('c');
    expect(preference.csr.values[0]).toBeCloseTo(4 * (1.5 / 2.5), 5);
    const interactions = buildInteractions(rated, { ratings: 'interactions' });
    expect(interactions.itemIds).toEqual(['a', 'b', 'c']);
    expect(Array.from(interactions.csr.values)).toEqual([
      expect.closeTo(0.8, 5),
      expect.closeTo(1.6, 5),
      expect.closeTo(3.2, 5),
    ]);
  });

  it('returns only pairs of the fixed id spaces when they are given', () => {
    const ix = buildInteractions([ev('1', 'u', 'a', 'view'), ev('2', 'w', 'a', 'view')], {
      userIds: ['u'],
      itemIds: ['z', 'a'],
    });
    expect(ix.stats.skipped).toBe(1);
    expect(Array.from(ix.csr.indices)).toEqual([1]);
  });
});

describe('transpose', () => {
  it('returns the CSR of the transpose with sorted indices', () => {
    const ix = buildInteractions([
      ev('1', 'u', 'a', 'view'),
      ev('2', 'v', 'a', 'view'),
      ev('3', 'v', 'b', 'click'),
    ]);
    const back = transpose(ix.csc);
    expect(Array.from(back.indptr)).toEqual(Array.from(ix.csr.indptr));
    expect(Array.from(back.indices)).toEqual(Array.from(ix.csr.indices));
  });
});

describe('topK', () => {
  it('returns the k best scores in order, skipping excluded and NaN entries', () => {
    const scores = Float32Array.from([0.5, 0.9, Number.NaN, 0.7, 0.9, 0.1, 0.8]);
    const idx = new Int32Array(3);
    const sc = new Float32Array(3);
    const n = topK(scores, 3, idx, sc, (j) => j === 6);
    expect(n).toBe(3);
    expect(Array.from(idx)).toEqual([1, 4, 3]);
  });

  it('returns the same order as a full sort on random data', () => {
    let s = 7;
    const rand = () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    };
    const scores = Float32Array.from({ length: 1000 }, rand);
    const idx = new Int32Array(25);
    const sc = new Float32Array(25);
    topK(scores, 25, idx, sc);
    const sorted = Array.from(scores.keys())
      .sort((a, b) => scores[b]! - scores[a]! || a - b)
      .slice(0, 25);
    expect(Array.from(idx)).toEqual(sorted);
  });

  it('returns fewer than k when the catalog is smaller', () => {
    const n = topK(Float32Array.from([1, 2]), 5, new Int32Array(5), new Float32Array(5));
    expect(n).toBe(2);
  });
});
