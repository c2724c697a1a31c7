import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventType, StoredEvent } from '../../shared/domain/event.ts';
import type { Item } from '../../shared/domain/item.ts';
import { ACTIVITY_LIMITS, type ServingStore } from '../../shared/ports/serving-store.ts';

/** The store's clock; tests move it forward to see entries expire. */
export interface TestClock {
  now(): number;
}

export type ServingStoreSetup = (
  clock: TestClock,
) => Promise<{ store: ServingStore; cleanup(): Promise<void> }>;

export const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

export function item(itemId: string, updatedAt: string, overrides: Partial<Item> = {}): Item {
  return { itemId, title: `Title of ${itemId}`, inStock: true, updatedAt, ...overrides };
}

/** An event received at `receivedAt` (default T0) that happened `minutesAfterT0` after T0. */
export function event(
  minutesAfterT0: number,
  overrides: Partial<StoredEvent> & { type?: EventType } = {},
): StoredEvent {
  return {
    eventId: ulid(),
    type: 'view',
    userId: '17850',
    itemId: '85123A',
    timestamp: iso(T0 + minutesAfterT0 * 60_000),
    receivedAt: iso(T0),
    ...overrides,
  };
}

/**
 * The whole behaviour of the ServingStore port. Every adapter runs it (tests/contract/serving-store.test.ts),
 * so the embedded store and DynamoDB cannot drift apart.
 */
