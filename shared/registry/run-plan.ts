import { createHash } from 'node:crypto';
import type { DescribeLake } from '../ports/lake-description.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';
import { modelVersion } from '../training/pipeline.ts';

/** There is nothing to train on: the raw events zone holds no object. */
class EmptyLakeError extends Error {
  override name = 'EmptyLakeError';
}

/** Identifies "the same data and configuration": the lake's newest object, its object count, the settings. */
export function lakeFingerprint(newestKey: string, objects: number, config: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b))),
  );
  return createHash('sha256').update(`${newestKey}\n${objects}\n${canonical}`).digest('hex').slice(0, 16);
}

export interface RunPlanDeps {
  describeLake: DescribeLake;
  registry: ModelRegistry;
  /** Where a version's artifact goes (`s3://lake/models/<v>/` or a directory). */
  artifactUri: (version: string) => string;
}

export interface RunPlanRequest {
  /** The execution's start: the version's timestamp. */
  startedAt: number;
  executionName: string;
  /** What makes two trainings on the same data differ: the stage (its policies), the engine, the model choice. */
  config: { stage: string; engine: string; model: string };
}

export interface RunPlan {
  modelVersion: string;
  fingerprint: string;
  artifactUri: string;
  newestObject: string;
  objects: number;
  /** A version trained on exactly this data and configuration is registered already: nothing to do. */
  alreadyTrained: boolean;
  alreadyTrainedVersion?: string;
  /** Recorded on the deployment when this run activates its version. */
  reason: string;
}

/**
 * Fixes the version to train (from the start time and the data's fingerprint, so the training step and every
 * later task agree on it) and says whether this data was trained on already — scheduled executions have
 * random names, so the fingerprint, not the name, makes a repeat a no-op.
 */
export async function planRun(deps: RunPlanDeps, request: RunPlanRequest): Promise<RunPlan> {
  const lake = await deps.describeLake();
  if (lake === undefined)
    throw new EmptyLakeError('the raw events zone is empty: ingest or import events before retraining');
  const fingerprint = lakeFingerprint(lake.newestKey, lake.objects, request.config);
  const done = (await deps.registry.list()).find((p) => p.fingerprint === fingerprint);
  const version = modelVersion(request.startedAt, fingerprint.slice(0, 8));
  return {
    modelVersion: version,
    fingerprint,
    artifactUri: deps.artifactUri(version),
    newestObject: lake.newestKey,
    objects: lake.objects,
    alreadyTrained: done !== undefined,
    reason: `retrain ${request.executionName}`.trim(),
    ...(done !== undefined ? { alreadyTrainedVersion: done.modelVersion } : {}),
  };
}
