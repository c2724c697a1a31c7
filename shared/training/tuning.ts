import { bootstrapMean, type Interval } from '../evaluation/bootstrap.ts';
import type { EvaluationResult, TestSet } from '../evaluation/evaluate.ts';
import type { ContentItem } from '../model/content.ts';
import { EASE_DEFAULT_MAX_ITEMS } from '../model/ease.ts';
import { buildInteractions, type InteractionOptions, type InteractionRecord } from '../model/interactions.ts';
import { defaultThreads } from '../model/parallel.ts';
import type { RankerModel } from '../model/ranker.ts';
import { type BaseSpec, fitModel, type ModelSpec, type TrainedModel } from '../model/trained-model.ts';
import { type BlendInput, blendMetrics, blendScores, crossFittedBlend, scoreMatrix } from './blend.ts';
import { defaultCandidates, estimateSeconds, label } from './candidates.ts';
import { trainRanker } from './ranker-training.ts';
import { type Scored, selectModel } from './selection.ts';
import { carveValidation, DEFAULT_VALIDATION, describeSplit, type ValidationProtocol } from './validation.ts';

export interface TuneOptions {
  k?: number;
  /**
   * Wall-clock budget for the search in seconds (default 60; the final refit on all data comes on top). On
   * Online Retail 60 s fits the cheap families and EASE on a busy 2-core machine, and iALS too when idle.
   */
  budgetSeconds?: number;
  /** How validation is carved from the training data (default: leave-last 20 % per shopper). */
  validation?: ValidationProtocol;
  /** Threads for EASE and iALS (default: the machine's parallelism; RECSYS_THREADS overrides). */
  threads?: number;
  interaction?: InteractionOptions;
  catalog?: readonly ContentItem[];
  easeMaxItems?: number;
  /** Cap on validation users whose scores are cached for the blend search (memory: users × items floats). */
  maxValidationUsers?: number;
  seed?: number;
  candidates?: BaseSpec[];
  /** Try the learned second stage over the winner's candidates (default true). */
  ranker?: boolean;
  onProgress?: (message: string) => void;
}

/** The learned second stage as the search judged it. */
export interface RankerVerdict {
  /** Kept: it beat the first stage beyond the noise and the best candidate's mean. */
  kept: boolean;
  /** Cross-fitted nDCG@k of the reranked lists, with its bootstrap interval. */
  interval: Interval;
  /** Its gain over the first stage it reranks, paired over the shoppers. */
  gain: Interval;
  seconds: number;
  model?: RankerModel;
}

export interface TriedCandidate {
  spec: ModelSpec;
  result: EvaluationResult;
  seconds: number;
  /** Bootstrap interval over the validation shoppers of its mean nDCG@k (a blend: cross-fitted). */
  interval: Interval;
  /** Within the noise of the best candidate. */
  tied: boolean;
}

