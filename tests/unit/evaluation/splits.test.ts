import { describe, expect, it } from 'vitest';
import { leaveLastAndRandomSplit } from '../../../shared/evaluation/splits.ts';

interface Rec {
  userId: string;
  itemId: string;
  timestamp: number;
}

const day = 86_400_000;
const key = (r: Rec) => `${r.userId}:${r.itemId}@${r.timestamp / day}`;
const keys = (rs: readonly Rec[]) => rs.map(key).sort();

/**
 * Shopper a first touches a0…a9 on days 0…9 and touches a2 again on day 20 (his newest items stay a8, a9: by
 * first touch) and a9 again on day 21; b has two items, c one.
 */
function records(): Rec[] {
  const a = Array.from({ length: 10 }, (_, i) => ({ userId: 'a', itemId: `a${i}`, timestamp: i * day }));
  return [
    ...a,
    { userId: 'a', itemId: 'a2', timestamp: 20 * day },
    { userId: 'a', itemId: 'a9', timestamp: 21 * day },
    { userId: 'b', itemId: 'b0', timestamp: 3 * day },
    { userId: 'b', itemId: 'b1', timestamp: 4 * day },
    { userId: 'c', itemId: 'c0', timestamp: 5 * day },
  ];
}

describe('leaveLastAndRandomSplit', () => {
  it('returns each shopper’s newest items by first touch as the newest part and older ones drawn at random as the random part', () => {
    const all = records();
    const split = leaveLastAndRandomSplit(all, 0.4, 42);
    // a: 10 items × 0.4 / 2 = 2 newest, 2 random; b: at least one newest, too few for a random one; c: none.
    expect(keys(split.newest)).toEqual(['a:a8@8', 'a:a9@21', 'a:a9@9', 'b:b1@4']);
    expect(new Set(split.random.map((r) => r.userId))).toEqual(new Set(['a']));
    const randomItems = [...new Set(split.random.map((r) => r.itemId))];
    expect(randomItems).toHaveLength(2);
    for (const item of randomItems) expect(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']).toContain(item);
    // A pair's records all land on the same side: a2 held out means both of its touches are.
    for (const item of randomItems)
      expect(split.random.filter((r) => r.itemId === item)).toHaveLength(item === 'a2' ? 2 : 1);
    expect(keys(split.test)).toEqual(keys([...split.newest, ...split.random]));
    expect(keys([...split.train, ...split.test])).toEqual(keys(all));
    expect(split.train.some((r) => randomItems.includes(r.itemId) || r.itemId === 'a8')).toBe(false);
    expect(keys(split.train.filter((r) => r.userId !== 'a'))).toEqual(['b:b0@3', 'c:c0@5']);
  });

  it('returns the same parts for the same seed and draws the random part from the seed', () => {
    const all = records();
    const again = leaveLastAndRandomSplit(all, 0.4, 42);
    expect(keys(again.random)).toEqual(keys(leaveLastAndRandomSplit(all, 0.4, 42).random));
    const drawn = new Set(
      [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => keys(leaveLastAndRandomSplit(all, 0.4, seed).random).join()),
    );
    expect(drawn.size).toBeGreaterThan(1);
    for (const seed of [1, 2, 3])
      expect(keys(leaveLastAndRandomSplit(all, 0.4, seed).newest)).toEqual(keys(again.newest));
  });
});
