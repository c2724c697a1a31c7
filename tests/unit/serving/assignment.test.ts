import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../shared/ports/publication-store.ts';
import { assignVariant } from '../../../shared/serving/assignment.ts';

function deployment(weights: number[]): Deployment {
  return {
    revision: 2,
    champion: 'v1',
    updatedAt: '2026-03-01T00:00:00.000Z',
    reason: 'test',
    experiment: {
      name: 'exp-1',
      startedAt: '2026-03-01T00:00:00.000Z',
      variants: weights.map((weight, i) => ({
        name: i === 0 ? 'champion' : `challenger${i}`,
        modelVersion: `v${i + 1}`,
        weight,
      })),
    },
  };
}

describe('Function: assignVariant', () => {
  it('returns the champion for everyone when no experiment runs', () => {
    // Act
    const a = assignVariant({ revision: 1, champion: 'v9', updatedAt: '', reason: '' }, 'u:1');

    // Assess
    expect(a).toEqual({ variant: 'champion', modelVersion: 'v9' });
  });

  it('returns the same variant for the same shopper every time (sticky)', () => {
    // Prepare
    const d = deployment([0.5, 0.5]);

    // Act
    const first = Array.from({ length: 200 }, (_, i) => assignVariant(d, `u:${i}`).variant);
    const second = Array.from({ length: 200 }, (_, i) => assignVariant(d, `u:${i}`).variant);

    // Assess
    expect(second).toEqual(first);
  });

  it.each([[[0.5, 0.5]], [[0.9, 0.1]], [[0.2, 0.3, 0.5]]])(
    'splits 10,000 shoppers within ±2%% of the weights %j',
    (weights) => {
      // Prepare
      const d = deployment(weights);
      const counts = new Map<string, number>();

      // Act
      for (let i = 0; i < 10_000; i++) {
        const v = assignVariant(d, `u:shopper-${i}`).variant;
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }

      // Assess
      d.experiment!.variants.forEach((v) => {
        expect(Math.abs((counts.get(v.name) ?? 0) / 10_000 - v.weight)).toBeLessThanOrEqual(0.02);
      });
    },
  );
});
