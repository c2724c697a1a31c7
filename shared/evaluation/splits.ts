import { toEpochMs } from '../model/interactions.ts';
import { mulberry32, shuffle } from '../model/rng.ts';

/** The fields a split needs; any interaction record type works. */
export interface Timed {
  userId: string;
  itemId: string;
  timestamp: number | string;
}

export interface Split<T> {
  train: T[];
  test: T[];
}

/** Everything strictly before `cutoff` (epoch ms or ISO) trains; the rest tests. */
export function temporalSplit<T extends Timed>(records: readonly T[], cutoff: number | string): Split<T> {
  const c = toEpochMs(cutoff);
  const train: T[] = [];
  const test: T[] = [];
  for (const r of records) (toEpochMs(r.timestamp) < c ? train : test).push(r);
  return { train, test };
}

/**
 * Groups records per user and per (user, item) pair; a pair's records always land on the same side so that
 * the test never asks for an item the training data already shows.
 */
function pairsByUser<T extends Timed>(records: readonly T[]): Map<string, Map<string, T[]>> {
  const users = new Map<string, Map<string, T[]>>();
  for (const r of records) {
    let items = users.get(r.userId);
    if (items === undefined) {
      items = new Map();
      users.set(r.userId, items);
    }
    let list = items.get(r.itemId);
    if (list === undefined) {
      list = [];
      items.set(r.itemId, list);
    }
    list.push(r);
  }
  return users;
}

/**
 * Per user, a seeded random `ratio` of the user's distinct items trains and the rest tests (at least one
 * item stays in training). Users are visited in sorted order so the result depends only on the seed.
 */
export function randomSplit<T extends Timed>(records: readonly T[], ratio: number, seed = 42): Split<T> {
  if (!(ratio > 0 && ratio < 1)) throw new RangeError(`ratio must be in (0, 1), got ${ratio}`);
  const rand = mulberry32(seed);
  const train: T[] = [];
  const test: T[] = [];
  const users = pairsByUser(records);
  for (const userId of [...users.keys()].sort()) {
    const items = users.get(userId)!;
    const keys = shuffle([...items.keys()].sort(), rand);
    const cut = Math.max(1, Math.round(keys.length * ratio));
    keys.forEach((item, i) => {
      (i < cut ? train : test).push(...items.get(item)!);
    });
  }
  return { train, test };
}

/**
 * Per user, the newest `share` of the user's distinct items (by first touch, at least one) go to test; users
 * with a single item keep it in training. Every shopper with two or more items is held out at his own latest
 * moment, not at one global date that most shoppers never reach.
 */
export function leaveLastShareSplit<T extends Timed>(records: readonly T[], share: number): Split<T> {
  if (!(share > 0 && share < 1)) throw new RangeError(`share must be in (0, 1), got ${share}`);
  return byFirstTouch(records, (items) => (items < 2 ? 0 : Math.max(1, Math.round(items * share))));
}

/** A mixed split's test, and which of its records are each shopper's newest and which were drawn at random. */
export interface MixedSplit<T> extends Split<T> {
  newest: T[];
  random: T[];
}

/**
 * Per user, half of `share` of his distinct items from his newest (by first touch) and half drawn at random from
 * the rest (seeded), at least one newest for users with two or more items. A validation that asks both "what next"
 * and "what else": a model tuned on it must do well on a future and on a random hold-out alike — which is why
 * the two parts stay apart too (a model can win the pooled score by more on one part than it loses on the other).
 */
export function leaveLastAndRandomSplit<T extends Timed>(
  records: readonly T[],
  share: number,
  seed = 42,
): MixedSplit<T> {
  if (!(share > 0 && share < 1)) throw new RangeError(`share must be in (0, 1), got ${share}`);
  const rand = mulberry32(seed);
  const train: T[] = [];
  const test: T[] = [];
  const newestPart: T[] = [];
  const randomPart: T[] = [];
  const users = pairsByUser(records);
  for (const userId of [...users.keys()].sort()) {
    const firstSeen = byFirstSeen(users.get(userId)!);
    const count = firstSeen.length;
    const newest = count < 2 ? 0 : Math.max(1, Math.round((count * share) / 2));
    const random = count < 3 ? 0 : Math.min(count - newest - 1, Math.round((count * share) / 2));
    const older = firstSeen.slice(0, count - newest);
    const picked = new Set(
      shuffle(
        older.map((_, i) => i),
        rand,
      ).slice(0, random),
    );
    older.forEach((e, i) => {
      if (!picked.has(i)) train.push(...e.list);
      else {
        test.push(...e.list);
        randomPart.push(...e.list);
      }
    });
    for (const e of firstSeen.slice(count - newest)) {
      test.push(...e.list);
      newestPart.push(...e.list);
    }
  }
  return { train, test, newest: newestPart, random: randomPart };
}

/** A user's distinct items with their records, oldest first touch first (ties by item id). */
function byFirstSeen<T extends Timed>(items: Map<string, T[]>): { item: string; t: number; list: T[] }[] {
  const firstSeen = [...items.entries()].map(([item, list]) => {
    let t = Number.POSITIVE_INFINITY;
    for (const r of list) t = Math.min(t, toEpochMs(r.timestamp));
    return { item, t, list };
  });
  firstSeen.sort((a, b) => a.t - b.t || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
  return firstSeen;
}

/**
 * Per user, the `n` distinct items first touched last go to test (users with ≤ n items keep all of them in
 * training, so that every test user has history).
 */
export function leaveLastNSplit<T extends Timed>(records: readonly T[], n = 1): Split<T> {
  return byFirstTouch(records, (items) => (items > n ? n : 0));
}

/** Per user, orders the distinct items by first touch and sends the last `heldOut(items)` of them to test. */
function byFirstTouch<T extends Timed>(records: readonly T[], heldOut: (items: number) => number): Split<T> {
  const train: T[] = [];
  const test: T[] = [];
  for (const items of pairsByUser(records).values()) {
    const firstSeen = byFirstSeen(items);
    const cut = firstSeen.length - heldOut(firstSeen.length);
    firstSeen.forEach((e, i) => {
      (i < cut ? train : test).push(...e.list);
    });
  }
  return { train, test };
}
