import { createHash } from 'node:crypto';
import type { ModelRegistry } from '../../../shared/ports/model-registry.ts';
import { modelVersion } from '../../../shared/training/pipeline.ts';
import { asObject, EmptyLakeError, requireString } from '../errors.ts';

/** The newest object of the raw events zone and how many there are (S3 ListObjectsV2 / a directory walk). */
export type DescribeLake = () => Promise<{ newestKey: string; objects: number } | undefined>;

export interface PrepareRunDeps {
  describeLake: DescribeLake;
  registry: ModelRegistry;
  /** Where a version's artifact goes (`s3://lake/models/<v>/` or a directory). */
  artifactUri: (version: string) => string;
}

export interface PrepareRunOutput {
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

/** Identifies "the same data and configuration": the lake's newest object, its object count, the settings. */
export function lakeFingerprint(newestKey: string, objects: number, config: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b))),
  );
  return createHash('sha256').update(`${newestKey}\n${objects}\n${canonical}`).digest('hex').slice(0, 16);
}

/**
 * The first task: fixes the version to train (from the execution's start time and the data's fingerprint, so
 * the EMR step and every later task agree on it) and says whether this data was trained on already — the
 * schedule's executions have random names, so the fingerprint, not the name, makes a repeat a no-op.
 */
export function createPrepareRun(deps: PrepareRunDeps) {
  return async (event: unknown): Promise<PrepareRunOutput> => {
    const input = asObject(event);
    const startTime = requireString(input, 'startTime');
    const request = (
      typeof input.request === 'object' && input.request !== null ? input.request : {}
    ) as Record<string, unknown>;
    // What makes two trainings on the same data differ: the stage (its policies), the engine and the model choice.
    const config = {
      stage: typeof input.stage === 'string' ? input.stage : 'default',
      engine: typeof request.engine === 'string' ? request.engine : 'emr',
      model: typeof request.model === 'string' ? request.model : 'default',
    };
    const lake = await deps.describeLake();
    if (lake === undefined)
      throw new EmptyLakeError('the raw events zone is empty: ingest or import events before retraining');
    const fingerprint = lakeFingerprint(lake.newestKey, lake.objects, config);
    const done = (await deps.registry.list()).find((p) => p.fingerprint === fingerprint);
    const started = Date.parse(startTime);
    if (Number.isNaN(started)) throw new EmptyLakeError(`startTime ${startTime} is not a timestamp`);
    const version = modelVersion(started, fingerprint.slice(0, 8));
    return {
      modelVersion: version,
      fingerprint,
      artifactUri: deps.artifactUri(version),
      newestObject: lake.newestKey,
      objects: lake.objects,
      alreadyTrained: done !== undefined,
      reason: `retrain ${typeof input.executionName === 'string' ? input.executionName : ''}`.trim(),
      ...(done !== undefined ? { alreadyTrainedVersion: done.modelVersion } : {}),
    };
  };
}