export function servingStoreContract(name: string, setup: ServingStoreSetup): void {
  describe(`ServingStore contract: ${name}`, () => {
    let store: ServingStore;
    let cleanup: () => Promise<void>;
    let clock: { at: number };

    beforeEach(async () => {
      clock = { at: T0 + 60_000 };
      ({ store, cleanup } = await setup({ now: () => clock.at }));
    });

    afterEach(async () => {
      // When setup failed there is nothing to close; its own error is the one worth reading.
      await store?.close();
      await cleanup?.();
    });

    describe('catalog', () => {
      it('returns undefined for an unknown item', async () => {
        // Act
        const found = await store.getItem('no-such-item');

        // Assess
        expect(found).toBeUndefined();
      });

      it('returns every field of an item as it was put', async () => {
        // Prepare
        const full = item('85123A', '2025-02-01T10:00:00.000Z', {
          title: 'WHITE HANGING HEART T-LIGHT HOLDER',
          description: 'A heart, hanging; holds a tea light.',
          categories: ['Home', 'Candles'],
          brand: 'Regency',
          price: 2.55,
          currency: 'GBP',
          imageUrl: 'https://img.example.com/85123A.jpg',
          attributes: { colour: 'white', height_cm: 16.5, fragile: true },
          inStock: false,
        });

        // Act
        await store.putItems([full, item('71053', '2025-02-01T10:00:00.000Z')]);

        // Assess
        expect(await store.getItem('85123A')).toEqual(full);
      });

      it('returns only the items found from getItems, once each, keyed by id', async () => {
        // Prepare
        await store.putItems([item('a', iso(T0)), item('b', iso(T0)), item('c', iso(T0))]);

        // Act
        const found = await store.getItems(['c', 'missing', 'a', 'c']);

        // Assess
        expect([...found.keys()].sort()).toEqual(['a', 'c']);
        expect(found.get('a')).toEqual(item('a', iso(T0)));
        expect(found.get('c')).toEqual(item('c', iso(T0)));
      });

      it('returns all of a large batch of items (more than one request page)', async () => {
        // Prepare
        const many = Array.from({ length: 500 }, (_, i) => item(`sku-${i}`, iso(T0), { price: i / 100 }));
        await store.putItems(many);

        // Act
        const found = await store.getItems(many.map((i) => i.itemId));

        // Assess
        expect(found.size).toBe(500);
        expect(found.get('sku-499')).toEqual(many[499]);
      });

      it('returns the newer item after an update with a later updatedAt', async () => {
        // Prepare
        await store.putItems([item('a', '2025-02-01T10:00:00.000Z', { price: 1 })]);

        // Act
        await store.putItems([item('a', '2025-02-01T10:00:00.001Z', { price: 2 })]);

        // Assess
        expect((await store.getItem('a'))?.price).toBe(2);
      });

      it('returns the later put when updatedAt is equal', async () => {
        // Prepare
        await store.putItems([item('a', '2025-02-01T10:00:00.000Z', { price: 1 })]);

        // Act
        await store.putItems([item('a', '2025-02-01T10:00:00.000Z', { price: 3 })]);

        // Assess
        expect((await store.getItem('a'))?.price).toBe(3);
      });

      it('returns the newer item when an older update arrives later (a replay cannot roll back)', async () => {
        // Prepare
        await store.putItems([item('a', '2025-02-01T10:00:00.000Z', { price: 2 })]);

        // Act
        await store.putItems([item('a', '2025-01-31T10:00:00.000Z', { price: 1 }), item('b', iso(T0))]);

        // Assess
        expect((await store.getItem('a'))?.price).toBe(2);
        expect(await store.getItem('b')).toEqual(item('b', iso(T0)));
      });

      it('returns the newest of several updates to one item in one batch, whatever their order', async () => {
        // Act
        await store.putItems([
          item('x', '2025-02-01T10:00:00.000Z', { price: 1 }),
          item('x', '2025-02-03T10:00:00.000Z', { price: 3 }),
          item('x', '2025-02-02T10:00:00.000Z', { price: 2 }),
        ]);

        // Assess
        expect((await store.getItem('x'))?.price).toBe(3);
      });

      it('compares updatedAt as instants, not as text, across time-zone offsets', async () => {
        // Prepare: 12:00+02:00 is 10:00Z, earlier than 11:00Z although it sorts later as text.
        await store.putItems([item('a', '2025-02-01T12:00:00+02:00', { price: 1 })]);

        // Act
        await store.putItems([item('a', '2025-02-01T11:00:00Z', { price: 2 })]);

        // Assess
        expect(await store.getItem('a')).toEqual(item('a', '2025-02-01T11:00:00Z', { price: 2 }));
      });

      it('returns items whose ids are not ASCII', async () => {
        // Prepare
        const ids = ['tasse-café', 'чашка', '杯子', 'mug-☕-🎉', 'a b/c#d?e'];
        await store.putItems(ids.map((id) => item(id, iso(T0), { title: `Title ${id} ✓` })));

        // Act
        const one = await store.getItem('mug-☕-🎉');
        const all = await store.getItems(ids);

        // Assess
        expect(one?.title).toBe('Title mug-☕-🎉 ✓');
        expect([...all.keys()].sort()).toEqual([...ids].sort());
      });

      it('returns an empty map for no ids and accepts an empty batch', async () => {
        // Act
        await store.putItems([]);
        const found = await store.getItems([]);

        // Assess
        expect(found.size).toBe(0);
      });
    });

    describe('activity', () => {
      it('returns an empty list for a shopper without activity', async () => {
        // Act
        const entries = await store.recentActivity('u:nobody');

        // Assess
        expect(entries).toEqual([]);
      });

      it('returns the event fields serving needs, and no others', async () => {
        // Prepare
        const purchase = event(5, {
          type: 'purchase',
          value: 6,
          price: 2.55,
          currency: 'GBP',
          context: { page: 'product', device: 'mobile' },
          properties: { campaign: 'spring' },
        });
        const search = event(6, { type: 'search', query: 'heart' });
        delete search.itemId;

        // Act
        await store.appendActivity([
          { shopperKey: 'u:17850', event: purchase },
          { shopperKey: 'u:17850', event: search },
        ]);
        const entries = await store.recentActivity('u:17850');

        // Assess
        expect(entries).toEqual([
          {
            eventId: search.eventId,
            type: 'search',
            timestamp: search.timestamp,
            receivedAt: search.receivedAt,
          },
          {
            eventId: purchase.eventId,
            type: 'purchase',
            itemId: '85123A',
            timestamp: purchase.timestamp,
            receivedAt: purchase.receivedAt,
            value: 6,
          },
        ]);
      });

      it('returns entries newest first by event timestamp, whatever the order they arrived in', async () => {
        // Prepare: the 2nd event carries an offset; as an instant it is the newest (T0 + 3 h).
        const a = event(10);
        const b = event(0, { timestamp: '2025-03-01T05:00:00.000+02:00' });
        const c = event(30);
        const d = event(20);
        await store.appendActivity([a, b].map((e) => ({ shopperKey: 'u:17850', event: e })));

        // Act
        await store.appendActivity([c, d].map((e) => ({ shopperKey: 'u:17850', event: e })));
        const entries = await store.recentActivity('u:17850');

        // Assess
        expect(entries.map((e) => e.eventId)).toEqual([b, c, d, a].map((e) => e.eventId));
      });

      it('returns one entry for an event appended twice, in one batch or in two calls', async () => {
        // Prepare
        const once = event(1);
        const twice = event(2);

        // Act
        await store.appendActivity([
          { shopperKey: 'u:17850', event: once },
          { shopperKey: 'u:17850', event: twice },
          { shopperKey: 'u:17850', event: twice },
        ]);
        await store.appendActivity([{ shopperKey: 'u:17850', event: once }]);
        const entries = await store.recentActivity('u:17850');

        // Assess
        expect(entries.map((e) => e.eventId)).toEqual([twice.eventId, once.eventId]);
      });

      it('removes exactly the named entries, read or not, and ignores ones it does not hold', async () => {
        // Prepare: the first read caches the shopper's entries (a cache must not outlive the removal)
        const kept = event(1);
        const removed = event(2);
        const otherShopper = event(2, { eventId: removed.eventId });
        await store.appendActivity([
          { shopperKey: 'u:17850', event: kept },
          { shopperKey: 'u:17850', event: removed },
          { shopperKey: 'u:12583', event: otherShopper },
        ]);
        expect((await store.recentActivity('u:17850')).map((e) => e.eventId)).toEqual([
          removed.eventId,
          kept.eventId,
        ]);

        // Act: same eventId under another timestamp, and an unknown shopper, name nothing held
        await store.removeActivity([
          { shopperKey: 'u:17850', event: removed },
          { shopperKey: 'u:17850', event: { eventId: kept.eventId, timestamp: iso(T0 + 5 * 60_000) } },
          { shopperKey: 'u:nobody', event: kept },
        ]);

        // Assess
        expect((await store.recentActivity('u:17850')).map((e) => e.eventId)).toEqual([kept.eventId]);
        expect((await store.recentActivity('u:12583')).map((e) => e.eventId)).toEqual([otherShopper.eventId]);
      });

      it('returns only the key’s own entries: users and anonymous sessions are kept apart', async () => {
        // Prepare
        const byUser = event(1, { userId: '17850' });
        const bySession = event(2, { userId: undefined, sessionId: '17850' });
        const byOther = event(3, { userId: 'ünï-cødé 用户' });

        // Act
        await store.appendActivity([
          { shopperKey: 'u:17850', event: byUser },
          { shopperKey: 's:17850', event: bySession },
          { shopperKey: 'u:ünï-cødé 用户', event: byOther },
        ]);

        // Assess
        expect((await store.recentActivity('u:17850')).map((e) => e.eventId)).toEqual([byUser.eventId]);
        expect((await store.recentActivity('s:17850')).map((e) => e.eventId)).toEqual([bySession.eventId]);
        expect((await store.recentActivity('u:ünï-cødé 用户')).map((e) => e.eventId)).toEqual([
          byOther.eventId,
        ]);
      });

      it('returns at most `limit` entries, the newest ones, and none for a limit of 0', async () => {
        // Prepare
        const events = Array.from({ length: 12 }, (_, i) => event(i));
        await store.appendActivity(events.map((e) => ({ shopperKey: 's:abc', event: e })));

        // Act
        const five = await store.recentActivity('s:abc', 5);
        const none = await store.recentActivity('s:abc', 0);

        // Assess
        expect(five.map((e) => e.eventId)).toEqual(
          events
            .slice(7)
            .reverse()
            .map((e) => e.eventId),
        );
        expect(none).toEqual([]);
      });

      it(`returns at most the newest ${ACTIVITY_LIMITS.maxPerShopper} entries of a shopper`, async () => {
        // Prepare: 260 events over three calls, the oldest arriving last.
        const events = Array.from({ length: 260 }, (_, i) => event(i));
        const newestFirst = [...events].reverse();
        await store.appendActivity(events.slice(200).map((e) => ({ shopperKey: 'u:1', event: e })));
        await store.appendActivity(events.slice(60, 200).map((e) => ({ shopperKey: 'u:1', event: e })));
        await store.appendActivity(events.slice(0, 60).map((e) => ({ shopperKey: 'u:1', event: e })));

        // Act
        const byDefault = await store.recentActivity('u:1');
        const askedForMore = await store.recentActivity('u:1', 1000);

        // Assess
        const expected = newestFirst.slice(0, ACTIVITY_LIMITS.maxPerShopper).map((e) => e.eventId);
        expect(byDefault.map((e) => e.eventId)).toEqual(expected);
        expect(askedForMore.map((e) => e.eventId)).toEqual(expected);
      });

      it('returns no entry once ttlSeconds have passed since it was received', async () => {
        // Prepare: both happened at once; the second one was received a day later.
        const early = event(0, { receivedAt: iso(T0) });
        const late = event(0, { receivedAt: iso(T0 + 86_400_000) });
        await store.appendActivity([early, late].map((e) => ({ shopperKey: 'u:1', event: e })));
        const ttlMs = ACTIVITY_LIMITS.ttlSeconds * 1000;

        // Act
        clock.at = T0 + ttlMs - 1000;
        const beforeExpiry = await store.recentActivity('u:1');
        clock.at = T0 + ttlMs + 1000;
        const afterFirstExpiry = await store.recentActivity('u:1');
        clock.at = T0 + 86_400_000 + ttlMs + 1000;
        const afterBothExpired = await store.recentActivity('u:1');

        // Assess
        expect(beforeExpiry).toHaveLength(2);
        expect(afterFirstExpiry.map((e) => e.eventId)).toEqual([late.eventId]);
        expect(afterBothExpired).toEqual([]);
      });

      it('returns live entries behind expired newer ones when the limit is smaller than the total', async () => {
        // Prepare: the three newest events were received long ago (a backfill) and have expired.
        const ttlMs = ACTIVITY_LIMITS.ttlSeconds * 1000;
        const stale = [50, 51, 52].map((m) => event(m, { receivedAt: iso(T0 - ttlMs + 60_000) }));
        const live = Array.from({ length: 5 }, (_, i) => event(i));
        await store.appendActivity([...stale, ...live].map((e) => ({ shopperKey: 'u:2', event: e })));

        // Act
        clock.at = T0 + 120_000;
        const entries = await store.recentActivity('u:2', 2);

        // Assess
        expect(entries.map((e) => e.eventId)).toEqual([live[4]?.eventId, live[3]?.eventId]);
      });

      it('accepts an empty batch of activity', async () => {
        // Act
        await store.appendActivity([]);

        // Assess
        expect(await store.recentActivity('u:17850')).toEqual([]);
      });
    });
  });
}
