import type { ModelRegistry } from '../../../shared/ports/model-registry.ts';
import type { PublicationStore } from '../../../shared/ports/publication-store.ts';

/** Starts the retrain state machine in publish mode (publish the version's lists, then activate it). */
export type StartPublication = (modelVersion: string, reason: string) => Promise<string>;

export interface ModelApprovalDeps {
  registry: ModelRegistry;
  publications: PublicationStore;
  startPublication: StartPublication;
}

export type ApprovalAction =
  | { action: 'ignored'; why: string }
  | { action: 'publishing'; modelVersion: string; execution: string }
  | { action: 'rolling-back'; from: string; to: string; execution: string }
  | { action: 'no-rollback-target'; modelVersion: string };

interface StateChangeDetail {
  ModelPackageGroupName?: string;
  ModelApprovalStatus?: string;
  LastModifiedTime?: string;
  CustomerMetadataProperties?: Record<string, string>;
}

/**
 * EventBridge "SageMaker Model Package State Change" → serving follows the registry. Approving a pending
 * version publishes and activates it; rejecting the serving version rolls back to the newest Approved one.
 * The pipeline's own registration (a package created Approved, no LastModifiedTime yet) is ignored: the
 * execution that created it publishes it.
 */
export function createModelApproval(deps: ModelApprovalDeps) {
  return async (event: unknown): Promise<ApprovalAction> => {
    const detail = ((event as { detail?: StateChangeDetail } | undefined)?.detail ?? {}) as StateChangeDetail;
    if (detail.ModelPackageGroupName !== deps.registry.groupName)
      return {
        action: 'ignored',
        why: `group ${detail.ModelPackageGroupName} is not ${deps.registry.groupName}`,
      };
    const version = detail.CustomerMetadataProperties?.modelVersion;
    if (version === undefined) return { action: 'ignored', why: 'the package has no modelVersion property' };
    const deployment = await deps.publications.getDeployment();
    if (detail.ModelApprovalStatus === 'Approved') {
      if (detail.LastModifiedTime === undefined)
        return { action: 'ignored', why: 'registered Approved by the pipeline' };
      if (deployment?.champion === version) return { action: 'ignored', why: `${version} serves already` };
      const execution = await deps.startPublication(version, `approved: ${version}`);
      return { action: 'publishing', modelVersion: version, execution };
    }
    if (detail.ModelApprovalStatus === 'Rejected') {
      if (deployment?.champion !== version) return { action: 'ignored', why: `${version} does not serve` };
      const target = (await deps.registry.list({ status: 'Approved' })).find(
        (p) => p.modelVersion !== version,
      );
      if (target === undefined) return { action: 'no-rollback-target', modelVersion: version };
      const execution = await deps.startPublication(target.modelVersion, `rollback: ${version} rejected`);
      return { action: 'rolling-back', from: version, to: target.modelVersion, execution };
    }
    return { action: 'ignored', why: `status ${detail.ModelApprovalStatus}` };
  };
}
