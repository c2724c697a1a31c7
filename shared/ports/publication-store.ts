/**
 * What retraining publishes and serving reads: the precomputed top-N list of every user per model version,
 * and the one deployment record saying which versions serve whom. AWS: DynamoDB (a lists table keyed by
 * version and user, a deployment table with one item updated conditionally). Local: node:sqlite.
 * Written by the retraining pipeline (issue 5), read by serving (issue 6); both adapters pass
 * tests/contract/publication-store.contract.ts.
 */

/** [itemId, score], best first. */
export type ScoredItem = [itemId: string, score: number];

export interface RecommendationList {
  userId: string;
  items: ScoredItem[];
}

export interface Variant {
  /** e.g. "champion", "challenger". */
  name: string;
  modelVersion: string;
  /** Share of traffic, 0–1; the weights of an experiment's variants sum to 1. */
  weight: number;
}

export interface Experiment {
  /** Unique per experiment: counters and assignment hashes are keyed by it. */
  name: string;
  startedAt: string;
  variants: Variant[];
}

export interface Deployment {
  /** Increases by one on every change; writers pass the revision they read (optimistic concurrency). */
  revision: number;
  /** The version serving everyone not in a running experiment's other variants. */
  champion: string;
  /** The champion before the last activation, for rollback. */
  previousChampion?: string;
  experiment?: Experiment;
  updatedAt: string;
  /** Why the last change happened (activation by execution X, approval, rollback, experiment start …). */
  reason: string;
}

/** Thrown by putDeployment when the record changed since it was read. */
export class DeploymentConflictError extends Error {
  constructor(expected: number | undefined, actual: number | undefined, options?: { cause?: unknown }) {
    super(
      `the deployment record changed (expected revision ${expected ?? 'none'}, found ${actual ?? 'none'})`,
      options,
    );
    this.name = 'DeploymentConflictError';
  }
}

export interface PublicationStore {
  /**
   * Idempotent upsert of lists under one model version (a retried shard rewrites the same rows). Every list is
   * written with its expiry, `expiresAt` in epoch seconds (the DynamoDB TTL attribute): a version nobody
   * republishes goes away by itself (shared/registry/list-expiry.ts says how long a list lives).
   */
  putRecommendations(
    modelVersion: string,
    lists: readonly RecommendationList[],
    expiresAt: number,
  ): Promise<void>;
  /**
   * The list of one user under one version; undefined when the version has none for that user or it has
   * expired (DynamoDB deletes expired items only within days, so the read checks the expiry itself).
   */
  getRecommendations(modelVersion: string, userId: string): Promise<ScoredItem[] | undefined>;
  /**
   * When the version's lists expire, as its latest publication wrote them (epoch seconds); undefined when
   * nothing of it is stored. What tells a serving version's lists are due to be republished.
   */
  listsExpireAt(modelVersion: string): Promise<number | undefined>;
  getDeployment(): Promise<Deployment | undefined>;
  /**
   * Replaces the deployment record atomically if its revision is still `expectedRevision` (undefined: no record
   * yet); `next.revision` must be expectedRevision + 1 (or 1). Throws DeploymentConflictError otherwise.
   */
  putDeployment(next: Deployment, expectedRevision: number | undefined): Promise<void>;
  /** Deletes the user's list under each of `versions` (the right to be forgotten, shared/users/forget.ts). */
  removeLists(userId: string, versions: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
