import { LAMBDA_TRACING } from '../../../shared/runtime/lambda-tracing.ts';
import { createHealthHandler } from './health.ts';

export const handler = createHealthHandler(
  { runtime: 'aws', version: process.env.RECSYS_VERSION ?? 'unknown' },
  LAMBDA_TRACING,
);
