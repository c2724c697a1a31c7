import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeedbackStore } from '../../shared/ports/feedback-store.ts';

export interface FeedbackClock {
  now(): number;
}

export type FeedbackStoreSetup = (
  clock: FeedbackClock,
) => Promise<{ store: FeedbackStore; cleanup(): Promise<void> }>;

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

/** The whole behaviour of the FeedbackStore port; every adapter runs it (tests/contract/feedback-store.test.ts). */
export function feedbackStoreContract(name: string, setup: FeedbackStoreSetup): void {
  describe(`Contract: FeedbackStore (${name})`, () => {
    let store: FeedbackStore;
    let cleanup: () => Promise<void>;
    const clock = { at: T0, now: () => clock.at };

    beforeEach(async () => {
      clock.at = T0;
      ({ store, cleanup } = await setup(clock));
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('returns true for a new key, false for a repeat, and true again after the key expired', async () => {
      // Act
      const first = await store.recordOnce('fb:1', 60);
      const again = await store.recordOnce('fb:1', 60);
      const other = await store.recordOnce('fb:2', 60);
      clock.at = T0 + 61_000;
      const afterExpiry = await store.recordOnce('fb:1', 60);

      // Assess
      expect([first, again, other, afterExpiry]).toEqual([true, false, true, true]);
    });

    it('returns true again for a released key', async () => {
      // Act
      const first = await store.recordOnce('fb:r');
      await store.release('fb:r');
      const again = await store.recordOnce('fb:r');
      const third = await store.recordOnce('fb:r');

      // Assess
      expect([first, again, third]).toEqual([true, true, false]);
    });

    it('returns exactly one true among concurrent claims of one key', async () => {
      // Act
      const results = await Promise.all(Array.from({ length: 20 }, () => store.recordOnce('same')));

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('returns unexpired exclusions only, per shopper, a later add replacing reason and expiry', async () => {
      // Prepare
      await store.addExclusion('u:1', 'A', 'dismiss', 60);
      await store.addExclusion('u:1', 'B', 'not_interested', 3600);
      await store.addExclusion('u:2', 'C', 'not_interested', 3600);
      await store.addExclusion('u:1', 'A', 'not_interested', 7200);

      // Act
      const now = await store.exclusions('u:1');
      clock.at = T0 + 3601_000;
      const later = await store.exclusions('u:1');
      const nobody = await store.exclusions('u:3');

      // Assess
      expect(now.map((e) => [e.itemId, e.reason]).sort()).toEqual([
        ['A', 'not_interested'],
        ['B', 'not_interested'],
      ]);
      expect(now.find((e) => e.itemId === 'A')?.expiresAt).toBe(new Date(T0 + 7200_000).toISOString());
      expect(later.map((e) => e.itemId)).toEqual(['A']);
      expect(nobody).toEqual([]);
    });

    it('returns counters summed over concurrent increments, per experiment and variant', async () => {
      // Act
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          store.incrementCounters('exp-1', i % 5 === 0 ? 'challenger' : 'champion', {
            exposures: 1,
            clicks: i % 2,
            ...(i % 3 === 0 ? { conversions: 1 } : {}),
          }),
        ),
      );
      await store.incrementCounters('exp-2', 'champion', { exposures: 7 });
      const counters = await store.counters('exp-1');
      const none = await store.counters('exp-unknown');

      // Assess
      expect(counters).toEqual([
        { variant: 'challenger', exposures: 5, clicks: 2, conversions: 2 },
        { variant: 'champion', exposures: 20, clicks: 10, conversions: 7 },
      ]);
      expect(none).toEqual([]);
    });
  });
}
