// The spec is bundled as text (serverless.yml: esbuild's `.yaml` loader), so the Lambda serves the file it was
// packaged with and reads nothing at run time.
import spec from '../../../openapi.yaml';
import { LAMBDA_TRACING } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetOpenApiHandler } from './get-openapi.ts';

export const handler = createGetOpenApiHandler(spec, LAMBDA_TRACING);
