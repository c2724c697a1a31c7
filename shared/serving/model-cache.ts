import type { LoadedModel } from '../model/artifact-decode.ts';
import { type BlendPlan, blendPlan, type FoldInFactors } from '../model/fold-in.ts';
import { type FreshnessParams, freshnessOf } from '../model/fold-in-freshness.ts';
import { DEFAULT_EVENT_WEIGHTS, type EventWeights } from '../model/interactions.ts';
import type { Deployment, PublicationStore } from '../ports/publication-store.ts';

/** One model version as serving holds it: the artifact plus what is derived from it once. */
export interface ServingModel {
  version: string;
  model: LoadedModel;
  /** Epoch ms of the newest training event: activity after it is "fresh" (the model has not seen it). */
  trainedAt: number;
  /**
   * `trainedAt` as toISOString writes it, when that form sorts like the time it names (years 0–9999): activity
   * timestamps in the same form are then compared as strings, without parsing each one per request.
   */
  trainedAtIso?: string;
  /** The iALS member's factors (the members' plan holds them too). */
  foldIn?: FoldInFactors;
  /** Every member of the model with its weight: what a request with fresh events scores with. */
  blend: BlendPlan;
  /** How strongly fresh events count (the artifact's calibrated `freshness`, or the defaults). */
  freshness: FreshnessParams;
  /** Item indices, most popular first (the head used for backfill). */
  popularOrder: Int32Array;
  /** Event type → weight as the model was trained with (a veto is −∞). */
  weights: EventWeights;
}

const POPULAR_HEAD = 1000;

function weightsOf(model: LoadedModel): EventWeights {
  const out = { ...DEFAULT_EVENT_WEIGHTS };
  for (const [type, w] of Object.entries(model.manifest.eventWeights ?? {})) {
    if (!(type in out)) continue;
    out[type as keyof EventWeights] = w === 'veto' ? Number.NEGATIVE_INFINITY : Number(w);
  }
  return out;
}

/** Derives the serving extras of a loaded artifact (the members' plan for fold-in, popularity order). */
export function servingModel(version: string, model: LoadedModel): ServingModel {
  const n = model.itemIds.length;
  const order = Array.from({ length: n }, (_, j) => j);
  const pop = model.popularity;
  order.sort((a, b) => pop[b]! - pop[a]! || a - b);
  const trainedAt = Date.parse(model.trending.asOf);
  const blend = blendPlan(model);
  const fold = blend.factors;
  const at = Number.isFinite(trainedAt) ? trainedAt : 0;
  const iso = new Date(at).toISOString();
  return {
    version,
    model,
    trainedAt: at,
    ...(isCanonicalIso(iso) ? { trainedAtIso: iso } : {}),
    ...(fold !== undefined ? { foldIn: fold } : {}),
    popularOrder: Int32Array.from(order.slice(0, POPULAR_HEAD)),
    weights: weightsOf(model),
    blend,
    freshness: freshnessOf(model.manifest),
  };
}

/**
 * Whether `s` has exactly the shape toISOString gives a year from 0 to 9999 (`YYYY-MM-DDTHH:mm:ss.sssZ`): two such
 * strings of valid dates order as the instants they name. Only the separators are checked: where this is used the
 * digits are known to name a valid date, because every stored event timestamp passed ingest validation (zod's
 * strict ISO 8601 date-time, which rejects e.g. February 30 that Date.parse would roll over).
 */
export function isCanonicalIso(s: string): boolean {
  return (
    s.length === 24 &&
    s.charCodeAt(23) === 90 && // Z
    s.charCodeAt(10) === 84 && // T
    s.charCodeAt(19) === 46 && // .
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58
  );
}

export interface ModelCache {
  /** The version, loaded once and kept; concurrent first requests share one load. */
  get(version: string): Promise<ServingModel>;
  /** Versions in memory, newest use last. */
  loaded(): string[];
}

/**
 * Artifacts loaded once per version and kept in memory (the few most recently used: a champion and a challenger
 * or two). A failed load is not cached, so the next request tries again (the artifact may still be copying).
 */
export function createModelCache(options: {
  load: (version: string) => Promise<LoadedModel>;
  maxVersions?: number;
}): ModelCache {
  const max = options.maxVersions ?? 3;
  const entries = new Map<string, Promise<ServingModel>>();
  return {
    get(version) {
      let entry = entries.get(version);
      if (entry !== undefined) {
        // Refresh its place in the LRU order.
        entries.delete(version);
        entries.set(version, entry);
        return entry;
      }
      entry = options.load(version).then((m) => servingModel(version, m));
      entries.set(version, entry);
      entry.catch(() => {
        if (entries.get(version) === entry) entries.delete(version);
      });
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
      return entry;
    },
    loaded: () => [...entries.keys()],
  };
}

/**
 * The deployment record, re-read at most every `ttlMs` (a new champion or experiment reaches every server
 * within that time, without a restart). A read that fails keeps serving the last record it had.
 */
export function createDeploymentSource(options: {
  publications: PublicationStore;
  ttlMs?: number;
  now?: () => number;
}): { get(): Promise<Deployment | undefined> } {
  const ttl = options.ttlMs ?? 5_000;
  const now = options.now ?? Date.now;
  let value: Deployment | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<Deployment | undefined> | undefined;
  return {
    async get() {
      if (now() - readAt < ttl) return value;
      pending ??= options.publications
        .getDeployment()
        .then((d) => {
          value = d;
          readAt = now();
          return d;
        })
        .catch((error) => {
          if (readAt === Number.NEGATIVE_INFINITY) throw error;
          return value;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
  };
}
