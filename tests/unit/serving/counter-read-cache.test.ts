import { describe, expect, it } from 'vitest';
import { createSqliteLiveCounters } from '../../../shared/adapters/local/sqlite-live-counters.ts';
import { LIVE_WINDOWS, liveIncrements, liveTrending } from '../../../shared/live/windows.ts';
import type { LiveCounters } from '../../../shared/ports/live-counters.ts';
import { cacheCounterReads } from '../../../shared/serving/counter-read-cache.ts';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

/** The embedded counters, each read counted; `failNext` makes the next read fail as a throttled Query would. */
function countedCounters(clock: { now: number }) {
  const counters = createSqliteLiveCounters({ path: ':memory:', now: () => clock.now });
  const seen = { reads: 0, failNext: false };
  const read: LiveCounters['read'] = async (series, buckets) => {
    seen.reads++;
    if (seen.failNext) {
      seen.failNext = false;
      throw new Error('ProvisionedThroughputExceededException');
    }
    return counters.read(series, buckets);
  };
  const purchase = (itemId: string) =>
    counters.add(
      liveIncrements([{ type: 'purchase', itemId, timestamp: new Date(clock.now).toISOString() }], clock.now),
    );
  return { counters, read: { read }, seen, purchase };
}

describe('Function: cacheCounterReads', () => {
  it('shares one read of a window for the lifetime, then reads again and sees what was added meanwhile', async () => {
    // Prepare
    const clock = { now: NOW };
    const { counters, read, seen, purchase } = countedCounters(clock);
    await purchase('a');
    const cached = cacheCounterReads(read, 5_000, () => clock.now);

    // Act: three requests at once, one 4 s later after a new purchase, one 5 s after the first
    const together = await Promise.all([1, 2, 3].map(() => liveTrending(cached, '1h', clock.now)));
    const readsTogether = seen.reads;
    await purchase('b');
    clock.now += 4_000;
    const within = await liveTrending(cached, '1h', clock.now);
    clock.now += 1_000;
    const after = await liveTrending(cached, '1h', clock.now);

    // Assess
    expect(readsTogether).toBe(1);
    for (const list of together) expect(list).toEqual([['a', 5]]);
    expect(within).toEqual([['a', 5]]);
    expect(after).toEqual([
      ['a', 5],
      ['b', 5],
    ]);
    expect(seen.reads).toBe(2);
    await counters.close();
  });

  it('keeps each window apart and reads a window anew once it slides past a bucket edge', async () => {
    const clock = { now: NOW + LIVE_WINDOWS['1h'].bucketMs - 1_000 };
    const { counters, read, seen, purchase } = countedCounters(clock);
    await purchase('a');
    const cached = cacheCounterReads(read, 60_000, () => clock.now);

    await liveTrending(cached, '1h', clock.now);
    await liveTrending(cached, '24h', clock.now);
    expect(seen.reads).toBe(2);
    // 2 s later the 1h window starts in the next five-minute bucket: another bucket list, another read.
    clock.now += 2_000;
    await liveTrending(cached, '1h', clock.now);
    await liveTrending(cached, '24h', clock.now);
    expect(seen.reads).toBe(3);
    await counters.close();
  });

  it('does not keep a failed read: the next request reads again', async () => {
    const clock = { now: NOW };
    const { counters, read, seen, purchase } = countedCounters(clock);
    await purchase('a');
    const cached = cacheCounterReads(read, 60_000, () => clock.now);

    seen.failNext = true;
    await expect(liveTrending(cached, '1h', clock.now)).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );
    expect(await liveTrending(cached, '1h', clock.now)).toEqual([['a', 5]]);
    expect(seen.reads).toBe(2);
    await counters.close();
  });

  it('reads on every request with a lifetime of 0 (the local server)', async () => {
    const clock = { now: NOW };
    const { counters, read, seen, purchase } = countedCounters(clock);
    const cached = cacheCounterReads(read, 0, () => clock.now);
    expect(await liveTrending(cached, '1h', clock.now)).toEqual([]);
    await purchase('a');
    expect(await liveTrending(cached, '1h', clock.now)).toEqual([['a', 5]]);
    expect(seen.reads).toBe(2);
    await counters.close();
  });
});
