import { EASE_DEFAULT_MAX_ITEMS } from './ease.ts';
import type { ModelSpec } from './trained-model.ts';

/** What a user asks to train (`--model`): a model family, or `auto` / `hybrid` to search. */
export const MODEL_CHOICES = ['auto', 'als', 'ease', 'item-knn', 'content', 'popularity', 'hybrid'] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** The fixed (untuned) spec behind each `--model` choice; `auto` and `hybrid` are searched instead. */
export function fixedSpec(choice: Exclude<ModelChoice, 'auto' | 'hybrid'>, seed = 42): ModelSpec {
  switch (choice) {
    case 'als':
      return {
        kind: 'ials',
        params: { factors: 64, iterations: 10, regularization: 0.1, alpha: 1, transform: 'log', seed },
      };
    case 'ease':
      return { kind: 'ease', params: { lambda: 250, maxItems: EASE_DEFAULT_MAX_ITEMS } };
    case 'item-knn':
      return { kind: 'item-knn', params: { neighbours: 50, shrink: 10 } };
    case 'content':
      return { kind: 'content' };
    case 'popularity':
      return { kind: 'popularity' };
  }
}
