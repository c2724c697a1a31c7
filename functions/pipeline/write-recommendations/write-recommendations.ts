import type { RecommendationLine } from '../../../shared/model/artifact.ts';
import type { ModelStore } from '../../../shared/ports/model-store.ts';
import type { PublicationStore } from '../../../shared/ports/publication-store.ts';
import { listExpiry } from '../../../shared/registry/list-expiry.ts';
import { asObject, PipelineInputError, requireString } from '../errors.ts';

const CHUNK = 1_000;

/**
 * The Map's batch writer: one part file (≤ 10,000 users) into the publication store under the model version,
 * every list with its expiry (shared/registry/list-expiry.ts: a version nobody republishes goes away).
 * Idempotent: a retried or redriven part rewrites the same rows. Returns how many lists it wrote, and until when.
 */
export function createWriteRecommendations(deps: {
  models: ModelStore;
  publications: PublicationStore;
  now?: () => Date;
}) {
  return async (event: unknown): Promise<{ part: string; written: number; expiresAt: number }> => {
    const input = asObject(event);
    const version = requireString(input, 'modelVersion');
    const part = requireString(input, 'part');
    if (!/^recommendations\/part-\d{5}\.jsonl$/.test(part))
      throw new PipelineInputError(`${part} is not a recommendations part file`);
    const expiresAt = listExpiry((deps.now ?? (() => new Date()))());
    const text = new TextDecoder().decode(await deps.models.read(version, part));
    let batch: RecommendationLine[] = [];
    let written = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      batch.push(JSON.parse(line) as RecommendationLine);
      if (batch.length === CHUNK) {
        await deps.publications.putRecommendations(version, batch, expiresAt);
        written += batch.length;
        batch = [];
      }
    }
    if (batch.length > 0) await deps.publications.putRecommendations(version, batch, expiresAt);
    written += batch.length;
    return { part, written, expiresAt };
  };
}
