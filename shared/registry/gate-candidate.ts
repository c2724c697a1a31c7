import { gateMetricsFromHoldout } from '../evaluation/holdout.ts';
import { decideGate, flatMetrics, type StageConfig } from '../evaluation/quality-gate.ts';
import type { HoldoutLine } from '../model/artifact.ts';
import { readJsonLineParts } from '../model/artifact-decode.ts';
import type { ApprovalStatus, CreateModelPackageInput, ModelRegistry } from '../ports/model-registry.ts';
import type { ModelStore } from '../ports/model-store.ts';
import { readManifest } from './manifest.ts';
import { createModelPackageInput } from './model-package.ts';

export interface GateCandidateDeps {
  models: ModelStore;
  registry: ModelRegistry;
  stage: (name: string) => StageConfig;
  artifactUri: (version: string) => string;
}

export interface GateCandidateRequest {
  version: string;
  stage: string;
  /** Recorded on the package: which execution trained it, on which data. */
  executionName: string;
  fingerprint: string;
}

export interface GateOutcome {
  passed: boolean;
  status: ApprovalStatus;
  reasons: string[];
  metrics: Record<string, number>;
  champion: string | null;
  /** Exactly a CreateModelPackage input: the Register task's Parameters. */
  register: CreateModelPackageInput;
}

/** What the registry records for a gate decision: a failure is Rejected; a pass waits for a person unless the stage auto-approves. */
function approvalStatus(passed: boolean, autoApprove: boolean): ApprovalStatus {
  if (!passed) return 'Rejected';
  return autoApprove ? 'Approved' : 'PendingManualApproval';
}

/**
 * Evaluate + gate: the candidate's metrics recomputed from its holdout lists at the stage's k (one metric
 * implementation, shared/evaluation/holdout.ts), compared with the popularity baseline on the same lists and
 * with the champion on record (latest Approved). The decision and every reason go into the package input.
 */
export async function gateCandidate(
  deps: GateCandidateDeps,
  request: GateCandidateRequest,
): Promise<GateOutcome> {
  const { version } = request;
  const stage = deps.stage(request.stage);
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
  const status = approvalStatus(decision.passed, stage.autoApprove);
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
      executionName: request.executionName,
      fingerprint: request.fingerprint,
    }),
  };
}
