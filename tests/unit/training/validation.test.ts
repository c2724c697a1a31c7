import { describe, expect, it } from 'vitest';
import type { InteractionRecord } from '../../../shared/model/interactions.ts';
import { autoTune } from '../../../shared/training/tuning.ts';
import { carveValidation, parseValidation } from '../../../shared/training/validation.ts';
import { plantedRecords } from '../../fixtures/training-data.ts';

/**
 * The planted shop, but most shoppers stopped buying a month before the end and only every tenth shopper kept
 * going: a global time cut sees only those few, as on real retail data.
 */
function mostlyGoneQuiet(): InteractionRecord[] {
  const end = Date.parse('2024-03-05T00:00:00Z');
  return plantedRecords(200, 40, 10).map((r) => {
    const u = Number(r.userId.slice(1));
    const t = Number(r.timestamp);
    return u % 10 === 0 ? r : { ...r, timestamp: t - (end - Date.parse('2024-02-01T00:00:00Z')) };
  });
}

describe('parseValidation', () => {
  it('returns each protocol with its default or given argument', () => {
    expect(parseValidation('mixed')).toEqual({ kind: 'mixed', share: 0.2, seed: 42 });
    expect(parseValidation('mixed:0.4', 3)).toEqual({ kind: 'mixed', share: 0.4, seed: 3 });
    expect(parseValidation('leave-last')).toEqual({ kind: 'leave-last', share: 0.2 });
    expect(parseValidation('leave-last:0.3')).toEqual({ kind: 'leave-last', share: 0.3 });
    expect(parseValidation('temporal')).toEqual({ kind: 'temporal' });
    expect(parseValidation('temporal:14')).toEqual({ kind: 'temporal', days: 14 });
    expect(parseValidation('random', 7)).toEqual({ kind: 'random', share: 0.25, seed: 7 });
  });

  it('throws naming the protocol text and what is wrong', () => {
    expect(() => parseValidation('global')).toThrow(
      /--validation global: expected mixed\[:…\], leave-last\[:…\], temporal/,
    );
    expect(() => parseValidation('leave-last:2')).toThrow(
      /leave-last:2: the held-out share must be a number in \(0, 0.9\)/,
    );
    expect(() => parseValidation('temporal:-3')).toThrow(/temporal:-3: the days must be a positive number/);
  });
});

describe('carveValidation', () => {
  it('returns leave-last covering every shopper with two or more items where a global cut covers a tenth', () => {
    const records = mostlyGoneQuiet();
    const last = carveValidation(records, { kind: 'leave-last', share: 0.2 }, {});
    expect(last).toMatchObject({ split: 'leave-last:20%', shoppers: 200, covered: 200 });
    expect(last.set.pairs).toBe(400);
    const temporal = carveValidation(records, { kind: 'temporal', days: 20 }, {});
    expect(temporal.split).toBe('temporal:20d');
    expect(temporal.covered).toBe(20);
    const mixed = carveValidation(records, { kind: 'mixed', share: 0.2, seed: 42 }, {});
    // Ten items each: the newest one and one of the nine before it, drawn at random.
    expect(mixed).toMatchObject({ split: 'mixed:20%', shoppers: 200, covered: 200 });
    expect(mixed.set.pairs).toBe(400);
    const pairsOf = (c: typeof last) =>
      c.set.relevant.flatMap((r, t) =>
        [...r].map((j) => `${c.data.userIds[c.set.users[t]!]}:${c.data.itemIds[j]}`),
      );
    const newestOnly = new Set(pairsOf(last));
    const mixedPairs = pairsOf(mixed);
    const shared = mixedPairs.filter((p) => newestOnly.has(p)).length;
    expect(shared).toBeGreaterThanOrEqual(200);
    expect(shared).toBeLessThan(300);
    const random = carveValidation(records, { kind: 'random', share: 0.25, seed: 42 }, {});
    expect(random).toMatchObject({ split: 'random:25%', covered: 200 });
    expect(random.set.pairs).toBe(200 * 2); // 7.5 of 10 items train, rounded to 8
  });

  it('returns the mixed split’s newest and random parts scored apart, their union the whole validation', () => {
    const records = mostlyGoneQuiet();
    const mixed = carveValidation(records, { kind: 'mixed', share: 0.2, seed: 42 }, {});
    const newestOnly = carveValidation(records, { kind: 'leave-last', share: 0.1 }, {});
    expect(mixed.parts?.map((p) => [p.name, p.set.users.length, p.set.pairs])).toEqual([
      ['newest', 200, 200],
      ['random', 200, 200],
    ]);
    const [newest, random] = mixed.parts!;
    // The newest part is each shopper's single newest item: what leave-last holds out at one item in ten.
    const pairs = (c: typeof mixed, set: typeof mixed.set) =>
      set.relevant
        .flatMap((r, t) => [...r].map((j) => `${c.data.userIds[set.users[t]!]}:${c.data.itemIds[j]}`))
        .sort();
    expect(pairs(mixed, newest!.set)).toEqual(pairs(newestOnly, newestOnly.set));
    mixed.set.users.forEach((u, t) => {
      expect(newest!.set.users[t]).toBe(u);
      expect(random!.set.users[t]).toBe(u);
      expect(new Set([...newest!.set.relevant[t]!, ...random!.set.relevant[t]!])).toEqual(
        mixed.set.relevant[t],
      );
      expect([...random!.set.relevant[t]!].some((j) => newest!.set.relevant[t]!.has(j))).toBe(false);
    });
    expect(carveValidation(records, { kind: 'leave-last', share: 0.2 }, {}).parts).toBeUndefined();
  });

  it('returns held-out dislikes left out of the relevant items under preference, kept under interactions', () => {
    const records = plantedRecords(40, 40, 10).map(
      (r, n): InteractionRecord => ({ ...r, type: 'rating', value: n % 10 === 9 ? 1 : 5 }),
    );
    const pref = carveValidation(records, { kind: 'leave-last', share: 0.2 }, { ratings: 'preference' });
    const all = carveValidation(records, { kind: 'leave-last', share: 0.2 }, { ratings: 'interactions' });
    // Each shopper's newest two: one 5-star and his one 1-star rating.
    expect(all.set.pairs).toBe(80);
    expect(pref.set.pairs).toBe(40);
  });
});

describe('autoTune', () => {
  it('returns a collaborative winner within the noise of the best, popularity beyond it, on every shopper', () => {
    const tuned = autoTune(mostlyGoneQuiet(), { budgetSeconds: 20, seed: 42, threads: 1 });
    expect(tuned.validationSplit).toMatchObject({ method: 'mixed:20%', shoppers: 200, covered: 200 });
    expect(['popularity', 'recent-popularity']).not.toContain(tuned.spec.kind);
    const winner = tuned.tried.find((t) => t.spec === tuned.spec)!;
    expect(winner.tied).toBe(true);
    const best = Math.max(...tuned.tried.map((t) => t.interval.mean));
    // Never below the best (hence below popularity or any member) by more than the noise.
    expect(winner.interval.high).toBeGreaterThanOrEqual(best);
    const pop = tuned.tried.find((t) => t.spec.kind === 'popularity')!;
    expect(pop.tied).toBe(false);
    expect(pop.interval.high).toBeLessThan(winner.interval.low);
    expect(tuned.baseline.ndcg).toBe(pop.result.ndcg);
    expect(tuned.selection).toMatch(/noise/);
  });
});
