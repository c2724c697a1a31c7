import type { ArtifactManifest } from '../model/artifact.ts';
import type {
  ApprovalStatus,
  CreateModelPackageInput,
  GateRecord,
  ModelPackage,
} from '../ports/model-registry.ts';

/**
 * The encoding of a version into SageMaker's CustomerMetadataProperties (string → string, ≤ 50 entries, values
 * ≤ 256 characters): scalars as themselves, structured fields as JSON cut into numbered chunks
 * (`metrics.0`, `metrics.1`, …). Pure, shared by both registry adapters and the evaluate Lambda.
 */
const CHUNK = 250;
const MAX_ENTRIES = 50;

function putJson(props: Record<string, string>, key: string, value: unknown): void {
  const json = JSON.stringify(value);
  for (let i = 0, n = 0; i < json.length || n === 0; i += CHUNK, n++)
    props[`${key}.${n}`] = json.slice(i, i + CHUNK);
}

function getJson<T>(props: Record<string, string>, key: string, fallback: T): T {
  let json = '';
  for (let n = 0; props[`${key}.${n}`] !== undefined; n++) json += props[`${key}.${n}`];
  if (json === '') return fallback;
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
}

export interface PackageFields {
  groupName: string;
  status: ApprovalStatus;
  manifest: ArtifactManifest;
  artifactUri: string;
  /** The gate's metrics at its k (candidate and baseline). */
  metrics: Record<string, number>;
  gate: GateRecord;
  executionName: string;
  fingerprint: string;
}

/** The Register task's input: what `aws-sdk:sagemaker:createModelPackage` receives. */
export function createModelPackageInput(f: PackageFields): CreateModelPackageInput {
  const props: Record<string, string> = {
    modelVersion: f.manifest.version,
    artifactUri: f.artifactUri,
    engine: f.manifest.engine,
    gatePassed: String(f.gate.passed),
    executionName: f.executionName.slice(0, 256),
    fingerprint: f.fingerprint.slice(0, 256),
  };
  putJson(props, 'metrics', f.metrics);
  const m = f.manifest.model;
  putJson(props, 'hyperparameters', {
    kind: m.kind,
    ...(m.spec ? { spec: m.spec } : {}),
    ...(m.params ? { params: m.params } : {}),
  });
  const d = f.manifest.data;
  putJson(props, 'data', {
    source: d.source,
    events: d.events,
    users: d.users,
    items: d.items,
    interactions: d.interactions,
    from: d.from,
    to: d.to,
  });
  // Reasons go last and are shortened until everything fits SageMaker's 50 entries.
  let reasons = f.gate.reasons;
  for (;;) {
    const trial = { ...props };
    putJson(trial, 'gateReasons', reasons);
    if (Object.keys(trial).length <= MAX_ENTRIES) {
      Object.assign(props, trial);
      break;
    }
    reasons = reasons.slice(0, -1);
  }
  if (Object.keys(props).length > MAX_ENTRIES)
    throw new Error(
      `model package metadata needs ${Object.keys(props).length} entries (SageMaker allows ${MAX_ENTRIES})`,
    );
  const summary = `${f.gate.passed ? 'gate passed' : 'gate failed'}: ${f.gate.reasons.join('; ')}`;
  return {
    ModelPackageGroupName: f.groupName,
    ModelPackageDescription: summary.slice(0, 1024),
    ModelApprovalStatus: f.status,
    CustomerMetadataProperties: props,
  };
}

/** A package description (SageMaker's DescribeModelPackage shape, or the local file) decoded. */
export function decodeModelPackage(d: {
  ModelPackageGroupName?: string;
  ModelPackageVersion?: number;
  ModelPackageArn?: string;
  ModelApprovalStatus?: string;
  ApprovalDescription?: string;
  ModelPackageDescription?: string;
  CreationTime?: Date | string;
  LastModifiedTime?: Date | string;
  CustomerMetadataProperties?: Record<string, string>;
}): ModelPackage {
  const props = d.CustomerMetadataProperties ?? {};
  const iso = (t: Date | string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  return {
    modelPackageGroupName: d.ModelPackageGroupName ?? '',
    modelPackageVersion: d.ModelPackageVersion ?? 0,
    modelPackageArn: d.ModelPackageArn ?? '',
    modelVersion: props.modelVersion ?? '',
    approvalStatus: (d.ModelApprovalStatus ?? 'PendingManualApproval') as ApprovalStatus,
    ...(d.ApprovalDescription !== undefined ? { approvalDescription: d.ApprovalDescription } : {}),
    ...(d.ModelPackageDescription !== undefined ? { description: d.ModelPackageDescription } : {}),
    creationTime: iso(d.CreationTime) ?? '',
    ...(d.LastModifiedTime !== undefined ? { lastModifiedTime: iso(d.LastModifiedTime) as string } : {}),
    artifactUri: props.artifactUri ?? '',
    engine: props.engine ?? '',
    metrics: getJson(props, 'metrics', {}),
    hyperparameters: getJson(props, 'hyperparameters', {}),
    dataStatistics: getJson(props, 'data', {}),
    gate: { passed: props.gatePassed === 'true', reasons: getJson<string[]>(props, 'gateReasons', []) },
    ...(props.executionName !== undefined ? { executionName: props.executionName } : {}),
    ...(props.fingerprint !== undefined ? { fingerprint: props.fingerprint } : {}),
  };
}
