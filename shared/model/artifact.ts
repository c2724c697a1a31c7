import type { ComplementStats, Complements } from './co-purchase.ts';
import type { EaseParams } from './ease.ts';
import type { FreshnessBlock } from './fold-in-freshness.ts';
import type { IalsParams } from './ials.ts';
import type { Neighbours } from './neighbours.ts';
import { TRENDING_WINDOWS, type TrendingWindow } from './popularity.ts';
import { historyItems, rerank, shopperProfile } from './ranker.ts';
import { topK, topKExcluding } from './topk.ts';
import { type ModelSpec, modelScorer, type TrainedModel } from './trained-model.ts';

/**
 * The model artifact (docs/model-artifact.md, schemaVersion 1): pure encoding of a trained model into named
 * files and back. No I/O here — a model store adapter writes the bytes to a directory or an S3 prefix.
 */
export const ARTIFACT_SCHEMA_VERSION = 1;
const RECOMMENDATIONS_PER_USER = 50;
/** Lines per `recommendations/part-NNNNN.jsonl` and `holdout/part-NNNNN.jsonl` file. */
const LINES_PER_PART = 10_000;
const TRENDING_TOP = 100;

export interface DataStats {
  /** `lake:<path>`, `csv:<path>`, `glue:db.table`, `s3://…` */
  source: string;
  events: number;
  duplicates: number;
  malformed: number;
  unknownTypes: number;
  /** Events that cannot train: anonymous (session-only), without an item, zero weight. */
  skipped: number;
  users: number;
  items: number;
  interactions: number;
  from: string | null;
  to: string | null;
  /** Engine-specific detail (e.g. skipped by reason, catalog size); readers may ignore it. */
  [extra: string]: unknown;
}

/**
 * The evaluation metrics as the manifest records them (k is recorded once, beside them). Defined here, in the
 * format's layer; shared/evaluation's Metrics extends it.
 */
export interface ArtifactMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  map: number;
  mrr: number;
  hitRate: number;
  /** Share of the catalog that appears in at least one list. */
  coverage: number;
  users?: number;
}

export interface ArtifactValidation {
  k: number;
  split: string;
  model: ArtifactMetrics;
  baseline: ArtifactMetrics;
  [extra: string]: unknown;
}

export interface ArtifactManifest {
  schemaVersion: 1;
  version: string;
  engine: 'typescript' | 'spark';
  createdAt: string;
  /** TypeScript: `{kind, spec}` with the ModelSpec; Spark: `{kind: "als", params}`. */
  model: {
    kind: string;
    spec?: ModelSpec;
    params?: Record<string, unknown>;
    /** The parameters actually used, defaults filled in (TypeScript: per factor/EASE component). */
    resolved?: { ials?: Required<IalsParams>; ease?: Required<EaseParams> };
  };
  data: DataStats;
  /** Event type → weight, as in shared/model/event-weights.json: a veto (−∞) is the string "veto". */
  eventWeights: Record<string, number | string>;
  /** What a rating meant in training (`--ratings`); absent in artifacts written before it existed. */
  ratings?: 'interactions' | 'preference';
  validation: ArtifactValidation;
  shapes: {
    users: number;
    items: number;
    rank?: number;
    historyNnz: number;
    recommendationsPerUser: number;
    [extra: string]: unknown;
  };
  files: string[];
  trainingSeconds: number;
  /** How strongly serving counts events after training, when calibrated (fold-in-freshness.ts). */
  freshness?: FreshnessBlock;
  /** How `complements.jsonl` ("bought together", co-purchase.ts) was made, when the artifact has it. */
  complements?: ComplementStats;
}

export interface RecommendationLine {
  userId: string;
  items: [string, number][];
}

export interface HoldoutLine {
  userId: string;
  relevant: string[];
  recommended: string[];
  baseline: string[];
}

export interface EncodeExtras {
  version: string;
  engine?: 'typescript' | 'spark';
  createdAt?: string;
  data: DataStats;
  eventWeights: Record<string, number>;
  ratings?: 'interactions' | 'preference';
  validation: ArtifactValidation;
  holdout: readonly HoldoutLine[];
  trainingSeconds: number;
  /** Progress of the precomputed lists (users done, users total). */
  onProgress?: (done: number, total: number) => void;
  /** Complements from co-purchase within baskets (co-purchase.ts): `complements.jsonl`. */
  complements?: Complements;
  /** Optional files a trainer adds beside the model (issue 16: `segments.json`), listed in the manifest. */
  extraFiles?: ReadonlyMap<string, string>;
}

