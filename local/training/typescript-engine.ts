import { randomBytes } from 'node:crypto';
import { createLocalModelStore, writeArtifactDirectory } from '../../shared/adapters/local/model-store.ts';
import type { TrainingEngine, TrainingOutcome, TrainingRequest } from '../../shared/ports/training-engine.ts';
import type { LoadedInteractions } from '../../shared/training/lake-input.ts';
import { modelVersion, TrainingInputError, trainArtifact } from '../../shared/training/pipeline.ts';
import { parseValidation, ValidationProtocolError } from '../../shared/training/validation.ts';
import { dataDirLayout } from '../data-dir.ts';
import { loadInteractionsCsv, loadLake } from './sources.ts';

/** Reads the request's source: the data directory's lake, or a CSV file. */
export async function loadSource(
  dataDir: string,
  request: Pick<TrainingRequest, 'source' | 'onCount'>,
): Promise<LoadedInteractions> {
  return request.source.kind === 'lake'
    ? loadLake(dataDirLayout(dataDir).lake, request.onCount)
    : loadInteractionsCsv(request.source.path, request.source.columns, request.onCount);
}

/**
 * The embedded trainer: reads the lake (or a CSV), trains in this process and writes the artifact into the
 * model store `<data-dir>/models/` (or `outDir`). It reads only complete lake objects and takes no data-dir
 * lock, so it can run beside `recsys serve`.
 */
export function createTypeScriptTrainingEngine(options: { dataDir: string }): TrainingEngine {
  const store = createLocalModelStore({ root: dataDirLayout(options.dataDir).models });
  return {
    name: 'typescript',
    async train(request: TrainingRequest): Promise<TrainingOutcome> {
      const startedAt = Date.now();
      const version = request.version ?? modelVersion(startedAt, randomBytes(4).toString('hex'));
      let validation: ReturnType<typeof parseValidation> | undefined;
      try {
        if (request.validation !== undefined) validation = parseValidation(request.validation, request.seed);
      } catch (error) {
        if (error instanceof ValidationProtocolError) throw new TrainingInputError(error.message);
        throw error;
      }
      const input = await loadSource(options.dataDir, request);
      const result = trainArtifact(input.records, {
        model: request.model,
        ...(request.budgetSeconds !== undefined ? { budgetSeconds: request.budgetSeconds } : {}),
        ...(request.k !== undefined ? { k: request.k } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        ...(validation !== undefined ? { validation } : {}),
        ...(request.ratings !== undefined ? { ratings: request.ratings } : {}),
        ...(request.ranker === true ? { ranker: true } : {}),
        ...(input.catalog !== undefined ? { catalog: input.catalog } : {}),
        ...(input.shoppers !== undefined ? { shoppers: input.shoppers } : {}),
        version,
        createdAt: new Date(startedAt).toISOString(),
        data: input.data,
        ...(request.onProgress !== undefined ? { onProgress: request.onProgress } : {}),
        onRecommendations: (done, total) => request.onCount?.('precomputing top-50', done, total),
      });
      let location: string;
      if (request.outDir !== undefined) {
        await writeArtifactDirectory(request.outDir, result.files);
        location = request.outDir;
      } else {
        await store.write(version, result.files);
        location = store.location(version);
      }
      return { version, location, manifest: result.manifest, warnings: input.warnings };
    },
  };
}
