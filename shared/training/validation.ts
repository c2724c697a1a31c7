import { buildTestSet, type TestSet } from '../evaluation/evaluate.ts';
import {
  leaveLastAndRandomSplit,
  leaveLastShareSplit,
  randomSplit,
  temporalSplit,
} from '../evaluation/splits.ts';
import {
  buildInteractions,
  type InteractionOptions,
  type InteractionRecord,
  type Interactions,
  ratingWeight,
  toEpochMs,
} from '../model/interactions.ts';

/**
 * How the tuner carves its validation out of the training data (`recsys train --validation`):
 * - `mixed[:SHARE]` (default, 0.2): per shopper, SHARE of his distinct items held out, half his newest (at least
 *   one, time-ordered within the shopper) and half at random from the rest. Every shopper with two or more items
 *   is validated, and a model must both predict what comes next and fill in what is missing to win: tuned on
 *   only the newest, the search favoured neighbourhoods over EASE on Online Retail and lost ~40 % on a random
 *   hold-out; tuned on only random ones it would ignore what recency tells.
 * - `leave-last[:SHARE]` (0.2): per shopper, the newest SHARE of his distinct items (at least one)
 *   are held out, in time order within the shopper. Every shopper with two or more items is validated, at his
 *   own latest moment, so the score stands for the shoppers and not for the few active in the last weeks.
 * - `temporal[:DAYS]`: one global cut, the last DAYS (default 70, at most a quarter of the span); it mirrors a
 *   temporal test but often covers a small minority of the shoppers. Below 20 shoppers it falls back to
 *   leave-last-1.
 * - `random[:SHARE]`: per shopper, a seeded random SHARE (default 0.25) of his items, whatever their time.
 */
export type ValidationProtocol =
  | { kind: 'mixed'; share: number; seed: number }
  | { kind: 'leave-last'; share: number }
  | { kind: 'temporal'; days?: number }
  | { kind: 'random'; share: number; seed: number };

const VALIDATION_PROTOCOLS = ['mixed', 'leave-last', 'temporal', 'random'] as const;
export const DEFAULT_VALIDATION: ValidationProtocol = { kind: 'mixed', share: 0.2, seed: 42 };
const DEFAULT_VALIDATION_DAYS = 70;
const MIN_TEMPORAL_USERS = 20;

/** Thrown for a `--validation` text that names no protocol or carries a bad argument. */
export class ValidationProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationProtocolError';
  }
}

/** `mixed`, `mixed:0.3`, `leave-last`, `leave-last:0.2`, `temporal`, `temporal:70`, `random`, `random:0.25`. */
export function parseValidation(text: string, seed = 42): ValidationProtocol {
  const [kind, arg] = text.trim().split(/:(.*)/s) as [string, string | undefined];
  const share = (fallback: number): number => {
    if (arg === undefined || arg === '') return fallback;
    const x = Number(arg);
    if (!(x > 0 && x < 0.9))
      throw new ValidationProtocolError(
        `--validation ${text}: the held-out share must be a number in (0, 0.9), e.g. ${kind}:${fallback}`,
      );
    return x;
  };
  if (kind === 'mixed') return { kind, share: share(0.2), seed };
  if (kind === 'leave-last') return { kind, share: share(0.2) };
  if (kind === 'random') return { kind, share: share(0.25), seed };
  if (kind === 'temporal') {
    if (arg === undefined || arg === '') return { kind };
    const days = Number(arg);
    if (!(days > 0) || !Number.isFinite(days))
      throw new ValidationProtocolError(
        `--validation ${text}: the days must be a positive number, e.g. temporal:70`,
      );
    return { kind, days };
  }
  throw new ValidationProtocolError(
    `--validation ${text}: expected ${VALIDATION_PROTOCOLS.map((p) => `${p}[:…]`).join(', ')}`,
  );
}

