import { describe, expect, it } from 'vitest';
import { basketsOf, scoreCart, trainComplements } from '../../../shared/model/co-purchase.ts';
import { trainContent } from '../../../shared/model/content.ts';
import type { InteractionRecord } from '../../../shared/model/interactions.ts';
import { BASKET_ITEMS, basketEvents, plantedBaskets } from '../../fixtures/baskets.ts';

const records: InteractionRecord[] = basketEvents().map((e) => ({
  ...e,
  timestamp: Date.parse(e.timestamp),
}));
const itemIds = BASKET_ITEMS.map((i) => i.itemId);
const itemIndex = new Map(itemIds.map((id, j) => [id, j]));
const content = trainContent(itemIds, BASKET_ITEMS);
const at = (id: string) => itemIndex.get(id)!;

function row(nb: ReturnType<typeof trainComplements>['neighbours'], id: string): [string, number][] {
  const out: [string, number][] = [];
  for (let t = 0; t < nb.k; t++) {
    const j = nb.indices[at(id) * nb.k + t]!;
    if (j < 0) break;
    out.push([itemIds[j]!, nb.scores[at(id) * nb.k + t]!]);
  }
  return out;
}

describe('Model: complements from co-purchase', () => {
  it('groups purchases by orderId into distinct-item baskets, ignoring other types and records without one', () => {
    // Prepare
    const extra: InteractionRecord[] = [
      { userId: 'x', itemId: 'teapot', type: 'view', orderId: 'o0', timestamp: 0 },
      { userId: 'x', itemId: 'teapot', type: 'purchase', timestamp: 0 },
      { userId: 'b0', itemId: 'saucer', type: 'purchase', orderId: 'o0', timestamp: 0 },
    ];
    // Act
    const baskets = basketsOf([...records, ...extra], itemIndex);
    // Assess
    expect(baskets).toHaveLength(plantedBaskets().length);
    expect(Array.from(baskets[0]!)).toEqual([at('cup-red'), at('saucer'), at('bag')].sort((a, b) => a - b));
  });

  it('ranks by the shrunk lift ln((c + α) / (E + α)): the teapot before the saucer, the best-selling bag and the blue cup (a near-substitute) out', () => {
    // Act
    const { neighbours, stats } = trainComplements(basketsOf(records, itemIndex), itemIds.length, {
      substitutes: content,
    });
    // Assess
    const red = row(neighbours, 'cup-red');
    expect(red.map(([id]) => id)).toEqual(['teapot', 'saucer']);
    expect(red[0]![1]).toBeCloseTo(Math.log((6 + 2) / ((26 * 6) / 74 + 2)), 6);
    expect(red[1]![1]).toBeCloseTo(Math.log((12 + 2) / ((26 * 20) / 74 + 2)), 6);
    expect(row(neighbours, 'saucer').map(([id]) => id)).toEqual(['cup-blue', 'cup-red']);
    expect(stats).toMatchObject({
      baskets: 74,
      pairedBaskets: 74,
      shrinkage: 2,
      minCount: 2,
      substituteSimilarity: 0.5,
    });
    // red ↔ blue, both ways
    expect(stats.substitutesExcluded).toBe(2);
  });

  it('keeps the substitute when no content is given, and drops pairs under minCount and baskets over maxBasketItems', () => {
    const baskets = basketsOf(records, itemIndex);
    expect(row(trainComplements(baskets, itemIds.length).neighbours, 'cup-red').map(([id]) => id)).toEqual([
      'teapot',
      'saucer',
      'cup-blue',
    ]);
    expect(row(trainComplements(baskets, itemIds.length, { minCount: 7 }).neighbours, 'cup-red')).toEqual([
      ['saucer', expect.any(Number)],
      ['cup-blue', expect.any(Number)],
    ]);
    const small = trainComplements(baskets, itemIds.length, { maxBasketItems: 2 });
    expect(small.stats.pairedBaskets).toBe(22);
    expect(row(small.neighbours, 'bag')).toEqual([]);
  });

  it('scores a cart by summing its items’ ln-lifts, leaving out the cart and every cart item’s near-substitutes', () => {
    const { neighbours } = trainComplements(basketsOf(records, itemIndex), itemIds.length, {
      substitutes: content,
    });
    const subs = { content, similarity: 0.5 };
    const names = (cart: string[]) =>
      scoreCart(neighbours, cart.map(at), 10, subs).map((c) => [itemIds[c.index], itemIds[c.anchor]]);
    expect(names(['saucer'])).toEqual([
      ['cup-blue', 'saucer'],
      ['cup-red', 'saucer'],
    ]);
    // The blue cup goes with the saucer but is the red cup's substitute.
    expect(names(['cup-red', 'saucer'])).toEqual([['teapot', 'cup-red']]);
    const [teapot] = scoreCart(neighbours, [at('cup-red'), at('saucer')], 10, subs);
    expect(teapot!.score).toBeCloseTo(row(neighbours, 'cup-red')[0]![1], 6);
  });
});
