import { type ApiMiddlewareOptions, apiHandler } from '../../../shared/runtime/middleware.ts';

/**
 * GET /openapi.yaml — no key: the API's contract as text, so a client generator or the pipeline's smoke test reads
 * the very spec the deployed version was built with.
 */
export function createGetOpenApiHandler(spec: string, options?: ApiMiddlewareOptions) {
  return apiHandler(
    async () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/yaml; charset=utf-8', 'cache-control': 'max-age=300' },
      body: spec,
    }),
    options,
  );
}
