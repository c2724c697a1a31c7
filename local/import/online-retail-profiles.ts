import { USER_LIMITS } from '../../shared/domain/user.ts';
import { putUsers } from '../../shared/users/put-users.ts';
import type { LocalRuntime } from '../runtime.ts';

/**
 * Online Retail's Country column as shopper profiles (issue 16): each customer's country at their latest invoice,
 * `updatedAt` = that invoice's date, so that re-importing the file changes nothing and a later import of newer
 * invoices wins. Landed through the same path as PUT /v1/users (lake `raw/users/` and the serving store).
 */
export class CountryProfiles {
  private readonly latest = new Map<string, { country: string; at: number }>();

  see(userId: string, country: string, at: number): void {
    const seen = this.latest.get(userId);
    if (seen === undefined) this.latest.set(userId, { country, at });
    else if (at >= seen.at) {
      seen.country = country;
      seen.at = at;
    }
  }

  /** Upserts the profiles; how many were taken. */
  async land(runtime: Pick<LocalRuntime, 'userSink' | 'users'>, now: () => number): Promise<number> {
    const profiles = [...this.latest].map(([userId, { country, at }]) => ({
      userId,
      country,
      updatedAt: new Date(at).toISOString(),
    }));
    let upserted = 0;
    for (let i = 0; i < profiles.length; i += USER_LIMITS.maxBatch) {
      const result = await putUsers(profiles.slice(i, i + USER_LIMITS.maxBatch), {
        userSink: runtime.userSink,
        users: runtime.users,
        now,
      });
      upserted += result.upserted;
    }
    return upserted;
  }
}
