import { bootstrapMean } from '../evaluation/bootstrap.ts';
import type { EvaluationResult, TestSet } from '../evaluation/evaluate.ts';
import { EASE_DEFAULT_MAX_ITEMS } from '../model/ease.ts';
import type { InteractionRecord, Interactions } from '../model/interactions.ts';
import { type BaseSpec, fitModel, type ModelSpec } from '../model/trained-model.ts';
import { type BlendInput, blendMetrics, blendScores, crossFittedBlend, scoreMatrix } from './blend.ts';
import { defaultCandidates, estimateSeconds, label } from './candidates.ts';
import { trainRanker, type ValidationPart } from './ranker-training.ts';
import type { Scored } from './selection.ts';
import type { RankerVerdict, TuneOptions } from './tune-types.ts';

/** The steps of one auto-tuning search (tuning.ts runs them in order). */

export interface Member {
  spec: BaseSpec;
  result: EvaluationResult;
  perUser: Float64Array;
  mat: Float32Array;
  seconds: number;
}

/** What every step of one search shares: the carved split, the cached scores' shape, the clock. */
export interface Search {
  options: TuneOptions;
  train: InteractionRecord[];
  data: Interactions;
  set: TestSet;
  /** The validation's parts (`mixed`), each a subset of `set`'s shoppers and held-out items. */
  parts?: readonly { name: string; set: TestSet }[];
  n: number;
  k: number;
  seed: number;
  threads: number;
  budget: number;
  elapsed: () => number;
  log: (message: string) => void;
}

export type Entry = Scored & { result: EvaluationResult; seconds: number };

const familyOf = (spec: BaseSpec) => (spec.kind === 'popularity' ? 'recent-popularity' : spec.kind);

/** Fits and scores every candidate the budget allows; keeps the score matrix of each family's best only. */
export function fitMembers(s: Search): { members: Member[]; families: Member[] } {
  const { data, set, n, k, log } = s;
  const candidates =
    s.options.candidates ??
    defaultCandidates(
      n,
      s.options.easeMaxItems ?? EASE_DEFAULT_MAX_ITEMS,
      s.options.catalog !== undefined,
      s.seed,
      futureFacing(s.options.validation),
    );
  const members: Member[] = [];
  const bestOf = new Map<string, Member>();
  // The blend search runs on cached scores and is the biggest lever: keep part of the budget for it.
  const blendReserve = Math.min(0.15 * s.budget, 10_000);
  // Measured / estimated seconds of the last fit per kind: the estimates assume an idle machine.
  const calibration = new Map<BaseSpec['kind'], number>();
  for (const spec of candidates) {
    const estimate = estimateSeconds(spec, data, s.threads);
    const expected = estimate * (calibration.get(spec.kind) ?? 1);
    if (members.length > 0 && expected * 1000 > s.budget - blendReserve - s.elapsed()) {
      log(`skipping ${label(spec)}: not enough budget left (~${expected.toFixed(0)} s expected)`);
      continue;
    }
    const t0 = performance.now();
    const mat = memberScores(s, spec);
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
    const prev = bestOf.get(familyOf(spec));
    if (prev === undefined || metrics.ndcg > prev.result.ndcg) bestOf.set(familyOf(spec), member);
    // Only the best of each family is blended: drop the other score matrices now (memory).
    for (const m of members) if (m !== bestOf.get(familyOf(m.spec))) m.mat = EMPTY;
  }
  return { members, families: [...bestOf.values()].sort((a, b) => b.result.ndcg - a.result.ndcg) };
}

function memberScores(s: Search, spec: BaseSpec): Float32Array {
  const model = fitModel(s.data, s.train, spec, {
    catalog: s.options.catalog,
    threads: s.threads,
    scoringOnly: true,
  });
  return scoreMatrix(model, s.set, s.data.csr);
}

/** The blend of the families' best, as a candidate judged cross-fitted, when any weight beyond the anchor's helps. */
export function blendFamilies(
  s: Search,
  input: BlendInput,
  families: Member[],
): { entry: Entry; weights: number[] } | undefined {
  if (families.length < 2) return undefined;
  const t0 = performance.now();
  const { weights, outOfFold } = crossFittedBlend(input, 3, () => s.elapsed() < s.budget);
  if (!weights.some((w, c) => c > 0 && w > 0)) return undefined;
  const spec: ModelSpec = {
    kind: 'hybrid',
    normalisation: 'zscore',
    components: families.map((f, c) => ({ spec: f.spec, weight: weights[c]! })).filter((x) => x.weight > 0),
  };
  const { metrics } = blendMetrics(input, weights);
  const seconds = (performance.now() - t0) / 1000;
  // The blend's nDCG is the cross-fitted one: what its weights do on shoppers they were not searched on.
  const result = { name: label(spec), ...metrics, ndcg: mean(outOfFold), seconds };
  s.log(
    `${result.name}: nDCG@${s.k} ${result.ndcg.toFixed(4)} cross-fitted (${metrics.ndcg.toFixed(4)} in-sample)`,
  );
  return { entry: { spec, name: result.name, perUser: outOfFold, result, seconds }, weights };
}

