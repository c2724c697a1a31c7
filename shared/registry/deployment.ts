import {
  type Deployment,
  DeploymentConflictError,
  type PublicationStore,
} from '../ports/publication-store.ts';
import { isListRefresh } from './list-expiry.ts';

/**
 * The next deployment record given the one on file, or `current` itself to leave it as it is. It may run more
 * than once (after a conflict it sees the newer record), so it must depend on nothing but its argument; it may
 * throw to refuse the change. The revision is set by updateDeployment.
 */
export type DeploymentChange = (current: Deployment | undefined) => Deployment | undefined;

/** How often a change is re-read and re-applied after losing a race before the conflict is reported. */
const ATTEMPTS = 5;

/**
 * The one writer of the deployment record: compare-and-swap on its revision, and on a conflict (another
 * activation, approval, rollback or experiment command wrote in between) the record is read again and the
 * change applied to it afresh, so concurrent changes are all kept. Returns the record now on file.
 */
export async function updateDeployment(
  store: PublicationStore,
  change: DeploymentChange,
): Promise<Deployment | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.getDeployment();
    const changed = change(current);
    if (changed === current || changed === undefined) return current;
    const next: Deployment = { ...changed, revision: (current?.revision ?? 0) + 1 };
    try {
      await store.putDeployment(next, current?.revision);
      return next;
    } catch (error) {
      if (!(error instanceof DeploymentConflictError) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/**
 * Makes `modelVersion` the champion; the champion it replaces becomes previousChampion (the rollback target).
 * A running experiment is kept. Activating the serving champion changes nothing, and neither does a list
 * refresh (shared/registry/list-expiry.ts): it renews a serving version's lists and must never take the champion
 * back from a version activated while it ran.
 */
export async function activateVersion(
  store: PublicationStore,
  modelVersion: string,
  reason: string,
  now: () => Date = () => new Date(),
): Promise<Deployment> {
  const d = await updateDeployment(store, (current) =>
    current?.champion === modelVersion || (current !== undefined && isListRefresh(reason))
      ? current
      : {
          revision: 0,
          champion: modelVersion,
          ...(current !== undefined ? { previousChampion: current.champion } : {}),
          ...(current?.experiment !== undefined ? { experiment: current.experiment } : {}),
          updatedAt: now().toISOString(),
          reason,
        },
  );
  // An activation always leaves a record (its change never keeps an absent one).
  return d as Deployment;
}
