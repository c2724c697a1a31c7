import { recordActivation } from '../../../shared/runtime/metrics.ts';
import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createActivateModel } from './activate-model.ts';

export const handler = pipelineHandler(
  () => {
    const activate = createActivateModel({
      publications: pipelineAws.publications('RECSYS_DEPLOYMENT_TABLE'),
    });
    return async (event: unknown) => {
      const deployment = await activate(event);
      // The state machine passes its execution's start ($$.Execution.StartTime): the run's duration.
      const startedAt = (event as { startedAt?: unknown } | null)?.startedAt;
      recordActivation(typeof startedAt === 'string' ? startedAt : undefined);
      return deployment;
    };
  },
  { metrics: true },
);
