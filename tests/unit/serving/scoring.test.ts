import { describe, expect, it } from 'vitest';
import { IndexMark, rankTop, SparseScores, scratchFor } from '../../../shared/serving/scoring.ts';

/** The reference the hot path replaces: Maps, then a full sort by score descending, then itemId. */
function reference(
  entries: [number, number][],
  itemIds: string[],
  excluded: Set<number>,
  extras: [string, number][],
  m: number,
) {
  const scores = new Map<string, number>();
  for (const [j, x] of entries) scores.set(itemIds[j]!, (scores.get(itemIds[j]!) ?? 0) + x);
  for (const [id, x] of extras) scores.set(id, x);
  return [...scores]
    .filter(([id]) => !excluded.has(itemIds.indexOf(id)))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, m);
}

function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('SparseScores', () => {
  it('accumulates like a Map with a default of 0 and forgets everything on clear', () => {
    const s = new SparseScores(5);
    s.add(3, 0.5);
    s.add(1, 0.25);
    s.add(3, 0.125);
    expect(Array.from(s.touched.subarray(0, s.size))).toEqual([3, 1]);
    expect(s.values[3]).toBe(0.625);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.has(3)).toBe(false);
    s.add(3, 1);
    expect(s.values[3]).toBe(1);
  });

  it('normalises min–max into a target with a weight, and equal values to 1', () => {
    const a = new SparseScores(4);
    const t = new SparseScores(4);
    a.set(0, 2);
    a.set(2, 4);
    a.set(3, 3);
    a.addNormalisedInto(t, 0.5);
    expect([t.values[0], t.values[2], t.values[3]]).toEqual([0, 0.5, 0.25]);
    const b = new SparseScores(4);
    const u = new SparseScores(4);
    b.set(1, 7);
    b.addNormalisedInto(u, 1);
    expect(u.values[1]).toBe(1);
  });
});

describe('rankTop', () => {
  it('returns exactly what a full sort returns, ties at the cut broken by itemId, extras and exclusions included', () => {
    const n = 400;
    // Ids whose string order differs from index order, so that index tie-breaking would be wrong.
    const itemIds = Array.from({ length: n }, (_, j) => `item-${(j * 7919) % n}`);
    const key = {};
    const scratch = scratchFor(key, n);
    const rand = lcg(7);
    for (let round = 0; round < 200; round++) {
      const entries: [number, number][] = [];
      const count = Math.floor(rand() * 300);
      // Few distinct values: many ties.
      for (let e = 0; e < count; e++) entries.push([Math.floor(rand() * n), Math.floor(rand() * 6) / 4]);
      const excluded = new Set<number>();
      for (let e = 0; e < 20; e++) excluded.add(Math.floor(rand() * n));
      const extras: [string, number][] =
        round % 3 === 0
          ? [
              ['zz-new', 1],
              ['aa-new', 0.5],
            ]
          : [];
      const m = 1 + Math.floor(rand() * 80);
      scratch.scores.clear();
      for (const [j, x] of entries) scratch.scores.add(j, x);
      const mark = new IndexMark(n);
      for (const j of excluded) mark.add(j);
      const got = rankTop(scratch, scratch.scores, mark, itemIds, extras, m);
      expect(got.map((r) => [r.itemId, r.score])).toEqual(reference(entries, itemIds, excluded, extras, m));
      for (const r of got) if (r.index >= 0) expect(itemIds[r.index]).toBe(r.itemId);
    }
  });
});
