import type { ArtifactManifest } from '../model/artifact.ts';
import type { ModelStore } from '../ports/model-store.ts';

/** A version's artifact is not (completely) in the model store: the manifest is written last. */
class ArtifactMissingError extends Error {
  override name = 'ArtifactMissingError';
}

export async function readManifest(models: ModelStore, version: string): Promise<ArtifactManifest> {
  if (!(await models.exists(version, 'manifest.json')))
    throw new ArtifactMissingError(`no complete artifact for ${version} at ${models.location(version)}`);
  return JSON.parse(
    new TextDecoder().decode(await models.read(version, 'manifest.json')),
  ) as ArtifactManifest;
}
