import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createCleanupClusters } from './cleanup-clusters.ts';

export const handler = pipelineHandler(() => createCleanupClusters({ clusters: pipelineAws.clusters() }));
