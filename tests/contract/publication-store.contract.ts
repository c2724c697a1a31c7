import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Deployment,
  DeploymentConflictError,
  type PublicationStore,
} from '../../shared/ports/publication-store.ts';

/** An expiry a day ahead: lists the tests write are live. */
export const LIVE = () => Math.floor(Date.now() / 1000) + 86_400;

export type PublicationStoreSetup = () => Promise<{ store: PublicationStore; cleanup(): Promise<void> }>;

export function deployment(revision: number, champion: string, extra: Partial<Deployment> = {}): Deployment {
  return {
    revision,
    champion,
    updatedAt: '2025-03-01T00:00:00.000Z',
    reason: `activation ${revision}`,
    ...extra,
  };
}

/** The whole behaviour of the PublicationStore port; tests/contract/publication-store.test.ts runs it per adapter. */
export function publicationStoreContract(name: string, setup: PublicationStoreSetup): void {
  describe(`Contract: PublicationStore (${name})`, () => {
    let store: PublicationStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await setup());
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('returns the stored list of a user under its version only', async () => {
      // Act
      await store.putRecommendations(
        'v1',
        [
          {
            userId: 'u1',
            items: [
              ['a', 0.9],
              ['b', 0.5],
            ],
          },
          { userId: 'u2', items: [['c', 1.25]] },
        ],
        LIVE(),
      );
      await store.putRecommendations('v2', [{ userId: 'u1', items: [['z', 2]] }], LIVE());

      // Assess
      expect(await store.getRecommendations('v1', 'u1')).toEqual([
        ['a', 0.9],
        ['b', 0.5],
      ]);
      expect(await store.getRecommendations('v1', 'u2')).toEqual([['c', 1.25]]);
      expect(await store.getRecommendations('v2', 'u1')).toEqual([['z', 2]]);
      expect(await store.getRecommendations('v2', 'u2')).toBeUndefined();
      expect(await store.getRecommendations('v3', 'u1')).toBeUndefined();
    });

    it('returns the same rows when a shard is written twice (idempotent upsert), and the newer list on rewrite', async () => {
      // Prepare
      const lists = Array.from({ length: 60 }, (_, i) => ({
        userId: `user-${i}`,
        items: [[`item-${i}`, i / 7] as [string, number]],
      }));

      // Act
      await store.putRecommendations('v1', lists, LIVE());
      await store.putRecommendations('v1', lists, LIVE());
      await store.putRecommendations('v1', [{ userId: 'user-3', items: [['new', 1]] }], LIVE());

      // Assess
      expect(await store.getRecommendations('v1', 'user-59')).toEqual([['item-59', 59 / 7]]);
      expect(await store.getRecommendations('v1', 'user-3')).toEqual([['new', 1]]);
    });

    it('never returns a list past its expiry, and reports each version’s expiry as last written', async () => {
      // Prepare
      const now = Math.floor(Date.now() / 1000);
      await store.putRecommendations('v-new', [{ userId: 'u1', items: [['a', 1]] }], now + 3_600);
      await store.putRecommendations('v-old', [{ userId: 'u1', items: [['b', 1]] }], now - 5);

      // Act
      const live = await store.getRecommendations('v-new', 'u1');
      const expired = await store.getRecommendations('v-old', 'u1');

      // Assess
      expect(live).toEqual([['a', 1]]);
      expect(expired).toBeUndefined();
      expect(await store.listsExpireAt('v-new')).toBe(now + 3_600);
      expect(await store.listsExpireAt('v-old')).toBe(now - 5);
      expect(await store.listsExpireAt('v-none')).toBeUndefined();
    });

    it('renews the expiry when a version is republished', async () => {
      // Prepare
      const now = Math.floor(Date.now() / 1000);
      const lists = [
        { userId: 'u1', items: [['a', 1]] as [string, number][] },
        { userId: 'u2', items: [['b', 1]] as [string, number][] },
      ];
      await store.putRecommendations('v1', lists, now + 60);

      // Act
      await store.putRecommendations('v1', lists, now + 7_200);

      // Assess
      expect(await store.listsExpireAt('v1')).toBe(now + 7_200);
      expect(await store.getRecommendations('v1', 'u2')).toEqual([['b', 1]]);
    });

    it('refuses an expiry that is not epoch seconds', async () => {
      // Act
      const inMillis = store.putRecommendations('v1', [{ userId: 'u', items: [] }], Date.now() + 0.5);

      // Assess
      await expect(inMillis).rejects.toThrow(/expiresAt must be epoch seconds/);
    });

    it('returns undefined before the first deployment, then the record written', async () => {
      // Act
      const before = await store.getDeployment();
      await store.putDeployment(deployment(1, 'v1'), undefined);

      // Assess
      expect(before).toBeUndefined();
      expect(await store.getDeployment()).toEqual(deployment(1, 'v1'));
    });

    it('returns the new record when the expected revision matches, with previous champion and experiment', async () => {
      // Prepare
      await store.putDeployment(deployment(1, 'v1'), undefined);
      const next = deployment(2, 'v2', {
        previousChampion: 'v1',
        experiment: {
          name: 'exp-1',
          startedAt: '2025-03-02T00:00:00.000Z',
          variants: [
            { name: 'champion', modelVersion: 'v2', weight: 0.5 },
            { name: 'challenger', modelVersion: 'v3', weight: 0.5 },
          ],
        },
      });

      // Act
      await store.putDeployment(next, 1);

      // Assess
      expect(await store.getDeployment()).toEqual(next);
    });

    it('throws DeploymentConflictError when the record changed since it was read, and keeps the winner', async () => {
      // Prepare
      await store.putDeployment(deployment(1, 'v1'), undefined);
      await store.putDeployment(deployment(2, 'v2'), 1);

      // Act
      const stale = store.putDeployment(deployment(2, 'v-stale'), 1);
      const again = store.putDeployment(deployment(1, 'v-first'), undefined);

      // Assess
      await expect(stale).rejects.toBeInstanceOf(DeploymentConflictError);
      await expect(stale).rejects.toThrow(/expected revision 1, found 2/);
      await expect(again).rejects.toBeInstanceOf(DeploymentConflictError);
      expect((await store.getDeployment())?.champion).toBe('v2');
    });

    it('lets exactly one of two concurrent activations win', async () => {
      // Prepare
      await store.putDeployment(deployment(1, 'v1'), undefined);

      // Act
      const results = await Promise.allSettled([
        store.putDeployment(deployment(2, 'a'), 1),
        store.putDeployment(deployment(2, 'b'), 1),
      ]);

      // Assess
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(DeploymentConflictError);
    });

    it('throws when next.revision is not the expected revision + 1', async () => {
      // Act
      const wrong = store.putDeployment(deployment(5, 'v1'), undefined);

      // Assess
      await expect(wrong).rejects.toThrow(/must be 1/);
      expect(await store.getDeployment()).toBeUndefined();
    });
  });
}