export interface CarvedValidation {
  train: InteractionRecord[];
  data: Interactions;
  set: TestSet;
  /** What was held out, as the manifest records it: `mixed:20%`, `leave-last:20%`, `temporal:70d`, `last:1`, `random:25%`. */
  split: string;
  /** Shoppers with at least one interaction in the whole training data. */
  shoppers: number;
  /** Of them, how many the validation scores (held-out new pairs with known items). */
  covered: number;
  /**
   * `mixed` only: the held-out part of each shopper's newest items and the part drawn at random, each scored on
   * its own (the same training interactions; `set` is their union) so that a model that wins one part by more
   * than it loses the other can be told apart.
   */
  parts?: { name: 'newest' | 'random'; set: TestSet }[];
}

function span(records: readonly InteractionRecord[]): { oldest: number; newest: number } {
  let newest = Number.NEGATIVE_INFINITY;
  let oldest = Number.POSITIVE_INFINITY;
  for (const r of records) {
    const t = toEpochMs(r.timestamp);
    if (t > newest) newest = t;
    if (t < oldest) oldest = t;
  }
  return { oldest, newest };
}

function carvedFrom(
  parts: { train: InteractionRecord[]; test: InteractionRecord[] },
  opts: InteractionOptions,
): { train: InteractionRecord[]; data: Interactions; set: TestSet } {
  const data = buildInteractions(parts.train, opts);
  return { train: parts.train, data, set: heldOutSet(data, parts.test, opts) };
}

function heldOutSet(
  data: Interactions,
  test: readonly InteractionRecord[],
  opts: InteractionOptions,
): TestSet {
  // A held-out dislike is not something the list should have found.
  const meaning = opts.ratings ?? 'preference';
  return buildTestSet(
    data,
    test.filter((r) => r.type !== 'rating' || ratingWeight(1, r.value, meaning) > 0),
  );
}

/**
 * Carves the validation split out of the training records only. The tuner and the trainer's holdout lists
 * share it, so the quality gate judges a model on the very split it was tuned on.
 */
