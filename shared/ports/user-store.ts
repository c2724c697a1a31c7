import type { Preferences, UserProfile } from '../domain/user.ts';

/**
 * Shoppers' profiles and stated preferences as serving reads them. AWS: one DynamoDB table (resources/users.yml,
 * pk userId, sk "profile" | "preferences"). Local: node:sqlite in `<data-dir>/serving.db`, own tables. Both pass
 * tests/contract/user-store.contract.ts. The lake's `raw/users/` zone keeps every profile version for training.
 */
export interface UserStore {
  /** Upserts by userId; a later `updatedAt` wins, an older or equal one is ignored so that replays cannot roll back. */
  putProfiles(profiles: readonly UserProfile[]): Promise<void>;
  getProfile(userId: string): Promise<UserProfile | undefined>;
  /** Replaces the shopper's preferences; `created` says whether the shopper had none (nor a profile) before. */
  putPreferences(userId: string, preferences: Preferences): Promise<{ created: boolean }>;
  getPreferences(userId: string): Promise<Preferences | undefined>;
  /**
   * Both at once (serving reads them per request), and when the shopper was last forgotten: a model trained
   * before then still holds the shopper's history, which serving must then not use.
   */
  getShopper(
    userId: string,
  ): Promise<{ profile?: UserProfile; preferences?: Preferences; forgottenAt?: string }>;
  /**
   * Deletes profile and preferences and keeps only the time of forgetting (no personal data); whether there was
   * anything to delete.
   */
  forget(userId: string, forgottenAt: string): Promise<boolean>;
  close(): Promise<void>;
}
