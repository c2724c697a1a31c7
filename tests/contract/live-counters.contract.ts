import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveCounters } from '../../shared/ports/live-counters.ts';

export type LiveCountersSetup = (clock: {
  now(): number;
}) => Promise<{ counters: LiveCounters; cleanup(): Promise<void> }>;

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const B = 300_000;

/** The whole behaviour of the LiveCounters port; every adapter runs it (tests/contract/live-counters.test.ts). */
export function liveCountersContract(name: string, setup: LiveCountersSetup): void {
  describe(`Contract: LiveCounters (${name})`, () => {
    let counters: LiveCounters;
    let cleanup: () => Promise<void>;
    const clock = { at: T0, now: () => clock.at };

    beforeEach(async () => {
      clock.at = T0;
      ({ counters, cleanup } = await setup(clock));
    });
    afterEach(async () => {
      await counters.close();
      await cleanup();
    });

    it('returns the summed amount of every member per bucket, across adds', async () => {
      // Act
      await counters.add([
        { series: 'trend:5m', bucket: T0, member: 'i1', amount: 5 },
        { series: 'trend:5m', bucket: T0, member: 'i2', amount: 1 },
        { series: 'trend:5m', bucket: T0 - B, member: 'i1', amount: 3 },
      ]);
      await counters.add([
        { series: 'trend:5m', bucket: T0, member: 'i1', amount: 2.5 },
        { series: 'trend:1h', bucket: T0, member: 'i1', amount: 100 },
      ]);
      const read = await counters.read('trend:5m', [T0 - 2 * B, T0 - B, T0]);

      // Assess: the empty bucket is absent; the other series is not mixed in.
      expect([...read.entries()].map(([b, m]) => [b, Object.fromEntries(m)])).toEqual(
        expect.arrayContaining([
          [T0 - B, { i1: 3 }],
          [T0, { i1: 7.5, i2: 1 }],
        ]),
      );
      expect(read.size).toBe(2);
      expect(Object.fromEntries((await counters.read('trend:1h', [T0])).get(T0)!)).toEqual({ i1: 100 });
    });

    it('returns nothing for a counter brought back to zero by a negative add', async () => {
      // Act
      await counters.add([{ series: 'events:day', bucket: 0, member: '2026-03-01#view', amount: 2 }]);
      await counters.add([{ series: 'events:day', bucket: 0, member: '2026-03-01#view', amount: -2 }]);

      // Assess
      expect((await counters.read('events:day', [0])).size).toBe(0);
    });

    it('stops returning a counter once its expiresAt has passed, and keeps one without', async () => {
      // Prepare
      const expiresAt = Math.floor(T0 / 1000) + 60;
      await counters.add([
        { series: 'trend:5m', bucket: T0, member: 'gone', amount: 1, expiresAt },
        { series: 'trend:5m', bucket: T0, member: 'kept', amount: 4 },
      ]);

      // Act
      const before = await counters.read('trend:5m', [T0]);
      clock.at = T0 + 61_000;
      const after = await counters.read('trend:5m', [T0]);

      // Assess
      expect(Object.fromEntries(before.get(T0)!)).toEqual({ gone: 1, kept: 4 });
      expect(Object.fromEntries(after.get(T0)!)).toEqual({ kept: 4 });
    });

    it('counts concurrent adds to one counter exactly', async () => {
      // Act
      await Promise.all(
        Array.from({ length: 20 }, () =>
          counters.add([{ series: 'trend:1h', bucket: T0, member: 'hot', amount: 1 }]),
        ),
      );

      // Assess
      expect((await counters.read('trend:1h', [T0])).get(T0)?.get('hot')).toBe(20);
    });
  });
}
