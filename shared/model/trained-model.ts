import { type ContentItem, trainContent } from './content.ts';
import { type EaseModel, type EaseParams, easeScorer, trainEase } from './ease.ts';
import { type HybridComponent, hybridScorer, type Normalisation } from './hybrid.ts';
import { type IalsModel, type IalsParams, trainIals } from './ials.ts';
import { ialsScorer } from './ials-scoring.ts';
import {
  EVENT_WEIGHTS_CONFIG,
  type InteractionRecord,
  type Interactions,
  toEpochMs,
} from './interactions.ts';
import { type ItemKnnParams, trainItemKnn } from './item-knn.ts';
import { emptyNeighbours, type Neighbours, neighbourScorer } from './neighbours.ts';
import {
  decayedPopularity,
  popularity,
  popularityScorer,
  type TrendingWindow,
  trending,
} from './popularity.ts';
import type { RankerModel } from './ranker.ts';
import { pairRecency } from './recency.ts';
import type { Scorer } from './scorer.ts';
import type { Csr } from './sparse.ts';
import { topKExcluding } from './topk.ts';

/** A single model and its parameters: what the tuner searches over and what the manifest records. */
export type BaseSpec =
  | { kind: 'popularity' }
  | { kind: 'recent-popularity'; halfLifeDays: number }
  | { kind: 'ials'; params: IalsParams }
  /**
   * `halfLifeDays`: the Gram matrix weighs each pair by the recency of its last touch (recency.ts), so the
   * item-item weights follow what is bought together lately; scoring still reads the plain history.
   */
  | { kind: 'ease'; params: EaseParams; halfLifeDays?: number }
  | { kind: 'item-knn'; params: ItemKnnParams }
  | { kind: 'content' };

/** A hybrid holds at most one component per kind, blended on per-user normalised scores. */
export type ModelSpec =
  | BaseSpec
  | { kind: 'hybrid'; normalisation: Normalisation; components: { spec: BaseSpec; weight: number }[] };

export const SERVING_NEIGHBOURS = 50;
const DEFAULT_RECENT_HALF_LIFE_DAYS = EVENT_WEIGHTS_CONFIG.recentPopularityHalfLifeDays;

/**
 * Everything serving needs, in memory and free of I/O so that the caller can serialise it: id lists, the
 * training matrix (for exclusions and for the item-based scorers), factors or EASE weights when the spec uses
 * them, top-50 neighbours per item (collaborative, and content when a catalog was given), popularity and
 * trending. Typed arrays are little-endian on every platform Node runs on, so they can be written as is.
 */
export interface TrainedModel {
  schemaVersion: 1;
  spec: ModelSpec;
  userIds: string[];
  itemIds: string[];
  history: Csr;
  /** Epoch ms the recency features were computed at (the newest training event). */
  trainedAt: number;
  popularity: Float32Array;
  recentPopularity: Float32Array;
  trending: Record<TrendingWindow, Float32Array>;
  /** Top-50 item-kNN neighbours of every item, for "similar items". */
  neighbours: Neighbours;
  contentNeighbours?: Neighbours;
  ials?: IalsModel;
  ease?: EaseModel;
  /** The scoring neighbours when the spec's item-kNN keeps a different count than the serving 50. */
  knn?: Neighbours;
  /** The learned second stage over the spec's top candidates, when the tuner kept one (ranker.ts). */
  ranker?: RankerModel;
}

export interface FitOptions {
  catalog?: readonly ContentItem[];
  /** Reference time for recency; defaults to the newest record. */
  now?: number;
  onProgress?: (message: string) => void;
  /** Threads for EASE and iALS (default: the machine's parallelism; RECSYS_THREADS overrides). */
  threads?: number;
  /**
   * Fit only what `modelScorer` needs for this spec and leave the serving extras (trending, serving
   * neighbours, content neighbours the spec does not use) empty: for the tuner's many validation fits.
   */
  scoringOnly?: boolean;
}

function baseSpecs(spec: ModelSpec): BaseSpec[] {
  return spec.kind === 'hybrid' ? spec.components.filter((c) => c.weight !== 0).map((c) => c.spec) : [spec];
}

