import { type ClusterControl, EXECUTION_TAG } from '../../../shared/ports/cluster-control.ts';

/**
 * EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT, FAILED) → terminate every cluster
 * tagged with that execution. A stopped or timed-out execution runs none of its own states, so its terminate
 * step never ran; a failed one normally did, and then there is nothing left to do here.
 */
export function createCleanupClusters(deps: { clusters: ClusterControl }) {
  return async (event: unknown): Promise<{ executionArn: string; terminated: string[] }> => {
    const detail = (event as { detail?: { executionArn?: string; status?: string } } | undefined)?.detail;
    const executionArn = detail?.executionArn;
    if (typeof executionArn !== 'string' || executionArn === '')
      throw new Error('not a Step Functions execution status change: detail.executionArn is missing');
    const ids = await deps.clusters.activeClustersTagged(EXECUTION_TAG, executionArn);
    if (ids.length > 0) await deps.clusters.terminate(ids);
    return { executionArn, terminated: ids };
  };
}
