import { buildHoldoutLines, gateMetricsFromHoldout, HOLDOUT_K } from '../evaluation/holdout.ts';
import {
  type ArtifactFiles,
  type ArtifactManifest,
  type ArtifactMetrics,
  type DataStats,
  encodeArtifact,
} from '../model/artifact.ts';
import { basketsOf, trainComplements } from '../model/co-purchase.ts';
import type { ContentItem } from '../model/content.ts';
import { CatalogTooLargeError, EASE_DEFAULT_MAX_ITEMS } from '../model/ease.ts';
import {
  buildInteractions,
  DEFAULT_EVENT_WEIGHTS,
  EVENT_WEIGHTS_CONFIG,
  type EventWeights,
  type InteractionRecord,
  type RatingsMeaning,
  toEpochMs,
} from '../model/interactions.ts';
import { fixedSpec, type ModelChoice } from '../model/model-choice.ts';
import { fitModel, type ModelSpec, modelScorer, type TrainedModel } from '../model/trained-model.ts';
import { shopperFiles } from './shopper-files.ts';
import type { ShopperInput } from './shoppers-input.ts';
import { autoTune } from './tuning.ts';
import { carveValidation, DEFAULT_VALIDATION, describeSplit, type ValidationProtocol } from './validation.ts';

/** A problem with the training data or the request that the user can fix. */
export class TrainingInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingInputError';
  }
}

/** `YYYYMMDDTHHMMSSZ-<8 hex>`: sortable by training start, unique by the random suffix. */
export function modelVersion(startedAt: number, hex8: string): string {
  const iso = new Date(startedAt).toISOString(); // 2026-11-21T10:15:00.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return `${stamp}-${hex8}`;
}

export interface TrainPipelineOptions {
  model: ModelChoice;
  /** Seconds for the model search (auto/hybrid); the final fits come on top. */
  budgetSeconds?: number;
  k?: number;
  seed?: number;
  /** How validation is carved from the training data (default: mixed, 20 % per shopper: half newest, half random). */
  validation?: ValidationProtocol;
  /** What a rating means (default 'preference': 1–2 stars are dislikes). */
  ratings?: RatingsMeaning;
  /** auto/hybrid: try the learned ranker and keep it when it wins beyond the noise (default false). */
  ranker?: boolean;
  catalog?: readonly ContentItem[];
  weights?: Partial<EventWeights>;
  version: string;
  createdAt?: string;
  /** The source description and the counts of what was read but did not become a record. */
  data: Pick<DataStats, 'source' | 'events' | 'duplicates' | 'malformed' | 'unknownTypes' | 'skipped'> &
    Record<string, unknown>;
  onProgress?: (message: string) => void;
  onRecommendations?: (done: number, total: number) => void;
  now?: () => number;
  /** The lake's profiles: the cold start's segment lists are computed from them (shopper-files.ts). */
  shoppers?: ShopperInput;
}

export interface TrainPipelineResult {
  model: TrainedModel;
  files: ArtifactFiles;
  manifest: ArtifactManifest;
  /** Every candidate the search tried, with its validation nDCG@k (auto/hybrid only). */
  tried: { name: string; ndcg: number; seconds: number; low: number; high: number; tied: boolean }[];
}

function metricsOf(m: ArtifactMetrics): ArtifactMetrics {
  const { precision, recall, ndcg, map, mrr, hitRate, coverage, users } = m;
  return { precision, recall, ndcg, map, mrr, hitRate, coverage, ...(users !== undefined ? { users } : {}) };
}

/**
 * Records → model → artifact files, with no I/O: validates the input, picks or tunes the model, fits the
 * holdout model on the validation split (for the quality gate's lists and the manifest's metrics), refits on
 * everything and encodes the artifact.
 */
