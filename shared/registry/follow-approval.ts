import type { ModelRegistry } from '../ports/model-registry.ts';
import type { PublicationStore } from '../ports/publication-store.ts';

/** Starts publishing a version (its lists, then its activation); returns the execution's name. */
export type StartPublication = (modelVersion: string, reason: string) => Promise<string>;

export interface FollowApprovalDeps {
  registry: ModelRegistry;
  publications: PublicationStore;
  startPublication: StartPublication;
}

/** A registry package's approval status changed (SageMaker's state-change event, or the local registry). */
export interface ApprovalChange {
  group: string | undefined;
  modelVersion: string | undefined;
  status: string | undefined;
  /** Unset when the package was just created (the pipeline's own registration). */
  lastModified: string | undefined;
}

export type ApprovalAction =
  | { action: 'ignored'; why: string }
  | { action: 'publishing'; modelVersion: string; execution: string }
  | { action: 'rolling-back'; from: string; to: string; execution: string }
  | { action: 'no-rollback-target'; modelVersion: string };

/**
 * Serving follows the registry. Approving a pending version publishes and activates it; rejecting the serving
 * version rolls back to the newest other Approved one. The pipeline's own registration (a package created
 * Approved, never modified) is ignored: the execution that created it publishes it.
 */
export async function followApproval(
  deps: FollowApprovalDeps,
  change: ApprovalChange,
): Promise<ApprovalAction> {
  if (change.group !== deps.registry.groupName)
    return { action: 'ignored', why: `group ${change.group} is not ${deps.registry.groupName}` };
  const version = change.modelVersion;
  if (version === undefined) return { action: 'ignored', why: 'the package has no modelVersion property' };
  const deployment = await deps.publications.getDeployment();
  if (change.status === 'Approved') {
    if (change.lastModified === undefined)
      return { action: 'ignored', why: 'registered Approved by the pipeline' };
    if (deployment?.champion === version) return { action: 'ignored', why: `${version} serves already` };
    const execution = await deps.startPublication(version, `approved: ${version}`);
    return { action: 'publishing', modelVersion: version, execution };
  }
  if (change.status === 'Rejected') {
    if (deployment?.champion !== version) return { action: 'ignored', why: `${version} does not serve` };
    const target = (await deps.registry.list({ status: 'Approved' })).find((p) => p.modelVersion !== version);
    if (target === undefined) return { action: 'no-rollback-target', modelVersion: version };
    const execution = await deps.startPublication(target.modelVersion, `rollback: ${version} rejected`);
    return { action: 'rolling-back', from: version, to: target.modelVersion, execution };
  }
  return { action: 'ignored', why: `status ${change.status}` };
}
