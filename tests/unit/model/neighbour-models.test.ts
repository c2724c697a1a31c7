import { describe, expect, it } from 'vitest';
import { trainContent } from '../../../shared/model/content.ts';
import { hybridScorer, normalise } from '../../../shared/model/hybrid.ts';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';
import { trainItemKnn } from '../../../shared/model/item-knn.ts';
import { fitModel, recommend } from '../../../shared/model/trained-model.ts';

const buy = (userId: string, itemId: string, t = 0): InteractionRecord => ({
  userId,
  itemId,
  type: 'purchase',
  timestamp: t,
});

describe('trainItemKnn', () => {
  it('returns the shrunk cosine of co-occurrence, best neighbour first', () => {
    // Prepare: a and b share 2 of their users, a and c share 1.
    const ix = buildInteractions([
      buy('1', 'a'),
      buy('1', 'b'),
      buy('2', 'a'),
      buy('2', 'b'),
      buy('3', 'a'),
      buy('3', 'c'),
    ]);
    // Act
    const nb = trainItemKnn(ix.csr, ix.csc, { neighbours: 2, shrink: 1 });
    // Assess: sim(a,b) = 2 / (√3·√2 + 1), sim(a,c) = 1 / (√3·1 + 1)
    const a = ix.itemIndex.get('a')! * 2;
    expect(ix.itemIds[nb.indices[a]!]).toBe('b');
    expect(nb.scores[a]).toBeCloseTo(2 / (Math.sqrt(6) + 1), 6);
    expect(nb.scores[a + 1]).toBeCloseTo(1 / (Math.sqrt(3) + 1), 6);
  });
});

describe('trainContent', () => {
  it('returns the item sharing rare title words as the nearest neighbour', () => {
    const ids = ['mug', 'mug2', 'lamp'];
    const nb = trainContent(
      ids,
      [
        { itemId: 'mug', title: 'Blue ceramic mug', categories: ['Kitchen'] },
        { itemId: 'mug2', title: 'Red ceramic mug', categories: ['Kitchen'] },
        { itemId: 'lamp', title: 'Blue desk lamp', categories: ['Office'] },
      ],
      2,
    );
    expect(ids[nb.indices[0]!]).toBe('mug2');
    expect(nb.scores[0]!).toBeGreaterThan(nb.scores[1]!);
  });
});

describe('hybrid', () => {
  it('returns z-scored component scores summed with their weights', () => {
    const v = Float32Array.from([1, 2, 3]);
    normalise(v, 'zscore');
    expect(v[1]).toBeCloseTo(0, 6);
    const s = hybridScorer(
      [
        { scorer: { name: 'a', scoreUser: (_u, out) => out.set([1, 2, 3]) }, weight: 1 },
        { scorer: { name: 'b', scoreUser: (_u, out) => out.set([3, 2, 1]) }, weight: 0.5 },
      ],
      3,
    );
    const out = new Float32Array(3);
    s.scoreUser(0, out);
    expect(out[2]).toBeCloseTo(0.5 * Math.sqrt(1.5), 5);
  });
});

describe('fitModel / recommend', () => {
  it('returns items bought by similar users, never the user’s own or excluded ones', () => {
    const records = [
      buy('1', 'a'),
      buy('1', 'b'),
      buy('2', 'a'),
      buy('2', 'b'),
      buy('2', 'c'),
      buy('3', 'a'),
      buy('3', 'd'),
    ];
    const ix = buildInteractions(records);
    const model = fitModel(ix, records, {
      kind: 'hybrid',
      normalisation: 'zscore',
      components: [
        { spec: { kind: 'ease', params: { lambda: 0.5 } }, weight: 1 },
        { spec: { kind: 'popularity' }, weight: 0.1 },
      ],
    });
    const recs = recommend(model, ix.userIndex.get('1')!, 3, new Set(['d']));
    expect(recs.map((r) => r.itemId)).toEqual(['c']);
    expect(model.neighbours.k).toBe(50);
    expect(model.trending['7d']).toHaveLength(4);
  });
});
