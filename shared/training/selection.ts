import {
  type BootstrapOptions,
  bootstrapMean,
  type Interval,
  pairedDifference,
} from '../evaluation/bootstrap.ts';
import type { ModelSpec } from '../model/trained-model.ts';
import { complexity } from './candidates.ts';

/** A candidate's nDCG@k per validation shopper (the same shoppers, in the same order, for every candidate). */
export interface Scored {
  spec: ModelSpec;
  name: string;
  perUser: Float64Array;
}

export interface Judged {
  name: string;
  spec: ModelSpec;
  /** Mean nDCG@k over the shoppers and its bootstrap interval. */
  interval: Interval;
  /** The best candidate's score minus this one's, paired over the same shoppers, with its interval. */
  behindBest: Interval;
  /** Within the noise of the best: the interval of `behindBest` reaches zero. */
  tied: boolean;
  complexity: number;
}

export interface Selection {
  chosen: Judged;
  best: Judged;
  judged: Judged[];
  reason: string;
}

/**
 * Picks the model to return: the best mean nDCG@k, unless a simpler candidate is within the noise of it (the
 * bootstrap interval over shoppers of their paired difference contains zero) — then the simplest such one.
 * Since the pick is never behind the best beyond the noise, it is never behind popularity or any single
 * member beyond the noise either.
 */
export function selectModel(candidates: readonly Scored[], options: BootstrapOptions = {}): Selection {
  if (candidates.length === 0) throw new RangeError('no candidate to select from');
  const means = candidates.map((c) => bootstrapMean(c.perUser, options));
  let b = 0;
  for (let i = 1; i < candidates.length; i++) if (means[i]!.mean > means[b]!.mean) b = i;
  const judged = candidates.map((c, i): Judged => {
    const behindBest =
      i === b ? { mean: 0, low: 0, high: 0 } : pairedDifference(candidates[b]!.perUser, c.perUser, options);
    return {
      name: c.name,
      spec: c.spec,
      interval: means[i]!,
      behindBest,
      tied: behindBest.low <= 0,
      complexity: complexity(c.spec),
    };
  });
  const best = judged[b]!;
  let chosen = best;
  for (const j of judged)
    if (
      j.tied &&
      (j.complexity < chosen.complexity ||
        (j.complexity === chosen.complexity && j.interval.mean > chosen.interval.mean))
    )
      chosen = j;
  const reason =
    chosen === best
      ? `${best.name} is best and no simpler candidate is within the noise`
      : `${chosen.name} is within the noise of the best, ${best.name} (${best.interval.mean.toFixed(4)} vs ${chosen.interval.mean.toFixed(4)}, difference interval [${chosen.behindBest.low.toFixed(4)}, ${chosen.behindBest.high.toFixed(4)}]), and simpler`;
  return { chosen, best, judged, reason };
}
