import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { pipelineAws } from '../../pipeline/aws.ts';
import { createAdminModelActionHandler } from './admin-model-action.ts';

const registry = pipelineAws.registry();
const recorded = (status: string) => ({
  approvalStatus: status,
  message: `${status} recorded in the registry; the model-approval function follows it (EventBridge): an approved version is published and activated, the serving one rejected is rolled back`,
});

/**
 * On AWS the console does what `recsys approve|reject --aws` does: UpdateModelPackage, and EventBridge runs the
 * model-approval Lambda (publish, or roll back). A rollback starts the retrain state machine in publish mode.
 */
export const handler = createAdminModelActionHandler(
  {
    registry,
    async approve(version, description) {
      await registry.updateApprovalStatus(version, 'Approved', description);
      return recorded('Approved');
    },
    async reject(version, description) {
      await registry.updateApprovalStatus(version, 'Rejected', description);
      return recorded('Rejected');
    },
    async rollback(version) {
      const execution = await pipelineAws.startPublication(version, `rollback to ${version}`);
      return {
        approvalStatus: 'Approved',
        execution: { name: execution, status: 'RUNNING' },
        message: `publishing ${version} again: ${execution}`,
      };
    },
  },
  LAMBDA_API_OPTIONS,
);
