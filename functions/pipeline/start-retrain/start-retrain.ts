import {
  type RetrainStart,
  type StartRetrainDeps,
  startRetrain,
} from '../../../shared/registry/start-retrain.ts';

/**
 * The schedule's target: starts the retrain state machine under the name of the data it would train on
 * (shared/registry/start-retrain.ts), so a scheduled start and a manual one for the same data run once, and
 * republishes serving versions whose lists are about to expire. The rule's input may name the model choice.
 */
export function createStartRetrain(deps: StartRetrainDeps & { stage: string; model: string }) {
  return async (event: unknown): Promise<RetrainStart> => {
    const input = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
    const text = (field: string, fallback: string) =>
      typeof input[field] === 'string' && input[field] !== '' ? (input[field] as string) : fallback;
    return startRetrain(deps, {
      stage: deps.stage,
      model: text('model', deps.model),
      trigger: text('trigger', 'schedule'),
    });
  };
}