export function carveValidation(
  records: readonly InteractionRecord[],
  protocol: ValidationProtocol,
  opts: InteractionOptions,
): CarvedValidation {
  const shoppers = buildInteractions(records, opts).stats.users;
  const done = (c: ReturnType<typeof carvedFrom>, split: string): CarvedValidation => ({
    ...c,
    split,
    shoppers,
    covered: c.set.users.length,
  });
  if (protocol.kind === 'mixed') {
    const split = leaveLastAndRandomSplit(records, protocol.share, protocol.seed);
    const c = carvedFrom(split, opts);
    return {
      ...done(c, `mixed:${pct(protocol.share)}`),
      parts: [
        { name: 'newest', set: heldOutSet(c.data, split.newest, opts) },
        { name: 'random', set: heldOutSet(c.data, split.random, opts) },
      ],
    };
  }
  if (protocol.kind === 'leave-last')
    return done(
      carvedFrom(leaveLastShareSplit(records, protocol.share), opts),
      `leave-last:${pct(protocol.share)}`,
    );
  if (protocol.kind === 'random')
    return done(
      carvedFrom(randomSplit(records, 1 - protocol.share, protocol.seed), opts),
      `random:${pct(protocol.share)}`,
    );
  const { oldest, newest } = span(records);
  const days =
    protocol.days ??
    Math.max(1, Math.min(DEFAULT_VALIDATION_DAYS, Math.round(Math.max(0, newest - oldest) / 86_400_000 / 4)));
  const temporal = carvedFrom(temporalSplit(records, newest - days * 86_400_000), opts);
  if (temporal.set.users.length >= MIN_TEMPORAL_USERS) return done(temporal, `temporal:${days}d`);
  return done(carvedFrom(leaveLastShareSplit(records, 1e-9), opts), 'last:1');
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** How a split string reads in a log line. */
export function describeSplit(c: Pick<CarvedValidation, 'split' | 'covered' | 'shoppers'>): string {
  return `${c.split}, ${c.covered} of ${c.shoppers} shoppers (${pct(c.covered / Math.max(1, c.shoppers))})`;
}

/** A validation protocol chosen to ask the tuner the question an offline test asks, and why. */
export interface MirroredValidation {
  protocol: ValidationProtocol;
  reason: string;
}

/** At least this share of the shoppers in both parts must have all their test after their training. */
const PER_SHOPPER_FUTURE_SHARE = 0.9;

/**
 * The validation that mirrors a train/test split, read from the records' times and not from the split's name
 * (so a pair of files handed to `recsys evaluate` is read the same way as `--split`):
 * - every test record at or after every training record → a global cut: `temporal` over the test's horizon (at
 *   most half the training span);
 * - otherwise, for most shoppers every test record at or after their own training → `leave-last` with the test's
 *   share of the pairs;
 * - otherwise the test is a hold-out across time → `random` with the test's share.
 *
 * Why mirror at all: no single model wins both futures. On Online Retail, EASE on recency-weighted pairs leads
 * the temporal test (0.125 vs 0.110 nDCG@10) and loses the random one (0.217 vs 0.297); the default `mixed`
 * hedges between them. When the question is known, the tuner should be asked it.
 */
export function mirrorValidation(
  train: readonly InteractionRecord[],
  test: readonly InteractionRecord[],
  seed = 42,
): MirroredValidation {
  const a = span(train);
  const b = span(test);
  const share = Math.min(
    0.5,
    Math.max(0.05, pairCount(test) / Math.max(1, pairCount(train) + pairCount(test))),
  );
  if (test.length > 0 && train.length > 0 && b.oldest >= a.newest) {
    const horizon = Math.max(1, Math.round((b.newest - b.oldest) / 86_400_000));
    // A horizon as long as the training part itself would leave the validation nothing to train on.
    const days = Math.max(1, Math.min(horizon, Math.round((a.newest - a.oldest) / 86_400_000 / 2)));
    return {
      protocol: { kind: 'temporal', days },
      reason: `the test is a global time cut (${horizon} days after the training part${days < horizon ? `; validated on the last ${days}, half the training span` : ''})`,
    };
  }
  const newestTrain = new Map<string, number>();
  for (const r of train) {
    const t = toEpochMs(r.timestamp);
    if (t > (newestTrain.get(r.userId) ?? Number.NEGATIVE_INFINITY)) newestTrain.set(r.userId, t);
  }
  const oldestTest = new Map<string, number>();
  for (const r of test) {
    if (!newestTrain.has(r.userId)) continue;
    const t = toEpochMs(r.timestamp);
    if (t < (oldestTest.get(r.userId) ?? Number.POSITIVE_INFINITY)) oldestTest.set(r.userId, t);
  }
  let future = 0;
  for (const [u, t] of oldestTest) if (t >= newestTrain.get(u)!) future++;
  const rounded = Math.round(share * 100) / 100;
  if (oldestTest.size > 0 && future >= PER_SHOPPER_FUTURE_SHARE * oldestTest.size)
    return {
      protocol: { kind: 'leave-last', share: rounded },
      reason: `each shopper's test comes after his training (${future} of ${oldestTest.size} shoppers)`,
    };
  return {
    protocol: { kind: 'random', share: rounded, seed },
    reason: `the test is held out across time (${oldestTest.size - future} of ${oldestTest.size} shoppers have test items older than their newest training one)`,
  };
}

function pairCount(records: readonly InteractionRecord[]): number {
  const pairs = new Set<string>();
  for (const r of records) pairs.add(`${r.userId}\u0000${r.itemId}`);
  return pairs.size;
}

/** `--validation` text for a protocol, as `parseValidation` reads it back. */
export function formatValidation(p: ValidationProtocol): string {
  if (p.kind === 'temporal') return p.days === undefined ? 'temporal' : `temporal:${p.days}`;
  return `${p.kind}:${p.share}`;
}
