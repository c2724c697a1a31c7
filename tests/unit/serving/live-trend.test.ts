import { describe, expect, it } from 'vitest';
import { createSqliteLiveCounters } from '../../../shared/adapters/local/sqlite-live-counters.ts';
import { liveIncrements } from '../../../shared/live/windows.ts';
import { createLiveTrend } from '../../../shared/serving/live-trend.ts';
import type { ServingModel } from '../../../shared/serving/model-cache.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The slice of a served model the trend reads: its item index and calibrated trend. */
function model(itemIds: string[], trend = { weight: 0.5, halfLifeDays: 3 }): ServingModel {
  return {
    model: { itemIds, itemIndex: new Map(itemIds.map((id, j) => [id, j])) },
    freshness: { trend },
  } as unknown as ServingModel;
}

function counting(clock: { now: number }) {
  const counters = createSqliteLiveCounters({ path: ':memory:', now: () => clock.now });
  const record = (events: { type: 'view' | 'purchase'; itemId: string; at: number }[]) =>
    counters.add(
      liveIncrements(
        events.map((e) => ({ type: e.type, itemId: e.itemId, timestamp: new Date(e.at).toISOString() })),
        clock.now,
      ),
    );
  return { counters, record };
}

describe('Function: createLiveTrend', () => {
  it('returns every item’s weighted events decayed by its six-hour bucket’s age, by the model’s item index', async () => {
    // Prepare: a purchase (weight 5) in the bucket of 06:00–12:00 three days ago, a view (1) in today's 12:00 bucket
    const clock = { now: NOW };
    const { counters, record } = counting(clock);
    await record([
      { type: 'purchase', itemId: 'b', at: NOW - 3 * DAY - 2 * HOUR },
      { type: 'view', itemId: 'c', at: NOW },
      { type: 'view', itemId: 'unknown-to-the-model', at: NOW },
    ]);

    // Act
    const trend = await createLiveTrend(counters, 60_000)(model(['a', 'b', 'c']), NOW);

    // Assess: the purchase's bucket middle is 3 days 3 hours old: 5 × 0.5^(75/72); the view's bucket starts now,
    // its middle 3 hours ahead (age 0).
    expect(Array.from(trend ?? [])).toEqual([0, expect.any(Number), 1]);
    expect(trend?.[1]).toBeCloseTo(5 * 0.5 ** (75 / 72), 5);
    await counters.close();
  });

  it('reads the counters once per refresh period, answering from the last read while the next runs, and not for a model whose trend weight is 0 or when nothing is counted', async () => {
    // Prepare
    const clock = { now: NOW };
    const { counters, record } = counting(clock);
    let reads = 0;
    const counted = {
      read: (series: string, buckets: readonly number[]) => {
        reads++;
        return counters.read(series, buckets);
      },
    };
    const trend = createLiveTrend(counted, 60_000);
    const m = model(['a']);
    await record([{ type: 'view', itemId: 'a', at: NOW }]);

    // Act
    const first = await trend(m, NOW);
    await record([{ type: 'view', itemId: 'a', at: NOW }]);
    const cached = await trend(m, NOW + 59_000);
    clock.now = NOW + 60_000;
    // Stale: answered from the last read while the new one runs, then the new one.
    const stale = await trend(m, NOW + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const refreshed = await trend(m, NOW + 61_000);
    const off = await trend(model(['a'], { weight: 0, halfLifeDays: 3 }), NOW + 60_000);
    const quiet = await createLiveTrend(createSqliteLiveCounters({ path: ':memory:' }), 0)(m, NOW);

    // Assess
    expect([first?.[0], cached?.[0], stale?.[0], refreshed?.[0]]).toEqual([1, 1, 1, 2]);
    expect(off).toBeUndefined();
    // Nothing counted: no trend at all, so published lists serve as they are.
    expect(quiet).toBeUndefined();
    expect(reads).toBe(2);
    await counters.close();
  });
});
