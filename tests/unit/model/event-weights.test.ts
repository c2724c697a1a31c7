import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../shared/domain/event.ts';
import eventWeights from '../../../shared/model/event-weights.json' with { type: 'json' };
import {
  buildInteractions,
  DEFAULT_EVENT_WEIGHTS,
  EVENT_WEIGHTS_CONFIG,
} from '../../../shared/model/interactions.ts';

describe('event-weights.json', () => {
  it('returns a weight for every event type, plain JSON numbers or "veto"', () => {
    // Assess
    for (const type of EVENT_TYPES) {
      const w = (eventWeights.weights as Record<string, unknown>)[type];
      expect(typeof w === 'number' || w === 'veto').toBe(true);
    }
    expect(typeof eventWeights.$comment).not.toBe('undefined');
  });

  it('returns DEFAULT_EVENT_WEIGHTS read from the file, with "veto" as -Infinity', () => {
    // Assess
    for (const type of EVENT_TYPES) {
      const w = (eventWeights.weights as Record<string, number | string>)[type];
      expect(DEFAULT_EVENT_WEIGHTS[type]).toBe(w === 'veto' ? Number.NEGATIVE_INFINITY : w);
    }
    expect(EVENT_WEIGHTS_CONFIG.rating).toEqual(eventWeights.rating);
  });

  it('returns confidences built with the file defaults (quantity transform, rating scaling)', () => {
    // Prepare
    const records = [
      { userId: 'u', itemId: 'a', type: 'purchase' as const, value: 3, timestamp: 0 },
      { userId: 'u', itemId: 'b', type: 'rating' as const, value: 5, timestamp: 0 },
    ];
    // Act
    const ix = buildInteractions(records);
    // Assess
    const { midpoint, scale } = eventWeights.rating;
    const q = eventWeights.quantity === 'log' ? 1 + Math.log(3) : 1;
    expect(ix.csr.values[0]).toBeCloseTo(DEFAULT_EVENT_WEIGHTS.purchase * q, 5);
    expect(ix.csr.values[1]).toBeCloseTo((DEFAULT_EVENT_WEIGHTS.rating * (5 - midpoint)) / scale, 5);
  });
});
