import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Preferences, UserProfile } from '../../shared/domain/user.ts';
import type { UserStore } from '../../shared/ports/user-store.ts';

export type UserStoreSetup = () => Promise<{ store: UserStore; cleanup(): Promise<void> }>;

const profile = (userId: string, updatedAt: string, extra: Partial<UserProfile> = {}): UserProfile => ({
  userId,
  updatedAt,
  ...extra,
});
const prefs = (extra: Partial<Preferences> = {}): Preferences => ({
  updatedAt: '2026-03-01T00:00:00.000Z',
  ...extra,
});

/** The whole behaviour of the UserStore port; every adapter runs it (tests/contract/user-store.test.ts). */
export function userStoreContract(name: string, setup: UserStoreSetup): void {
  describe(`Contract: UserStore (${name})`, () => {
    let store: UserStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await setup());
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('returns the newest updatedAt of a profile whatever order the writes came in, and undefined for a stranger', async () => {
      // Act
      await store.putProfiles([
        profile('u1', '2026-03-02T00:00:00.000Z', {
          country: 'United Kingdom',
          attributes: { vip: true, n: 3 },
        }),
      ]);
      await store.putProfiles([profile('u1', '2026-03-01T00:00:00.000Z', { country: 'France' })]);
      await store.putProfiles([profile('u1', '2026-03-02T00:00:00.000Z', { country: 'Spain' })]);
      await store.putProfiles([
        profile('u2', '2026-03-01T00:00:00+01:00', { ageBand: '25-34' }),
        profile('u3', '2026-03-01T00:00:00.000Z'),
      ]);

      // Assess: the older write and the equal one are ignored; times with offsets compare as instants.
      expect(await store.getProfile('u1')).toEqual(
        profile('u1', '2026-03-02T00:00:00.000Z', {
          country: 'United Kingdom',
          attributes: { vip: true, n: 3 },
        }),
      );
      expect(await store.getProfile('u2')).toEqual(
        profile('u2', '2026-03-01T00:00:00+01:00', { ageBand: '25-34' }),
      );
      expect(await store.getProfile('nobody')).toBeUndefined();
    });

    it('returns created only for the first preferences of a shopper with no profile, and the latest preferences', async () => {
      // Prepare
      await store.putProfiles([profile('known', '2026-03-01T00:00:00.000Z')]);

      // Act
      const first = await store.putPreferences('new', prefs({ likedCategories: ['Mugs'] }));
      const second = await store.putPreferences(
        'new',
        prefs({ dislikedBrands: ['Acme'], priceRange: { max: 20 } }),
      );
      const known = await store.putPreferences('known', prefs({ likedBrands: ['Zed'] }));

      // Assess
      expect([first.created, second.created, known.created]).toEqual([true, false, false]);
      expect(await store.getPreferences('new')).toEqual(
        prefs({ dislikedBrands: ['Acme'], priceRange: { max: 20 } }),
      );
      expect(await store.getShopper('known')).toEqual({
        profile: profile('known', '2026-03-01T00:00:00.000Z'),
        preferences: prefs({ likedBrands: ['Zed'] }),
      });
      expect(await store.getShopper('nobody')).toEqual({});
    });

    it('returns true when forget deleted something, and the shopper is gone; false for a stranger', async () => {
      // Prepare
      await store.putProfiles([profile('u1', '2026-03-01T00:00:00.000Z', { country: 'France' })]);
      await store.putPreferences('u1', prefs({ likedCategories: ['Mugs'] }));
      await store.putPreferences('u2', prefs());

      // Act
      const forgotten = await store.forget('u1', '2026-03-05T00:00:00.000Z');
      const again = await store.forget('u1', '2026-03-06T00:00:00.000Z');

      // Assess: nothing personal is kept, only when the shopper was last forgotten.
      expect([forgotten, again, await store.forget('stranger', '2026-03-06T00:00:00.000Z')]).toEqual([
        true,
        false,
        false,
      ]);
      expect(await store.getShopper('u1')).toEqual({ forgottenAt: '2026-03-06T00:00:00.000Z' });
      expect(await store.getProfile('u1')).toBeUndefined();
      expect(await store.getPreferences('u1')).toBeUndefined();
      expect(await store.getPreferences('u2')).toEqual(prefs());
      // A profile written after forgetting starts over (an older updatedAt is not compared with the deleted one).
      await store.putProfiles([profile('u1', '2026-02-01T00:00:00.000Z')]);
      expect(await store.getProfile('u1')).toEqual(profile('u1', '2026-02-01T00:00:00.000Z'));
    });
  });
}
