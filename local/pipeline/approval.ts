import { resolve } from 'node:path';
import { createModelApproval } from '../../functions/pipeline/model-approval/model-approval.ts';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import type { ApprovalStatus, ModelPackage } from '../../shared/ports/model-registry.ts';
import type { ApprovalAction } from '../../shared/registry/follow-approval.ts';
import { dataDirLayout } from '../data-dir.ts';
import { LOCAL_STAGE, localRegistry, type RunRecord, runRetrainLocally } from './retrain.ts';

export interface ApprovalOptions {
  dataDir: string;
  stage?: string;
  version: string;
  description?: string;
  onProgress?: (line: string) => void;
}

/** What EventBridge delivers on AWS after UpdateModelPackage: the package's state change. */
function stateChangeEvent(p: ModelPackage) {
  return {
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    detail: {
      ModelPackageGroupName: p.modelPackageGroupName,
      ModelPackageVersion: p.modelPackageVersion,
      ModelPackageArn: p.modelPackageArn,
      ModelApprovalStatus: p.approvalStatus,
      LastModifiedTime: p.lastModifiedTime,
      CustomerMetadataProperties: { modelVersion: p.modelVersion },
    },
  };
}

/**
 * `recsys approve|reject VERSION` locally: UpdateModelPackage on the file registry, then the approval Lambda's
 * factory with the state-change event, its "start the publish execution" bound to the local ASL run.
 */
async function changeStatus(
  options: ApprovalOptions,
  status: ApprovalStatus,
): Promise<ApprovalAction & { run?: RunRecord }> {
  const dataDir = resolve(options.dataDir);
  const stage = options.stage ?? LOCAL_STAGE;
  const registry = localRegistry(dataDir, stage);
  const updated = await registry.updateApprovalStatus(
    options.version,
    status,
    options.description ?? `${status === 'Approved' ? 'approved' : 'rejected'} with recsys`,
  );
  const publications = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
  let run: RunRecord | undefined;
  try {
    const approval = createModelApproval({
      registry,
      publications,
      startPublication: async (version, reason) => {
        run = await runRetrainLocally({
          dataDir,
          stage,
          publish: { version, reason },
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
        if (run.status !== 'SUCCEEDED')
          throw new Error(`publishing ${version} failed: ${run.error?.name}: ${run.error?.cause}`);
        return run.name;
      },
    });
    const action = await approval(stateChangeEvent(updated));
    return run !== undefined ? { ...action, run } : action;
  } finally {
    await publications.close();
  }
}

export const approveVersion = (o: ApprovalOptions) => changeStatus(o, 'Approved');
export const rejectVersion = (o: ApprovalOptions) => changeStatus(o, 'Rejected');

/**
 * `recsys rollback VERSION`: serve an Approved version again. Its lists are republished first (idempotent), so
 * a version whose rows were never written (approved but not yet published) serves complete lists too.
 */
export async function rollbackTo(options: ApprovalOptions): Promise<RunRecord> {
  const dataDir = resolve(options.dataDir);
  const stage = options.stage ?? LOCAL_STAGE;
  const p = await localRegistry(dataDir, stage).get(options.version);
  if (p === undefined)
    throw new Error(`${options.version} is not registered (recsys models lists the versions)`);
  if (p.approvalStatus !== 'Approved')
    throw new Error(
      `${options.version} is ${p.approvalStatus}: only an Approved version can serve (recsys approve it first)`,
    );
  const run = await runRetrainLocally({
    dataDir,
    stage,
    publish: { version: options.version, reason: `rollback to ${options.version}` },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return run;
}