/** Trains what `spec` needs on `data` (interactions built from `records`) and gathers the serving extras. */
export function fitModel(
  data: Interactions,
  records: readonly InteractionRecord[],
  spec: ModelSpec,
  options: FitOptions = {},
): TrainedModel {
  const log = options.onProgress ?? (() => {});
  let now = options.now ?? Number.NEGATIVE_INFINITY;
  if (options.now === undefined) for (const r of records) now = Math.max(now, toEpochMs(r.timestamp));
  const { csr, csc } = data;
  const parts = baseSpecs(spec);
  const recentHalfLife =
    parts.find((s): s is Extract<BaseSpec, { kind: 'recent-popularity' }> => s.kind === 'recent-popularity')
      ?.halfLifeDays ?? DEFAULT_RECENT_HALF_LIFE_DAYS;
  const knnSpec = parts.find((s): s is Extract<BaseSpec, { kind: 'item-knn' }> => s.kind === 'item-knn');
  const lean = options.scoringOnly === true;
  const uses = (kind: BaseSpec['kind']) => parts.some((p) => p.kind === kind);
  const n = data.itemIds.length;
  const servingKnn = () =>
    trainItemKnn(csr, csc, {
      neighbours: SERVING_NEIGHBOURS,
      shrink: knnSpec?.params.shrink ?? 10,
      transform: knnSpec?.params.transform ?? 'binary',
    });
  const model: TrainedModel = {
    schemaVersion: 1,
    spec,
    userIds: data.userIds,
    itemIds: data.itemIds,
    history: csr,
    trainedAt: now,
    popularity: popularity(csc),
    recentPopularity:
      lean && !uses('recent-popularity')
        ? new Float32Array(n)
        : decayedPopularity(records, data.itemIndex, now, recentHalfLife),
    trending: lean
      ? { '1h': new Float32Array(n), '24h': new Float32Array(n), '7d': new Float32Array(n) }
      : trending(records, data.itemIndex, now),
    neighbours:
      lean && knnSpec?.params.neighbours !== SERVING_NEIGHBOURS ? emptyNeighbours(n, 0) : servingKnn(),
  };
  if (options.catalog !== undefined && (!lean || uses('content')))
    model.contentNeighbours = trainContent(data.itemIds, options.catalog);
  for (const part of parts) {
    if (part.kind === 'ials') {
      log('training iALS');
      model.ials = trainIals(
        csr,
        csc,
        part.params,
        (it) => log(`iALS iteration ${it}/${part.params.iterations}`),
        { threads: options.threads },
      );
    } else if (part.kind === 'ease') {
      log('training EASE');
      model.ease =
        part.halfLifeDays === undefined
          ? trainEase(csr, part.params, { threads: options.threads })
          : recencyEase(data, records, now, part.halfLifeDays, part.params, options.threads);
    } else if (part.kind === 'item-knn' && part.params.neighbours !== SERVING_NEIGHBOURS) {
      model.knn = trainItemKnn(csr, csc, part.params);
    } else if (part.kind === 'content' && model.contentNeighbours === undefined) {
      throw new Error('the content model needs a catalog (FitOptions.catalog)');
    }
  }
  return model;
}

/** EASE fitted on recency-weighted pairs; its scorer reads the history as the plain spec would. */
function recencyEase(
  data: Interactions,
  records: readonly InteractionRecord[],
  now: number,
  halfLifeDays: number,
  params: EaseParams,
  threads: number | undefined,
): EaseModel {
  const weighted = pairRecency(data, records, now, halfLifeDays);
  const fitted = trainEase(weighted, { ...params, transform: 'linear' }, { threads });
  return { ...fitted, params: { ...fitted.params, transform: params.transform ?? 'binary' } };
}

function baseScorer(model: TrainedModel, spec: BaseSpec): Scorer {
  switch (spec.kind) {
    case 'popularity':
      return popularityScorer(model.popularity);
    case 'recent-popularity':
      return { ...popularityScorer(model.recentPopularity), name: 'recent-popularity' };
    case 'ials':
      return ialsScorer(model.ials!);
    case 'ease':
      return easeScorer(model.ease!, model.history);
    case 'item-knn':
      return neighbourScorer(model.knn ?? model.neighbours, model.history, 'item-knn');
    case 'content':
      return neighbourScorer(model.contentNeighbours!, model.history, 'content');
  }
}

/** The scorer of a trained model, over the training users (index = position in `userIds`). */
export function modelScorer(model: TrainedModel): Scorer {
  const spec = model.spec;
  if (spec.kind !== 'hybrid') return baseScorer(model, spec);
  const components: HybridComponent[] = spec.components
    .filter((c) => c.weight !== 0)
    .map((c) => ({ scorer: baseScorer(model, c.spec), weight: c.weight }));
  return hybridScorer(components, model.itemIds.length, spec.normalisation);
}

/**
 * Top-k item ids for a known user, excluding their training items and any `exclude`d ids. Allocates its
 * buffers per call; batch callers should use `modelScorer` and `topKExcluding` with their own buffers.
 */
export function recommend(
  model: TrainedModel,
  userIndex: number,
  k: number,
  exclude: ReadonlySet<string> = new Set(),
): { itemId: string; score: number }[] {
  const n = model.itemIds.length;
  const scores = new Float32Array(n);
  modelScorer(model).scoreUser(userIndex, scores);
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  const skip = exclude.size > 0 ? (j: number) => exclude.has(model.itemIds[j]!) : undefined;
  const got = topKExcluding(scores, model.history, userIndex, k, idx, sc, skip);
  return Array.from({ length: got }, (_, t) => ({ itemId: model.itemIds[idx[t]!]!, score: sc[t]! }));
}
