import { describe, expect, it } from 'vitest';
import { createSqliteLiveCounters } from '../../../shared/adapters/local/sqlite-live-counters.ts';
import {
  EVENTS_PER_DAY,
  eventsPerDay,
  liveIncrements,
  liveTrending,
  windowBuckets,
} from '../../../shared/live/windows.ts';

const NOW = Date.parse('2026-03-01T12:02:30.000Z');
const MIN = 60_000;
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();

describe('Function: liveIncrements', () => {
  it('returns one summed increment per counter: every event by day and type, weighted items per window bucket', () => {
    // Act
    const increments = liveIncrements(
      [
        { type: 'purchase', itemId: 'i1', timestamp: at(1 * MIN) },
        { type: 'purchase', itemId: 'i1', timestamp: at(2 * MIN) },
        { type: 'view', itemId: 'i2', timestamp: at(90 * MIN) },
        { type: 'search', timestamp: at(0) },
        { type: 'return', itemId: 'i1', timestamp: at(0) },
        { type: 'view', itemId: 'i3', timestamp: at(8 * 86_400_000) },
      ],
      NOW,
    );

    // Assess: the two purchases share the 12:00 five-minute bucket; the view 90 min ago is outside 1h; a return
    // (negative weight) and a search (no item) count per day only; the 8-day-old view counts per day only.
    const t = (iso: string) => Date.parse(iso);
    const byKey = Object.fromEntries(
      increments.map((c) => [`${c.series} ${c.bucket} ${c.member}`, [c.amount, c.expiresAt]]),
    );
    expect(byKey).toEqual({
      [`${EVENTS_PER_DAY} 0 2026-03-01#purchase`]: [2, undefined],
      [`${EVENTS_PER_DAY} 0 2026-03-01#view`]: [1, undefined],
      [`${EVENTS_PER_DAY} 0 2026-02-21#view`]: [1, undefined],
      [`${EVENTS_PER_DAY} 0 2026-03-01#search`]: [1, undefined],
      [`${EVENTS_PER_DAY} 0 2026-03-01#return`]: [1, undefined],
      [`trend:5m ${t('2026-03-01T12:00:00Z')} i1`]: [10, (t('2026-03-01T12:05:00Z') + 3_600_000) / 1000],
      [`trend:1h ${t('2026-03-01T12:00:00Z')} i1`]: [10, (t('2026-03-01T13:00:00Z') + 86_400_000) / 1000],
      [`trend:6h ${t('2026-03-01T12:00:00Z')} i1`]: [10, (t('2026-03-01T18:00:00Z') + 604_800_000) / 1000],
      [`trend:1h ${t('2026-03-01T10:00:00Z')} i2`]: [1, (t('2026-03-01T11:00:00Z') + 86_400_000) / 1000],
      [`trend:6h ${t('2026-03-01T06:00:00Z')} i2`]: [1, (t('2026-03-01T12:00:00Z') + 604_800_000) / 1000],
    });
  });

  it('returns the negated increments with sign −1 (a batch the lake refused, taken back)', () => {
    // Act
    const back = liveIncrements([{ type: 'view', itemId: 'i1', timestamp: at(0) }], NOW, -1);

    // Assess
    expect(back.map((c) => c.amount)).toEqual([-1, -1, -1, -1]);
  });
});

describe('Function: windowBuckets', () => {
  it('returns the buckets a window overlaps, the oldest weighted by its share inside the window', () => {
    // Act
    const buckets = windowBuckets('1h', NOW);

    // Assess: 11:02:30 → the 11:00 bucket is half inside; 12:00 (the current one) whole.
    expect(buckets).toHaveLength(13);
    expect(buckets[0]).toEqual({ bucket: Date.parse('2026-03-01T11:00:00Z'), share: 0.5 });
    expect(buckets.slice(1).every((b) => b.share === 1)).toBe(true);
    expect(buckets.at(-1)?.bucket).toBe(Date.parse('2026-03-01T12:00:00Z'));
  });
});

describe('Function: liveTrending', () => {
  it('returns the window’s items by weighted count, an item of the edge bucket at its share, highest first', async () => {
    // Prepare
    const counters = createSqliteLiveCounters({ path: ':memory:', now: () => NOW });
    await counters.add(
      liveIncrements(
        [
          ...Array.from({ length: 3 }, () => ({
            type: 'purchase' as const,
            itemId: 'hot',
            timestamp: at(MIN),
          })),
          { type: 'add_to_cart', itemId: 'edge', timestamp: at(60 * MIN) },
          { type: 'view', itemId: 'b', timestamp: at(30 * MIN) },
          { type: 'view', itemId: 'a', timestamp: at(30 * MIN) },
          { type: 'purchase', itemId: 'old', timestamp: at(3 * 3_600_000) },
        ],
        NOW,
      ),
    );

    // Act
    const hour = await liveTrending(counters, '1h', NOW);
    const day = await liveTrending(counters, '24h', NOW);

    // Assess: "edge" sits in the 11:00 bucket, half inside the hour: 3 × 0.5.
    expect(hour).toEqual([
      ['hot', 15],
      ['edge', 1.5],
      ['a', 1],
      ['b', 1],
    ]);
    expect(day).toEqual([
      ['hot', 15],
      ['old', 5],
      ['edge', 3],
      ['a', 1],
      ['b', 1],
    ]);
    await counters.close();
  });
});

describe('Function: eventsPerDay', () => {
  it('returns the days in order with their counts per type', async () => {
    // Prepare
    const counters = createSqliteLiveCounters({ path: ':memory:', now: () => NOW });
    await counters.add(
      liveIncrements(
        [
          { type: 'view', itemId: 'i1', timestamp: '2026-02-27T10:00:00Z' },
          { type: 'view', itemId: 'i1', timestamp: '2026-02-28T10:00:00Z' },
          { type: 'purchase', itemId: 'i1', timestamp: '2026-02-27T11:00:00Z' },
          { type: 'view', itemId: 'i2', timestamp: '2026-02-27T12:00:00Z' },
        ],
        NOW,
      ),
    );

    // Act
    const days = await eventsPerDay(counters);

    // Assess
    expect(days).toEqual([
      { day: '2026-02-27', counts: { view: 2, purchase: 1 } },
      { day: '2026-02-28', counts: { view: 1 } },
    ]);
    await counters.close();
  });
});