/**
 * Trains the second stage over the winner's validation candidates and keeps it only when it beats, beyond the
 * noise, the first stage it reranks — and, on its mean, the best candidate of the search (`best`: its nDCG per
 * validation shopper), both on the shoppers it was not trained on.
 */
export function judgeRanker(
  s: Search,
  winner: Entry,
  best: Float64Array,
  first: { base: Float32Array; perUser: Float64Array },
): RankerVerdict {
  const t0 = performance.now();
  // Popularity, recency and the item neighbours of the validation part: what the ranker's features read.
  const ctx = fitModel(
    s.data,
    s.train,
    { kind: 'popularity' },
    { catalog: s.options.catalog, threads: s.threads },
  );
  const outcome = trainRanker({
    ctx,
    history: s.data.csr,
    set: s.set,
    base: first.base,
    basePerUser: first.perUser,
    n: s.n,
    k: s.k,
    seed: s.seed,
    ...(s.parts !== undefined ? { parts: s.parts.map((p) => alignPart(s.set, p)) } : {}),
  });
  const interval = bootstrapMean(outcome.perUser, { seed: s.seed });
  const bestMean = mean(Float64Array.from(outcome.users, (t) => best[t]!));
  const g = outcome.gain;
  // A pooled gain can hide a loss: winning the newest items by more than it loses the random ones is no win on
  // a random future (Online Retail: kept on `mixed`, 0.300 → 0.252 on the random 75/25 test).
  const loses = outcome.parts?.find((p) => p.gain.high < 0);
  const kept = g.low > 0 && interval.mean > bestMean && loses === undefined;
  const why = kept
    ? 'kept'
    : loses !== undefined
      ? `not kept: loses on the ${loses.name} part, gain ${range(loses.gain)}`
      : 'not kept (not beyond the noise)';
  const parts = outcome.parts?.map((p) => `, ${p.name} part ${range(p.gain)}`).join('') ?? '';
  s.log(
    `ranker over ${winner.name}: nDCG@${s.k} ${range(interval)} on the ${outcome.users.length} shoppers it was not trained on, gain ${range(g)}${parts}: ${why}`,
  );
  return {
    kept,
    interval,
    gain: g,
    ...(outcome.parts !== undefined ? { parts: outcome.parts } : {}),
    seconds: (performance.now() - t0) / 1000,
    model: outcome.model,
  };
}

const range = (i: { mean: number; low: number; high: number }) =>
  `${i.mean.toFixed(4)} [${i.low.toFixed(4)}, ${i.high.toFixed(4)}]`;

/** A part's relevant items per shopper of `set` (the search's shoppers may be a sample of the validation's). */
function alignPart(set: TestSet, part: { name: string; set: TestSet }): ValidationPart {
  const byUser = new Map(Array.from(part.set.users, (u, i) => [u, part.set.relevant[i]!] as const));
  return { name: part.name, relevant: Array.from(set.users, (u) => byUser.get(u)) };
}

/** The winner's own validation scores (the blend's, or its matrix — refitted if it was dropped). */
export function firstStage(
  s: Search,
  winner: Entry,
  members: Member[],
  input: BlendInput,
  weights: number[] | undefined,
) {
  if (winner.spec.kind === 'hybrid' && weights !== undefined)
    return { base: blendScores(input, weights), perUser: blendMetrics(input, weights).perUser };
  const member = members.find((m) => m.spec === winner.spec);
  const base =
    member !== undefined && member.mat.length > 0 ? member.mat : memberScores(s, winner.spec as BaseSpec);
  return {
    base,
    perUser: member?.perUser ?? blendMetrics({ mats: [base], set: s.set, n: s.n, k: s.k }, [1]).perUser,
  };
}

/** A validation that holds out only what came last (globally or per shopper): recency candidates can win it. */
function futureFacing(v: TuneOptions['validation']): boolean {
  return v?.kind === 'temporal' || v?.kind === 'leave-last';
}

const EMPTY = new Float32Array(0);

function mean(a: Float64Array): number {
  let s = 0;
  for (const x of a) s += x;
  return a.length > 0 ? s / a.length : 0;
}
