import { buildTestSet, type EvaluationResult, type TestSet } from '../evaluation/evaluate.ts';
import { MetricsAccumulator } from '../evaluation/metrics.ts';
import { leaveLastNSplit, temporalSplit } from '../evaluation/splits.ts';
import type { ContentItem } from '../model/content.ts';
import { EASE_DEFAULT_MAX_ITEMS } from '../model/ease.ts';
import { normalise } from '../model/hybrid.ts';
import {
  buildInteractions,
  type InteractionOptions,
  type InteractionRecord,
  type Interactions,
  toEpochMs,
} from '../model/interactions.ts';
import { defaultThreads } from '../model/parallel.ts';
import type { Csr } from '../model/sparse.ts';
import { topK } from '../model/topk.ts';
import {
  type BaseSpec,
  fitModel,
  type ModelSpec,
  modelScorer,
  type TrainedModel,
} from '../model/trained-model.ts';

export interface TuneOptions {
  k?: number;
  /**
   * Wall-clock budget for the search in seconds (default 60; the final refit on all data comes on top). On
   * Online Retail 60 s fits the cheap families and EASE on a busy 2-core machine, and iALS too when idle.
   */
  budgetSeconds?: number;
  /**
   * The validation period: the last `validationDays` of the training data, mirroring a temporal test.
   * Default: 70 days (the length of the Online Retail test period), at most a quarter of the data's span.
   */
  validationDays?: number;
  /** Threads for EASE and iALS (default: the machine's parallelism; RECSYS_THREADS overrides). */
  threads?: number;
  interaction?: InteractionOptions;
  catalog?: readonly ContentItem[];
  easeMaxItems?: number;
  /** Cap on validation users whose scores are cached for the blend search (memory: users × items floats). */
  maxValidationUsers?: number;
  seed?: number;
  candidates?: BaseSpec[];
  onProgress?: (message: string) => void;
}

export interface TuneResult {
  spec: ModelSpec;
  validation: EvaluationResult;
  /** The popularity baseline on the same validation split. */
  baseline: EvaluationResult;
  tried: { spec: ModelSpec; result: EvaluationResult; seconds: number }[];
  model: TrainedModel;
  validationSplit: { trainRecords: number; users: number; pairs: number; method: string };
}

/**
 * The default search space, cheapest first so that a tight budget still yields a reasonable model. EASE
 * comes before iALS: on retail baskets it is both stronger and, with the blocked parallel inverse, cheaper
 * for catalogs of a few thousand items; iALS runs when the budget allows (and always when EASE cannot).
 */
function defaultCandidates(
  items: number,
  easeMaxItems: number,
  withContent: boolean,
  seed: number,
): BaseSpec[] {
  const c: BaseSpec[] = [
    { kind: 'popularity' },
    { kind: 'recent-popularity', halfLifeDays: 7 },
    { kind: 'recent-popularity', halfLifeDays: 14 },
    { kind: 'recent-popularity', halfLifeDays: 30 },
    { kind: 'item-knn', params: { neighbours: 50, shrink: 10 } },
    { kind: 'item-knn', params: { neighbours: 100, shrink: 50 } },
  ];
  if (withContent) c.push({ kind: 'content' });
  if (items <= easeMaxItems) {
    for (const lambda of [500, 1000, 250])
      c.push({ kind: 'ease', params: { lambda, maxItems: easeMaxItems } });
  }
  c.push(
    {
      kind: 'ials',
      params: { factors: 64, iterations: 10, regularization: 0.1, alpha: 1, transform: 'log', seed },
    },
    {
      kind: 'ials',
      params: { factors: 128, iterations: 10, regularization: 1, alpha: 1, transform: 'log', seed },
    },
  );
  return c;
}

/** Rough cost of fitting a candidate, to skip what cannot finish inside the remaining budget. */
function estimateSeconds(spec: BaseSpec, data: Interactions, threads: number): number {
  const n = data.itemIds.length;
  // Measured on one core of a 2-core EPYC: the blocked inverse runs ~2.5e9 multiply-adds/s, 2/3·n³ of them.
  const speedup = 1 + 0.8 * (threads - 1);
  if (spec.kind === 'ease') return (n * n * n * (2 / 3)) / 2.5e9 / speedup;
  if (spec.kind === 'ials') {
    const f = spec.params.factors;
    return (
      (spec.params.iterations * ((data.stats.pairs * 2 * f * 5 + (data.stats.users + n) * f * f * 4) / 3e8)) /
      speedup
    );
  }
  return 0;
}

/**
 * Carves a validation split out of the training records only: the last `days` become the held-out period
 * (new pairs of known users and items, as in the temporal test); too few validation users falls back to
 * leave-last-one per user (`days` is then null). The tuner and the trainer's holdout lists share it, so the gate
 * judges a model on the very split it was tuned on.
 */
