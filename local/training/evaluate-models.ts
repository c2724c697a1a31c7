import {
  buildTestSet,
  type EvaluationResult,
  evaluate,
  evaluateWithBaseline,
} from '../../shared/evaluation/evaluate.ts';
import { leaveLastNSplit, randomSplit, temporalSplit } from '../../shared/evaluation/splits.ts';
import type { ContentItem } from '../../shared/model/content.ts';
import { EASE_DEFAULT_MAX_ITEMS } from '../../shared/model/ease.ts';
import {
  buildInteractions,
  type InteractionRecord,
  type RatingsMeaning,
  ratingWeight,
} from '../../shared/model/interactions.ts';
import { fixedSpec, type ModelChoice } from '../../shared/model/model-choice.ts';
import { rankedScorer } from '../../shared/model/ranker.ts';
import type { Scorer } from '../../shared/model/scorer.ts';
import { fitModel, modelScorer } from '../../shared/model/trained-model.ts';
import { TrainingInputError } from '../../shared/training/pipeline.ts';
import { autoTune } from '../../shared/training/tuning.ts';
import {
  formatValidation,
  mirrorValidation,
  type ValidationProtocol,
} from '../../shared/training/validation.ts';

export type SplitSpec =
  | { kind: 'temporal'; cutoff: string }
  | { kind: 'random'; ratio: number }
  | { kind: 'last'; n: number };

/** `temporal:2011-10-01`, `random:0.75`, `last:1`. */
export function parseSplit(text: string): SplitSpec {
  const [kind, arg = ''] = text.split(/:(.*)/s);
  if (kind === 'temporal') {
    const iso = /^\d{4}-\d{2}-\d{2}$/.test(arg) ? `${arg}T00:00:00Z` : arg;
    if (!Number.isFinite(Date.parse(iso)))
      throw new TrainingInputError(`--split temporal:${arg}: not a date (e.g. temporal:2011-10-01)`);
    return { kind, cutoff: iso };
  }
  if (kind === 'random') {
    const ratio = Number(arg);
    if (!(ratio > 0 && ratio < 1))
      throw new TrainingInputError(
        `--split random:${arg}: the training share must be in (0, 1), e.g. random:0.75`,
      );
    return { kind, ratio };
  }
  if (kind === 'last') {
    const n = Number(arg);
    if (!Number.isInteger(n) || n < 1)
      throw new TrainingInputError(
        `--split last:${arg}: the held-out count must be a positive integer, e.g. last:1`,
      );
    return { kind, n };
  }
  throw new TrainingInputError(`--split ${text}: expected temporal:DATE, random:RATIO or last:N`);
}

export function applySplit(records: readonly InteractionRecord[], split: SplitSpec, seed = 42) {
  if (split.kind === 'temporal') return temporalSplit(records, split.cutoff);
  if (split.kind === 'random') return randomSplit(records, split.ratio, seed);
  return leaveLastNSplit(records, split.n);
}

export interface EvaluateModelsOptions {
  models: ModelChoice[];
  k: number;
  seed?: number;
  budgetSeconds?: number;
  /**
   * The auto/hybrid search's validation inside the training part. Default: the one that mirrors this split
   * (mirrorValidation): the tuner is asked the question the test asks.
   */
  validation?: ValidationProtocol;
  ratings?: RatingsMeaning;
  catalog?: readonly ContentItem[];
  onProgress?: (message: string) => void;
}

export interface EvaluateModelsResult {
  trainUsers: number;
  items: number;
  trainPairs: number;
  testUsers: number;
  testPairs: number;
  results: (EvaluationResult & { trainSeconds?: number })[];
  /** How auto/hybrid validated, when one was evaluated: the `--validation` text and why it was chosen. */
  validation?: { protocol: string; reason: string };
}

/**
 * Fits each requested model on `train` and ranks the top-k of every test user (new pairs of known users and
 * items, training items excluded); popularity on the same split is always reported first.
 */
