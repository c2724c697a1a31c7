import { createHealthHandler } from './health.ts';

export const handler = createHealthHandler({
  runtime: 'aws',
  version: process.env.RECSYS_VERSION ?? 'unknown',
});