export type ArtifactFiles = Map<string, Uint8Array | string>;

function partName(dir: 'recommendations' | 'holdout', part: number): string {
  return `${dir}/part-${String(part).padStart(5, '0')}.jsonl`;
}

/** 9 significant digits round-trip every float32 exactly (and keep the JSON short). */
function f32(x: number): number {
  return Number(x.toPrecision(9));
}

function bytesOf(a: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function neighbourLines(nb: Neighbours, itemIds: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < nb.items; i++) {
    const list: [string, number][] = [];
    for (let t = 0; t < nb.k; t++) {
      const j = nb.indices[i * nb.k + t]!;
      if (j < 0) break;
      list.push([itemIds[j]!, f32(nb.scores[i * nb.k + t]!)]);
    }
    // Items without neighbours are left out, as the format says ("one line per item with neighbours").
    if (list.length > 0) out.push(JSON.stringify({ itemId: itemIds[i], neighbours: list }));
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

function jsonLineParts(dir: 'recommendations' | 'holdout', lines: readonly string[], files: ArtifactFiles) {
  // At least one part, even when empty, so that readers always find part-00000.
  const parts = Math.max(1, Math.ceil(lines.length / LINES_PER_PART));
  for (let p = 0; p < parts; p++) {
    const chunk = lines.slice(p * LINES_PER_PART, (p + 1) * LINES_PER_PART);
    files.set(partName(dir, p), chunk.length > 0 ? `${chunk.join('\n')}\n` : '');
  }
}

/**
 * Top-`n` of every training user, training items excluded, best first (what serving publishes). With a
 * ranker, the first stage's top `ranker.candidates` are reranked and the list carries the ranker's scores.
 */
export function precomputeRecommendations(
  model: TrainedModel,
  n = RECOMMENDATIONS_PER_USER,
  onProgress?: (done: number, total: number) => void,
): RecommendationLine[] {
  const scorer = modelScorer(model);
  const items = model.itemIds.length;
  const scores = new Float32Array(items);
  const depth = Math.max(n, model.ranker?.candidates ?? 0);
  const idx = new Int32Array(depth);
  const sc = new Float32Array(depth);
  const reranked = new Float32Array(depth);
  const h = model.history;
  const out: RecommendationLine[] = [];
  const users = model.userIds.length;
  for (let u = 0; u < users; u++) {
    scorer.scoreUser(u, scores);
    const got = topKExcluding(scores, h, u, depth, idx, sc);
    const list: [string, number][] = [];
    if (model.ranker !== undefined) {
      const cand = idx.subarray(0, got);
      const profile = shopperProfile(model, historyItems(h, u));
      const order = rerank(model.ranker, model, profile, cand, sc.subarray(0, got), reranked);
      for (let t = 0; t < Math.min(n, order.length); t++)
        list.push([model.itemIds[cand[order[t]!]!]!, f32(reranked[order[t]!]!)]);
    } else for (let t = 0; t < Math.min(n, got); t++) list.push([model.itemIds[idx[t]!]!, f32(sc[t]!)]);
    out.push({ userId: model.userIds[u]!, items: list });
    if (onProgress !== undefined && (u % 256 === 0 || u === users - 1)) onProgress(u + 1, users);
  }
  return out;
}

function trendingJson(model: TrainedModel): string {
  const windows: Record<string, [string, number][]> = {};
  const idx = new Int32Array(TRENDING_TOP);
  const sc = new Float32Array(TRENDING_TOP);
  for (const w of Object.keys(TRENDING_WINDOWS) as TrendingWindow[]) {
    const scores = model.trending[w].slice();
    // Zero means "not seen in the window": not trending.
    for (let j = 0; j < scores.length; j++) if (!(scores[j]! > 0)) scores[j] = Number.NaN;
    const got = topK(scores, TRENDING_TOP, idx, sc);
    windows[w] = Array.from({ length: got }, (_, t) => [model.itemIds[idx[t]!]!, f32(sc[t]!)]);
  }
  return JSON.stringify({ asOf: new Date(model.trainedAt).toISOString(), windows });
}

function weightsJson(w: Record<string, number>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  // JSON has no infinities; event-weights.json spells −∞ "veto", so the manifest does too.
  for (const [k, v] of Object.entries(w)) out[k] = Number.isFinite(v) ? v : v < 0 ? 'veto' : String(v);
  return out;
}

/**
 * Every file of the artifact, keyed by its name in the artifact (`/` separates the part directories).
 * `manifest.json` is in the map too; a writer must write it last.
 */
export function encodeArtifact(model: TrainedModel, extras: EncodeExtras): ArtifactFiles {
  const files: ArtifactFiles = new Map();
  files.set('users.txt', model.userIds.length > 0 ? `${model.userIds.join('\n')}\n` : '');
  files.set('items.txt', model.itemIds.length > 0 ? `${model.itemIds.join('\n')}\n` : '');
  files.set('history.indptr.i32', bytesOf(model.history.indptr));
  files.set('history.indices.i32', bytesOf(model.history.indices));
  files.set('history.values.f32', bytesOf(model.history.values));
  files.set('popularity.f32', bytesOf(model.popularity));
  files.set('recent-popularity.f32', bytesOf(model.recentPopularity));
  files.set('trending.json', trendingJson(model));
  files.set('neighbours.jsonl', neighbourLines(model.neighbours, model.itemIds));
  if (model.contentNeighbours !== undefined)
    files.set('content-neighbours.jsonl', neighbourLines(model.contentNeighbours, model.itemIds));
  if (model.knn !== undefined) files.set('knn-neighbours.jsonl', neighbourLines(model.knn, model.itemIds));
  if (model.ials !== undefined) {
    files.set('user-factors.f32', bytesOf(model.ials.userFactors));
    files.set('item-factors.f32', bytesOf(model.ials.itemFactors));
  }
  if (model.ease !== undefined) files.set('ease.f32', bytesOf(model.ease.weights));
  if (model.ranker !== undefined) files.set('ranker.json', `${JSON.stringify(model.ranker)}\n`);
  if (extras.complements !== undefined)
    files.set('complements.jsonl', neighbourLines(extras.complements.neighbours, model.itemIds));
  const recs = precomputeRecommendations(model, RECOMMENDATIONS_PER_USER, extras.onProgress);
  jsonLineParts(
    'recommendations',
    recs.map((r) => JSON.stringify(r)),
    files,
  );
  jsonLineParts(
    'holdout',
    extras.holdout.map((h) => JSON.stringify(h)),
    files,
  );
  for (const [name, content] of extras.extraFiles ?? []) files.set(name, content);
  const resolved: NonNullable<ArtifactManifest['model']['resolved']> = {};
  if (model.ials !== undefined) resolved.ials = model.ials.params;
  if (model.ease !== undefined) resolved.ease = model.ease.params;
  const manifest: ArtifactManifest = {
    schemaVersion: 1,
    version: extras.version,
    engine: extras.engine ?? 'typescript',
    createdAt: extras.createdAt ?? new Date().toISOString(),
    model: { kind: model.spec.kind, spec: model.spec, resolved },
    data: extras.data,
    eventWeights: weightsJson(extras.eventWeights),
    ...(extras.ratings !== undefined ? { ratings: extras.ratings } : {}),
    validation: extras.validation,
    shapes: {
      users: model.userIds.length,
      items: model.itemIds.length,
      ...(model.ials !== undefined ? { rank: model.ials.factors } : {}),
      historyNnz: model.history.indptr[model.history.rows]!,
      recommendationsPerUser: RECOMMENDATIONS_PER_USER,
      neighbours: model.neighbours.k,
      ...(model.knn !== undefined ? { knnNeighbours: model.knn.k } : {}),
      ...(extras.complements !== undefined ? { complements: extras.complements.neighbours.k } : {}),
    },
    files: ['manifest.json', ...files.keys()],
    trainingSeconds: extras.trainingSeconds,
    ...(extras.complements !== undefined ? { complements: extras.complements.stats } : {}),
  };
  files.set('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}
