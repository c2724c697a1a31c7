/**
 * The model registry: every trained version on record with the fields of a SageMaker Model Package, whether it
 * passed the quality gate or not. AWS: a SageMaker ModelPackageGroup per stage. Local: JSON files under
 * `<data-dir>/registry/`. Both speak the CreateModelPackage input (what the state machine's Register task
 * sends), so the same bytes register a version in either place.
 */

export const APPROVAL_STATUSES = ['Approved', 'PendingManualApproval', 'Rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** The subset of SageMaker's CreateModelPackageInput that registration uses. */
export interface CreateModelPackageInput {
  ModelPackageGroupName: string;
  ModelPackageDescription?: string;
  ModelApprovalStatus: ApprovalStatus;
  /** At most 50 entries of at most 256 characters each (SageMaker's limits); see shared/registry/model-package.ts. */
  CustomerMetadataProperties: Record<string, string>;
}

export interface GateRecord {
  passed: boolean;
  reasons: string[];
}

/** A registered version, decoded from the package's fields. */
export interface ModelPackage {
  modelPackageGroupName: string;
  modelPackageVersion: number;
  modelPackageArn: string;
  /** The artifact version (docs/model-artifact.md), unique within the group. */
  modelVersion: string;
  approvalStatus: ApprovalStatus;
  approvalDescription?: string;
  description?: string;
  creationTime: string;
  lastModifiedTime?: string;
  artifactUri: string;
  engine: string;
  /** Flat metric name → value at the gate's k: `model.ndcg`, `baseline.ndcg`, … */
  metrics: Record<string, number>;
  hyperparameters: Record<string, unknown>;
  dataStatistics: Record<string, unknown>;
  gate: GateRecord;
  /** The execution that registered it (and the lake fingerprint it trained on). */
  executionName?: string;
  fingerprint?: string;
}

export class ModelPackageNotFoundError extends Error {
  constructor(what: string) {
    super(`no registered model package ${what}`);
    this.name = 'ModelPackageNotFoundError';
  }
}

export interface ModelRegistry {
  readonly groupName: string;
  /** Registers a new version of the group (CreateModelPackage); returns it decoded. */
  createModelPackage(input: CreateModelPackageInput): Promise<ModelPackage>;
  /** Newest first; optionally only one status (ListModelPackages, SortOrder Descending). */
  list(filter?: { status?: ApprovalStatus }): Promise<ModelPackage[]>;
  /** By artifact version. */
  get(modelVersion: string): Promise<ModelPackage | undefined>;
  /** The newest Approved version: the champion on record. */
  latestApproved(): Promise<ModelPackage | undefined>;
  /** UpdateModelPackage: a new approval status with its description; throws ModelPackageNotFoundError. */
  updateApprovalStatus(
    modelVersion: string,
    status: ApprovalStatus,
    description: string,
  ): Promise<ModelPackage>;
}
