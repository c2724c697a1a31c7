import { planRun, type RunPlan, type RunPlanDeps } from '../../../shared/registry/run-plan.ts';
import { asObject, PipelineInputError, requireString } from '../errors.ts';

/**
 * The first task: the version to train and whether this data was trained on already
 * (shared/registry/run-plan.ts), for the execution's start time and its request.
 */
export function createPrepareRun(deps: RunPlanDeps) {
  return async (event: unknown): Promise<RunPlan> => {
    const input = asObject(event);
    const startTime = requireString(input, 'startTime');
    const startedAt = Date.parse(startTime);
    if (Number.isNaN(startedAt))
      throw new PipelineInputError(`input.startTime ${startTime} is not a timestamp`);
    const request = (
      typeof input.request === 'object' && input.request !== null ? input.request : {}
    ) as Record<string, unknown>;
    const text = (o: Record<string, unknown>, field: string, fallback: string) =>
      typeof o[field] === 'string' ? (o[field] as string) : fallback;
    return planRun(deps, {
      startedAt,
      executionName: text(input, 'executionName', ''),
      config: {
        stage: text(input, 'stage', 'default'),
        engine: text(request, 'engine', 'emr'),
        model: text(request, 'model', 'default'),
      },
    });
  };
}