export function evaluateModels(
  train: readonly InteractionRecord[],
  test: readonly InteractionRecord[],
  options: EvaluateModelsOptions,
): EvaluateModelsResult {
  const log = options.onProgress ?? (() => {});
  const ratings = options.ratings ?? 'preference';
  const ix = buildInteractions(train, { ratings });
  if (ix.stats.pairs === 0) throw new TrainingInputError('the training part has no interactions');
  if (ix.stats.users < 2)
    throw new TrainingInputError(
      `the training part has only one user (${ix.userIds[0]}): nothing to compare`,
    );
  // A held-out dislike is not something a list should find.
  const testSet = buildTestSet(
    ix,
    test.filter((r) => r.type !== 'rating' || ratingWeight(1, r.value, ratings) > 0),
  );
  if (testSet.users.length === 0)
    throw new TrainingInputError(
      `no test interaction is a new pair of a user and an item seen in training (${test.length} test records): nothing to evaluate`,
    );
  const catalog = options.catalog !== undefined && options.catalog.length > 0 ? options.catalog : undefined;
  const scorers: { scorer: Scorer; trainSeconds: number }[] = [];
  const tunes = options.models.some((m) => m === 'auto' || m === 'hybrid');
  const mirrored =
    tunes && options.validation === undefined ? mirrorValidation(train, test, options.seed) : undefined;
  const validation = options.validation ?? mirrored?.protocol;
  const validationNote =
    validation === undefined
      ? undefined
      : {
          protocol: formatValidation(validation),
          reason: mirrored?.reason ?? 'given with --validation',
        };
  if (validationNote !== undefined)
    log(`auto/hybrid validate with ${validationNote.protocol}: ${validationNote.reason}`);
  for (const choice of options.models) {
    if (choice === 'popularity') continue;
    const t0 = performance.now();
    if (choice === 'auto' || choice === 'hybrid') {
      log(
        `${choice}: tuning within ${options.budgetSeconds ?? 120} s on a validation split of the training part`,
      );
      const tuned = autoTune(train, {
        k: options.k,
        seed: options.seed ?? 42,
        budgetSeconds: options.budgetSeconds ?? 120,
        interaction: { ratings },
        ...(validation !== undefined ? { validation } : {}),
        ...(catalog !== undefined ? { catalog } : {}),
        onProgress: (m) => log(`  ${m}`),
      });
      if (
        tuned.model.itemIds.length !== ix.itemIds.length ||
        tuned.model.userIds.length !== ix.userIds.length
      )
        throw new Error('the tuned model has another id space than the training part');
      const m = tuned.model;
      const first = modelScorer(m);
      // What serving shows: the precomputed lists and the served ones go through the ranker when one was kept.
      const served = m.ranker !== undefined ? rankedScorer(first, m.ranker, m, m.history) : first;
      scorers.push({
        scorer: {
          ...served,
          name: `${choice} (${tuned.spec.kind}${m.ranker !== undefined ? ' + ranker' : ''})`,
        },
        trainSeconds: (performance.now() - t0) / 1000,
      });
      continue;
    }
    if (choice === 'content' && catalog === undefined) {
      log('content: skipped, no catalog (item titles) in this data source');
      continue;
    }
    if (choice === 'ease' && ix.stats.items > EASE_DEFAULT_MAX_ITEMS) {
      log(`ease: skipped, ${ix.stats.items} items is above its ${EASE_DEFAULT_MAX_ITEMS}-item limit`);
      continue;
    }
    log(`${choice}: fitting`);
    const model = fitModel(ix, train, fixedSpec(choice, options.seed ?? 42), {
      ...(catalog !== undefined ? { catalog } : {}),
    });
    scorers.push({
      scorer: { ...modelScorer(model), name: choice },
      trainSeconds: (performance.now() - t0) / 1000,
    });
  }
  const base = evaluateWithBaseline([], ix, testSet, options.k)[0]!;
  const results: EvaluateModelsResult['results'] = [{ ...base, name: 'popularity' }];
  for (const s of scorers) {
    log(`${s.scorer.name}: evaluating ${testSet.users.length} users`);
    results.push({ ...evaluate(s.scorer, ix.csr, testSet, options.k), trainSeconds: s.trainSeconds });
  }
  return {
    trainUsers: ix.stats.users,
    items: ix.stats.items,
    trainPairs: ix.stats.pairs,
    testUsers: testSet.users.length,
    testPairs: testSet.pairs,
    results,
    ...(validationNote !== undefined ? { validation: validationNote } : {}),
  };
}
