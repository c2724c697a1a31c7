import type { RecommendationLine } from '../../../shared/model/artifact.ts';
import type { ModelStore } from '../../../shared/ports/model-store.ts';
import type { PublicationStore } from '../../../shared/ports/publication-store.ts';
import { asObject, PipelineInputError, PublishCountError, requireString } from '../errors.ts';

/**
 * After the Map: the lists written add up to the artifact's user count, and a list read back from the store
 * (the first user of the first part) is there — the count alone cannot see a write to the wrong table.
 */
export function createCheckPublication(deps: { models: ModelStore; publications: PublicationStore }) {
  return async (event: unknown): Promise<{ modelVersion: string; written: number }> => {
    const input = asObject(event);
    const version = requireString(input, 'modelVersion');
    const expected = input.expected;
    const results = input.results;
    if (typeof expected !== 'number' || !Array.isArray(results))
      throw new PipelineInputError('input needs expected (number) and results (the Map output)');
    const written = results.reduce(
      (n: number, r) => n + (Number((r as { written?: number }).written) || 0),
      0,
    );
    if (written !== expected)
      throw new PublishCountError(
        `published ${written} lists of ${version}, the artifact has ${expected} users`,
      );
    const first = (results[0] as { part?: string } | undefined)?.part;
    if (first !== undefined) {
      const text = new TextDecoder().decode(await deps.models.read(version, first));
      const line = JSON.parse(text.split('\n', 1)[0] as string) as RecommendationLine;
      if ((await deps.publications.getRecommendations(version, line.userId)) === undefined)
        throw new PublishCountError(`the list of user ${line.userId} under ${version} is not in the store`);
    }
    return { modelVersion: version, written };
  };
}