export interface TuneResult {
  spec: ModelSpec;
  validation: EvaluationResult;
  /** The popularity baseline on the same validation split. */
  baseline: EvaluationResult;
  tried: TriedCandidate[];
  model: TrainedModel;
  /** Why the winner won (the best, or a simpler one within the noise of the best). */
  selection: string;
  ranker?: RankerVerdict;
  validationSplit: {
    trainRecords: number;
    users: number;
    pairs: number;
    method: string;
    /** Shoppers with history in the training data, and how many of them validation covers. */
    shoppers: number;
    covered: number;
  };
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

interface Member {
  spec: BaseSpec;
  result: EvaluationResult;
  perUser: Float64Array;
  mat: Float32Array;
  seconds: number;
}

/**
 * Bounded-time model selection on a validation split carved from `records` (the training data) only: every
 * candidate is fitted on the earlier part and scored per shopper by nDCG@k on the held-out part; the best of
 * each family are blended by coordinate ascent (the blend judged cross-fitted over the shoppers); then the
 * simplest candidate within the bootstrap noise of the best wins and is refitted on all of `records`.
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
  const carved = carveValidation(records, options.validation ?? DEFAULT_VALIDATION, opts);
  const { train, data } = carved;
  const n = data.itemIds.length;
  const set = subsample(
    carved.set,
    Math.max(1, Math.floor((options.maxValidationUsers ?? 50_000_000) / Math.max(1, n))),
    seed,
  );
  log(`validation (${describeSplit(carved)}): ${n} items, ${set.users.length} shoppers scored`);
  const candidates =
    options.candidates ??
    defaultCandidates(n, options.easeMaxItems ?? EASE_DEFAULT_MAX_ITEMS, options.catalog !== undefined, seed);
  const members: Member[] = [];
  const bestOf = new Map<string, Member>();
  // The blend search runs on cached scores and is the biggest lever: keep part of the budget for it.
  const blendReserve = Math.min(0.15 * budget, 10_000);
  // Measured / estimated seconds of the last fit per kind: the estimates assume an idle machine.
  const calibration = new Map<BaseSpec['kind'], number>();
  for (const spec of candidates) {
    const remaining = budget - blendReserve - elapsed();
    const estimate = estimateSeconds(spec, data, threads);
    const expected = estimate * (calibration.get(spec.kind) ?? 1);
    if (members.length > 0 && expected * 1000 > remaining) {
      log(`skipping ${label(spec)}: not enough budget left (~${expected.toFixed(0)} s expected)`);
      continue;
    }
    const t0 = performance.now();
    const model = fitModel(data, train, spec, { catalog: options.catalog, threads, scoringOnly: true });
    const mat = scoreMatrix(model, set, data.csr);
    const { metrics, perUser } = blendMetrics({ mats: [mat], set, n, k }, [1]);
    const seconds = (performance.now() - t0) / 1000;
    if (estimate > 0.5) calibration.set(spec.kind, seconds / estimate);
    const member: Member = {
      spec,
      result: { name: label(spec), ...metrics, seconds },
      perUser,
      mat,
      seconds,
    };
    members.push(member);
    log(`${label(spec)}: nDCG@${k} ${metrics.ndcg.toFixed(4)} (${seconds.toFixed(1)} s)`);
    const family = spec.kind === 'popularity' ? 'recent-popularity' : spec.kind;
    const prev = bestOf.get(family);
    if (prev === undefined || metrics.ndcg > prev.result.ndcg) bestOf.set(family, member);
    // Only the best of each family is blended: drop the other score matrices now (memory).
    for (const m of members)
      if (m !== bestOf.get(m.spec.kind === 'popularity' ? 'recent-popularity' : m.spec.kind)) m.mat = EMPTY;
  }
  const scored: (Scored & { result: EvaluationResult; seconds: number })[] = members.map((m) => ({
    spec: m.spec,
    name: m.result.name,
    perUser: m.perUser,
    result: m.result,
    seconds: m.seconds,
  }));
  const families = [...bestOf.values()].sort((a, b) => b.result.ndcg - a.result.ndcg);
  const input: BlendInput = { mats: families.map((f) => f.mat), set, n, k };
  let blendWeights: number[] | undefined;
  if (families.length > 1) {
    const t0 = performance.now();
    const { weights, outOfFold } = crossFittedBlend(input, 3, () => elapsed() < budget);
    if (weights.some((w, c) => c > 0 && w > 0)) {
      blendWeights = weights;
      const spec: ModelSpec = {
        kind: 'hybrid',
        normalisation: 'zscore',
        components: families
          .map((f, c) => ({ spec: f.spec, weight: weights[c]! }))
          .filter((x) => x.weight > 0),
      };
      const { metrics } = blendMetrics(input, weights);
      const seconds = (performance.now() - t0) / 1000;
      // The blend's nDCG is the cross-fitted one: what its weights do on shoppers they were not searched on.
      const result = { name: label(spec), ...metrics, ndcg: mean(outOfFold), seconds };
      scored.push({ spec, name: result.name, perUser: outOfFold, result, seconds });
      log(
        `${result.name}: nDCG@${k} ${result.ndcg.toFixed(4)} cross-fitted (${metrics.ndcg.toFixed(4)} in-sample)`,
      );
    }
  }
  const selection = selectModel(scored, { seed });
  const tried: TriedCandidate[] = scored.map((s, i) => ({
    spec: s.spec,
    result: s.result,
    seconds: s.seconds,
    interval: selection.judged[i]!.interval,
    tied: selection.judged[i]!.tied,
  }));
  for (const t of tried)
    log(
      `  ${t.result.name}: ${t.interval.mean.toFixed(4)} [${t.interval.low.toFixed(4)}, ${t.interval.high.toFixed(4)}]${t.tied ? ' within the noise of the best' : ''}`,
    );
  const winner = tried[selection.judged.indexOf(selection.chosen)]!;
  const baseline = tried.find((t) => t.spec.kind === 'popularity')?.result ?? winner.result;
  log(`winner: ${winner.result.name} (${selection.reason})`);
  let ranker: RankerVerdict | undefined;
  if (options.ranker !== false) {
    const t0 = performance.now();
    // The first stage's validation scores: the blend's, or the winner's own matrix (refitted if dropped).
    const memberOf = members.find((m) => m.spec === winner.spec);
    let base: Float32Array;
    let basePerUser: Float64Array;
    if (winner.spec.kind === 'hybrid' && blendWeights !== undefined) {
      base = blendScores(input, blendWeights);
      basePerUser = blendMetrics(input, blendWeights).perUser;
    } else {
      base =
        memberOf !== undefined && memberOf.mat.length > 0
          ? memberOf.mat
          : scoreMatrix(
              fitModel(data, train, winner.spec as BaseSpec, {
                catalog: options.catalog,
                threads,
                scoringOnly: true,
              }),
              set,
              data.csr,
            );
      basePerUser = memberOf?.perUser ?? blendMetrics({ mats: [base], set, n, k }, [1]).perUser;
    }
    // Popularity, recency and the item neighbours of the validation part: what the ranker's features read.
    const ctx = fitModel(data, train, { kind: 'popularity' }, { catalog: options.catalog, threads });
    const outcome = trainRanker({ ctx, history: data.csr, set, base, basePerUser, n, k, seed });
    const interval = bootstrapMean(outcome.perUser, { seed });
    const kept = outcome.gain.low > 0 && interval.mean > selection.best.interval.mean;
    ranker = {
      kept,
      interval,
      gain: outcome.gain,
      seconds: (performance.now() - t0) / 1000,
      ...(kept ? { model: outcome.model } : {}),
    };
    log(
      `ranker over ${winner.result.name}: nDCG@${k} ${interval.mean.toFixed(4)} [${interval.low.toFixed(4)}, ${interval.high.toFixed(4)}] cross-fitted, gain ${outcome.gain.mean.toFixed(4)} [${outcome.gain.low.toFixed(4)}, ${outcome.gain.high.toFixed(4)}]: ${kept ? 'kept' : 'not kept (not beyond the noise of the best)'}`,
    );
  }
  log('refitting the winner on all training data');
  const all = buildInteractions(records, opts);
  const model = fitModel(all, records, winner.spec, { catalog: options.catalog, onProgress: log, threads });
  if (ranker?.model !== undefined) model.ranker = ranker.model;
  return {
    spec: winner.spec,
    validation: winner.result,
    baseline,
    tried,
    model,
    selection: selection.reason,
    ...(ranker !== undefined ? { ranker } : {}),
    validationSplit: {
      trainRecords: train.length,
      users: set.users.length,
      pairs: set.pairs,
      method: carved.split,
      shoppers: carved.shoppers,
      covered: carved.covered,
    },
  };
}

const EMPTY = new Float32Array(0);

function mean(a: Float64Array): number {
  let s = 0;
  for (const x of a) s += x;
  return a.length > 0 ? s / a.length : 0;
}
