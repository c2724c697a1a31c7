import {
  type ApprovalAction,
  type FollowApprovalDeps,
  followApproval,
} from '../../../shared/registry/follow-approval.ts';

interface StateChangeDetail {
  ModelPackageGroupName?: string;
  ModelApprovalStatus?: string;
  LastModifiedTime?: string;
  CustomerMetadataProperties?: Record<string, string>;
}

/** EventBridge "SageMaker Model Package State Change" → serving follows the registry (shared/registry). */
export function createModelApproval(deps: FollowApprovalDeps) {
  return async (event: unknown): Promise<ApprovalAction> => {
    const detail = (event as { detail?: StateChangeDetail } | undefined)?.detail ?? {};
    return followApproval(deps, {
      group: detail.ModelPackageGroupName,
      modelVersion: detail.CustomerMetadataProperties?.modelVersion,
      status: detail.ModelApprovalStatus,
      lastModified: detail.LastModifiedTime,
    });
  };
}
