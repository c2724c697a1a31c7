import type { ModelStore } from '../../../shared/ports/model-store.ts';
import { readManifest } from '../../../shared/registry/manifest.ts';
import { asObject, requireString } from '../errors.ts';

export interface ListPartsOutput {
  modelVersion: string;
  /** One Map item per part file: the Distributed Map's ItemsPath. */
  parts: { modelVersion: string; part: string }[];
  /** Users with a precomputed list: what the count check expects to find written. */
  users: number;
}

/** Lists the artifact's `recommendations/part-*.jsonl` for the publishing Map (ItemsPath, not ItemReader). */
export function createListRecommendationParts(deps: { models: ModelStore }) {
  return async (event: unknown): Promise<ListPartsOutput> => {
    const version = requireString(asObject(event), 'modelVersion');
    const manifest = await readManifest(deps.models, version);
    const parts = manifest.files.filter((f) => f.startsWith('recommendations/')).sort();
    return {
      modelVersion: version,
      parts: parts.map((part) => ({ modelVersion: version, part })),
      users: manifest.shapes.users,
    };
  };
}
