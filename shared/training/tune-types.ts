import type { Interval } from '../evaluation/bootstrap.ts';
import type { EvaluationResult } from '../evaluation/evaluate.ts';
import type { ContentItem } from '../model/content.ts';
import type { InteractionOptions } from '../model/interactions.ts';
import type { RankerModel } from '../model/ranker.ts';
import type { BaseSpec, ModelSpec, TrainedModel } from '../model/trained-model.ts';
import type { ValidationProtocol } from './validation.ts';

/** The auto-tuner's options and result (tuning.ts), apart so that its steps (search-steps.ts) share them. */
export interface TuneOptions {
  k?: number;
  /**
   * Wall-clock budget for the search in seconds (default 60; the final refit on all data comes on top). On
   * Online Retail 60 s fits the cheap families and EASE on a busy 2-core machine, and iALS too when idle.
   */
  budgetSeconds?: number;
  /** How validation is carved from the training data (default: mixed, 20 % per shopper: half newest, half random). */
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
  /**
   * Try the learned second stage over the winner's candidates (default false: in bench:quality a ranker kept on
   * validation lost on Online Retail's temporal test, so it is opt-in until it generalises across protocols).
   */
  ranker?: boolean;
  onProgress?: (message: string) => void;
}

/** The learned second stage as the search judged it. */
export interface RankerVerdict {
  /** Kept: it beat the first stage beyond the noise and the best candidate's mean, and lost on no part. */
  kept: boolean;
  /** nDCG@k of the reranked lists on the validation shoppers it was not trained on (half), with its interval. */
  interval: Interval;
  /** Its gain over the first stage it reranks, paired over the shoppers. */
  gain: Interval;
  /**
   * With a `mixed` validation, the same gain on each part (the shoppers' newest items, the random ones), paired
   * over the shoppers who have items held out in that part. A loss beyond the noise on any part refuses it.
   */
  parts?: { name: string; shoppers: number; gain: Interval }[];
  seconds: number;
  /** The trained ranker (attached to the returned model only when kept). */
  model: RankerModel;
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