export function trainArtifact(
  records: readonly InteractionRecord[],
  options: TrainPipelineOptions,
): TrainPipelineResult {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const log = options.onProgress ?? (() => {});
  const k = options.k ?? 10;
  const seed = options.seed ?? 42;
  const weights = options.weights ?? {};
  const eventWeights: EventWeights = { ...DEFAULT_EVENT_WEIGHTS, ...weights };
  const ratings = options.ratings ?? 'preference';
  const interaction = { weights, ratings };
  const protocol = options.validation ?? DEFAULT_VALIDATION;
  const all = buildInteractions(records, interaction);
  if (all.stats.pairs === 0)
    throw new TrainingInputError(
      `no interactions to train on (${records.length} records, ${all.stats.skipped} of them without positive weight)`,
    );
  if (all.stats.users < 2)
    throw new TrainingInputError(
      `only one user (${all.userIds[0]}) has interactions: a recommender needs at least two`,
    );
  if (all.stats.items < 2)
    throw new TrainingInputError('only one item has interactions: nothing to recommend');
  const catalog = options.catalog !== undefined && options.catalog.length > 0 ? options.catalog : undefined;
  if (options.model === 'content' && catalog === undefined)
    throw new TrainingInputError('--model content needs a catalog (item titles): none was found');
  if (options.model === 'ease' && all.stats.items > EASE_DEFAULT_MAX_ITEMS)
    throw new TrainingInputError(new CatalogTooLargeError(all.stats.items, EASE_DEFAULT_MAX_ITEMS).message);

  let spec: ModelSpec;
  let model: TrainedModel;
  let tried: TrainPipelineResult['tried'] = [];
  let selection: string | undefined;
  let ranker: Record<string, unknown> | undefined;
  const fitOptions = { ...(catalog !== undefined ? { catalog } : {}), onProgress: log };
  if (options.model === 'auto' || options.model === 'hybrid') {
    const tuned = autoTune(records, {
      k,
      seed,
      budgetSeconds: options.budgetSeconds ?? 300,
      validation: protocol,
      interaction,
      ranker: options.ranker === true,
      ...(catalog !== undefined ? { catalog } : {}),
      onProgress: log,
    });
    tried = tuned.tried.map((t) => ({
      name: t.result.name,
      ndcg: t.result.ndcg,
      seconds: t.seconds,
      low: t.interval.low,
      high: t.interval.high,
      tied: t.tied,
    }));
    selection = tuned.selection;
    if (tuned.ranker !== undefined) {
      const { kept, interval, gain, parts } = tuned.ranker;
      ranker = {
        kept,
        ndcg: interval.mean,
        low: interval.low,
        high: interval.high,
        gain: gain.mean,
        gainLow: gain.low,
        gainHigh: gain.high,
        ...(parts !== undefined
          ? {
              parts: parts.map((p) => ({
                name: p.name,
                shoppers: p.shoppers,
                gain: p.gain.mean,
                gainLow: p.gain.low,
                gainHigh: p.gain.high,
              })),
            }
          : {}),
      };
    }
    spec = tuned.spec;
    model = tuned.model;
    if (options.model === 'hybrid' && spec.kind !== 'hybrid') {
      // The search found no blend that beats its best single model on validation: the best hybrid is that
      // model alone, weight 1 (the others' best weight is 0).
      log(`no blend beat ${spec.kind} on validation; the hybrid is ${spec.kind} alone`);
      spec = { kind: 'hybrid', normalisation: 'zscore', components: [{ spec, weight: 1 }] };
      model = { ...model, spec };
    }
  } else {
    spec = fixedSpec(options.model, seed);
    log(`fitting ${options.model} on all ${all.stats.pairs} interactions`);
    model = fitModel(all, records, spec, fitOptions);
  }

  log('fitting the holdout model on the validation split (the quality gate’s lists)');
  const carved = carveValidation(records, protocol, interaction);
  if (carved.set.users.length === 0)
    throw new TrainingInputError(
      'no user has held-out interactions with known items: too little data to validate a model',
    );
  const valModel = fitModel(carved.data, carved.train, spec, {
    ...(catalog !== undefined ? { catalog } : {}),
  });
  const holdout = buildHoldoutLines(modelScorer(valModel), carved.data, carved.set, HOLDOUT_K);
  const gate = gateMetricsFromHoldout(holdout, k, { catalogSize: carved.data.itemIds.length });
  log(
    `validation (${describeSplit(carved)}): nDCG@${k} ${gate.model.ndcg.toFixed(4)} vs popularity ${gate.baseline.ndcg.toFixed(4)}`,
  );

  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    const t = toEpochMs(r.timestamp);
    if (t < from) from = t;
    if (t > to) to = t;
  }
  const data: DataStats = {
    ...options.data,
    skipped: options.data.skipped + all.stats.skipped,
    users: all.stats.users,
    items: all.stats.items,
    interactions: all.stats.pairs,
    from: Number.isFinite(from) ? new Date(from).toISOString() : null,
    to: Number.isFinite(to) ? new Date(to).toISOString() : null,
    ...(catalog !== undefined ? { catalogItems: catalog.length } : {}),
  };
  // In the final model's item space, where its content neighbours (the near-substitute test) live.
  const itemIndex = new Map(model.itemIds.map((id, j) => [id, j]));
  const substituteSimilarity = EVENT_WEIGHTS_CONFIG.complementSubstituteSimilarity;
  const complements = trainComplements(basketsOf(records, itemIndex), model.itemIds.length, {
    ...(model.contentNeighbours !== undefined ? { substitutes: model.contentNeighbours } : {}),
    ...(substituteSimilarity !== undefined ? { substituteSimilarity } : {}),
  });
  log(
    `bought together: ${complements.stats.items} items with complements from ${complements.stats.baskets} baskets`,
  );
  log(`precomputing the top ${50} for ${all.stats.users} users`);
  const files = encodeArtifact(model, {
    version: options.version,
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
    data,
    eventWeights,
    ratings,
    validation: {
      k,
      split: carved.split,
      model: metricsOf(gate.model),
      baseline: metricsOf(gate.baseline),
      holdoutK: HOLDOUT_K,
      shoppers: carved.shoppers,
      covered: carved.covered,
      ...(tried.length > 0 ? { tried } : {}),
      ...(selection !== undefined ? { selection } : {}),
      ...(ranker !== undefined ? { ranker } : {}),
    },
    holdout,
    ...(complements.stats.baskets > 0 ? { complements } : {}),
    trainingSeconds: (now() - started) / 1000,
    ...(options.onRecommendations !== undefined ? { onProgress: options.onRecommendations } : {}),
    ...(options.shoppers !== undefined ? { extraFiles: shopperFiles(records, options.shoppers, log) } : {}),
  });
  const manifest = JSON.parse(files.get('manifest.json') as string) as ArtifactManifest;
  return { model, files, manifest, tried };
}