export function carveValidation(
  records: readonly InteractionRecord[],
  requestedDays: number | undefined,
  opts: InteractionOptions,
): { train: InteractionRecord[]; data: Interactions; set: TestSet; days: number | null } {
  let newest = Number.NEGATIVE_INFINITY;
  let oldest = Number.POSITIVE_INFINITY;
  for (const r of records) {
    const t = toEpochMs(r.timestamp);
    if (t > newest) newest = t;
    if (t < oldest) oldest = t;
  }
  const span = Math.max(0, newest - oldest) / 86_400_000;
  const days = requestedDays ?? Math.max(1, Math.min(DEFAULT_VALIDATION_DAYS, Math.round(span / 4)));
  const cutoff = newest - days * 86_400_000;
  const temporal = temporalSplit(records, cutoff);
  const data = buildInteractions(temporal.train, opts);
  const set = buildTestSet(data, temporal.test);
  if (set.users.length >= 20) return { train: temporal.train, data, set, days };
  const last = leaveLastNSplit(records, 1);
  const lastData = buildInteractions(last.train, opts);
  return { train: last.train, data: lastData, set: buildTestSet(lastData, last.test), days: null };
}

function subsample(set: TestSet, max: number, seed: number): TestSet {
  if (set.users.length <= max) return set;
  // A deterministic stride through the sorted users keeps the sample spread over the id space.
  const step = set.users.length / max;
  const users = new Int32Array(max);
  const relevant: Set<number>[] = [];
  let pairs = 0;
  for (let t = 0; t < max; t++) {
    const s = Math.floor((t * step + (seed % 7) * 0.01 * step) % set.users.length);
    users[t] = set.users[s]!;
    relevant.push(set.relevant[s]!);
    pairs += set.relevant[s]!.size;
  }
  return { users, relevant, pairs };
}

/** Normalised scores of each validation user, training items already set to −Infinity. */
function scoreMatrix(model: TrainedModel, set: TestSet, history: Csr): Float32Array {
  const n = model.itemIds.length;
  const out = new Float32Array(set.users.length * n);
  const scorer = modelScorer(model);
  for (let t = 0; t < set.users.length; t++) {
    const u = set.users[t]!;
    const row = out.subarray(t * n, (t + 1) * n);
    scorer.scoreUser(u, row);
    normalise(row, 'zscore');
    for (let p = history.indptr[u]!; p < history.indptr[u + 1]!; p++)
      row[history.indices[p]!] = Number.NEGATIVE_INFINITY;
  }
  return out;
}

function evaluateBlend(
  mats: readonly Float32Array[],
  weights: readonly number[],
  set: TestSet,
  n: number,
  k: number,
  name: string,
): EvaluationResult {
  const base = new Float32Array(set.users.length * n);
  accumulateBlend(base, mats, weights, -1);
  return evaluateWithBase(base, undefined, 0, set, n, k, name);
}

/** base += Σ_c w_c · mats[c], skipping component `skip` and zero weights (0 · −∞ would be NaN). */
function accumulateBlend(
  base: Float32Array,
  mats: readonly Float32Array[],
  weights: readonly number[],
  skip: number,
): void {
  for (let c = 0; c < mats.length; c++) {
    const w = weights[c]!;
    if (w === 0 || c === skip) continue;
    const m = mats[c]!;
    for (let j = 0; j < base.length; j++) base[j]! += w * m[j]!;
  }
}

/** Metrics of the blend `base + w · extra` (one fused pass per user into a reused buffer). */
function evaluateWithBase(
  base: Float32Array,
  extra: Float32Array | undefined,
  w: number,
  set: TestSet,
  n: number,
  k: number,
  name: string,
): EvaluationResult {
  const started = performance.now();
  const acc = new MetricsAccumulator(k, n);
  const buf = new Float32Array(n);
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  for (let t = 0; t < set.users.length; t++) {
    const o = t * n;
    if (extra === undefined || w === 0) buf.set(base.subarray(o, o + n));
    else for (let j = 0; j < n; j++) buf[j] = base[o + j]! + w * extra[o + j]!;
    const got = topK(buf, k, idx, sc);
    acc.add(idx, got, set.relevant[t]!);
  }
  return { name, ...acc.result(), seconds: (performance.now() - started) / 1000 };
}

function label(spec: BaseSpec): string {
  switch (spec.kind) {
    case 'recent-popularity':
      return `recent-popularity(hl=${spec.halfLifeDays}d)`;
    case 'ials':
      return `ials(f=${spec.params.factors},reg=${spec.params.regularization},a=${spec.params.alpha})`;
    case 'ease':
      return `ease(l=${spec.params.lambda})`;
    case 'item-knn':
      return `item-knn(k=${spec.params.neighbours},shrink=${spec.params.shrink})`;
    default:
      return spec.kind;
  }
}

const WEIGHT_GRID = [0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1];
const DEFAULT_VALIDATION_DAYS = 70;

/**
 * Bounded-time model selection on a validation split carved from `records` (the training data) only:
 * every candidate is fitted on the earlier part and ranked by nDCG@k on the held-out part, then the best of
 * each family is blended by coordinate ascent on the weights (anchor = best single model, weight 1). The
 * winner is refitted on all of `records` and returned with its validation metrics.
 */
