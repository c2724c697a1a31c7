import {
  DescribeClusterCommand,
  type EMRClient,
  ListClustersCommand,
  TerminateJobFlowsCommand,
} from '@aws-sdk/client-emr';
import type { ClusterControl } from '../../ports/cluster-control.ts';

const ACTIVE = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] as const;

/**
 * EMR clusters found by tag: ListClusters (active states) then DescribeCluster for the tags (ListClusters does
 * not return them). Training clusters are few and short-lived, so the scan is small.
 */
export function createEmrClusterControl(options: { client: EMRClient }): ClusterControl {
  const { client } = options;
  return {
    async activeClustersTagged(key, value) {
      const ids: string[] = [];
      let marker: string | undefined;
      do {
        const page = await client.send(
          new ListClustersCommand({ ClusterStates: [...ACTIVE], Marker: marker }),
        );
        for (const c of page.Clusters ?? []) {
          if (c.Id === undefined) continue;
          const d = await client.send(new DescribeClusterCommand({ ClusterId: c.Id }));
          if (d.Cluster?.Tags?.some((t) => t.Key === key && t.Value === value)) ids.push(c.Id);
        }
        marker = page.Marker;
      } while (marker !== undefined);
      return ids;
    },
    async terminate(clusterIds) {
      // TerminateJobFlows takes at most 10 ids per call.
      for (let i = 0; i < clusterIds.length; i += 10)
        await client.send(new TerminateJobFlowsCommand({ JobFlowIds: clusterIds.slice(i, i + 10) }));
    },
  };
}
