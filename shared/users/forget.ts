import type { Tombstone } from '../domain/user.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { PublicationStore } from '../ports/publication-store.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';
import type { UserStore } from '../ports/user-store.ts';

export interface ForgetDeps {
  users: UserStore;
  /** Recent activity. */
  store: Pick<ServingStore, 'forgetShopper'>;
  /** Exclusions. */
  feedback: Pick<FeedbackStore, 'forgetShopper'>;
  publications: Pick<PublicationStore, 'removeLists' | 'getDeployment'>;
  /** Every model version that may hold published lists (the model store's). */
  versions: () => Promise<string[]>;
  /** The lake's `raw/users/` zone, where the tombstone tells the next retrain to drop the shopper's events. */
  userSink: RecordSink;
  now?: () => number;
}

/** The tombstone could not be written: nothing was erased, and the request is worth repeating. */
export class TombstoneUnavailableError extends Error {
  constructor(message: string) {
    super(`the tombstone could not be written to the lake: ${message}`);
    this.name = 'TombstoneUnavailableError';
  }
}

export interface ForgetResult {
  userId: string;
  forgottenAt: string;
  /** The shopper had a profile or preferences. */
  hadProfile: boolean;
  /** Model versions whose published list of the shopper was removed (if it had one). */
  versions: number;
}

/**
 * The right to be forgotten, at once: the tombstone goes to the lake first (so a failure leaves nothing half
 * done and the retrain that follows drops the shopper's events up to `forgottenAt`), then profile,
 * preferences, recent activity, exclusions and every version's published list are deleted. Repeating it is
 * harmless; forgetting a shopper the system never saw still records the tombstone (events may be in flight).
 */
export async function forgetShopper(userId: string, deps: ForgetDeps): Promise<ForgetResult> {
  const forgottenAt = new Date((deps.now ?? Date.now)()).toISOString();
  const tombstone: Tombstone = { userId, forgottenAt, tombstone: true };
  const { failed } = await deps.userSink.put([{ id: userId, json: JSON.stringify(tombstone) }]);
  if (failed.length > 0) throw new TombstoneUnavailableError(failed[0]!.message);
  const [stored, deployment] = await Promise.all([deps.versions(), deps.publications.getDeployment()]);
  const serving = deployment === undefined ? [] : [deployment.champion, deployment.previousChampion];
  for (const v of deployment?.experiment?.variants ?? []) serving.push(v.modelVersion);
  const versions = [...new Set([...stored, ...serving.filter((v): v is string => v !== undefined)])];
  const shopperKey = `u:${userId}`;
  const [hadProfile] = await Promise.all([
    deps.users.forget(userId, forgottenAt),
    deps.store.forgetShopper(shopperKey),
    deps.feedback.forgetShopper(shopperKey),
    deps.publications.removeLists(userId, versions),
  ]);
  return { userId, forgottenAt, hadProfile, versions: versions.length };
}
