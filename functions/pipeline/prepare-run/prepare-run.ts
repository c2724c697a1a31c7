import { MODEL_CHOICES, type ModelChoice } from '../../../shared/model/model-choice.ts';
import { planRun, type RunPlan, type RunPlanDeps } from '../../../shared/registry/run-plan.ts';
import { asObject, PipelineInputError, requireString } from '../errors.ts';

/**
 * Which trainer the request asks for: `spark` or `single-node` force the route; the engine names of the local CLI
 * (`typescript`) and of the CLI's default (`emr`) leave it to the lake's size, as `auto` does.
 */
type TrainerRoute = 'spark' | 'single-node' | 'auto';
const TRAINER_ROUTES: Record<string, TrainerRoute> = {
  spark: 'spark',
  'single-node': 'single-node',
  typescript: 'auto',
  emr: 'auto',
  auto: 'auto',
};

/** The plan, and what the state machine's ChooseTrainer routes on: the route asked for, the lake's size, the model. */
export type PreparedRun = RunPlan & { lakeBytes: number; modelChoice: ModelChoice; trainer: TrainerRoute };

/**
 * The first task: the version to train and whether this data was trained on already
 * (shared/registry/run-plan.ts), for the execution's start time and its request; with the raw events zone's
 * bytes (one machine's trainer or Spark) and the model choice (`auto` unless the request names one).
 */
export function createPrepareRun(deps: RunPlanDeps) {
  return async (event: unknown): Promise<PreparedRun> => {
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
    const modelChoice = text(request, 'model', 'auto');
    if (!(MODEL_CHOICES as readonly string[]).includes(modelChoice))
      throw new PipelineInputError(`input.model ${modelChoice} is not one of ${MODEL_CHOICES.join(', ')}`);
    const trainer = TRAINER_ROUTES[text(request, 'engine', 'auto')];
    if (trainer === undefined)
      throw new PipelineInputError(
        `input.engine ${String(request.engine)} is not one of ${Object.keys(TRAINER_ROUTES).join(', ')}`,
      );
    // The lake is described once: the plan's fingerprint and the size come from the same listing.
    let lakeBytes = 0;
    const describeLake: RunPlanDeps['describeLake'] = async () => {
      const lake = await deps.describeLake();
      lakeBytes = lake?.bytes ?? 0;
      return lake;
    };
    const plan = await planRun(
      { ...deps, describeLake },
      {
        startedAt,
        executionName: text(input, 'executionName', ''),
        config: {
          stage: text(input, 'stage', 'default'),
          engine: text(request, 'engine', 'emr'),
          // The model actually trained: an input without one and `auto` are the same run.
          model: modelChoice,
        },
      },
    );
    return { ...plan, lakeBytes, modelChoice: modelChoice as ModelChoice, trainer };
  };
}