export function autoTune(records: readonly InteractionRecord[], options: TuneOptions = {}): TuneResult {
  const k = options.k ?? 10;
  const budget = (options.budgetSeconds ?? 60) * 1000;
  const seed = options.seed ?? 42;
  const threads = options.threads ?? defaultThreads();
  const log = options.onProgress ?? (() => {});
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const opts = options.interaction ?? {};
  const carved = carveValidation(records, options.validationDays, opts);
  const { train, data, set: fullSet } = carved;
  const method = carved.days === null ? 'leave-last-1 per user' : `temporal: last ${carved.days} days`;
  const n = data.itemIds.length;
  const set = subsample(
    fullSet,
    Math.max(1, Math.floor((options.maxValidationUsers ?? 50_000_000) / Math.max(1, n))),
    seed,
  );
  log(`validation (${method}): ${data.stats.users} users, ${n} items, ${set.users.length} validation users`);
  const candidates =
    options.candidates ??
    defaultCandidates(n, options.easeMaxItems ?? EASE_DEFAULT_MAX_ITEMS, options.catalog !== undefined, seed);
  const tried: TuneResult['tried'] = [];
  const bestOf = new Map<string, { spec: BaseSpec; result: EvaluationResult; mat: Float32Array }>();
  let baseline: EvaluationResult | undefined;
  // The blend search runs on cached scores and is the biggest lever: keep part of the budget for it.
  const blendReserve = Math.min(0.15 * budget, 10_000);
  // Measured / estimated seconds of the last fit per kind: the estimates assume an idle machine.
  const calibration = new Map<BaseSpec['kind'], number>();
  for (const spec of candidates) {
    const remaining = budget - blendReserve - elapsed();
    const estimate = estimateSeconds(spec, data, threads);
    const expected = estimate * (calibration.get(spec.kind) ?? 1);
    if (tried.length > 0 && expected * 1000 > remaining) {
      log(`skipping ${label(spec)}: not enough budget left (~${expected.toFixed(0)} s expected)`);
      continue;
    }
    const t0 = performance.now();
    const model = fitModel(data, train, spec, { catalog: options.catalog, threads, scoringOnly: true });
    const mat = scoreMatrix(model, set, data.csr);
    const result = evaluateBlend([mat], [1], set, n, k, label(spec));
    const seconds = (performance.now() - t0) / 1000;
    if (estimate > 0.5) calibration.set(spec.kind, seconds / estimate);
    tried.push({ spec, result, seconds });
    log(`${label(spec)}: nDCG@${k} ${result.ndcg.toFixed(4)} (${seconds.toFixed(1)} s)`);
    if (spec.kind === 'popularity') baseline = result;
    const family = spec.kind === 'popularity' ? 'recent-popularity' : spec.kind;
    const prev = bestOf.get(family);
    if (prev === undefined || result.ndcg > prev.result.ndcg) bestOf.set(family, { spec, result, mat });
  }
  const families = [...bestOf.values()].sort((a, b) => b.result.ndcg - a.result.ndcg);
  const anchor = families[0]!;
  let bestSpec: ModelSpec = anchor.spec;
  let best = anchor.result;
  if (families.length > 1) {
    const mats = families.map((f) => f.mat);
    const weights: number[] = families.map((_, c) => (c === 0 ? 1 : 0));
    // The first round always runs (a few seconds); further rounds only inside the budget.
    for (let round = 0; round < 3 && (round === 0 || elapsed() < budget); round++) {
      let improved = false;
      for (let c = 1; c < families.length; c++) {
        // Everything but component c, summed once; each trial weight is then one fused pass.
        const base = new Float32Array(set.users.length * n);
        accumulateBlend(base, mats, weights, c);
        for (const w of WEIGHT_GRID) {
          if (w === weights[c]) continue;
          const r = evaluateWithBase(base, mats[c], w, set, n, k, 'hybrid');
          if (r.ndcg > best.ndcg + 1e-6) {
            best = r;
            weights[c] = w;
            improved = true;
          }
        }
      }
      if (!improved) break;
    }
    if (weights.some((w, c) => c > 0 && w > 0)) {
      bestSpec = {
        kind: 'hybrid',
        normalisation: 'zscore',
        components: families
          .map((f, c) => ({ spec: f.spec, weight: weights[c]! }))
          .filter((x) => x.weight > 0),
      };
      tried.push({ spec: bestSpec, result: best, seconds: 0 });
      log(
        `hybrid ${families.map((f, c) => `${label(f.spec)}×${weights[c]}`).join(' + ')}: nDCG@${k} ${best.ndcg.toFixed(4)}`,
      );
    }
  }
  log(`winner: ${best.name} (validation nDCG@${k} ${best.ndcg.toFixed(4)}); refitting on all training data`);
  const all = buildInteractions(records, opts);
  const model = fitModel(all, records, bestSpec, { catalog: options.catalog, onProgress: log, threads });
  return {
    spec: bestSpec,
    validation: best,
    baseline: baseline ?? best,
    tried,
    model,
    validationSplit: { trainRecords: train.length, users: set.users.length, pairs: set.pairs, method },
  };
}
