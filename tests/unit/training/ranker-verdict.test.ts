import { describe, expect, it } from 'vitest';
import type { TestSet } from '../../../shared/evaluation/evaluate.ts';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';
import { mulberry32 } from '../../../shared/model/rng.ts';
import { blendMetrics } from '../../../shared/training/blend.ts';
import { type Entry, judgeRanker, type Search } from '../../../shared/training/search-steps.ts';

const ITEMS = 300;
const POPULAR = 30;
const SHOPPERS = 600;
const start = Date.parse('2024-01-01T00:00:00Z');

/**
 * Shoppers whose newest items are popular ones (four each, which a first stage of noise scatters down its
 * list) and whose one random held-out item is a rare one it ranks in its top ten, among nine rare misses. A
 * ranker trained on both learns "popular first": it wins the newest part by more than it loses the random one.
 */
function shop() {
  const rand = mulberry32(7);
  const pick = (from: number, to: number, not: Set<number>) => {
    for (;;) {
      const j = from + Math.floor(rand() * (to - from));
      if (!not.has(j)) return j;
    }
  };
  const records: InteractionRecord[] = [];
  const buy = (u: string, j: number, day: number) =>
    records.push({
      userId: u,
      itemId: `i${j}`,
      type: 'purchase',
      value: 1,
      timestamp: start + day * 86_400_000,
    });
  const histories: Set<number>[] = [];
  for (let u = 0; u < SHOPPERS; u++) {
    const h = new Set<number>();
    for (let x = 0; x < 4; x++) h.add(pick(x < 2 ? 0 : POPULAR, x < 2 ? POPULAR : ITEMS, h));
    for (const j of h) buy(`u${u}`, j, Math.floor(rand() * 60));
    histories.push(h);
  }
  // Shoppers outside the validation who make the popular items popular.
  for (let u = 0; u < 200; u++)
    for (let x = 0; x < 5; x++) buy(`bg${u}`, Math.floor(rand() * POPULAR), Math.floor(rand() * 60));
  for (let j = POPULAR; j < ITEMS; j++) buy('catalog', j, 0);
  const data = buildInteractions(records);
  const n = data.itemIds.length;
  const col = (j: number) => data.itemIndex.get(`i${j}`)!;
  const users = Int32Array.from({ length: SHOPPERS }, (_, u) => data.userIndex.get(`u${u}`)!);
  const newest: Set<number>[] = [];
  const random: Set<number>[] = [];
  const base = new Float32Array(SHOPPERS * n);
  for (let t = 0; t < SHOPPERS; t++) {
    const h = histories[t]!;
    const taken = new Set(h);
    const fresh = [0, 1, 2, 3].map(() => {
      const j = pick(0, POPULAR, taken);
      taken.add(j);
      return j;
    });
    const top = Array.from({ length: 10 }, () => 0).map(() => {
      const j = pick(POPULAR, ITEMS, taken);
      taken.add(j);
      return j;
    });
    newest.push(new Set(fresh.map(col)));
    random.push(new Set([col(top[Math.floor(rand() * 10)]!)]));
    const row = base.subarray(t * n, (t + 1) * n);
    for (let c = 0; c < n; c++) row[c] = rand();
    for (const j of top) row[col(j)] = 5 + rand();
    for (const j of h) row[col(j)] = Number.NEGATIVE_INFINITY;
  }
  const set: TestSet = {
    users,
    relevant: newest.map((s, t) => new Set([...s, ...random[t]!])),
    pairs: SHOPPERS * 5,
  };
  const part = (relevant: Set<number>[]): TestSet => ({ users, relevant, pairs: relevant.length });
  return {
    records,
    data,
    n,
    set,
    base,
    parts: [
      { name: 'newest', set: part(newest) },
      { name: 'random', set: part(random) },
    ],
  };
}

describe('judgeRanker on a mixed validation', () => {
  it('refuses a ranker that wins the newest part and loses the random part, which the pooled gain alone would keep', () => {
    // Prepare
    const { records, data, n, set, base, parts } = shop();
    const logs: string[] = [];
    const search = (withParts: boolean): Search => ({
      options: {},
      train: records,
      data,
      set,
      ...(withParts ? { parts } : {}),
      n,
      k: 10,
      seed: 42,
      threads: 1,
      budget: 60_000,
      elapsed: () => 0,
      log: (m) => logs.push(m),
    });
    const first = blendMetrics({ mats: [base], set, n, k: 10 }, [1]);
    const winner = { name: 'first stage' } as Entry;
    const stage = { base, perUser: first.perUser };

    // Act
    const pooled = judgeRanker(search(false), winner, first.perUser, stage);
    const judged = judgeRanker(search(true), winner, first.perUser, stage);

    // Assert
    expect(pooled.kept).toBe(true);
    expect(pooled.gain.low).toBeGreaterThan(0);
    expect(judged.gain).toEqual(pooled.gain);
    expect(judged.kept).toBe(false);
    const [newestGain, randomGain] = judged.parts!;
    expect(newestGain).toMatchObject({ name: 'newest', shoppers: SHOPPERS / 2 });
    expect(newestGain!.gain.low).toBeGreaterThan(0);
    expect(randomGain).toMatchObject({ name: 'random', shoppers: SHOPPERS / 2 });
    expect(randomGain!.gain.high).toBeLessThan(0);
    expect(logs[1]).toMatch(/not kept: loses on the random part, gain -0\.\d{4} \[-0\.\d{4}, -0\.\d{4}\]$/);
  });
});
