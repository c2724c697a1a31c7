import { describe, expect, it } from 'vitest';
import { buildInteractions } from '../../../shared/model/interactions.ts';
import { createEventCollector } from '../../../shared/training/events.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const at = (minutes: number) => new Date(Date.parse('2026-11-01T10:00:00Z') + minutes * 60_000).toISOString();

function collect(lines: object[]) {
  const c = createEventCollector();
  lines.forEach((line, n) => {
    c.add({ eventId: uuid(n + 1), ...line });
  });
  const added = c.addSearchFollowUps();
  return { c, added };
}

describe('Training: search as a signal', () => {
  it('adds one `search` record per search to each item clicked, carted or bought within 30 minutes after it', () => {
    // Prepare
    const { c, added } = collect([
      { type: 'search', userId: 'u1', query: 'teapot', timestamp: at(0) },
      { type: 'click', userId: 'u1', itemId: 'teapot', timestamp: at(2) },
      { type: 'add_to_cart', userId: 'u1', itemId: 'teapot', timestamp: at(3) }, // the same search and item: once
      { type: 'view', userId: 'u1', itemId: 'cup', timestamp: at(4) }, // a view proves no choice
      { type: 'purchase', userId: 'u1', itemId: 'saucer', timestamp: at(30) }, // at the window's edge
      { type: 'click', userId: 'u1', itemId: 'bag', timestamp: at(31) }, // past it
      { type: 'click', userId: 'u1', itemId: 'kite', timestamp: at(-1) }, // before the search
      { type: 'click', userId: 'u2', itemId: 'teapot', timestamp: at(1) }, // another shopper
      { type: 'search', sessionId: 's1', query: 'mug', timestamp: at(0) }, // anonymous: nobody to credit
    ]);
    // Assess
    expect(added).toBe(2);
    const follow = c.records.filter((r) => r.type === 'search');
    expect(follow.map((r) => [r.userId, r.itemId, r.eventId])).toEqual([
      ['u1', 'teapot', `${uuid(2)}:search`],
      ['u1', 'saucer', `${uuid(5)}:search`],
    ]);
    // Searches are never interactions themselves; the counts speak of lake lines only.
    expect(c.counts).toMatchObject({ events: 9, noItem: 2, anonymous: 0 });
  });

  it('counts a click that carries the query itself, and the weight lands on top of the click’s own', () => {
    const { c, added } = collect([
      { type: 'click', userId: 'u1', itemId: 'teapot', query: 'tea', timestamp: at(0) },
      { type: 'click', userId: 'u1', itemId: 'cup', timestamp: at(5) },
      { type: 'click', userId: 'u2', itemId: 'cup', timestamp: at(5) },
    ]);
    expect(added).toBe(2);
    const m = buildInteractions(c.records);
    const value = (user: string, item: string) => {
      const u = m.userIndex.get(user)!;
      const j = m.itemIndex.get(item)!;
      for (let p = m.csr.indptr[u]!; p < m.csr.indptr[u + 1]!; p++)
        if (m.csr.indices[p] === j) return m.csr.values[p];
      return undefined;
    };
    // click 1 + search 2 (event-weights.json)
    expect(value('u1', 'teapot')).toBe(3);
    expect(value('u1', 'cup')).toBe(3);
    expect(value('u2', 'cup')).toBe(1);
  });

  it('keeps orderId on purchase records for the baskets', () => {
    const { c } = collect([
      { type: 'purchase', userId: 'u1', itemId: 'cup', orderId: 'o-1', timestamp: at(0) },
    ]);
    expect(c.records[0]).toMatchObject({ itemId: 'cup', orderId: 'o-1' });
  });
});
