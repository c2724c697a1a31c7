import { dataDirLayout } from '../../local/data-dir.ts';
import { createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import {
  type ArtifactFiles,
  encodeArtifact,
  precomputeRecommendations,
} from '../../shared/model/artifact.ts';
import { buildInteractions, DEFAULT_EVENT_WEIGHTS } from '../../shared/model/interactions.ts';
import { fitModel, type ModelSpec, type TrainedModel } from '../../shared/model/trained-model.ts';
import type { PublicationStore } from '../../shared/ports/publication-store.ts';
import { listExpiry } from '../../shared/registry/list-expiry.ts';
import { plantedRecords } from '../fixtures/training-data.ts';

export const GROUPS = ['red mug', 'blue lamp', 'green vase', 'yellow towel'] as const;

/** Item j of the planted shop: group ⌊j/10⌋ is its category, its price is j + 1. */
export function shopItem(j: number) {
  const group = GROUPS[Math.floor(j / 10) % 4]!;
  return {
    itemId: `i${j}`,
    title: `${group} ${j}`,
    categories: ['Home', group],
    price: j + 1,
    inStock: true,
  };
}

export function groupOf(itemId: string): number {
  return Math.floor(Number(itemId.slice(1)) / 10) % 4;
}

/**
 * Trains `spec` on the planted shop (80 users in 4 taste groups, 40 items), writes the artifact into
 * `<dataDir>/models/<version>/` and publishes its lists, as retraining would.
 */
/** A trained model's artifact files, with the bookkeeping fields a test does not care about left at zero. */
export function testArtifactFiles(
  model: TrainedModel,
  data: { userIds: readonly string[]; itemIds: readonly string[] },
  events: number,
  version: string,
): ArtifactFiles {
  const zero = { precision: 0, recall: 0, ndcg: 0, map: 0, mrr: 0, hitRate: 0, coverage: 0 };
  return encodeArtifact(model, {
    version,
    data: {
      source: 'test',
      events,
      duplicates: 0,
      malformed: 0,
      unknownTypes: 0,
      skipped: 0,
      users: data.userIds.length,
      items: data.itemIds.length,
      interactions: events,
      from: null,
      to: null,
    },
    eventWeights: { ...DEFAULT_EVENT_WEIGHTS },
    validation: { k: 10, split: 'none', model: zero, baseline: zero },
    holdout: [],
    trainingSeconds: 0,
  });
}

export async function publishTestModel(
  dataDir: string,
  publications: PublicationStore,
  version: string,
  spec: ModelSpec,
): Promise<TrainedModel> {
  const records = plantedRecords();
  const data = buildInteractions(records);
  const catalog = Array.from({ length: 40 }, (_, j) => shopItem(j));
  const model = fitModel(data, records, spec, { catalog, threads: 1 });
  const files = testArtifactFiles(model, data, records.length, version);
  await createLocalModelStore({ root: dataDirLayout(dataDir).models }).write(version, files);
  await publications.putRecommendations(version, precomputeRecommendations(model), listExpiry(new Date()));
  return model;
}

export const IALS: ModelSpec = {
  kind: 'ials',
  params: { factors: 8, iterations: 12, regularization: 0.05, alpha: 10, seed: 7 },
};
export const KNN: ModelSpec = { kind: 'item-knn', params: { neighbours: 50, shrink: 5 } };
