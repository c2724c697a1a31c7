import { decideGate, flatMetrics, type StageConfig } from '../../../shared/evaluation/quality-gate.ts';
import {
  type ArtifactManifest,
  type HoldoutLine,
  readJsonLineParts,
} from '../../../shared/model/artifact.ts';
import { gateMetricsFromHoldout } from '../../../shared/model/artifact-holdout.ts';
import type {
  ApprovalStatus,
  CreateModelPackageInput,
  ModelRegistry,
} from '../../../shared/ports/model-registry.ts';
import type { ModelStore } from '../../../shared/ports/model-store.ts';
import { createModelPackageInput } from '../../../shared/registry/model-package.ts';
import { ArtifactMissingError, asObject, requireString } from '../errors.ts';

export interface EvaluateModelDeps {
  models: ModelStore;
  registry: ModelRegistry;
  stage: (name: string) => StageConfig;
  artifactUri: (version: string) => string;
}

export interface EvaluateModelOutput {
  passed: boolean;
  status: ApprovalStatus;
  reasons: string[];
  metrics: Record<string, number>;
  champion: string | null;
  /** The Register task's Parameters: exactly a CreateModelPackage input. */
  register: CreateModelPackageInput;
}

export async function readManifest(models: ModelStore, version: string): Promise<ArtifactManifest> {
  if (!(await models.exists(version, 'manifest.json')))
    throw new ArtifactMissingError(`no complete artifact for ${version} at ${models.location(version)}`);
  return JSON.parse(
    new TextDecoder().decode(await models.read(version, 'manifest.json')),
  ) as ArtifactManifest;
}

/**
 * Evaluate + gate: the candidate's metrics recomputed from its holdout lists at the stage's k (one metric
 * implementation, shared/model/artifact-holdout.ts), compared with the popularity baseline on the same lists and
 * with the champion on record (latest Approved). The decision and every reason go into the package input.
 */
export function createEvaluateModel(deps: EvaluateModelDeps) {
  return async (event: unknown): Promise<EvaluateModelOutput> => {
    const input = asObject(event);
    const version = requireString(input, 'modelVersion');
    const stageName = typeof input.stage === 'string' ? input.stage : 'default';
    const stage = deps.stage(stageName);
    const manifest = await readManifest(deps.models, version);
    const lines: HoldoutLine[] = [];
    for await (const l of readJsonLineParts<HoldoutLine>(
      (n) => deps.models.read(version, n),
      manifest,
      'holdout',
    ))
      lines.push(l);
    const gateMetrics = gateMetricsFromHoldout(lines, stage.gate.k, { catalogSize: manifest.shapes.items });
    const champion = await deps.registry.latestApproved();
    const decision = decideGate(
      {
        candidate: gateMetrics,
        ...(champion !== undefined
          ? { champion: { version: champion.modelVersion, metrics: champion.metrics } }
          : {}),
      },
      stage.gate,
    );
    const status: ApprovalStatus = !decision.passed
      ? 'Rejected'
      : stage.autoApprove
        ? 'Approved'
        : 'PendingManualApproval';
    const metrics = flatMetrics(gateMetrics);
    return {
      passed: decision.passed,
      status,
      reasons: decision.reasons,
      metrics,
      champion: champion?.modelVersion ?? null,
      register: createModelPackageInput({
        groupName: deps.registry.groupName,
        status,
        manifest,
        artifactUri: deps.artifactUri(version),
        metrics,
        gate: { passed: decision.passed, reasons: decision.reasons },
        executionName: typeof input.executionName === 'string' ? input.executionName : '',
        fingerprint: typeof input.fingerprint === 'string' ? input.fingerprint : '',
      }),
    };
  };
}
