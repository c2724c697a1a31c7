import {
  type Deployment,
  DeploymentConflictError,
  type PublicationStore,
} from '../../../shared/ports/publication-store.ts';
import { asObject, requireString } from '../errors.ts';

/**
 * Makes `modelVersion` the champion in one conditional write; the champion it replaces becomes
 * previousChampion (the rollback target). A running experiment is kept. A concurrent change (an approval, a
 * rollback) makes the write fail; the record is then read again and the switch retried.
 */
export async function activate(
  publications: PublicationStore,
  modelVersion: string,
  reason: string,
  now: () => Date = () => new Date(),
): Promise<Deployment> {
  for (let attempt = 1; ; attempt++) {
    const current = await publications.getDeployment();
    if (current?.champion === modelVersion) return current;
    const next: Deployment = {
      revision: (current?.revision ?? 0) + 1,
      champion: modelVersion,
      ...(current !== undefined ? { previousChampion: current.champion } : {}),
      ...(current?.experiment !== undefined ? { experiment: current.experiment } : {}),
      updatedAt: now().toISOString(),
      reason,
    };
    try {
      await publications.putDeployment(next, current?.revision);
      return next;
    } catch (error) {
      if (!(error instanceof DeploymentConflictError) || attempt >= 5) throw error;
    }
  }
}

export function createActivateModel(deps: { publications: PublicationStore }) {
  return async (event: unknown): Promise<Deployment> => {
    const input = asObject(event);
    const version = requireString(input, 'modelVersion');
    const reason = typeof input.reason === 'string' && input.reason !== '' ? input.reason : 'activation';
    return activate(deps.publications, version, reason);
  };
}
