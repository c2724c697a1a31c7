import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createAdminDataHandler } from './admin-data.ts';

/**
 * Per-day counts over the whole lake are a scan: on AWS that is an Athena query over the Glue tables
 * (resources/athena.yml), which this function does not run yet. Said plainly (501) rather than faked.
 */
export const handler = createAdminDataHandler(
  {
    stats: () => Promise.reject(new Error('unavailable')),
    unavailable:
      "data statistics are computed from the local lake only; on AWS run the Athena workgroup's named queries (resources/athena.yml)",
  },
  LAMBDA_API_OPTIONS,
);
