/** The cluster tag the retrain state machine sets at createCluster: its value is the execution ARN. */
export const EXECUTION_TAG = 'recsys:execution';

/** Training clusters found by tag and terminated: the cleanup Lambda's port. AWS: EMR. Local: clusters.json. */
export interface ClusterControl {
  /** Clusters not yet terminated that carry tag `key` = `value`. */
  activeClustersTagged(key: string, value: string): Promise<string[]>;
  terminate(clusterIds: string[]): Promise<void>;
}
