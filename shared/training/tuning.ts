import type { TestSet } from '../evaluation/evaluate.ts';
import { buildInteractions, type InteractionRecord } from '../model/interactions.ts';
import { defaultThreads } from '../model/parallel.ts';
import { fitModel } from '../model/trained-model.ts';
import type { BlendInput } from './blend.ts';
import {
  blendFamilies,
  type Entry,
  firstStage,
  fitMembers,
  judgeRanker,
  type Search,
} from './search-steps.ts';
import { selectModel } from './selection.ts';
import type { TriedCandidate, TuneOptions, TuneResult } from './tune-types.ts';
import { carveValidation, DEFAULT_VALIDATION, describeSplit } from './validation.ts';

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

/**
 * Bounded-time model selection on a validation split carved from `records` (the training data) only: every
 * candidate is fitted on the earlier part and scored per shopper by nDCG@k on the held-out part; the best of
 * each family are blended by coordinate ascent (the blend judged cross-fitted over the shoppers); the simplest
 * candidate within the bootstrap noise of the best wins; a learned ranker over its candidates is kept when it
 * beats it beyond the noise; the winner is refitted on all of `records`.
 */
export function autoTune(records: readonly InteractionRecord[], options: TuneOptions = {}): TuneResult {
  const started = performance.now();
  const opts = options.interaction ?? {};
  const carved = carveValidation(records, options.validation ?? DEFAULT_VALIDATION, opts);
  const n = carved.data.itemIds.length;
  const seed = options.seed ?? 42;
  const s: Search = {
    options,
    train: carved.train,
    data: carved.data,
    set: subsample(
      carved.set,
      Math.max(1, Math.floor((options.maxValidationUsers ?? 50_000_000) / Math.max(1, n))),
      seed,
    ),
    ...(carved.parts !== undefined ? { parts: carved.parts } : {}),
    n,
    k: options.k ?? 10,
    seed,
    threads: options.threads ?? defaultThreads(),
    budget: (options.budgetSeconds ?? 60) * 1000,
    elapsed: () => performance.now() - started,
    log: options.onProgress ?? (() => {}),
  };
  const { log } = s;
  log(`validation (${describeSplit(carved)}): ${n} items, ${s.set.users.length} shoppers scored`);
  const { members, families } = fitMembers(s);
  const scored: Entry[] = members.map((m) => ({
    spec: m.spec,
    name: m.result.name,
    perUser: m.perUser,
    result: m.result,
    seconds: m.seconds,
  }));
  const input: BlendInput = { mats: families.map((f) => f.mat), set: s.set, n, k: s.k };
  const blend = blendFamilies(s, input, families);
  if (blend !== undefined) scored.push(blend.entry);
  const selection = selectModel(scored, { seed });
  const tried: TriedCandidate[] = scored.map((e, i) => ({
    spec: e.spec,
    result: e.result,
    seconds: e.seconds,
    interval: selection.judged[i]!.interval,
    tied: selection.judged[i]!.tied,
  }));
  for (const t of tried)
    log(
      `  ${t.result.name}: ${t.interval.mean.toFixed(4)} [${t.interval.low.toFixed(4)}, ${t.interval.high.toFixed(4)}]${t.tied ? ' within the noise of the best' : ''}`,
    );
  const winner = scored[selection.judged.indexOf(selection.chosen)]!;
  log(`winner: ${winner.name} (${selection.reason})`);
  const ranker =
    options.ranker !== true
      ? undefined
      : judgeRanker(
          s,
          winner,
          scored[selection.judged.indexOf(selection.best)]!.perUser,
          firstStage(s, winner, members, input, blend?.weights),
        );
  log('refitting the winner on all training data');
  const all = buildInteractions(records, opts);
  const model = fitModel(all, records, winner.spec, {
    catalog: options.catalog,
    onProgress: log,
    threads: s.threads,
  });
  if (ranker?.kept === true) model.ranker = ranker.model;
  return {
    spec: winner.spec,
    validation: winner.result,
    baseline: tried.find((t) => t.spec.kind === 'popularity')?.result ?? winner.result,
    tried,
    model,
    selection: selection.reason,
    ...(ranker !== undefined ? { ranker } : {}),
    validationSplit: {
      trainRecords: carved.train.length,
      users: s.set.users.length,
      pairs: s.set.pairs,
      method: carved.split,
      shoppers: carved.shoppers,
      covered: carved.covered,
    },
  };
}
