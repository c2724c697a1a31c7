import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// One logger and one metrics object per process: Powertools keeps per-invocation state in them.
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'recsys' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'recsys',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'recsys',
});
