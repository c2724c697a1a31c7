import type { Deployment, PublicationStore } from '../../../shared/ports/publication-store.ts';
import { activateVersion } from '../../../shared/registry/deployment.ts';
import { asObject, requireString } from '../errors.ts';

/** The last task: the version becomes the champion (shared/registry/deployment.ts retries a lost race). */
export function createActivateModel(deps: { publications: PublicationStore }) {
  return async (event: unknown): Promise<Deployment> => {
    const input = asObject(event);
    const version = requireString(input, 'modelVersion');
    const reason = typeof input.reason === 'string' && input.reason !== '' ? input.reason : 'activation';
    return activateVersion(deps.publications, version, reason);
  };
}
